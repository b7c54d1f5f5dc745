"""Semantic checks the schema cannot express; run only on schema-valid data.

Codes E0301–E0321 here; E0330–E0333 (capacity candidates) in `spec.capacity`.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.spec.capacity import capacity_diagnostics
from runctl_iac.spec.durations import MAX_DURATION_SECONDS, format_seconds, parse_duration
from runctl_iac.spec.instance_types import instance_type_diagnostics
from runctl_iac.spec.model import PathT, SourceMap
from runctl_iac.spec.parts import Emit, Parts
from runctl_iac.spec.runpod_checks import runpod_checks
from runctl_iac.spec.schema import sort_key

GP3_BASELINE_IOPS = 3000
GP3_BASELINE_THROUGHPUT = 125
# provisioned IOPS per GiB of size, by type (gp3 only above its 3000 IOPS baseline), and gp3 MiB/s per
# provisioned IOPS: the ratios of the Amazon EBS volume types page
# (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html, checked 2026-11-27: gp3 500
# IOPS/GiB up to 80000 and 0.25 MiB/s per IOPS up to 2000; io1 50 IOPS/GiB; io2 Block Express 1000 IOPS/GiB).
# The absolute ranges live in the schema (from the CreateVolume/ModifyVolume API reference).
IOPS_PER_GIB = {"gp3": 500, "io1": 50, "io2": 1000}
THROUGHPUT_PER_IOPS = Decimal("0.25")  # gp3 MiB/s per provisioned IOPS


def semantic_diagnostics(
    data: dict[str, Any], source: SourceMap, invalid: Iterable[PathT] = ()
) -> list[Diagnostic]:
    """All semantic findings on the parts of `data` that passed the schema (`invalid`: the paths of
    schema errors), sorted by position."""
    out: list[Diagnostic] = []

    def emit(code: str, path: PathT, message: str, hint: str | None = None, at_key: bool = False) -> None:
        out.append(source.diagnostic(Severity.ERROR, code, message, path, hint, at_key=at_key))

    parts = Parts(data, invalid)
    for check in (_volumes, _mounts, _training, _durations, _spot, _autostop, runpod_checks):
        check(parts, emit)
    out.extend(instance_type_diagnostics(data, source, clean=parts.clean))  # W0311 / E0312, vs the catalog
    out.extend(capacity_diagnostics(data, source, clean=parts.clean))  # E0330-E0333
    return sorted(out, key=sort_key)


def local_path_diagnostics(
    data: dict[str, Any], source: SourceMap, parts: Parts, spec_dir: Path
) -> list[Diagnostic]:
    """E0320: a local `training.code` folder (relative to the spec's folder) that is not there, said
    by validate and plan, before apply spends anything (launch would refuse it after the apply)."""
    training = data.get("training")
    location = training.get("code") if isinstance(training, dict) else None
    if not isinstance(location, str) or location.startswith("s3://") or not parts.clean("training", "code"):
        return []
    folder = spec_dir / location
    if folder.is_dir():
        return []
    what = "is not a folder" if folder.exists() else "does not exist"
    return [
        source.diagnostic(
            Severity.ERROR,
            "E0320",
            f"local folder {location!r} {what} (next to the spec file)",
            ("training", "code"),
            "training.code is a folder relative to the spec file, or an s3:// prefix",
        )
    ]


def _suggest(name: str, known: Iterable[str], what: str, unrelated: str = "", cutoff: float = 0.6) -> str:
    """`did you mean` for a near miss; else the defined names (or, with `unrelated`, that advice instead:
    a bucket that merely exists is no suggestion for a name that is nothing like it)."""
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1, cutoff=cutoff)
    if close:
        return f'did you mean "{close[0]}"?'
    if unrelated:
        return f"{unrelated} (defined {what}: {', '.join(names)})" if names else unrelated
    return f"defined {what}: {', '.join(names)}" if names else f"no {what} are defined"


def _volumes(parts: Parts, emit: Emit) -> None:
    for name, vol in parts.mapping("volumes").items():
        if not parts.clean("volumes", name):
            continue
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


def _mounts(parts: Parts, emit: Emit) -> None:
    volumes = parts.known("volumes")
    mounted_by: dict[str, str] = {}
    for group, spec in parts.mapping("instances").items():
        if not isinstance(spec, dict):
            continue
        seen: dict[str, str] = {}
        mounts = spec.get("volumes", {})
        if not isinstance(mounts, dict) or not parts.clean("instances", group, "volumes"):
            continue
        for vol, mount in mounts.items():
            base = ("instances", group, "volumes", vol)
            if volumes is not None and vol not in volumes:
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


def _training(parts: Parts, emit: Emit) -> None:
    training = parts.data.get("training")
    if not isinstance(training, dict) or ("training",) in parts.invalid:
        return
    groups = parts.known("instances")
    if parts.clean("training", "group") and groups is not None and training["group"] not in groups:
        emit(
            "E0302",
            ("training", "group"),
            f'instance group "{training["group"]}" is not defined',
            _suggest(training["group"], groups, "instance groups"),
        )
    checkpoints = training.get("checkpoints")
    bucket = checkpoints.get("bucket") if isinstance(checkpoints, dict) else None
    buckets = parts.known("buckets")
    clean_bucket = parts.clean("training", "checkpoints", "bucket")
    if bucket is not None and clean_bucket and buckets is not None and bucket not in buckets:
        emit(
            "E0304",
            ("training", "checkpoints", "bucket"),
            f'bucket "{bucket}" is not defined',
            # names share prefixes (llama-checkpoints, llama-datasets): suggest only a near-identical one
            _suggest(
                bucket,
                buckets,
                "buckets",
                unrelated=f"define it: add `{bucket}: {{}}` under `buckets:`",
                cutoff=0.85,
            ),
        )
    staging = training.get("staging_bucket")
    if (
        staging is not None
        and parts.clean("training", "staging_bucket")
        and buckets is not None
        and staging not in buckets
    ):
        emit(
            "E0319",
            ("training", "staging_bucket"),
            f'bucket "{staging}" is not defined',
            _suggest(
                staging,
                buckets,
                "buckets",
                unrelated="define it under `buckets:`, or leave "
                "staging_bucket out: runctl then creates a staging bucket",
                cutoff=0.85,
            ),
        )
    if not (parts.clean("training", "env") and parts.clean("training", "secrets")):
        return
    env = training.get("env", {})
    for index, name in enumerate(training.get("secrets", [])):
        if name in env:
            emit(
                "E0310",
                ("training", "secrets", index),
                f"{name} is both a secret and a plain env variable",
                f"remove {name} from training.env; secrets are read from your environment on apply",
            )


def _durations(parts: Parts, emit: Emit) -> None:
    for path, text in duration_fields(parts.data):
        if text is None or not parts.clean(*path):
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


def duration_fields(data: dict[str, Any]) -> list[tuple[PathT, Any]]:
    training = data.get("training")
    training = training if isinstance(training, dict) else {}
    checkpoints = training.get("checkpoints")
    checkpoints = checkpoints if isinstance(checkpoints, dict) else {}
    autostop = training.get("autostop")
    autostop = autostop if isinstance(autostop, dict) else {}
    return [
        (("ttl",), data.get("ttl")),
        (("training", "max_runtime"), training.get("max_runtime")),
        (("training", "checkpoints", "every"), checkpoints.get("every")),
        (("training", "autostop", "idle"), autostop.get("idle")),
    ]


def _spot(parts: Parts, emit: Emit) -> None:
    for group, spec in parts.mapping("instances").items():
        if not isinstance(spec, dict) or not parts.clean("instances", group, "spot"):
            continue
        spot = spec.get("spot")
        if isinstance(spot, dict) and spot["max_price_usd"] <= 0:
            emit(
                "E0309",
                ("instances", group, "spot", "max_price_usd"),
                f"max_price_usd must be greater than 0, got {spot['max_price_usd']}",
                "omit the price (spot: true) to pay at most the on-demand price",
            )


MIN_AUTOSTOP_IDLE_SECONDS = 300


def _autostop(parts: Parts, emit: Emit) -> None:
    training = parts.mapping("training")
    autostop = training.get("autostop")
    if not isinstance(autostop, dict) or not parts.clean("training", "autostop", "idle"):
        return
    text = autostop.get("idle")
    try:
        seconds = parse_duration(text).seconds if isinstance(text, str) else None
    except ValueError:
        return  # E0308 from _durations
    if seconds is not None and seconds < MIN_AUTOSTOP_IDLE_SECONDS:
        emit(
            "E0321",
            ("training", "autostop", "idle"),
            f'"{text}" is shorter than the minimum of 5m',
            "use at least 5m, so that a node is not stopped between two steps; "
            "`autostop: false` turns the idle stop off",
        )
