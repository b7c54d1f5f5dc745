"""The two entry points the CLI calls: `list_resources` (runctl resources) and `plan` / `run` (runctl gc).

Settings, resolved here so the CLI stays thin:
- project root: the nearest folder upward from the working directory holding
  runctl.toml (or pyproject.toml with [tool.runctl]), else the git root, else the
  working directory (`plan/config.py` finds the config);
- regions: `--region` (repeatable), else `regions` in runctl.toml, else the AWS
  profile's region (AWS_REGION / AWS_DEFAULT_REGION / the profile's config);
- backend: `--backend`, else PULUMI_BACKEND_URL, else `<root>/.runctl/state`;
- audit log: `--audit-log`, else `<root>/.runctl/audit.jsonl`.
Every user-fixable failure becomes a `DiagnosticError` (codes E0901-E0905, W0906).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.teardown.audit import AUDIT_FILE, AuditLog
from runctl_iac.teardown.backend import BackendError, StackInfo, default_backend_url, list_stacks
from runctl_iac.teardown.gc import GcOptions, GcPlan, plan_gc
from runctl_iac.teardown.jobs import RunningJob, running_jobs
from runctl_iac.teardown.model import Inventory, Kind, ManagedResource, PricedResource
from runctl_iac.teardown.prices import hourly_usd
from runctl_iac.teardown.sweep import DestroyStack, GcResult, execute


def diagnostic(code: str, message: str, hint: str | None = None, path: str = "") -> Diagnostic:
    severity = Severity.WARNING if code.startswith("W") else Severity.ERROR
    return Diagnostic(severity=severity, code=code, message=message, path=path, hint=hint)


def project_root(start: Path | None = None) -> Path:
    from runctl_iac.plan.config import find_config

    here = (start or Path.cwd()).resolve()
    found = find_config(here)
    if found is not None:
        return found[0].parent
    for directory in (here, *here.parents):
        if (directory / ".git").exists():
            return directory
    return here


def resolve_regions(cli: Sequence[str], root: Path, default_region: str | None) -> tuple[str, ...]:
    from runctl_iac.plan.config import load_project_config

    if cli:
        return tuple(dict.fromkeys(cli))
    config = load_project_config(root)
    if config.regions:
        return config.regions
    if default_region:
        return (default_region,)
    raise DiagnosticError(
        [
            diagnostic(
                "E0901",
                "no region to search",
                'pass --region (repeatable), set regions = ["us-east-1"] in runctl.toml, or AWS_REGION',
                "--region",
            )
        ]
    )


def resolve_backend(cli: str | None, root: Path) -> str:
    return cli or os.environ.get("PULUMI_BACKEND_URL") or default_backend_url(root)


def read_stacks(backend_url: str) -> list[StackInfo]:
    try:
        return list_stacks(backend_url)
    except BackendError as exc:
        raise DiagnosticError([diagnostic("E0902", str(exc), exc.hint, "--backend")]) from None
    except Exception as exc:  # boto errors from an s3:// backend
        from runctl_iac.teardown.aws import as_aws_error

        err = as_aws_error(exc, f"reading the state backend {backend_url}")
        raise DiagnosticError([diagnostic("E0902", str(err), err.hint, "--backend")]) from None


def _clients() -> Any:
    from runctl_iac.teardown.aws import Clients

    return Clients()


def find(regions: tuple[str, ...], project: str | None, stack: str | None, clients: Any) -> Inventory:
    from runctl_iac.teardown.aws import AwsError
    from runctl_iac.teardown.discover import discover

    try:
        inventory = discover(regions, project=project, stack=stack, clients=clients)
    except AwsError as exc:
        raise DiagnosticError([diagnostic("E0903", str(exc), exc.hint)]) from None
    _add_runpod(inventory, project, stack)
    return inventory


def _add_runpod(inventory: Inventory, project: str | None, stack: str | None) -> None:
    """RunPod pods and network volumes (teardown/runpod.py) when RUNPOD_API_KEY is set."""
    from runctl_iac.engine.runpod_api import RunPodError
    from runctl_iac.teardown.runpod import api_key, discover_runpod

    if api_key() is None:
        return
    try:
        inventory.resources.extend(discover_runpod(project, stack))
    except RunPodError as exc:
        inventory.warnings.append(f"RunPod not searched: {exc}")


@dataclass
class ResourceList:
    now: dt.datetime
    regions: tuple[str, ...]
    items: list[PricedResource] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    def totals(self) -> dict[tuple[str, str], Decimal]:
        out: dict[tuple[str, str], Decimal] = {}
        for item in self.items:
            out[item.resource.key] = out.get(item.resource.key, Decimal(0)) + (item.hourly_usd or Decimal(0))
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def total(self) -> Decimal:
        return sum(self.totals().values(), Decimal(0))


def list_resources(
    regions: Sequence[str] = (),
    *,
    project: str | None = None,
    stack: str | None = None,
    root: Path | None = None,
    clients: Any = None,
    now: dt.datetime | None = None,
) -> ResourceList:
    """Every managed resource, priced, sorted by $/hour (highest first), then project/stack/kind/id."""
    root = root or project_root()
    clients = clients or _clients()
    wanted = resolve_regions(regions, root, clients.default_region)
    inventory = find(wanted, project, stack, clients)
    priced = [PricedResource(r, hourly_usd(r)) for r in inventory.resources]
    priced.sort(
        key=lambda p: (
            -(p.hourly_usd or Decimal(0)),
            p.resource.project,
            p.resource.stack,
            p.resource.kind.value,
            p.resource.id,
        )
    )
    return ResourceList(
        now=now or dt.datetime.now(dt.UTC),
        regions=wanted,
        items=priced,
        warnings=[diagnostic("W0906", w) for w in inventory.warnings],
    )


class AwsProbe:
    """The planner's questions, answered by S3 (status files, bucket contents)."""

    def __init__(self, clients: Any, now: dt.datetime) -> None:
        self.clients = clients
        self.now = now
        self._holds: dict[tuple[str, str], bool] = {}

    def prefetch(self, buckets: Sequence[ManagedResource]) -> None:
        """Ask about many buckets at once, on the bounded pool (the planner then reads the answers)."""
        from concurrent.futures import ThreadPoolExecutor

        from runctl_iac.teardown.aws import WORKERS

        todo = [b for b in buckets if (b.region, b.id) not in self._holds]
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for bucket, holds in zip(todo, pool.map(self._ask, todo), strict=True):
                self._holds[(bucket.region, bucket.id)] = holds

    def running_jobs(self, staging_bucket: ManagedResource) -> list[RunningJob]:
        return running_jobs(self.clients.get("s3", staging_bucket.region), staging_bucket, self.now)

    def holds_objects(self, bucket: ManagedResource) -> bool:
        key = (bucket.region, bucket.id)
        if key not in self._holds:
            self._holds[key] = self._ask(bucket)
        return self._holds[key]

    def _ask(self, bucket: ManagedResource) -> bool:
        page = self.clients.get("s3", bucket.region).list_object_versions(Bucket=bucket.id, MaxKeys=1)
        return bool(page.get("Versions") or page.get("DeleteMarkers"))


