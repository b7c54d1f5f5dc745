"""Stack outputs for the launch commands: the one place that knows where they are read from.

`runctl apply` hands them over directly (`AppliedStack.outputs`); the other commands
(launch, logs, job, stop-job, checkpoints) read them from the applied snapshot
document (`runctl_iac.engine.snapshot`: beside the state, wherever the backend keeps it),
from its top-level `outputs` key. Shape (exported by the Pulumi program):

    instances.<logical id>.{id, private_ip, availability_zone}
    buckets.<bucket key>           physical bucket name (the staging bucket: key `_staging`)
    volumes.<volume id>            EBS volume id
"""

from __future__ import annotations

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


def read_outputs(spec_path: Path, project: str, stack: str, *, local: bool = False) -> dict[str, Any]:
    """The applied stack's outputs, from the applied snapshot that `runctl apply` writes where the
    state lives (`runctl_iac.engine.snapshot.read_applied`, found through the same backend settings
    as apply; `local`: the local emulator's). E0803 when the stack was never applied."""
    from runctl_iac.engine.snapshot import read_applied
    from runctl_iac.stackref import backend_for

    applied = read_applied(project, stack, backend_for(spec_path, local=local))
    where = Path(spec_path)
    if applied is None:
        raise _missing(f"stack {project}/{stack} has not been applied (no applied snapshot)", where)
    if not applied.outputs:
        raise _missing(f"the applied snapshot of {project}/{stack} holds no stack outputs", where)
    return dict(applied.outputs)
