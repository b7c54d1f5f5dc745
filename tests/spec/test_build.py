"""Building the typed Spec: defaults applied, Decimal money, durations, every key consumed."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from runctl_iac.spec.build import build_spec, money
from runctl_iac.spec.check import check
from runctl_iac.spec.durations import MAX_DURATION_SECONDS, format_seconds, parse_duration
from runctl_iac.spec.model import (
    DEFAULT_DISK_GB,
    DEFAULT_IMAGE,
    Autostop,
    Capacity,
    Checkpoints,
    Duration,
    LifecycleRule,
    Mount,
    RunPodGroup,
    RunPodVolume,
    SourceMap,
    Spec,
    Spot,
)
from runctl_iac.spec.schema import load_schema, resolve
from runctl_iac.spec.yamlload import load_yaml

FULL = """\
version: 1
name: full
region: eu-central-1
target: local
tags: {team: ml}
ttl: 1d12h
budget: {max_hourly_usd: 0.1, max_run_usd: 12.35}
network: {vpc: vpc-0123abcd, subnet: subnet-0123abcd}
buckets:
  full-data:
    versioning: true
    lifecycle: [{prefix: tmp/, expire_after_days: 3}]
    retain: true
volumes:
  data:
    {size_gb: 500, type: gp3, iops: 6000, throughput_mbps: 500, from_snapshot: snap-0123abcd, retain: true}
  fast: {size_gb: 100, type: io2, iops: 50000}
  pool: {provider: runpod, size_gb: 300, data_center: US-KS-2, retain: true}
instances:
  trainer:
    type: g5.12xlarge
    count: 2
    spot: {max_price_usd: 4.1}
    image: ami-0123456789abcdef0
    disk_gb: 300
    volumes: {fast: /fast, data: /data}
  helper:
    provider: aws
    type: t3.large
    spot: true
    capacity: {move_volumes: snapshot}
  extra:
    capacity: {types: [m6i.large, m7i.large], market: [on-demand, spot]}
  pod:
    provider: runpod
    gpu: NVIDIA H100 80GB HBM3
    gpu_count: 2
    count: 1
    cloud: community
    container_image: my/image:1
    container_disk_gb: 60
    volume_gb: 0
    data_centers: [US-KS-2]
    ports: ["8888/http"]
    env: {B: "2"}
    interruptible: true
    volumes: {pool: /workspace}
training:
  group: trainer
  code: ./src
  setup: pip install -r requirements.txt
  run: python train.py
  env: {A: "1"}
  secrets: [HF_TOKEN]
  checkpoints: {dir: /data/ckpt, bucket: full-data, every: 30m}
  max_runtime: 12h
  staging_bucket: full-data
  autostop: {idle: 1h, action: terminate, gpu_threshold_pct: 5}
