"""`runctl apply` as a sequence of steps over a loaded spec; the CLI supplies the UI and the launch stage.

    offline plan (blocked: stop) -> secrets (E0601) -> --plan check (E0709) -> locked? (E0702)
    -> open stack + config -> engine preview, refreshed from AWS unless --no-refresh (rendered like
    the offline plan) -> confirm -> up with progress (refreshed the same way) -> snapshot with
    outputs -> outputs -> expiry warning -> launch stage (`after_up`, unless --no-launch or the
    local target, which has no machines to run a job on)

Nothing here prints: every message goes through `ApplyUI`, implemented by the CLI with `render/`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.engine import driver, snapshot
from runctl_iac.engine import workspace as ws
from runctl_iac.engine.workspace import Target

if TYPE_CHECKING:
    from runctl_iac.compiler.graph import Graph, LaunchPlan
    from runctl_iac.plan.config import ProjectConfig
    from runctl_iac.plan.model import Changes, Plan
    from runctl_iac.spec.model import Spec


@dataclass(frozen=True)
class AppliedStack:
    """What the launch stage gets after a successful `up`."""

    project: str
    stack: str
    region: str
    spec_path: Path
    graph: Graph
    launch_plan: LaunchPlan
    outputs: dict[str, Any]
    endpoint_url: str | None


AfterUp = Callable[[AppliedStack], int]


class ApplyUI(Protocol):
    def show_plan(self, plan: Plan) -> None: ...
    def note(self, text: str) -> None: ...
    def warn(self, diagnostics: list[Diagnostic]) -> None: ...
    def confirm(self, question: str) -> bool: ...
    def interactive(self) -> bool: ...
    def progress(self) -> Any: ...  # an object with handle(event) and close()
    def finished(self, outcome: driver.UpOutcome) -> None: ...
    def show_outputs(self, outputs: Mapping[str, Any]) -> None: ...


@dataclass
class ApplyRequest:
    spec_path: Path
    spec: Spec
    graph: Graph
    launch_plan: LaunchPlan
    target: Target
    config: ProjectConfig
    yes: bool = False
    no_launch: bool = False
    refresh: bool = True  # read AWS before the preview and the update: drift is repaired
    parallel: int | None = None
    plan_file: Path | None = None
    targets: list[str] = field(default_factory=list)  # logical ids
    target_dependents: bool = False
    endpoint_url: str | None = None
    apply_config: dict[str, str] = field(default_factory=dict)  # e.g. runctl:accountSuffix
    account_lookup: Callable[[], str] | None = None  # the AWS account id (STS), asked once per stack
    after_up: AfterUp | None = None
    # instances of the stack that stopped themselves (autostop): listed from the outputs, started on apply
    stopped_lookup: Callable[[dict[str, Any]], list[str]] | None = None
    start_stopped: Callable[[list[str]], None] | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


def _error(code: str, message: str, hint: str, file: str | None = None) -> DiagnosticError:
    return DiagnosticError([Diagnostic(Severity.ERROR, code, message, file=file, hint=hint)])


def launches(req: ApplyRequest) -> bool:
    """Whether apply ends by launching the training job."""
    return bool(req.launch_plan.nodes) and not req.no_launch and req.spec.target != "local"


def offline_plan(req: ApplyRequest, changes: Changes | None = None) -> Plan:
    from runctl_iac.plan.base import ResolvedBase
    from runctl_iac.plan.make import make_plan, without_job
    from runctl_iac.plan.model import PlanBase

    applied = snapshot.read_applied(req.graph.project, req.graph.stack, req.target.backend)
    if applied is None:
        base = ResolvedBase(PlanBase("none"), None, "nothing applied yet: everything is created")
    else:
        base = ResolvedBase(PlanBase("snapshot", applied.location, applied.spec_hash), applied.graph)
    plan = make_plan(req.spec, base=base, config=req.config, graph=req.graph, changes=changes)
    return plan if launches(req) else without_job(plan)


def local_cannot_launch(req: ApplyRequest) -> Diagnostic:
    """Said before the plan when the spec has training and targets the local emulator."""
    return Diagnostic(
        Severity.WARNING,
        "W0716",
        "the local target cannot run the training job: the emulator has no machines to run it on",
        file=str(req.spec_path),
        path="training",
        hint="apply creates the infrastructure only (as with --no-launch); use target: aws to train",
    )


def check_plan_file(path: Path, graph: Graph, applied_hash: str | None) -> None:
    """`--plan FILE`: the reviewed plan must be for this project, stack, Graph and base."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _error(
            "E0709",
            f"--plan {path}: not a readable plan document ({type(exc).__name__})",
            "pass the file written by `runctl plan SPEC --out plan.json`",
            str(path),
        ) from None
    if not isinstance(doc, dict) or "spec_hash" not in doc:
        raise _error(
            "E0709",
            f"--plan {path}: not a runctl plan document",
            "pass the file written by `runctl plan SPEC --out plan.json`",
            str(path),
        )
    problems: list[str] = []
    if doc.get("project") != graph.project or doc.get("stack") != graph.stack:
        problems.append(
            f"it is for {doc.get('project')}/{doc.get('stack')}, not {graph.project}/{graph.stack}"
        )
    if doc.get("spec_hash") != graph.spec_hash():
        problems.append(
            f"the spec changed since it was planned (planned {str(doc.get('spec_hash'))[:19]}, "
            f"now {graph.spec_hash()[:19]})"
        )
    planned_base = (doc.get("base") or {}).get("spec_hash") if isinstance(doc.get("base"), dict) else None
    if planned_base != applied_hash and (doc.get("base") or {}).get("kind") in ("none", "snapshot"):
        problems.append(
            f"the stack changed since it was planned (planned against {str(planned_base)[:19]}, "
            f"applied now {str(applied_hash)[:19]})"
        )
    if problems:
        raise _error(
            "E0709",
            f"--plan {path}: " + "; ".join(problems),
            "run `runctl plan` again, review it, and apply that plan",
            str(path),
        )