@dataclass
class GcSession:
    """What `plan` found, kept for `run` (the same listing is acted on, never a second, different one)."""

    plan: GcPlan
    regions: tuple[str, ...]
    backend_url: str
    clients: Any
    probe: AwsProbe
    warnings: list[Diagnostic] = field(default_factory=list)


def plan(
    regions: Sequence[str] = (),
    *,
    options: GcOptions,
    project: str | None = None,
    backend: str | None = None,
    engine: bool = False,
    root: Path | None = None,
    clients: Any = None,
    now: dt.datetime | None = None,
) -> GcSession:
    root = root or project_root()
    clients = clients or _clients()
    now = now or dt.datetime.now(dt.UTC)
    wanted = resolve_regions(regions, root, clients.default_region)
    backend_url = resolve_backend(backend, root)
    warnings: list[Diagnostic] = []
    stacks: list[StackInfo] | None
    try:
        stacks = read_stacks(backend_url)
    except DiagnosticError as exc:
        if options.orphans:
            raise  # without the stack list every resource would look orphaned
        stacks = None
        warnings += [
            diagnostic(
                "W0906", f"{d.message}; only resources whose runctl:expires-at passed are swept", d.hint
            )
            for d in exc.diagnostics
        ]
    inventory = find(wanted, project, None, clients)
    if project is not None and stacks is not None:
        stacks = [s for s in stacks if s.project == project]
    probe = AwsProbe(clients, now)
    live = {s.key for s in stacks or () if not (options.expired and s.expired(now))}
    candidates = [
        r for r in inventory.resources if r.kind is Kind.BUCKET and not r.retained and r.key not in live
    ]
    try:
        if not options.delete_data:
            probe.prefetch(candidates)
        gc_plan = plan_gc(
            inventory, stacks, options, probe, now, engine=engine, projects=[project] if project else []
        )
    except Exception as exc:
        if hasattr(exc, "response"):
            from runctl_iac.teardown.aws import as_aws_error

            err = as_aws_error(exc, "checking jobs and bucket contents")
            raise DiagnosticError([diagnostic("E0903", str(err), err.hint)]) from None
        raise
    warnings += [diagnostic("W0906", w) for w in gc_plan.warnings]
    return GcSession(gc_plan, wanted, backend_url, clients, probe, warnings)


def run(
    session: GcSession,
    *,
    audit_log: Path | None = None,
    root: Path | None = None,
    destroy_stack: DestroyStack | None = None,
) -> GcResult:
    path = audit_log or (root or project_root()) / AUDIT_FILE
    return execute(
        session.plan,
        clients=session.clients,
        audit=AuditLog(path),
        probe=session.probe,
        iam_region=session.regions[0],
        backend_url=session.backend_url,
        destroy_stack=destroy_stack,
    )
