"""Training secrets: one SSM SecureString parameter per name under `/runctl/<project>/<stack>/`.

The Graph holds only the NAME (`SecretEnv`); the program reads the value from the
applying user's environment and passes it as a Pulumi secret. Compiling never
needs the value, so validate, graph, diff and offline plan run without it.
"""

from __future__ import annotations

from runctl_iac.compiler import names
from runctl_iac.compiler.context import Context
from runctl_iac.compiler.graph import SecretEnv

PARAMETER = "aws:ssm/parameter:Parameter"


def secret_id(name: str) -> str:
    return f"secret.{name}"


def secret_parameters(ctx: Context) -> dict[str, str]:
    """Environment variable name -> SSM parameter name."""
    training = ctx.spec.training
    if training is None:
        return {}
    return {n: names.parameter_name(ctx.project, ctx.stack, n) for n in training.secrets}


def compile_secrets(ctx: Context) -> None:
    for name, parameter in sorted(secret_parameters(ctx).items()):
        ctx.add(
            secret_id(name),
            PARAMETER,
            {
                "name": parameter,
                "type": "SecureString",
                "value": SecretEnv(name),
                "description": f"runctl {ctx.project}/{ctx.stack} training secret {name}",
            },
        )
