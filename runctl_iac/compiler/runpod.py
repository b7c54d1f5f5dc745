"""RunPod groups and network volumes (`provider: runpod`) -> Graph resources of runctl's dynamic provider.

One pod per RunPod group (`pod.<group>`) and one network volume per RunPod volume
(`runpod-volume.<name>`). Their types are the Pulumi dynamic-resource tokens the program registers
(`runctl_iac.engine.runpod_provider`); properties are named after the RunPod REST API fields
(https://docs.runpod.io/api-reference/pods/POST/pods, .../network-volumes/POST/networkvolumes) in
snake_case. Every pod is named `runctl-<project>-<stack>-<group>` and carries runctl's tags as
environment variables (RUNPOD pods have no tags): `gc` and `resources` find runctl's pods by both.
The API key is a `SecretEnv`: read from RUNPOD_API_KEY when the program runs, a Pulumi secret.

The pod that runs training starts `pod_bootstrap.sh` (its dockerStartCmd), which waits for runctl's
launch request in the staging bucket (`staging.launch_request_key`). The pod reaches S3 with an AWS
access key that the applying user provides in RUNCTL_RUNPOD_AWS_ACCESS_KEY_ID and
RUNCTL_RUNPOD_AWS_SECRET_ACCESS_KEY: `SecretEnv`s in the pod's own properties `aws_access_key_id` and
`aws_secret_access_key` (Pulumi secrets), never in `env`; the dynamic provider adds them to the
environment it sends to RunPod.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from runctl_iac import staging
from runctl_iac.compiler.buckets import bucket_id, staging_key
from runctl_iac.compiler.context import Context
from runctl_iac.compiler.graph import Config, Ref, SecretEnv
from runctl_iac.compiler.provider import EXPIRES_AT_CONFIG, MANAGED_BY

POD = "pulumi-python:dynamic/runpod:Pod"
NETWORK_VOLUME = "pulumi-python:dynamic/runpod:NetworkVolume"
API_KEY_ENV = "RUNPOD_API_KEY"
# the pod's AWS access key (for the staging and checkpoint buckets): pod property -> environment variable
AWS_KEY_ENV = {
    "aws_access_key_id": "RUNCTL_RUNPOD_AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "RUNCTL_RUNPOD_AWS_SECRET_ACCESS_KEY",
}
POD_NAME_PREFIX = "runctl-"
POD_VOLUME_PATH = "/workspace"  # RunPod's default mount path of the pod volume

# runctl's tags as pod environment variables (the env of a pod is what RunPod lists back)
TAG_ENV = {
    "runctl:managed-by": "RUNCTL_MANAGED_BY",
    "runctl:project": "RUNCTL_PROJECT",
    "runctl:stack": "RUNCTL_STACK",
    "runctl:expires-at": "RUNCTL_EXPIRES_AT",
}


def pod_id(group: str) -> str:
    return f"pod.{group}"


def volume_id(name: str) -> str:
    return f"runpod-volume.{name}"


def resource_name(ctx: Context, *parts: str) -> str:
    """The name RunPod shows: `runctl-<project>-<stack>-<part>`."""
    return POD_NAME_PREFIX + ctx.display_name(*parts)


def tag_env(ctx: Context) -> dict[str, Any]:
    env: dict[str, Any] = {
        TAG_ENV["runctl:managed-by"]: MANAGED_BY,
        TAG_ENV["runctl:project"]: ctx.project,
        TAG_ENV["runctl:stack"]: ctx.stack,
    }
    if ctx.spec.ttl is not None:
        env[TAG_ENV["runctl:expires-at"]] = Config(EXPIRES_AT_CONFIG)
    return env


def compile_runpod(ctx: Context) -> None:
    spec = ctx.spec
    for name in sorted(spec.runpod_volumes):
        vol = spec.runpod_volumes[name]
        ctx.add(
            volume_id(name),
            NETWORK_VOLUME,
            {
                "name": resource_name(ctx, name),
                "size": vol.size_gb,
                "data_center_id": vol.data_center,
                "api_key": SecretEnv(API_KEY_ENV),
            },
            protect=vol.retain,
            retain_on_delete=vol.retain,
        )
    for g in sorted(spec.runpod_groups):
        group = spec.runpod_groups[g]
        props: dict[str, Any] = {
            "name": resource_name(ctx, g),
            "gpu_type_ids": [group.gpu],
            "gpu_count": group.gpu_count,
            "cloud_type": group.cloud.upper(),
            "compute_type": "GPU",
            "image_name": group.container_image,
            "container_disk_in_gb": group.container_disk_gb,
            "volume_in_gb": group.volume_gb,
            "interruptible": group.interruptible,
            "ports": list(group.ports),
            "env": {**dict(sorted(group.env.items())), **tag_env(ctx)},
            "api_key": SecretEnv(API_KEY_ENV),
        }
        centers = list(group.data_centers)
        if group.volume_gb:
            props["volume_mount_path"] = POD_VOLUME_PATH
        for mount in group.mounts:  # at most one (schema)
            vol = spec.runpod_volumes[mount.volume]
            props["network_volume_id"] = Ref(volume_id(mount.volume), "id")
            props["volume_mount_path"] = mount.path
            centers = centers or [vol.data_center]
        if centers:
            props["data_center_ids"] = centers
        if spec.training is not None and spec.training.group == g:
            props.update(_launcher(ctx, g, props["env"]))
        ctx.add(pod_id(g), POD, props)
        ctx.output("pods", pod_id(g), {"id": Ref(pod_id(g), "id"), "name": props["name"]})


def bootstrap() -> str:
    """pod_bootstrap.sh without its comment lines (the pod's command, shown in every plan)."""
    text = resources.files("runctl_iac.compiler").joinpath("pod_bootstrap.sh").read_text(encoding="utf-8")
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))


def _launcher(ctx: Context, group: str, env: dict[str, Any]) -> dict[str, Any]:
    """What the training pod needs to start runs: the bootstrap, where to find its requests, S3 access."""
    key = staging_key(ctx)
    assert key is not None  # the spec has training
    env.update(
        {
            "RUNCTL_BUCKET": Ref(bucket_id(key), "bucket"),
            "RUNCTL_REGION": ctx.spec.region,
            "RUNCTL_LAUNCH_KEY": staging.launch_request_key(group),
        }
    )
    return {
        "docker_start_cmd": ["bash", "-c", bootstrap()],
        **{prop: SecretEnv(name) for prop, name in AWS_KEY_ENV.items()},
    }
