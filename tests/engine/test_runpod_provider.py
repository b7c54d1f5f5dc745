"""The RunPod dynamic providers (engine/runpod_provider.py) against the fake RunPod API: request shapes,
replace rules, drift on read, and the API's failures (auth, no capacity, 429) as errors with hints that
never contain the key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from runctl_iac.engine import runpod_api
from runctl_iac.engine.runpod_api import RunPodClient, RunPodError
from runctl_iac.engine.runpod_provider import SECRET_OUTPUTS, NetworkVolumeProvider, PodProvider
from tests.engine.runpod_fake import FakeRunPod, fake_runpod

KEY = "rpa_TESTKEY_never_printed_0123"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRunPod]:
    with fake_runpod(KEY) as server:
        monkeypatch.setenv(runpod_api.API_URL_ENV, server.url)
        yield server


def pod_props(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "runctl-rp-dev-trainer",
        "gpu_type_ids": ["NVIDIA H100 80GB HBM3"],
        "gpu_count": 1,
        "cloud_type": "SECURE",
        "compute_type": "GPU",
        "image_name": "runpod/pytorch:2.4.0",
        "container_disk_in_gb": 50,
        "volume_in_gb": 20,
        "volume_mount_path": "/workspace",
        "interruptible": False,
        "ports": ["8888/http"],
        "env": {"RUNCTL_MANAGED_BY": "runctl"},
        "api_key": KEY,
    }
    props.update(changes)
    return props


def volume_props(**changes: Any) -> dict[str, Any]:
    return {
        "name": "runctl-rp-dev-cache",
        "size": 100,
        "data_center_id": "US-KS-2",
        "api_key": KEY,
        **changes,
    }


def test_create_posts_the_documented_body_and_keeps_the_inputs(fake: FakeRunPod) -> None:
    result = PodProvider().create(pod_props())
    method, path, body = fake.calls[-1]
    assert (method, path) == ("POST", "/pods")
    assert body["gpuTypeIds"] == ["NVIDIA H100 80GB HBM3"] and body["cloudType"] == "SECURE"
    assert body["imageName"] == "runpod/pytorch:2.4.0" and body["containerDiskInGb"] == 50
    assert KEY not in str(body)  # the key travels in the Authorization header only
    assert result.id in fake.pods
    assert result.outs is not None
    assert result.outs["api_key"] == KEY and result.outs["cost_per_hr"] == "2.69"


def test_diff_replaces_on_gpu_change_and_updates_sizes_in_place(fake: FakeRunPod) -> None:
    old = pod_props()
    gpu = PodProvider().diff("p", old, pod_props(gpu_type_ids=["NVIDIA A100 80GB PCIe"]))
    assert gpu.changes and gpu.replaces == ["gpu_type_ids"]
    disk = PodProvider().diff("p", old, pod_props(volume_in_gb=40))
    assert disk.changes and disk.replaces == []
    assert PodProvider().diff("p", old, pod_props()).changes is False
    grown = NetworkVolumeProvider().diff("v", volume_props(), volume_props(size=200))
    assert grown.changes and grown.replaces == []
    moved = NetworkVolumeProvider().diff("v", volume_props(), volume_props(data_center_id="EU-RO-1"))
    assert moved.replaces == ["data_center_id"]


def test_update_patches_only_what_changed(fake: FakeRunPod) -> None:
    created = PodProvider().create(pod_props())
    PodProvider().update(created.id, pod_props(), pod_props(image_name="my/image:2", volume_in_gb=40))
    assert fake.calls[-1] == ("PATCH", f"/pods/{created.id}", {"imageName": "my/image:2", "volumeInGb": 40})
    vol = NetworkVolumeProvider().create(volume_props())
    NetworkVolumeProvider().update(vol.id, volume_props(), volume_props(size=250))
    assert fake.calls[-1] == ("PATCH", f"/networkvolumes/{vol.id}", {"size": 250})
    assert fake.volumes[vol.id]["size"] == 250


def test_read_reports_drift_and_a_deleted_pod(fake: FakeRunPod) -> None:
    created = PodProvider().create(pod_props())
    fake.pods[created.id]["image"] = "someone/else:1"  # changed in RunPod's console
    read = PodProvider().read(created.id, dict(created.outs or {}))
    assert read.outs is not None and read.outs["image_name"] == "someone/else:1"
    assert read.outs["cloud_type"] == "SECURE"  # a request preference the API does not echo is kept
    assert "docker_start_cmd" not in read.outs  # RunPod's empty default for a field runctl leaves out
    del fake.pods[created.id]
    assert PodProvider().read(created.id, dict(created.outs or {})).id == ""
    PodProvider().delete(created.id, dict(created.outs or {}))  # already gone: not an error


def test_the_pods_aws_key_reaches_runpod_in_its_env_and_never_the_plain_env(fake: FakeRunPod) -> None:
    secret = "pod-aws-secret-0123"
    props = pod_props(
        aws_access_key_id="AKIAPOD", aws_secret_access_key=secret, docker_start_cmd=["bash", "-c", "boot"]
    )
    created = PodProvider().create(props)
    _method, _path, body = fake.calls[-1]
    assert body["env"] == {
        "RUNCTL_MANAGED_BY": "runctl",
        "AWS_ACCESS_KEY_ID": "AKIAPOD",
        "AWS_SECRET_ACCESS_KEY": secret,
    }
    assert body["dockerStartCmd"] == ["bash", "-c", "boot"]
    outs = dict(created.outs or {})
    assert outs["env"] == {"RUNCTL_MANAGED_BY": "runctl"} and outs["aws_secret_access_key"] == secret
    assert {"api_key", "aws_access_key_id", "aws_secret_access_key"} <= set(SECRET_OUTPUTS)
    read = PodProvider().read(created.id, outs)  # RunPod lists the env back with the key in it
    assert read.outs is not None and read.outs["env"] == {"RUNCTL_MANAGED_BY": "runctl"}
    assert read.outs["docker_start_cmd"] == ["bash", "-c", "boot"]
    rotated = {**props, "aws_secret_access_key": "pod-aws-secret-4567"}
    diff = PodProvider().diff(created.id, props, rotated)
    assert diff.changes and diff.replaces == []  # a new key updates the pod in place
    PodProvider().update(created.id, props, rotated)
    assert fake.calls[-1][2] == {"env": {**body["env"], "AWS_SECRET_ACCESS_KEY": "pod-aws-secret-4567"}}


def test_auth_failure_names_the_variable_never_the_key(fake: FakeRunPod) -> None:
    with pytest.raises(RunPodError) as err:
        PodProvider().create(pod_props(api_key="rpa_WRONG_secret_value"))
    assert err.value.status == 401 and "RUNPOD_API_KEY" in str(err.value)
    assert "rpa_WRONG_secret_value" not in str(err.value) and KEY not in str(err.value)


def test_an_error_quoting_the_request_back_never_carries_a_secret(fake: FakeRunPod) -> None:
    fake.echo_errors = True
    secret = "pod-aws-secret-echoed-0123"
    with pytest.raises(RunPodError) as err:
        PodProvider().create(pod_props(aws_access_key_id="AKIAPOD", aws_secret_access_key=secret))
    text = str(err.value) + (err.value.hint or "")
    assert "invalid pod request" in text and "AWS_SECRET_ACCESS_KEY" in text  # the echo did arrive
    assert secret not in text and "AKIAPOD" not in text and "[secret]" in text


def test_no_capacity_says_what_to_try(fake: FakeRunPod) -> None:
    fake.no_capacity.add("NVIDIA H100 80GB HBM3")
    with pytest.raises(RunPodError) as err:
        PodProvider().create(pod_props())
    assert "no capacity for this GPU type" in str(err.value)
    assert fake.pods == {}


def test_rate_limit_is_retried_then_reported(fake: FakeRunPod) -> None:
    fake.throttle(2)
    vol = NetworkVolumeProvider().create(volume_props())
    assert fake.rate_limited == 2 and vol.id in fake.volumes
    fake.throttle(runpod_api.RATE_LIMIT_TRIES)
    with pytest.raises(RunPodError) as err:
        RunPodClient(KEY).call("GET", "/pods")
    assert err.value.status == 429 and "rate limited" in str(err.value)


def test_unreachable_api_is_an_error_with_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_runpod(KEY) as server:
        url = server.url
    with pytest.raises(RunPodError) as err:
        RunPodClient(KEY, url).call("GET", "/pods")
    assert err.value.status == 0 and url in str(err.value)


def test_a_provider_traceback_becomes_a_runpod_diagnostic() -> None:
    from runctl_iac.engine.errors import classify, readable

    text = (
        "  error: pod.trainer: Traceback (most recent call last):\n"
        '  File "runpod_provider.py", line 3, in create\n'
        "    raise RunPodError(401, 'x')\n"
        "runctl_iac.engine.runpod_api.RunPodError: RunPod API 401: POST /pods: Unauthorized "
        "(check RUNPOD_API_KEY: RunPod refused it)\n"
    )
    assert readable(text) == (
        "  error: pod.trainer: RunPod API 401: POST /pods: Unauthorized "
        "(check RUNPOD_API_KEY: RunPod refused it)\n"
    )
    diag = classify(text)
    assert diag.code == "E0725" and diag.message.endswith(
        "RunPod refused the request (401): POST /pods: Unauthorized"
    )
    assert diag.hint == "check RUNPOD_API_KEY: RunPod refused it"
