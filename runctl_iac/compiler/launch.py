"""The LaunchPlan: what the training stage needs, with resources named by logical id."""

from __future__ import annotations

from dataclasses import replace

from runctl_iac.compiler.buckets import staging_bucket_name, staging_key
from runctl_iac.compiler.context import Context
from runctl_iac.compiler.graph import LaunchPlan, Node, NodeMount
from runctl_iac.compiler.instances import instance_id, shutdown_behavior
from runctl_iac.compiler.runpod import pod_id
from runctl_iac.compiler.secrets import secret_parameters


def build_launch_plan(ctx: Context, mounts: dict[str, tuple[NodeMount, ...]]) -> LaunchPlan:
    """Nodes in rank order (rank = index in the group). A spec without `training` gives an
    empty plan (`group == ""`, no nodes, `run == ""`): there is nothing to launch."""
    training = ctx.spec.training
    if training is None:
        return LaunchPlan(
            group="", nodes=(), code=None, setup=None, run="", env={}, secret_names=(), secret_parameters={}
        )
    checkpoints = training.checkpoints
    bucket = checkpoints.bucket if checkpoints is not None else None
    common = LaunchPlan(
        group=training.group,
        nodes=(),
        code=training.code,
        setup=training.setup,
        run=training.run,
        env=dict(sorted(training.env.items())),
        secret_names=tuple(training.secrets),
        secret_parameters=secret_parameters(ctx),
        checkpoint_dir=checkpoints.dir if checkpoints is not None else None,
        checkpoint_bucket=ctx.bucket_name(bucket) if bucket is not None else None,
        checkpoint_every_seconds=(
            checkpoints.every.seconds if checkpoints is not None and checkpoints.every is not None else None
        ),
        max_runtime_seconds=training.max_runtime.seconds if training.max_runtime is not None else None,
        staging_bucket=staging_bucket_name(ctx),
        staging_key=staging_key(ctx),
        autostop_idle_seconds=training.autostop.idle.seconds if training.autostop.idle is not None else None,
        gpu_threshold_pct=training.autostop.gpu_threshold_pct,
        max_run_usd=str(ctx.spec.budget.max_run_usd) if ctx.spec.budget.max_run_usd is not None else None,
    )
    pod = ctx.spec.runpod_groups.get(training.group)
    if pod is not None:
        # one pod, rank 0, its GPU id as the type; RunPod mounts its volume; a pod cannot stop itself
        # (it holds no RunPod API key), so there is no idle stop
        return replace(
            common,
            nodes=(Node(instance_resource=pod_id(pod.name), rank=0),),
            instance_type=pod.gpu,
            gpu_count=pod.gpu_count,
            spot=pod.interruptible,
            autostop_idle_seconds=None,
            provider="runpod",
        )
    group = ctx.spec.instances[training.group]
    ids = [instance_id(group.name, i) for i in range(group.count)]
    nodes = tuple(
        Node(instance_resource=rid, rank=i, mounts=mounts.get(rid, ())) for i, rid in enumerate(ids)
    )
    return replace(
        common,
        nodes=nodes,
        instance_type=group.type,
        autostop_action=shutdown_behavior(group, ctx.spec) or "stop",
        spot=group.spot is not None,
        spot_max_price_usd=(
            str(group.spot.max_price_usd) if group.spot is not None and group.spot.max_price_usd else None
        ),
    )
