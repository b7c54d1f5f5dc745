"""Semantic checks the schema cannot express; run only on schema-valid data (codes E0301–E0310)."""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.spec.durations import MAX_DURATION_SECONDS, format_seconds, parse_duration
from runctl_iac.spec.model import PathT, SourceMap
from runctl_iac.spec.schema import sort_key

GP3_BASELINE_IOPS = 3000
GP3_BASELINE_THROUGHPUT = 125
# provisioned IOPS per GiB of size, by type (gp3 only above its 3000 IOPS baseline)
IOPS_PER_GIB = {"gp3": 500, "io1": 50, "io2": 1000}
THROUGHPUT_PER_IOPS = Decimal("0.25")  # gp3 MiB/s per provisioned IOPS

Emit = Callable[..., None]


def semantic_diagnostics(data: dict[str, Any], source: SourceMap) -> list[Diagnostic]:
    """All semantic findings on schema-valid `data`, sorted by position."""
    out: list[Diagnostic] = []

    def emit(code: str, path: PathT, message: str, hint: str | None = None, at_key: bool = False) -> None:
        out.append(source.diagnostic(Severity.ERROR, code, message, path, hint, at_key=at_key))

    for check in (_volumes, _mounts, _training, _durations, _spot):
        check(data, emit)
    return sorted(out, key=sort_key)


def _suggest(name: str, known: Iterable[str], what: str) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return f'did you mean "{close[0]}"?'
    return f"defined {what}: {', '.join(names)}" if names else f"no {what} are defined"


def _volumes(data: dict[str, Any], emit: Emit) -> None:
    for name, vol in data.get("volumes", {}).items():
        kind, size = vol.get("type", "gp3"), vol["size_gb"]
        iops, throughput = vol.get("iops"), vol.get("throughput_mbps")
        per_gib = IOPS_PER_GIB.get(kind)
        if iops is not None and per_gib is not None:
            floor = GP3_BASELINE_IOPS if kind == "gp3" else 0
            limit = max(floor, per_gib * size)
            if iops > limit:
                need = -(-iops // per_gib)
                emit(
                    "E0301",
                    ("volumes", name, "iops"),
                    f"{iops} IOPS is more than {kind} allows for {size} GiB "
                    f"({per_gib} IOPS per GiB: at most {limit})",
                    f"raise size_gb to at least {need}, or lower iops to {limit}",
                )
        if kind == "gp3" and throughput is not None and throughput > GP3_BASELINE_THROUGHPUT:
            effective = iops if iops is not None else GP3_BASELINE_IOPS
            limit_tp = int(THROUGHPUT_PER_IOPS * effective)
            if throughput > limit_tp:
                need = int(-(-Decimal(throughput) // THROUGHPUT_PER_IOPS))
                emit(
                    "E0301",
                    ("volumes", name, "throughput_mbps"),
                    f"{throughput} MiB/s is more than gp3 allows with {effective} IOPS "
                    f"(0.25 MiB/s per IOPS: at most {limit_tp})",
                    f"set iops to at least {need}, or lower throughput_mbps to {limit_tp}",
                )


def _mounts(data: dict[str, Any], emit: Emit) -> None:
    volumes = data.get("volumes", {})
    mounted_by: dict[str, str] = {}
    for group, spec in data.get("instances", {}).items():
        seen: dict[str, str] = {}
        for vol, mount in spec.get("volumes", {}).items():
            base = ("instances", group, "volumes", vol)
            if vol not in volumes:
                emit("E0303", base, f'volume "{vol}" is not defined', _suggest(vol, volumes, "volumes"), True)
            elif vol in mounted_by:
                emit(
                    "E0307",
                    base,
                    f'volume "{vol}" is already mounted by instance group "{mounted_by[vol]}"',
                    "a volume attaches to one group; define a second volume for this group",
                    True,
                )
            else:
                mounted_by[vol] = group
            if not mount.startswith("/"):
                emit(
                    "E0305",
                    base,
                    f'mount path "{mount}" is not absolute',
                    "use an absolute path such as /data",
                )
                continue
            if posixpath.normpath(mount) == "/":
                emit(
                    "E0305", base, "a volume cannot be mounted at /", "mount it on a directory such as /data"
                )
                continue
            normal = posixpath.normpath(mount)
            if normal in seen:
                emit(
                    "E0306",
                    base,
                    f'mount path {normal} is already used by volume "{seen[normal]}"',
                    "give every volume of a group its own mount path",
                )
            else:
                seen[normal] = vol


def _training(data: dict[str, Any], emit: Emit) -> None:
    training = data.get("training")
    if training is None:
        return
    groups = data.get("instances", {})
    if training["group"] not in groups:
        emit(
            "E0302",
            ("training", "group"),
            f'instance group "{training["group"]}" is not defined',
            _suggest(training["group"], groups, "instance groups"),
        )
    bucket = training.get("checkpoints", {}).get("bucket")
    buckets = data.get("buckets", {})
    if bucket is not None and bucket not in buckets:
        emit(
            "E0304",
            ("training", "checkpoints", "bucket"),
            f'bucket "{bucket}" is not defined',
            _suggest(bucket, buckets, "buckets"),
        )
    env = training.get("env", {})
    for index, name in enumerate(training.get("secrets", [])):
        if name in env:
            emit(
                "E0310",
                ("training", "secrets", index),
                f"{name} is both a secret and a plain env variable",
                f"remove {name} from training.env; secrets are read from your environment on apply",
            )


def _durations(data: dict[str, Any], emit: Emit) -> None:
    training = data.get("training") or {}
    candidates: list[tuple[PathT, Any]] = [
        (("ttl",), data.get("ttl")),
        (("training", "max_runtime"), training.get("max_runtime")),
        (("training", "checkpoints", "every"), training.get("checkpoints", {}).get("every")),
    ]
    for path, text in candidates:
        if text is None:
            continue
        try:
            duration = parse_duration(text)
        except ValueError as exc:
            emit("E0308", path, str(exc), "write a number with a unit: 90m, 8h, 3d")
            continue
        if duration.seconds > MAX_DURATION_SECONDS:
            emit(
                "E0308",
                path,
                f'"{text}" is longer than the maximum of {format_seconds(MAX_DURATION_SECONDS)}',
                "use at most 30d; extend a running environment's ttl instead",
            )


def _spot(data: dict[str, Any], emit: Emit) -> None:
    for group, spec in data.get("instances", {}).items():
        spot = spec.get("spot")
        if isinstance(spot, dict) and spot["max_price_usd"] <= 0:
            emit(
                "E0309",
                ("instances", group, "spot", "max_price_usd"),
                f"max_price_usd must be greater than 0, got {spot['max_price_usd']}",
                "omit the price (spot: true) to pay at most the on-demand price",
            )