"""


def build(text: str, stack: str = "dev") -> Spec:
    doc = load_yaml(text.encode(), "spec.yaml")
    assert doc.data is not None, doc.diagnostics
    spec, diags = check(doc.data, SourceMap(doc.positions, doc.keys, doc.file), stack)
    assert diags == [] and spec is not None
    return spec


def test_minimal_spec_gets_every_default() -> None:
    spec = build(
        "version: 1\nname: tiny\ninstances:\n  gpu: {type: g5.xlarge}\nvolumes:\n  v: {size_gb: 1}\n"
    )
    assert (spec.region, spec.target, spec.stack, spec.ttl, spec.training) == (
        "us-east-1",
        "aws",
        "dev",
        None,
        None,
    )
    assert spec.tags == {} and spec.buckets == {}
    assert spec.budget.max_hourly_usd is None and spec.network.vpc is None
    gpu = spec.instances["gpu"]
    assert (gpu.count, gpu.spot, gpu.image, gpu.disk_gb, gpu.mounts) == (
        1,
        None,
        DEFAULT_IMAGE,
        DEFAULT_DISK_GB,
        (),
    )
    vol = spec.volumes["v"]
    assert (vol.type, vol.iops, vol.throughput_mbps, vol.from_snapshot, vol.retain) == (
        "gp3",
        None,
        None,
        None,
        False,
    )


def test_schema_defaults_match_the_model_defaults() -> None:
    """The defaults the schema documents are the ones the builder applies."""
    schema = load_schema()
    group = resolve(schema["$defs"]["instanceGroup"])["properties"]
    assert group["image"]["default"] == DEFAULT_IMAGE and group["disk_gb"]["default"] == DEFAULT_DISK_GB
    spec = build("version: 1\nname: tiny\n")
    assert spec.region == schema["properties"]["region"]["default"]
    assert spec.target == schema["properties"]["target"]["default"]
    training = resolve(schema["$defs"]["training"])["properties"]["autostop"]["default"]
    built = build("version: 1\nname: t\ninstances: {g: {type: g5.xlarge}}\ntraining: {group: g, run: x}\n")
    assert built.training is not None and built.training.autostop == Autostop(
        parse_duration(training["idle"]), training["action"], training["gpu_threshold_pct"]
    )
    off = build(
        "version: 1\nname: t\ninstances: {g: {type: g5.xlarge}}\n"
        "training: {group: g, run: x, autostop: false}\n"
    )
    assert off.training is not None and off.training.autostop.idle is None


def test_full_spec_is_built_exactly() -> None:
    spec = build(FULL, stack="ci")
    assert spec.stack == "ci" and spec.target == "local" and spec.region == "eu-central-1"
    assert spec.ttl == Duration("1d12h", 36 * 3600)
    assert spec.budget.max_hourly_usd == Decimal("0.1") and spec.budget.max_run_usd == Decimal("12.35")
    assert (spec.network.vpc, spec.network.subnet) == ("vpc-0123abcd", "subnet-0123abcd")
    bucket = spec.buckets["full-data"]
    assert bucket.versioning and bucket.retain and bucket.lifecycle == (LifecycleRule("tmp/", 3),)
    data = spec.volumes["data"]
    assert (data.size_gb, data.iops, data.throughput_mbps, data.from_snapshot) == (
        500,
        6000,
        500,
        "snap-0123abcd",
    )
    trainer = spec.instances["trainer"]
    assert trainer.spot == Spot(Decimal("4.1"))
    assert trainer.mounts == (Mount("fast", "/fast"), Mount("data", "/data"))  # spec order
    assert spec.instances["helper"].spot == Spot(None)
    assert spec.instances["helper"].capacity == Capacity(("t3.large",), (None,), ("spot",), "snapshot")
    assert spec.instances["extra"].capacity == Capacity(
        ("m6i.large", "m7i.large"), (None,), ("on-demand", "spot")
    )
    assert (spec.instances["extra"].type, spec.instances["extra"].spot) == ("m6i.large", None)
    training = spec.training
    assert training is not None
    assert training.secrets == ("HF_TOKEN",) and dict(training.env) == {"A": "1"}
    assert training.checkpoints == Checkpoints("/data/ckpt", "full-data", Duration("30m", 1800))
    assert training.max_runtime is not None and training.max_runtime.hours == Decimal(12)
    assert training.staging_bucket == "full-data"
    assert training.autostop == Autostop(Duration("1h", 3600), "terminate", 5)
    assert spec.source.locate(("instances", "trainer", "count")).line == 22
    assert spec.runpod_volumes == {"pool": RunPodVolume("pool", 300, "US-KS-2", retain=True)}
    assert spec.runpod_groups == {
        "pod": RunPodGroup(
            "pod",
            "NVIDIA H100 80GB HBM3",
            gpu_count=2,
            cloud="community",
            container_image="my/image:1",
            container_disk_gb=60,
            data_centers=("US-KS-2",),
            ports=("8888/http",),
            env={"B": "2"},
            interruptible=True,
            mounts=(Mount("pool", "/workspace"),),
        )
    }
    assert "pod" not in spec.instances and "pool" not in spec.volumes


def test_money_is_decimal_without_float_noise() -> None:
    assert money(0.1) == Decimal("0.1") and isinstance(money(3), Decimal) and money(None) is None
    spec = build(FULL)
    assert isinstance(spec.budget.max_hourly_usd, Decimal)
    assert spec.budget.max_hourly_usd * 3 == Decimal("0.3")


def test_spec_is_frozen() -> None:
    spec = build(FULL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.instances["trainer"].count = 3  # type: ignore[misc]


def _every_field_path(schema: dict[str, Any], prefix: str = "") -> set[str]:
    schema = resolve(schema)
    out: set[str] = set()
    for name, prop in schema.get("properties", {}).items():
        out.add(prefix + name)
        target = resolve(prop)
        for branch in [target, *target.get("oneOf", []), resolve(target.get("additionalProperties") or {})]:
            branch = resolve(branch)
            if isinstance(branch, dict) and "properties" in branch:
                out |= _every_field_path(branch, prefix + name + ".")
        items = resolve(target.get("items", {}))
        if "properties" in items:
            out |= _every_field_path(items, prefix + name + ".")
    return out


def _field_paths_in(data: Any, prefix: str = "", maps: frozenset[str] = frozenset()) -> set[str]:
    out: set[str] = set()
    if isinstance(data, list):
        for item in data:
            out |= _field_paths_in(item, prefix, maps)
    elif isinstance(data, dict):
        for key, value in data.items():
            out.add(prefix + key)
            if prefix + key in maps:  # named entries: their keys are names, not field names
                for entry in value.values():
                    out |= _field_paths_in(entry, prefix + key + ".", maps)
            else:
                out |= _field_paths_in(value, prefix + key + ".", maps)
    return out


def test_full_fixture_sets_every_schema_field() -> None:
    """FULL exercises every field, so test_full_spec_is_built_exactly covers the whole builder."""
    doc = load_yaml(FULL.encode(), "spec.yaml")
    maps = frozenset(
        {"buckets", "volumes", "instances", "tags", "training.env", "instances.volumes", "instances.env"}
    )
    used = _field_paths_in(doc.data, "", maps)
    # capacity.zones cannot sit beside FULL's network.subnet (E0330): it is built in test_capacity
    used |= {"instances.capacity.zones"}
    assert _every_field_path(load_schema()) == used


@pytest.mark.parametrize(
    ("where", "extra"),
    [
        ((), "colour"),
        (("volumes", "data"), "speed"),
        (("instances", "trainer"), "zone"),
        (("training",), "x"),
    ],
)
def test_a_key_the_builder_does_not_know_is_an_error_not_silently_dropped(
    where: tuple[str, ...], extra: str
) -> None:
    doc = load_yaml(FULL.encode(), "spec.yaml")
    assert doc.data is not None
    node: Any = doc.data
    for part in where:
        node = node[part]
    node[extra] = 1
    with pytest.raises(AssertionError, match=f"not consumed.*{extra}"):
        build_spec(doc.data, SourceMap(), "dev")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90m", 5400), ("8h", 28800), ("3d", 259200), ("1d12h", 129600), ("2h30m", 9000), ("30d", 2592000)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    duration = parse_duration(text)
    assert duration == Duration(text, seconds)
    assert parse_duration(format_seconds(seconds)).seconds == seconds


@pytest.mark.parametrize("text", ["", "0m", "0d0h", "8", "8 h", "h", "1.5h", "30m2h", "-1h"])
def test_bad_durations_raise_value_error_with_a_message(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|zero"):
        parse_duration(text)


def test_format_seconds() -> None:
    assert format_seconds(MAX_DURATION_SECONDS) == "30d"
    assert format_seconds(5400) == "1h30m"
    assert format_seconds(0) == "0m"
