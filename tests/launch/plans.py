"""LaunchPlans for the launch tests, built through the compiler from hand-made specs."""

from __future__ import annotations

from dataclasses import replace

from runctl_iac.compiler import compile
from runctl_iac.compiler.graph import Graph, LaunchPlan
from runctl_iac.spec.model import (
    Bucket,
    Checkpoints,
    Duration,
    InstanceGroup,
    Mount,
    RunPodGroup,
    Spec,
    Training,
    Volume,
)

HOSTILE = (
    'it\'s "quoted" $(touch /tmp/runctl-pwned) `touch /tmp/runctl-pwned` ${HOME} \\ \n'
    "second line; rm -rf / # 'end"
)


def spec(
    *,
    count: int = 1,
    instance_type: str = "g5.xlarge",
    training: Training | None = None,
    volumes: bool = False,
) -> Spec:
    mounts = (Mount("data", "/data"),) if volumes else ()
    return Spec(
        version=1,
        name="demo",
        region="us-east-1",
        buckets={"ckpt": Bucket("ckpt")},
        volumes={"data": Volume("data", 10)} if volumes else {},
        instances={"gpu": InstanceGroup("gpu", instance_type, count=count, mounts=mounts)},
        training=training or Training(group="gpu", run="python train.py"),
    )


def pod_spec(training: Training) -> Spec:
    """One RunPod group `gpu` (2 × H100) that runs `training`, beside the checkpoint bucket."""
    return Spec(
        version=1,
        name="demo",
        region="us-east-1",
        buckets={"ckpt": Bucket("ckpt")},
        runpod_groups={"gpu": RunPodGroup("gpu", "NVIDIA H100 80GB HBM3", gpu_count=2)},
        training=training,
    )


def compiled(s: Spec) -> tuple[Graph, LaunchPlan]:
    return compile(s)


def full_training(run: str = "python train.py", **changes: object) -> Training:
    t = Training(
        group="gpu",
        run=run,
        setup="echo setup",
        env={"GREETING": "hello", "HOSTILE": HOSTILE},
        secrets=("API_TOKEN",),
        checkpoints=Checkpoints("/ckpt", "ckpt", Duration("1m", 60)),
        max_runtime=Duration("1h", 3600),
    )
    return replace(t, **changes)  # type: ignore[arg-type]
