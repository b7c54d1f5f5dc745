"""Stack outputs for the launch commands: the one place that knows where they are read from.

`runctl apply` hands them over directly (`AppliedStack.outputs`); the other commands
(launch, logs, job, stop-job, checkpoints) read them from the applied snapshot
document, `.runctl/snapshots/<project>/<stack>.json` under the project root, from
its top-level `outputs` key. Shape (exported by the Pulumi program):

    instances.<logical id>.{id, private_ip, availability_zone}
    buckets.<bucket key>           physical bucket name (the staging bucket: key `_staging`)
    volumes.<volume id>            EBS volume id
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity

if TYPE_CHECKING:
    from runctl_iac.compiler.graph import Graph, LaunchPlan


class AppliedStack(Protocol):
    """What `runctl apply` knows right after `up` (the engine's `AppliedStack` dataclass)."""

    @property
    def project(self) -> str: ...
    @property
    def stack(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def spec_path(self) -> Path: ...
    @property
    def graph(self) -> Graph: ...
    @property
    def launch_plan(self) -> LaunchPlan: ...
    @property
    def outputs(self) -> Mapping[str, Any]: ...
    @property
    def endpoint_url(self) -> str | None: ...


def _missing(message: str, path: Path) -> DiagnosticError:
    return DiagnosticError(
        [
            Diagnostic(
                Severity.ERROR,
                "E0803",
                message,
                file=str(path),
                hint="run `runctl apply` first: the launch needs the stack's instances and buckets",
            )
        ]
    )


def read_outputs(project: str, stack: str, root: Path | None = None) -> dict[str, Any]:
    """The applied stack's outputs, from the snapshot document (E0803 when there are none)."""
    from runctl_iac.plan.base import snapshot_path

    path = snapshot_path(project, stack, root or Path.cwd())
    if not path.is_file():
        raise _missing(f"stack {project}/{stack} has not been applied (no {path.name} snapshot)", path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _missing(f"the applied snapshot cannot be read: {type(exc).__name__}", path) from None
    outputs = doc.get("outputs") if isinstance(doc, dict) else None
    if not isinstance(outputs, dict) or not outputs:
        raise _missing(f"the applied snapshot of {project}/{stack} holds no stack outputs", path)
    return outputs
