"""RunPod pods and network volumes as Pulumi dynamic resources (`pulumi.dynamic.ResourceProvider`).

The Pulumi engine hosts these providers through its `pulumi-resource-pulumi-python` plugin (shipped with
the official Pulumi CLI; runctl's tests put a stand-in beside their aws stand-in), which unpickles the
provider object and calls create/read/update/delete/diff here, so plans, applies, refreshes and
destroys of RunPod resources go through the engine like the AWS ones: state, locks, drift, recovery.

Properties are the Graph's (compiler/runpod.py): RunPod REST API fields in snake_case, plus `api_key`
and, on a pod that runs training, its AWS access key (`aws_access_key_id`, `aws_secret_access_key`).
They arrive as Pulumi secrets; the resources list them in `additional_secret_outputs`, so state holds
them only encrypted; errors never contain them. The AWS key goes to RunPod inside the pod's `env`
(as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), and is taken out of the `env` read back from RunPod,
so the plain `env` in state never holds it.
Replace rules are plan/replace_rules.py's tables for the two types (one source for the offline diff
and for this provider).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from runctl_iac.compiler.runpod import NETWORK_VOLUME, POD
from runctl_iac.engine.runpod_api import RunPodClient, RunPodError
from runctl_iac.plan.replace_rules import rules_for

API_KEY = "api_key"
AWS_ENV = {"aws_access_key_id": "AWS_ACCESS_KEY_ID", "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY"}
SECRET_OUTPUTS = [API_KEY, *AWS_ENV]

# Graph property -> RunPod REST field (POST /pods; https://docs.runpod.io/api-reference/pods/POST/pods)
POD_FIELDS = {
    "name": "name",
    "gpu_type_ids": "gpuTypeIds",
    "gpu_count": "gpuCount",
    "cloud_type": "cloudType",
    "compute_type": "computeType",
    "image_name": "imageName",
    "container_disk_in_gb": "containerDiskInGb",
    "volume_in_gb": "volumeInGb",
    "volume_mount_path": "volumeMountPath",
    "interruptible": "interruptible",
    "ports": "ports",
    "env": "env",
    "network_volume_id": "networkVolumeId",
    "data_center_ids": "dataCenterIds",
    "docker_start_cmd": "dockerStartCmd",
}
# what PATCH /pods/{podId} accepts (https://docs.runpod.io/api-reference/pods/PATCH/pods/podId)
POD_UPDATABLE = (
    "name",
    "image_name",
    "container_disk_in_gb",
    "volume_in_gb",
    "volume_mount_path",
    "ports",
    "env",
    "docker_start_cmd",
)
# POST /networkvolumes (name, size, dataCenterId); PATCH /networkvolumes/{id} (name, size)
VOLUME_FIELDS = {"name": "name", "size": "size", "data_center_id": "dataCenterId"}
VOLUME_UPDATABLE = ("name", "size")


def _client(props: Mapping[str, Any]) -> RunPodClient:
    return RunPodClient(str(props[API_KEY]), secrets=tuple(str(props[p]) for p in AWS_ENV if props.get(p)))


def _body(props: Mapping[str, Any], fields: Mapping[str, str], keys: Any = None) -> dict[str, Any]:
    wanted = fields if keys is None else {k: fields[k] for k in keys}
    body = {api: props[prop] for prop, api in wanted.items() if props.get(prop) is not None}
    if "env" in body:  # the pod's AWS access key joins its environment only on the way to RunPod
        body["env"] = {**body["env"], **{env: props[p] for p, env in AWS_ENV.items() if props.get(p)}}
    return body


def _inputs(props: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    return {k: props[k] for k in (*fields, API_KEY, *AWS_ENV) if k in props}


def _diff(
    token: str, olds: Mapping[str, Any], news: Mapping[str, Any], fields: Mapping[str, str]
) -> DiffResult:
    rules = rules_for(token)
    assert rules is not None, f"no replace rules for {token}"
    changed = [k for k in (*fields, API_KEY, *AWS_ENV) if olds.get(k) != news.get(k)]
    replaces = [k for k in changed if k in rules.replace]
    return DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=False)


def _get(props: Mapping[str, Any], path: str) -> Any:
    """The resource at `path`, or None when RunPod says it is gone (deleted outside runctl)."""
    try:
        return _client(props).call("GET", path)
    except RunPodError as err:
        if err.status == 404:
            return None
        raise


def _delete(props: Mapping[str, Any], path: str) -> None:
    """Delete the resource at `path`; one already gone is not an error."""
    try:
        _client(props).call("DELETE", path)
    except RunPodError as err:
        if err.status != 404:
            raise


class PodProvider(ResourceProvider):
    """One RunPod pod (POST/GET/PATCH/DELETE /pods)."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        pod = _client(props).call("POST", "/pods", _body(props, POD_FIELDS))
        return CreateResult(str(pod["id"]), {**_inputs(props, POD_FIELDS), **_pod_outputs(pod)})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return _diff(POD, olds, news, POD_FIELDS)

    def update(self, id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        changed = [k for k in POD_UPDATABLE if olds.get(k) != news.get(k)]
        if any(olds.get(k) != news.get(k) for k in AWS_ENV) and "env" not in changed:
            changed.append("env")  # a new AWS key reaches the pod through its environment
        client = _client(news)
        pod = client.call("PATCH", f"/pods/{id}", _body(news, POD_FIELDS, changed)) if changed else None
        pod = pod or client.call("GET", f"/pods/{id}")
        return UpdateResult({**_inputs(news, POD_FIELDS), **_pod_outputs(pod)})

    def read(self, id: str, props: dict[str, Any]) -> ReadResult:
        pod = _get(props, f"/pods/{id}")
        if pod is None:
            return ReadResult("", {})
        return ReadResult(id, {**props, **_pod_inputs(pod, props), **_pod_outputs(pod)})

    def delete(self, id: str, props: dict[str, Any]) -> None:
        _delete(props, f"/pods/{id}")


def _pod_inputs(pod: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """What the API says about the fields runctl sets (drift shows up on refresh)."""
    out: dict[str, Any] = {}
    for prop, api in POD_FIELDS.items():
        # an empty default the API echoes (dockerStartCmd: []) for a field runctl leaves out is no drift
        if pod.get(api) is not None and (prop in props or pod[api] not in ([], {}, "")):
            out[prop] = pod[api]
    if isinstance(out.get("env"), Mapping):  # the AWS key stays in its secret properties only
        out["env"] = {k: v for k, v in out["env"].items() if k not in AWS_ENV.values()}
    if "image" in pod and "imageName" not in pod:
        out["image_name"] = pod["image"]
    gpu = pod.get("gpu")
    if isinstance(gpu, Mapping):
        if gpu.get("id") and gpu["id"] not in (props.get("gpu_type_ids") or []):
            out["gpu_type_ids"] = [gpu["id"]]
        if gpu.get("count") is not None:
            out["gpu_count"] = gpu["count"]
    for keep in ("cloud_type", "compute_type", "data_center_ids", "gpu_type_ids"):
        if keep in props and keep not in out:
            out[keep] = props[keep]  # request preferences the API does not echo
    return out


def _pod_outputs(pod: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "cost_per_hr": str(pod.get("costPerHr", "")),
        "desired_status": str(pod.get("desiredStatus", "")),
    }


class NetworkVolumeProvider(ResourceProvider):
    """One RunPod network volume (POST/GET/PATCH/DELETE /networkvolumes)."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        vol = _client(props).call("POST", "/networkvolumes", _body(props, VOLUME_FIELDS))
        return CreateResult(str(vol["id"]), _inputs(props, VOLUME_FIELDS))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return _diff(NETWORK_VOLUME, olds, news, VOLUME_FIELDS)

    def update(self, id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        changed = [k for k in VOLUME_UPDATABLE if olds.get(k) != news.get(k)]
        if changed:
            _client(news).call("PATCH", f"/networkvolumes/{id}", _body(news, VOLUME_FIELDS, changed))
        return UpdateResult(_inputs(news, VOLUME_FIELDS))

    def read(self, id: str, props: dict[str, Any]) -> ReadResult:
        vol = _get(props, f"/networkvolumes/{id}")
        if vol is None:
            return ReadResult("", {})
        seen = {prop: vol[api] for prop, api in VOLUME_FIELDS.items() if vol.get(api) is not None}
        return ReadResult(id, {**props, **seen})

    def delete(self, id: str, props: dict[str, Any]) -> None:
        _delete(props, f"/networkvolumes/{id}")


class Pod(Resource, module="runpod", name="Pod"):
    def __init__(self, name: str, props: dict[str, Any], opts: Any = None) -> None:
        super().__init__(PodProvider(), name, props, opts)


class NetworkVolume(Resource, module="runpod", name="NetworkVolume"):
    def __init__(self, name: str, props: dict[str, Any], opts: Any = None) -> None:
        super().__init__(NetworkVolumeProvider(), name, props, opts)


CLASSES: Mapping[str, type[Pod] | type[NetworkVolume]] = {POD: Pod, NETWORK_VOLUME: NetworkVolume}
assert all(f"pulumi-python:{cls._resource_type_name}" == token for token, cls in CLASSES.items())
