"""The typed spec: frozen dataclasses with defaults applied.

Built only by `runctl_iac.spec.load` after the schema and semantic checks pass,
so consumers can trust every field. `Spec.source` maps field paths to the file
position that holds the value (spec or stack overlay) so later tiers (policy,
plan) can point diagnostics at the responsible line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from runctl_iac.diagnostics import Diagnostic, Severity

PathT = tuple[str | int, ...]

DEFAULT_IMAGE = "dlami-pytorch"
DEFAULT_DISK_GB = 200
DEFAULT_STACK = "dev"


def dotted(path: PathT) -> str:
    """("instances", "trainer", "volumes", 0) -> "instances.trainer.volumes[0]"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class Location:
    file: str
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class SourceMap:
    """Field path -> Location of the node holding it (the key's value, or the key for mappings)."""

    positions: Mapping[PathT, Location] = field(default_factory=dict)  # path -> its value node
    keys: Mapping[PathT, Location] = field(default_factory=dict)  # path -> its key in the parent mapping
    default_file: str = "<spec>"

    def locate_key(self, path: PathT) -> Location:
        """Where the key of `path` is written (for unknown or misplaced keys); falls back to `locate`."""
        loc = self.keys.get(tuple(path))
        return loc if loc is not None else self.locate(path)

    def diagnostic(
        self,
        severity: Severity,
        code: str,
        message: str,
        path: PathT,
        hint: str | None = None,
        *,
        at_key: bool = False,
        where: PathT | None = None,
    ) -> Diagnostic:
        """A diagnostic about `path`, positioned at `where` (default `path`): its key or its value."""
        spot = path if where is None else where
        loc = self.locate_key(spot) if at_key else self.locate(spot)
        return Diagnostic(severity, code, message, loc.file, loc.line, loc.column, dotted(path), hint)

    def locate(self, path: PathT) -> Location:
        """The position of `path`, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            loc = self.positions.get(p)
            if loc is not None:
                return loc
            if not p:
                return Location(self.default_file, 1, 1)
            p = p[:-1]


@dataclass(frozen=True)
class Duration:
    text: str  # as written, e.g. "90m"
    seconds: int

    @property
    def hours(self) -> Decimal:
        return Decimal(self.seconds) / Decimal(3600)


@dataclass(frozen=True)
class LifecycleRule:
    prefix: str
    expire_after_days: int


@dataclass(frozen=True)
class Bucket:
    name: str
    versioning: bool = False
    lifecycle: tuple[LifecycleRule, ...] = ()
    retain: bool = False


VolumeType = Literal["gp3", "gp2", "io1", "io2", "st1", "sc1"]


@dataclass(frozen=True)
class Volume:
    name: str
    size_gb: int
    type: VolumeType = "gp3"
    iops: int | None = None
    throughput_mbps: int | None = None
    from_snapshot: str | None = None
    retain: bool = False


@dataclass(frozen=True)
class Spot:
    max_price_usd: Decimal | None = None


@dataclass(frozen=True)
class Mount:
    volume: str
    path: str


Market = Literal["spot", "on-demand"]


@dataclass(frozen=True)
class Capacity:
    """`capacity:` of a group: ordered alternatives, expanded by `spec.capacity.candidates`."""

    types: tuple[str, ...]
    zones: tuple[str | None, ...] = (None,)  # None: any zone that offers the type
    markets: tuple[Market, ...] = ("on-demand",)
    move_volumes: Literal["never", "snapshot"] = "never"


@dataclass(frozen=True)
class InstanceGroup:
    """One group; `type`, `spot` and `zone` are the placed candidate (candidate 1 unless placed)."""

    name: str
    type: str
    count: int = 1
    spot: Spot | None = None  # None: on-demand
    image: str = DEFAULT_IMAGE
    disk_gb: int = DEFAULT_DISK_GB
    mounts: tuple[Mount, ...] = ()  # from `volumes:`, in spec order
    capacity: Capacity | None = None  # None: the single `type` (and `spot`), any zone
    zone: str | None = None  # a zone the placement pins; None: the first zone offering the type
    # zones the group's retained volumes went through (`move_volumes: snapshot`), oldest first; the
    # last is the group's zone. Empty: never moved (`spec.capacity.recorded` fills it from the stack)
    volume_zones: tuple[str, ...] = ()


RUNPOD_DEFAULT_IMAGE = "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04"
RUNPOD_DEFAULT_CONTAINER_DISK_GB = 50


@dataclass(frozen=True)
class RunPodGroup:
    """An instance group with `provider: runpod`: one GPU pod (spec.instances holds the EC2 groups)."""

    name: str
    gpu: str  # RunPod GPU type id, e.g. "NVIDIA H100 80GB HBM3"
    gpu_count: int = 1
    cloud: Literal["secure", "community"] = "secure"
    container_image: str = RUNPOD_DEFAULT_IMAGE
    container_disk_gb: int = RUNPOD_DEFAULT_CONTAINER_DISK_GB
    volume_gb: int = 0
    data_centers: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    interruptible: bool = False
    mounts: tuple[Mount, ...] = ()  # at most one RunPod network volume


@dataclass(frozen=True)
class RunPodVolume:
    """A volume with `provider: runpod`: a RunPod network volume in one data center."""

    name: str
    size_gb: int
    data_center: str
    retain: bool = False


@dataclass(frozen=True)
class Checkpoints:
    dir: str
    bucket: str | None = None
    every: Duration | None = None


AutostopAction = Literal["stop", "terminate"]
DEFAULT_AUTOSTOP_IDLE = Duration("30m", 1800)
DEFAULT_GPU_THRESHOLD_PCT = 10


@dataclass(frozen=True)
class Autostop:
    """`training.autostop`; `idle` None: `autostop: false` (a budget cap still takes the action)."""

    idle: Duration | None = DEFAULT_AUTOSTOP_IDLE
    action: AutostopAction = "stop"
    gpu_threshold_pct: int = DEFAULT_GPU_THRESHOLD_PCT


@dataclass(frozen=True)
class Training:
    group: str
    run: str
    code: str | None = None
    setup: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()  # environment variable NAMES only; values never enter a Spec
    checkpoints: Checkpoints | None = None
    max_runtime: Duration | None = None
    staging_bucket: str | None = None  # a key of `buckets`; None: runctl's own staging bucket
    autostop: Autostop = field(default_factory=Autostop)


@dataclass(frozen=True)
class Budget:
    max_hourly_usd: Decimal | None = None
    max_run_usd: Decimal | None = None


@dataclass(frozen=True)
class Network:
    subnet: str | None = None
    vpc: str | None = None


@dataclass(frozen=True)
class Spec:
    version: int
    name: str
    region: str
    stack: str = DEFAULT_STACK  # the stack it was loaded for (not a spec key)
    target: Literal["aws", "local"] = "aws"
    tags: Mapping[str, str] = field(default_factory=dict)
    ttl: Duration | None = None
    budget: Budget = field(default_factory=Budget)
    network: Network = field(default_factory=Network)
    buckets: Mapping[str, Bucket] = field(default_factory=dict)
    volumes: Mapping[str, Volume] = field(default_factory=dict)
    instances: Mapping[str, InstanceGroup] = field(default_factory=dict)
    training: Training | None = None
    runpod_groups: Mapping[str, RunPodGroup] = field(default_factory=dict)  # `provider: runpod` groups
    runpod_volumes: Mapping[str, RunPodVolume] = field(default_factory=dict)  # `provider: runpod` volumes
    source: SourceMap = field(default_factory=SourceMap, compare=False, repr=False)
