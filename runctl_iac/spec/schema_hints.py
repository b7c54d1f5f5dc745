"""What the schema tier says beyond the raw error: hints per range limit and per missing key, keys renamed
before spec v1, and the JSON kinds of values (for picking an `anyOf` branch). Tables, no logic of note."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

# (context from `Translator.context`, field, bound) -> what to do instead
# (limits: CreateVolume/ModifyVolume API reference and the EBS volume types page; see the schema's
# `volume` descriptions). A hint names the cheapest type that fits: gp3 up to 80000 IOPS, io2 beyond.
RANGE_HINTS = {
    (" for type gp3", "iops", "maximum"): "use type io2 for more than 80000 IOPS (up to 256000)",
    (" for type gp3", "iops", "minimum"): "gp3 includes 3000 IOPS; leave iops out for the baseline",
    (" for type gp3", "throughput_mbps", "minimum"): "gp3 includes 125 MiB/s; leave throughput_mbps out",
    (" for type gp3", "size_gb", "maximum"): "64 TiB (65536 GiB) is the largest EBS volume",
    (" for type gp2", "size_gb", "maximum"): "use type gp3 for up to 65536 GiB (it also costs less per GiB)",
    (" for type io1", "size_gb", "maximum"): "use type io2 for up to 65536 GiB",
    (" for type io1", "iops", "maximum"): "use type gp3 for up to 80000 IOPS, or io2 for up to 256000",
    (" for type st1", "size_gb", "minimum"): "st1 volumes are at least 125 GiB; use gp3 for smaller ones",
    (" for type sc1", "size_gb", "minimum"): "sc1 volumes are at least 125 GiB; use gp3 for smaller ones",
    (" for provider runpod", "count", "maximum"): (
        "a RunPod group is one pod; multi-node training on RunPod is not supported (use more GPUs: gpu_count)"
    ),
    (" for provider runpod", "size_gb", "maximum"): "RunPod network volumes hold at most 4000 GB",
}


# (owner mapping's key, missing key, context) -> what to write; the owner is "" at the top level
IOPS_HINT = (
    "set iops, e.g. `iops: 3000` (io1: 100–64000 and at most 50 per GiB; io2: 100–256000, 1000 per GiB)"
)
REQUIRED_HINTS = {
    ("", "version", ""): "add `version: 1` as the first line of the spec",
    ("", "name", ""): "add `name: my-project` (lowercase letters, digits and hyphens)",
    ("checkpoints", "bucket", ""): (
        "name the bucket (a key of `buckets`) the checkpoint directory is synced to, "
        "e.g. `bucket: checkpoints`; without one nothing would ever be uploaded"
    ),
    ("volumes", "iops", " for type io1"): IOPS_HINT,
    ("volumes", "iops", " for type io2"): IOPS_HINT,
}

# (owner mapping, context, key) -> what to write instead of a key that the group's or volume's provider
# does not have (the owner is `instances` or `volumes`)
_TO_RUNPOD = "set `provider: runpod` on this group to use RunPod's fields, or remove it"
_RUNPOD_GROUP = {
    "type": "a RunPod group names its GPU type with `gpu`, e.g. gpu: NVIDIA H100 80GB HBM3",
    "image": "a RunPod pod runs a container: set `container_image`",
    "disk_gb": "a RunPod pod has `container_disk_gb` and `volume_gb` instead",
    "spot": "RunPod calls spot capacity interruptible: `interruptible: true`",
    "capacity": "RunPod groups have no capacity candidates: list data_centers, or change `gpu` or `cloud`",
}
_RUNPOD_VOLUME = {
    "type": "a RunPod network volume has no EBS type; remove it",
    "iops": "RunPod network volumes have no provisioned IOPS",
    "throughput_mbps": "RunPod network volumes have no provisioned throughput",
    "from_snapshot": "RunPod network volumes cannot be created from EBS snapshots",
}
_AWS_GROUP = (
    "gpu",
    "gpu_count",
    "cloud",
    "container_image",
    "container_disk_gb",
    "volume_gb",
    "data_centers",
    "ports",
    "env",
    "interruptible",
)
FORBIDDEN_HINTS = {
    **{("instances", " for provider runpod", k): v for k, v in _RUNPOD_GROUP.items()},
    **{("volumes", " for provider runpod", k): v for k, v in _RUNPOD_VOLUME.items()},
    **{("instances", " for provider aws", k): _TO_RUNPOD for k in _AWS_GROUP},
    (
        "volumes",
        " for provider aws",
        "data_center",
    ): "set `provider: runpod` on this volume for a RunPod network volume",
}

# keys renamed before spec v1 was published: old name -> (new name, why)
RENAMED = {
    "on": ("group", "`training.on` is now `training.group`: YAML 1.1 parsers read the key `on` as true"),
}


def json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "null"


def enum_kinds(errors: list[ValidationError], depth: int) -> set[str]:
    """The JSON types of an enum/const branch's values, when that is the branch's only failure."""
    if not all(e.validator in ("enum", "const") and len(e.absolute_path) == depth for e in errors):
        return set()
    values: Any = [e.validator_value for e in errors]
    flat = [v for group in values for v in (group if isinstance(group, list) else [group])]
    return {json_kind(v) for v in flat}
