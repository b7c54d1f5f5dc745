"""The files of an ejected Pulumi project: program, project and stack settings, pins, README, job.

`eject_files` assembles them; `write_project` writes them into an empty (or new) folder. The stack
configuration is the stack's own `Pulumi.<stack>.yaml` from runctl's work dir, copied as it is
(its secrets salt and any encrypted values stay encrypted), so `pulumi preview` in the folder runs
against the existing stack.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import yaml

from runctl_iac.compiler.graph import Graph, LaunchPlan
from runctl_iac.compiler.runpod import NETWORK_VOLUME, POD
from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.engine.eject import program_source
from runctl_iac.engine.program import secret_env_names

PINNED = ("pulumi", "pulumi-aws")  # the SDKs the program imports, at the versions runctl runs with


@dataclass(frozen=True)
class StackSource:
    """Where the applied stack lives, as runctl found it."""

    config_file: Path  # runctl's Pulumi.<stack>.yaml for the stack
    backend_url: str  # "" for Pulumi Cloud (the user's `pulumi login`)
    passphrase_note: str  # how to give the passphrase, never the passphrase itself
    endpoint_url: str | None = None  # the local emulator's URL (target: local)


def _error(code: str, message: str, hint: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic(Severity.ERROR, code, message, hint=hint)])


def read_stack_config(source: StackSource) -> tuple[str, dict[str, str]]:
    """(the file's text, its plain config values); E0720 when the stack has none here."""
    try:
        text = source.config_file.read_text(encoding="utf-8")
    except OSError:
        raise _error(
            "E0720",
            f"no stack configuration at {source.config_file}",
            "eject a stack that runctl applied from this project (`runctl apply SPEC --stack S` first)",
        ) from None
    doc = yaml.safe_load(text) or {}
    config = doc.get("config") or {}
    return text, {str(k): str(v) for k, v in config.items() if not isinstance(v, Mapping)}


def requirements() -> str:
    return "".join(f"{name}=={metadata.version(name)}\n" for name in PINNED)


def _project_yaml(graph: Graph, source: StackSource) -> str:
    doc: dict[str, object] = {
        "name": graph.project,
        "description": f"{graph.project}: ejected from runctl (see README.md)",
        "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}},
    }
    if source.backend_url:
        doc["backend"] = {"url": source.backend_url}
    return yaml.safe_dump(doc, sort_keys=False)


def _readme(graph: Graph, plan: LaunchPlan | None, source: StackSource, secrets: list[str]) -> str:
    login = f"pulumi login {source.backend_url}" if source.backend_url else "pulumi login"
    lines = [
        f"# {graph.project}: ejected from runctl",
        "",
        f"The infrastructure of stack `{graph.stack}` as a plain Pulumi Python program, written by",
        "`runctl eject`. Every resource keeps the name runctl gave it, so this project manages the",
        "existing stack in place: `pulumi preview` right after ejecting shows no changes.",
        "",
        "| file | what it holds |",
        "|---|---|",
        "| `__main__.py` | one pulumi_aws statement per resource, with its arguments and options |",
        "| `Pulumi.yaml` | the project (runctl's project name; the state backend) |",
        f"| `Pulumi.{graph.stack}.yaml` | the stack's configuration, copied from runctl "
        "(expiry, account suffix) |",
        "| `requirements.txt` | pulumi and pulumi-aws at the versions runctl used |",
    ]
    if plan is not None and plan.nodes:
        lines += [
            "| `training/node.sh` | the node script runctl runs on each instance |",
            "| `training/job.json` | the training job: setup, run, env, secret names, checkpoints |",
        ]
    lines += [
        "",
        "## Preview",
        "",
        "```sh",
        "python3 -m venv venv && venv/bin/pip install -r requirements.txt",
        login,
        source.passphrase_note,
    ]
    lines += [f"export {name}=...   # or: pulumi config set --secret {name}" for name in secrets]
    lines += [f"pulumi stack select {graph.stack}", "pulumi preview   # no changes", "```", ""]
    if plan is not None and plan.nodes:
        lines += [
            "## The training job",
            "",
            "`training/node.sh` starts the job on an instance (it needs the values runctl filled in",
            "at launch, read from the environment: RUNCTL_RUN_ID, RUNCTL_BUCKET (the staging bucket),",
            "RUNCTL_NODE_IPS, RUNCTL_CODE_URI, RUNCTL_VOLUME_ID_<i>). On each instance, for rank N:",
            "",
            "```sh",
            "RUNCTL_RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)-000000 RUNCTL_BUCKET=... RUNCTL_NODE_IPS=... \\",
            "  bash node.sh start N",
            "```",
            "",
        ]
    return "\n".join(lines)


def check_ejectable(graph: Graph) -> None:
    """E0726 when the graph holds RunPod resources: they are runctl's own Pulumi dynamic provider
    (`runctl_iac.engine.runpod_provider`), which a standalone pulumi_aws program cannot hold without
    runctl, and their state names that provider, so an ejected copy could not manage them."""
    runpod = sorted(r.id for r in graph.resources.values() if r.type in (POD, NETWORK_VOLUME))
    if runpod:
        shown = ", ".join(runpod[:3]) + (f" (and {len(runpod) - 3} more)" if len(runpod) > 3 else "")
        raise _error(
            "E0726",
            f"cannot eject {graph.project}/{graph.stack}: it holds RunPod resources ({shown}), which "
            "runctl manages through its own dynamic provider, not pulumi_aws",
            "keep the RunPod groups and volumes under runctl (`runctl destroy` removes them), or "
            "eject a spec without `provider: runpod`",
        )


def eject_files(
    graph: Graph, plan: LaunchPlan | None, source: StackSource, node_script: str | None
) -> dict[str, str]:
    """Relative path -> text of every file of the ejected project (E0726 for RunPod resources)."""
    check_ejectable(graph)
    config_text, config = read_stack_config(source)
    secrets = secret_env_names(graph)
    files = {
        "Pulumi.yaml": _project_yaml(graph, source),
        f"Pulumi.{graph.stack}.yaml": config_text,
        "__main__.py": program_source(graph, config, endpoint_url=source.endpoint_url),
        "requirements.txt": requirements(),
        "README.md": _readme(graph, plan, source, secrets),
        ".gitignore": "venv/\n__pycache__/\n",
    }
    if node_script is not None and graph.job is not None:
        files["training/node.sh"] = node_script
        files["training/job.json"] = json.dumps(graph.to_json()["job"], indent=2, sort_keys=True) + "\n"
    return files


def write_project(out: Path, files: Mapping[str, str]) -> None:
    """Write into `out` (created when missing); E0721 when it holds anything already."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise _error("E0721", f"{out} exists and is not empty", "give --out a new or empty folder")
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
