"""The two entry points the CLI calls: `list_resources` (runctl resources) and `plan` / `run` (runctl gc).

Settings, resolved here so the CLI stays thin:
- project root and backends: the stack locator (`runctl_iac.stackref`), as for apply: the
  backend is `--backend`, PULUMI_BACKEND_URL, runctl.toml / [tool.runctl], else
  `<root>/.runctl/state`; `--local`: the local target's `.runctl/local/state` and its emulator.
  A resource is an orphan only when no backend runctl knows for the project (that one, the
  default, the local target's, the configured one) has its stack; a backend that cannot be
  read keeps the resources it may own. A missing default or local state folder holds no stacks;
- regions: `--region` (repeatable), else `regions` in runctl.toml, else the AWS
  profile's region (AWS_REGION / AWS_DEFAULT_REGION / the profile's config);
- audit log: `--audit-log`, else `<root>/.runctl/audit.jsonl`.
Every user-fixable failure becomes a `DiagnosticError` (codes E0901-E0905, W0906).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.plan.cost import total_usd
from runctl_iac.stackref import Backend
from runctl_iac.stackstate import BackendError, StackInfo, list_stacks
from runctl_iac.teardown.audit import AUDIT_FILE, AuditLog
from runctl_iac.teardown.gc import GcOptions, GcPlan, plan_gc
from runctl_iac.teardown.jobs import RunningJob, running_jobs
from runctl_iac.teardown.model import Inventory, Kind, ManagedResource, PricedResource
from runctl_iac.teardown.prices import hourly_usd, stopped_monthly_usd
from runctl_iac.teardown.sweep import DestroyStack, GcResult, execute


def diagnostic(code: str, message: str, hint: str | None = None, path: str = "") -> Diagnostic:
    severity = Severity.WARNING if code.startswith("W") else Severity.ERROR
    return Diagnostic(severity=severity, code=code, message=message, path=path, hint=hint)


def project_root(start: Path | None = None) -> Path:
    """The project root of the working directory (or `start`): the stack locator's one rule."""
    from runctl_iac.stackref import project_root as root_of

    return root_of(start or Path.cwd())


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


def read_stacks(backend_url: str) -> list[StackInfo]:
    try:
        return list_stacks(backend_url)
    except BackendError as exc:
        raise DiagnosticError([diagnostic("E0902", str(exc), exc.hint, "--backend")]) from None
    except Exception as exc:  # boto errors from an s3:// backend
        from runctl_iac.teardown.aws import as_aws_error

        err = as_aws_error(exc, f"reading the state backend {backend_url}")
        raise DiagnosticError([diagnostic("E0902", str(err), err.hint, "--backend")]) from None


def _clients(root: Path | None = None, local: bool = False) -> Any:
    from runctl_iac.teardown.aws import Clients

    if not local:
        return Clients()
    import boto3

    from runctl_iac.engine.local import emulator_url
    from runctl_iac.stackref import project_root as root_of

    url = emulator_url(root or root_of(Path.cwd()))  # E0712 when it does not run
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return Clients(session, endpoint_url=url)


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


RunSpendReader = Callable[[Any, str], Any]  # (S3 client, staging bucket) -> the latest run's spend or None


@dataclass
class ResourceList:
    now: dt.datetime
    regions: tuple[str, ...]
    items: list[PricedResource] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    # (project, stack) -> its latest run's spend as the nodes counted it (`launch.runs.RunSpend`)
    spend: dict[tuple[str, str], Any] = field(default_factory=dict)

    def stopped(self) -> list[PricedResource]:
        """The stopped instances: each still bills its EBS volumes."""
        return [p for p in self.items if p.resource.stopped]

    def stopped_monthly(self) -> dict[tuple[str, str], Decimal | None]:
        """Per stack with stopped instances: their EBS $/month (None: a volume the catalog cannot price)."""
        per_stack: dict[tuple[str, str], list[Decimal | None]] = {}
        for item in self.stopped():
            per_stack.setdefault(item.resource.key, []).append(item.stopped_monthly_usd)
        return {key: total_usd(months) for key, months in per_stack.items()}

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
    local: bool = False,
    run_spend: RunSpendReader | None = None,
) -> ResourceList:
    """Every managed resource, priced, sorted by $/hour (highest first), then project/stack/kind/id;
    a stopped instance with what its EBS volumes cost a month; `run_spend`: read each stack's latest
    run's spend from its staging bucket (the bucket tagged runctl:role=staging, runctl's own or the
    spec's `training.staging_bucket`: where the nodes write); `local`: on the local emulator."""
    root = root or project_root()
    clients = clients or _clients(root, local)
    wanted = resolve_regions(regions, root, clients.default_region)
    inventory = find(wanted, project, stack, clients)
    priced = [PricedResource(r, hourly_usd(r), stopped_monthly_usd(r)) for r in inventory.resources]
    priced.sort(
        key=lambda p: (
            -(p.hourly_usd or Decimal(0)),
            p.resource.project,
            p.resource.stack,
            p.resource.kind.value,
            p.resource.id,
        )
    )
    listing = ResourceList(
        now=now or dt.datetime.now(dt.UTC),
        regions=wanted,
        items=priced,
        warnings=[diagnostic("W0906", w) for w in inventory.warnings],
    )
    if run_spend is not None:
        _read_spend(listing, [r for r in inventory.resources if r.is_staging], clients, run_spend)
    return listing


