"""Compile a `Spec` into the `Graph` (the IR every later layer reads) and a `LaunchPlan`.

One small module per resource kind; `STEPS` runs them in order. Nothing here
imports pulumi or boto3: the Graph is plain data with placeholders (Ref,
SecretEnv, Config, Invoke) that the Pulumi program resolves.
"""

from __future__ import annotations

from collections.abc import Callable

from runctl_iac.compiler.buckets import compile_buckets
from runctl_iac.compiler.context import CompileError, Context
from runctl_iac.compiler.graph import Graph, LaunchPlan
from runctl_iac.compiler.instances import compile_instances
from runctl_iac.compiler.job import job_properties
from runctl_iac.compiler.launch import build_launch_plan
from runctl_iac.compiler.provider import compile_provider
from runctl_iac.compiler.runpod import compile_runpod
from runctl_iac.compiler.secrets import compile_secrets
from runctl_iac.compiler.volumes import compile_volumes
from runctl_iac.spec.model import Spec

__all__ = ["STEPS", "CompileError", "compile"]

# per-kind steps that only add resources, in order (instances before volumes: volumes sit in their zone)
STEPS: tuple[Callable[[Context], None], ...] = (
    compile_provider,
    compile_buckets,
    compile_secrets,
    compile_instances,
    compile_runpod,
)


def compile(spec: Spec) -> tuple[Graph, LaunchPlan]:
    """Spec -> (Graph, LaunchPlan); deterministic: the same spec gives byte-identical `Graph.dumps()`."""
    ctx = Context(spec)
    for step in STEPS:
        step(ctx)
    mounts = compile_volumes(ctx)
    launch = build_launch_plan(ctx, mounts)
    graph = Graph(
        project=spec.name,
        stack=spec.stack,
        region=spec.region,
        resources=dict(sorted(ctx.resources.items())),
        outputs=dict(sorted(ctx.outputs.items())),
        job=job_properties(launch),
    )
    graph.topological_order()  # a cycle or dangling reference is a compiler bug: fail here
    return graph, launch