def stack_config(req: ApplyRequest, current: Mapping[str, str]) -> dict[str, str | None]:
    """Region, expiry, and the account suffix of bucket names (kept once set: names stay stable)."""
    from runctl_iac.compiler.names import ACCOUNT_CONFIG, account_suffix
    from runctl_iac.engine.program import uses_account

    ttl = req.spec.ttl
    values: dict[str, str | None] = {ws.REGION_CONFIG: req.spec.region}
    values.update(
        driver.expiry_config(current, ttl.seconds if ttl else None, ttl.text if ttl else None, req.now())
    )
    if uses_account(req.graph) and not current.get(ACCOUNT_CONFIG):
        if req.account_lookup is None:
            raise _error(
                "E0704",
                "the AWS account is needed for bucket names and cannot be asked",
                "run with AWS credentials (`runctl doctor`)",
            )
        values[ACCOUNT_CONFIG] = account_suffix(req.account_lookup(), req.spec.region)
    values.update(req.apply_config)
    return values


def urn(graph: Graph, rid: str) -> str:
    res = graph.resources.get(rid)
    if res is None:
        raise _error(
            "E0711",
            f"--target {rid}: no such resource in the Graph",
            "use a logical id as `runctl graph SPEC` prints it",
        )
    return f"urn:pulumi:{graph.stack}::{graph.project}::{res.type}::{rid}"


def run_apply(req: ApplyRequest, ui: ApplyUI) -> int:
    """The whole apply; returns the exit code. Raises DiagnosticError for located failures."""
    from runctl_iac.engine.program import check_secret_env
    from runctl_iac.engine.progress import replacement_disagreements

    plan = offline_plan(req)
    if plan.blocked:
        ui.show_plan(plan)
        return 1
    check_secret_env(req.graph)
    if req.plan_file is not None:
        check_plan_file(req.plan_file, req.graph, plan.base.spec_hash)
    targets = [urn(req.graph, t) for t in req.targets]
    if _locked_now(req.target):  # before any preview: one of a running update's state is stale
        raise _locked(driver.lock_holder(req.target))
    if req.launch_plan.nodes and req.no_launch:
        ui.note(f"--no-launch: the training job is not launched (`runctl launch {req.spec_path}` starts it)")
    elif req.launch_plan.nodes and req.spec.target == "local":
        ui.warn([local_cannot_launch(req)])
    program = driver.graph_program(req.graph, req.endpoint_url)
    stack = driver.open_for(req.target, program)
    current = driver.configure(stack, {})
    config = driver.configure(stack, stack_config(req, current))
    ws.set_tags(stack, {ws.OWNER_TAG: ws.owner()})
    # fails first when another update holds the lock (backends whose lock runctl cannot see)
    engine_changes = driver.preview(stack, refresh=req.refresh)
    _refuse_pending(stack, req.target)
    engine_plan = offline_plan(req, engine_changes)
    ui.show_plan(engine_plan)
    for line in replacement_disagreements(plan.changes, engine_changes):
        ui.note(f"note: {line}")
    stopped = _stopped(req, stack)
    if stopped:
        ui.note(
            f"start {len(stopped)} stopped instance{'s' if len(stopped) > 1 else ''}: {', '.join(stopped)}"
        )
    if not engine_changes.has_changes and not stopped:
        ui.note("no changes: the stack already matches the spec")
    elif not _confirmed(req, ui):
        ui.note("apply cancelled: nothing was changed")
        return 1
    if stopped and req.start_stopped is not None:
        req.start_stopped(stopped)
    if engine_changes.has_changes:
        view = ui.progress()
        try:
            outcome = driver.up(
                stack,
                view.handle,
                parallel=req.parallel,
                targets=targets or None,
                target_dependents=req.target_dependents,
                refresh=req.refresh,
            )
        finally:
            view.close()
        ui.finished(outcome)
        outputs = outcome.outputs
    else:
        outputs = ws.outputs_plain(stack)
    where = snapshot.write_applied(req.graph, req.target.backend, outputs, config)
    ui.note(f"snapshot: {where}")
    ui.show_outputs(outputs)
    expired = expiry_warning(config.get(ws.EXPIRES_AT_CONFIG), req)
    if expired is not None:
        ui.warn([expired])
    return _launch(req, outputs, ui)


