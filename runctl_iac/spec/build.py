"""Validated spec data -> the typed, frozen `Spec`, with defaults applied and every key consumed.

Runs only after the schema and semantic tiers found no error, so a key left over or missing here is a
mismatch between the schema and the model (a bug), not a user mistake.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from runctl_iac.spec.durations import parse_duration
from runctl_iac.spec.model import (
    DEFAULT_DISK_GB,
    DEFAULT_IMAGE,
    RUNPOD_DEFAULT_CONTAINER_DISK_GB,
    RUNPOD_DEFAULT_IMAGE,
    Autostop,
    Bucket,
    Budget,
    Capacity,
    Checkpoints,
    Duration,
    InstanceGroup,
    LifecycleRule,
    Mount,
    Network,
    PathT,
    RunPodGroup,
    RunPodVolume,
    SourceMap,
    Spec,
    Spot,
    Training,
    Volume,
    dotted,
)

DEFAULT_REGION = "us-east-1"


class _Keys:
    """Hands out the keys of one mapping and proves at the end that none was left unread."""

    def __init__(self, data: dict[str, Any] | None, path: PathT) -> None:
        self.rest = dict(data or {})
        self.path = path

    def __enter__(self) -> _Keys:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None and self.rest:
            raise AssertionError(
                f"spec keys not consumed at {dotted(self.path) or '<root>'}: {sorted(self.rest)}"
            )

    def take(self, key: str, default: Any = None) -> Any:
        return self.rest.pop(key, default)

    def need(self, key: str) -> Any:
        if key not in self.rest:
            raise AssertionError(f"validated spec lacks {dotted((*self.path, key))}")
        return self.rest.pop(key)


def money(value: Any) -> Decimal | None:
    """YAML numbers -> Decimal without binary float noise (0.1 -> Decimal("0.1"))."""
    return None if value is None else Decimal(str(value))


def _duration(text: str | None) -> Duration | None:
    return None if text is None else parse_duration(text)


def build_spec(data: dict[str, Any], source: SourceMap, stack: str) -> Spec:
    with _Keys(data, ()) as top:
        volumes, groups = top.take("volumes", {}), top.take("instances", {})
        spec = Spec(
            version=int(top.need("version")),
            name=top.need("name"),
            region=top.take("region", DEFAULT_REGION),
            stack=stack,
            target=top.take("target", "aws"),
            tags=dict(top.take("tags", {})),
            ttl=_duration(top.take("ttl")),
            budget=_budget(top.take("budget")),
            network=_network(top.take("network")),
            buckets={n: _bucket(n, b) for n, b in top.take("buckets", {}).items()},
            volumes={n: _volume(n, v) for n, v in volumes.items() if not _on_runpod(v)},
            instances={n: _group(n, g) for n, g in groups.items() if not _on_runpod(g)},
            runpod_groups={n: runpod_group(n, g) for n, g in groups.items() if _on_runpod(g)},
            runpod_volumes={n: runpod_volume(n, v) for n, v in volumes.items() if _on_runpod(v)},
            training=_training(top.take("training")),
            source=source,
        )
    return spec


def _on_runpod(data: dict[str, Any] | None) -> bool:
    return (data or {}).get("provider") == "runpod"


def runpod_group(name: str, data: dict[str, Any]) -> RunPodGroup:
    with _Keys(data, ("instances", name)) as k:
        k.need("provider")
        k.take("count")  # at most 1 (schema): one pod per group
        return RunPodGroup(
            name=name,
            gpu=k.need("gpu"),
            gpu_count=int(k.take("gpu_count", 1)),
            cloud=k.take("cloud", "secure"),
            container_image=k.take("container_image", RUNPOD_DEFAULT_IMAGE),
            container_disk_gb=int(k.take("container_disk_gb", RUNPOD_DEFAULT_CONTAINER_DISK_GB)),
            volume_gb=int(k.take("volume_gb", 0)),
            data_centers=tuple(k.take("data_centers", [])),
            ports=tuple(k.take("ports", [])),
            env=dict(k.take("env", {})),
            interruptible=bool(k.take("interruptible", False)),
            mounts=tuple(Mount(volume=v, path=p) for v, p in k.take("volumes", {}).items()),
        )


def runpod_volume(name: str, data: dict[str, Any]) -> RunPodVolume:
    with _Keys(data, ("volumes", name)) as k:
        k.need("provider")
        return RunPodVolume(
            name=name,
            size_gb=int(k.need("size_gb")),
            data_center=k.need("data_center"),
            retain=bool(k.take("retain", False)),
        )


def _budget(data: dict[str, Any] | None) -> Budget:
    with _Keys(data, ("budget",)) as k:
        return Budget(
            max_hourly_usd=money(k.take("max_hourly_usd")), max_run_usd=money(k.take("max_run_usd"))
        )


def _network(data: dict[str, Any] | None) -> Network:
    with _Keys(data, ("network",)) as k:
        return Network(subnet=k.take("subnet"), vpc=k.take("vpc"))


def _bucket(name: str, data: dict[str, Any] | None) -> Bucket:
    with _Keys(data, ("buckets", name)) as k:
        rules = []
        for index, rule in enumerate(k.take("lifecycle", [])):
            with _Keys(rule, ("buckets", name, "lifecycle", index)) as r:
                rules.append(
                    LifecycleRule(prefix=r.need("prefix"), expire_after_days=int(r.need("expire_after_days")))
                )
        return Bucket(
            name=name,
            versioning=bool(k.take("versioning", False)),
            lifecycle=tuple(rules),
            retain=bool(k.take("retain", False)),
        )


def _volume(name: str, data: dict[str, Any]) -> Volume:
    with _Keys(data, ("volumes", name)) as k:
        k.take("provider")  # aws, written out
        iops, throughput = k.take("iops"), k.take("throughput_mbps")
        return Volume(
            name=name,
            size_gb=int(k.need("size_gb")),
            type=k.take("type", "gp3"),
            iops=None if iops is None else int(iops),
            throughput_mbps=None if throughput is None else int(throughput),
            from_snapshot=k.take("from_snapshot"),
            retain=bool(k.take("retain", False)),
        )


def _spot(group: str, value: Any) -> Spot | None:
    if value is None or value is False:
        return None
    if value is True:
        return Spot()
    with _Keys(value, ("instances", group, "spot")) as k:
        return Spot(max_price_usd=money(k.need("max_price_usd")))


def _capacity(
    group: str, data: dict[str, Any] | None, itype: str | None, spot: Spot | None
) -> Capacity | None:
    if data is None:
        return None
    with _Keys(data, ("instances", group, "capacity")) as k:
        zones = tuple(None if z == "any" else z for z in k.take("zones", ["any"]))
        markets = k.take("market") or (["spot"] if spot is not None else ["on-demand"])
        return Capacity(
            types=tuple(k.take("types") or [itype]),
            zones=zones,
            markets=tuple(markets),
            move_volumes=k.take("move_volumes", "never"),
        )


def _group(name: str, data: dict[str, Any]) -> InstanceGroup:
    with _Keys(data, ("instances", name)) as k:
        k.take("provider")  # aws, written out
        itype, spot = k.take("type"), _spot(name, k.take("spot"))
        capacity = _capacity(name, k.take("capacity"), itype, spot)
        group = InstanceGroup(
            name=name,
            type=itype if capacity is None else capacity.types[0],
            count=int(k.take("count", 1)),
            spot=spot,
            image=k.take("image", DEFAULT_IMAGE),
            disk_gb=int(k.take("disk_gb", DEFAULT_DISK_GB)),
            mounts=tuple(Mount(volume=v, path=p) for v, p in k.take("volumes", {}).items()),
            capacity=capacity,
        )
    if capacity is None:
        return group
    from runctl_iac.spec.capacity import candidates, placed_group

    return placed_group(group, candidates(group)[0])


def _checkpoints(data: dict[str, Any] | None) -> Checkpoints | None:
    if data is None:
        return None
    with _Keys(data, ("training", "checkpoints")) as k:
        return Checkpoints(dir=k.need("dir"), bucket=k.take("bucket"), every=_duration(k.take("every")))


def _training(data: dict[str, Any] | None) -> Training | None:
    if data is None:
        return None
    with _Keys(data, ("training",)) as k:
        return Training(
            group=k.need("group"),
            run=k.need("run"),
            code=k.take("code"),
            setup=k.take("setup"),
            env=dict(k.take("env", {})),
            secrets=tuple(k.take("secrets", [])),
            checkpoints=_checkpoints(k.take("checkpoints")),
            max_runtime=_duration(k.take("max_runtime")),
            staging_bucket=k.take("staging_bucket"),
            autostop=_autostop(k.take("autostop", {})),
        )


def _autostop(data: dict[str, Any] | bool) -> Autostop:
    if data is False:
        return Autostop(idle=None)
    with _Keys(data if isinstance(data, dict) else {}, ("training", "autostop")) as k:
        default = Autostop()
        idle = _duration(k.take("idle"))
        return Autostop(
            idle=idle or default.idle,
            action=k.take("action", default.action),
            gpu_threshold_pct=int(k.take("gpu_threshold_pct", default.gpu_threshold_pct)),
        )