def _read_spend(
    listing: ResourceList, buckets: list[ManagedResource], clients: Any, reader: RunSpendReader
) -> None:
    """Each stack's latest run's spend, read from its staging bucket on the bounded pool; a bucket
    that cannot be read is a warning (its stack shows no spend), never a failure of the listing."""
    from concurrent.futures import ThreadPoolExecutor

    from runctl_iac.teardown.aws import WORKERS, short_error

    def one(bucket: ManagedResource) -> Any:
        try:
            return reader(clients.get("s3", bucket.region), bucket.id)
        except Exception as exc:
            if not hasattr(exc, "response"):
                raise
            listing.warnings.append(
                diagnostic(
                    "W0906", f"runs in {bucket.id} could not be read ({short_error(exc)}); no $ spent shown"
                )
            )
            return None

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for bucket, spend in zip(buckets, pool.map(one, buckets), strict=True):
            if spend is not None:
                listing.spend[bucket.key] = spend


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


@dataclass
class Backends:
    """What gc read from the backends runctl knows for the project."""

    primary: Backend
    stacks: list[StackInfo] | None  # None: the primary backend could not be read
    elsewhere: dict[tuple[str, str], str] = field(default_factory=dict)  # stacks in the others
    unreadable: list[str] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def none_anywhere(self) -> bool:
        return not self.stacks and not self.elsewhere


def _stacks_in(backend: Backend) -> list[StackInfo]:
    """The stacks of one backend; a missing default or local folder holds none ("no stacks yet")."""
    from runctl_iac.stackref import state_missing

    if state_missing(backend) and (backend.default or backend.local):
        return []
    return [replace(s, backend_url=backend.url) for s in read_stacks(backend.url)]


def read_backends(root: Path, flag: str | None, *, local: bool, orphans: bool) -> Backends:
    """The primary backend's stacks (`--local`: the local target's) and every other known one's."""
    from runctl_iac.stackref import known_backends, local_backend

    known = known_backends(root, flag)
    primary = local_backend(root) if local else known[0]
    found = Backends(primary, None)
    try:
        found.stacks = _stacks_in(primary)
    except DiagnosticError as exc:
        if orphans:
            raise  # without the stack list every resource would look orphaned
        found.warnings += [
            diagnostic(
                "W0906", f"{d.message}; only resources whose runctl:expires-at passed are swept", d.hint
            )
            for d in exc.diagnostics
        ]
    for other in (b for b in known if b.url != primary.url):
        try:
            found.elsewhere.update({s.key: other.url for s in _stacks_in(other)})
        except DiagnosticError as exc:
            found.unreadable.append(f"the backend {other.url} cannot be read ({exc.diagnostics[0].message})")
    return found


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
    local: bool = False,
) -> GcSession:
    root = root or project_root()
    backends = read_backends(root, backend, local=local, orphans=options.orphans)
    local = local or backends.primary.local
    clients = clients or _clients(root, local)
    now = now or dt.datetime.now(dt.UTC)
    wanted = resolve_regions(regions, root, clients.default_region)
    warnings = list(backends.warnings)
    stacks = backends.stacks
    if options.orphans and project is None and stacks is not None and backends.none_anywhere:
        problem = diagnostic(
            "E0904" if not options.expired else "W0906",
            f"no stacks yet (looked in {backends.primary.url}): gc cannot tell orphans from live "
            "resources without a project",
            "pass --project P to sweep P's tagged leftovers (its state is gone, e.g. a CI runner's)",
            "--project",
        )
        if not options.expired:
            raise DiagnosticError([problem])
        warnings.append(problem)
    inventory = find(wanted, project, None, clients)
    if project is not None and stacks is not None:
        stacks = [s for s in stacks if s.project == project]
    probe = AwsProbe(clients, now)
    live = {s.key for s in stacks or () if not (options.expired and s.expired(now))} | set(backends.elsewhere)
    candidates = [
        r for r in inventory.resources if r.kind is Kind.BUCKET and not r.retained and r.key not in live
    ]
    try:
        if not options.delete_data:
            probe.prefetch(candidates)
        gc_plan = plan_gc(
            inventory,
            stacks,
            options,
            probe,
            now,
            engine=engine,
            projects=[project] if project else [],
            elsewhere=backends.elsewhere,
            unreadable=backends.unreadable,
        )
    except Exception as exc:
        if hasattr(exc, "response"):
            from runctl_iac.teardown.aws import as_aws_error

            err = as_aws_error(exc, "checking jobs and bucket contents")
            raise DiagnosticError([diagnostic("E0903", str(err), err.hint)]) from None
        raise
    warnings += [diagnostic("W0906", w) for w in gc_plan.warnings]
    return GcSession(gc_plan, wanted, backends.primary.url, clients, probe, warnings)


def run(
    session: GcSession,
    *,
    audit_log: Path | None = None,
    root: Path | None = None,
    destroy_stack: DestroyStack | None = None,
) -> GcResult:
    if audit_log is None:
        from runctl_iac.stackref import ensure_runctl_dir

        ensure_runctl_dir(root or project_root())
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