def expiry_warning(expires_at: str | None, req: ApplyRequest) -> Diagnostic | None:
    """A warning when the stack applied is already past its expiry (`runctl gc --expired` would tear
    it down): applying again keeps the expiry; `runctl extend` moves it."""
    from runctl_iac.engine.status import countdown

    moment = driver.parse_rfc3339(expires_at or "")
    if moment is None:
        return None
    left = int((moment - req.now()).total_seconds())
    if left > 0:
        return None
    ttl = req.spec.ttl.text if req.spec.ttl else "8h"
    return Diagnostic(
        Severity.WARNING,
        "W0717",
        f"{req.graph.project}/{req.graph.stack} {countdown(left)}: applying again keeps its expiry "
        f"({expires_at})",
        hint=f"keep it longer with `runctl extend {req.spec_path} --stack {req.graph.stack} --by {ttl}`",
    )


def _stopped(req: ApplyRequest, stack: Any) -> list[str]:
    """Instances of this stack stopped by autostop (kept, started again: never replaced)."""
    if req.stopped_lookup is None:
        return []
    outputs = ws.outputs_plain(stack)
    return req.stopped_lookup(outputs) if outputs else []


def _refuse_pending(stack: Any, target: ws.Target) -> None:
    from runctl_iac.engine.recover import pending_ops

    pending = pending_ops(driver.state_resources(stack)[1])
    if pending and _locked_now(target):  # a live update's operations, not an interrupted one's
        raise _locked(driver.lock_holder(target))
    if pending:
        raise _error(
            "E0703",
            "an earlier update was interrupted and left pending operations: "
            + "; ".join(p.explain() for p in pending),
            "run `runctl recover SPEC` first: it checks AWS and repairs the state",
        )


def _locked(holder: str = "") -> DiagnosticError:
    return _error(
        "E0702",
        f"the stack is locked by another update in progress{holder}",
        "wait for it to finish; if it was interrupted, `runctl cancel SPEC` removes the lock",
    )


def _locked_now(target: ws.Target) -> bool:
    return driver.locked_now(target) is True


def _confirmed(req: ApplyRequest, ui: ApplyUI) -> bool:
    if req.yes:
        return True
    if not ui.interactive():
        raise _error(
            "E0708",
            "apply needs confirmation and there is no terminal to ask on",
            "review the plan, then run again with --yes (in CI: `runctl apply SPEC --yes`)",
        )
    return ui.confirm(f"apply these changes to {req.graph.project}/{req.graph.stack}?")


def _launch(req: ApplyRequest, outputs: dict[str, Any], ui: ApplyUI) -> int:
    if not launches(req):
        return 0
    if req.after_up is None:
        return 0
    applied = AppliedStack(
        project=req.graph.project,
        stack=req.graph.stack,
        region=req.graph.region,
        spec_path=req.spec_path,
        graph=req.graph,
        launch_plan=req.launch_plan,
        outputs=outputs,
        endpoint_url=req.endpoint_url,
    )
    return req.after_up(applied)


def describe_state(target: Target) -> list[str]:
    """`type id (logical id)` for each resource in the stack's state, plus pending operations."""
    stack = driver.open_for(target, create=False)
    resources, pending = driver.state_resources(stack)
    lines = [
        f"{r.get('urn', '').rsplit('::', 1)[-1]}: {r.get('type')} {r.get('id') or ''}".rstrip()
        for r in resources
    ]
    for op in pending:
        res = op.get("resource") or {}
        lines.append(f"{res.get('urn', '').rsplit('::', 1)[-1]}: interrupted while {op.get('type')}")
    return lines
