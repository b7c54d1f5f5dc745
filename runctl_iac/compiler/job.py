"""The training job as Graph data: what the job runs, so that a change to it is reviewed and hashed.

The Graph's resources are what Pulumi manages; the job is launched after apply
(`runctl launch`), from the `LaunchPlan`. A change to the job definition (what
it runs, its environment, which secrets it reads, where checkpoints go, how
long it may run, on how many nodes) changes no AWS resource, yet a reviewer must
see it and the hash that `apply --plan` compares must cover it. So the compiler
copies the job definition, read from the LaunchPlan, into `Graph.job`: part of
`Graph.to_json()` (hence `spec_hash()` and the applied snapshot), ignored by the
Pulumi program, and diffed by `plan.job_diff` as a `job` entry.

Only names of secrets are kept (values are read on the node at run time and
never reach the Graph). Properties that are absent are left out, so that the
definition of an unchanged job is byte-identical.
"""

from __future__ import annotations

from typing import Any

from runctl_iac.compiler.graph import LaunchPlan

JOB_ID = "job"
JOB_TYPE = "runctl:training:Job"


def job_properties(launch: LaunchPlan) -> dict[str, Any] | None:
    """The job definition of `launch` (None: the spec has no `training`, nothing is launched).

    Keys name the spec's `training` fields they come from; `nodes` is the group's
    count (the job runs on every node). Durations are in seconds, as the launcher uses them.
    """
    if not launch.group:
        return None
    props: dict[str, Any] = {"group": launch.group, "nodes": len(launch.nodes), "run": launch.run}
    if launch.code is not None:
        props["code"] = launch.code
    if launch.setup is not None:
        props["setup"] = launch.setup
    if launch.env:
        props["env"] = dict(sorted(launch.env.items()))
    if launch.secret_names:
        props["secrets"] = sorted(launch.secret_names)
    checkpoints = {
        key: value
        for key, value in (
            ("dir", launch.checkpoint_dir),
            ("bucket", launch.checkpoint_bucket),
            ("every_seconds", launch.checkpoint_every_seconds),
        )
        if value is not None
    }
    if checkpoints:
        props["checkpoints"] = checkpoints
    if launch.max_runtime_seconds is not None:
        props["max_runtime_seconds"] = launch.max_runtime_seconds
    if launch.autostop_idle_seconds is not None:
        props["autostop"] = {
            "idle_seconds": launch.autostop_idle_seconds,
            "action": launch.autostop_action,
            "gpu_threshold_pct": launch.gpu_threshold_pct,
        }
    if launch.max_run_usd is not None:
        props["max_run_usd"] = launch.max_run_usd
    return props
