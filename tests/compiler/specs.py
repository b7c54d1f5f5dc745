"""Hand-built specs for compiler tests (no YAML: the compiler must not depend on the loader)."""

from __future__ import annotations

from decimal import Decimal

from runctl_iac.spec.model import (
    Bucket,
    Checkpoints,
    Duration,
    InstanceGroup,
    LifecycleRule,
    Mount,
    Network,
    Spec,
    Spot,
    Training,
    Volume,
)


def single_node(**overrides: object) -> Spec:
    fields: dict[str, object] = {
        "version": 1,
        "name": "quick",
        "region": "us-east-1",
        "buckets": {"out": Bucket("out")},
        "instances": {"box": InstanceGroup("box", "g5.xlarge")},
        "training": Training(group="box", run="python train.py"),
    }
    fields.update(overrides)
    return Spec(**fields)  # type: ignore[arg-type]


def multi_node(**overrides: object) -> Spec:
    fields: dict[str, object] = {
        "version": 1,
        "name": "llama",
        "region": "us-west-2",
        "stack": "dev",
        "tags": {"team": "ml", "runctl:project": "spoofed"},
        "ttl": Duration("8h", 8 * 3600),
        "buckets": {
            "checkpoints": Bucket(
                "checkpoints",
                versioning=True,
                lifecycle=(LifecycleRule("tmp/", 7), LifecycleRule("", 90)),
                retain=True,
            ),
            "scratch": Bucket("scratch"),
        },
        "volumes": {
            "data": Volume(
                "data", 500, iops=6000, throughput_mbps=500, from_snapshot="snap-0123456789abcdef0"
            ),
            "cache": Volume("cache", 100, type="gp2", retain=True),
        },
        "instances": {
            "trainer": InstanceGroup(
                "trainer",
                "p4d.24xlarge",
                count=3,
                spot=Spot(Decimal("12.50")),
                disk_gb=300,
                mounts=(Mount("data", "/data"), Mount("cache", "/cache")),
            ),
            "eval": InstanceGroup("eval", "g5.2xlarge", image="ami-0abc1234def567890", spot=Spot()),
        },
        "training": Training(
            group="trainer",
            run="torchrun train.py",
            code="s3://shared-code/llama/v1",
            setup="pip install -r requirements.txt",
            env={"B": "2", "A": "1"},
            secrets=("HF_TOKEN", "WANDB_API_KEY"),
            checkpoints=Checkpoints("/data/ckpt", "checkpoints", Duration("30m", 1800)),
            max_runtime=Duration("12h", 12 * 3600),
        ),
    }
    fields.update(overrides)
    return Spec(**fields)  # type: ignore[arg-type]


def with_subnet() -> Spec:
    return single_node(network=Network(subnet="subnet-0abc"))


def with_vpc_only() -> Spec:
    return single_node(network=Network(vpc="vpc-0abc"))
