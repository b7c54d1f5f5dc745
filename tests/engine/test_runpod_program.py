"""The Pulumi program registers RunPod resources as runctl's dynamic resources (under Pulumi's mocks, no
CLI): the Graph's type tokens, resolved references, no AWS provider, and the API key from
RUNPOD_API_KEY (the fast-suite side of tests/engine/test_runpod_engine.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.runtime.rpc import is_rpc_secret

from runctl_iac.compiler import compile
from runctl_iac.compiler.runpod import NETWORK_VOLUME, POD
from runctl_iac.engine import make_program
from runctl_iac.spec import load_spec_or_raise
from tests.engine.pulumi_mocks import run_program

SPEC = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "runpod" / "runpod.yaml"
KEY = "rpa_PROGRAM_test_key_77"


def test_pods_and_volumes_are_dynamic_resources(monkeypatch: pytest.MonkeyPatch) -> None:
    graph, _ = compile(load_spec_or_raise(SPEC))
    monkeypatch.setenv("RUNPOD_API_KEY", KEY)
    run = run_program(
        make_program(graph), graph.project, graph.stack, {"runctl:expiresAt": "2030-01-01T00:00:00Z"}
    )
    pod = run.mocks.resources["pod.trainer"]
    volume = run.mocks.resources["runpod-volume.cache"]
    assert (pod.type, volume.type) == (POD, NETWORK_VOLUME)
    assert pod.inputs["gpu_type_ids"] == ["NVIDIA H100 80GB HBM3"] and pod.inputs["gpu_count"] == 2
    assert pod.inputs["network_volume_id"] == volume.id  # the Ref, resolved
    assert pod.inputs["env"]["RUNCTL_EXPIRES_AT"] == "2030-01-01T00:00:00Z"
    assert is_rpc_secret(pod.inputs["api_key"]) and pod.inputs["api_key"]["value"] == KEY  # a secret
    assert is_rpc_secret(volume.inputs["api_key"]) and "__provider" in pod.inputs
    assert "provider.aws" not in (pod.provider or "")  # hosted by the dynamic-provider plugin
    assert run.outputs["pods"]["pod.trainer"]["id"] == pod.id


def test_a_missing_api_key_stops_the_program_before_anything_registers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from runctl_iac.diagnostics import DiagnosticError

    graph, _ = compile(load_spec_or_raise(SPEC))
    monkeypatch.delenv("RUNPOD_API_KEY", raising=False)
    with pytest.raises(DiagnosticError) as err:
        run_program(
            make_program(graph), graph.project, graph.stack, {"runctl:expiresAt": "2030-01-01T00:00:00Z"}
        )
    (diag,) = err.value.diagnostics
    assert diag.code == "E0601" and "RUNPOD_API_KEY" in diag.message
    assert diag.hint is not None and "encrypted Pulumi secret" in diag.hint


def test_the_training_pods_aws_key_is_secret_and_its_env_names_the_staging_bucket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "src").mkdir()  # training.code
    spec = tmp_path / "train.yaml"
    spec.write_text(SPEC.with_name("runpod-train.yaml").read_text())
    graph, _ = compile(load_spec_or_raise(spec))
    monkeypatch.setenv("RUNPOD_API_KEY", KEY)
    monkeypatch.setenv("RUNCTL_RUNPOD_AWS_ACCESS_KEY_ID", "AKIAPROGRAM")
    monkeypatch.setenv("RUNCTL_RUNPOD_AWS_SECRET_ACCESS_KEY", "program-pod-secret")
    monkeypatch.setenv("HF_TOKEN", "hf-program-secret")
    run = run_program(
        make_program(graph), graph.project, graph.stack, {"runctl:expiresAt": "2030-01-01T00:00:00Z"}
    )
    pod = run.mocks.resources["pod.trainer"]
    staging_bucket = run.mocks.resources["bucket._staging"]
    for prop, value in (
        ("aws_access_key_id", "AKIAPROGRAM"),
        ("aws_secret_access_key", "program-pod-secret"),
    ):
        assert is_rpc_secret(pod.inputs[prop]) and pod.inputs[prop]["value"] == value
    env = pod.inputs["env"]
    assert env["RUNCTL_BUCKET"] == staging_bucket.inputs["bucket"]  # the Ref, resolved
    assert env["RUNCTL_LAUNCH_KEY"] == "pods/trainer/launch.json" and env["RUNCTL_REGION"] == "us-east-1"
    assert "program-pod-secret" not in str(env) and "AKIAPROGRAM" not in str(env)
    assert pod.inputs["docker_start_cmd"][:2] == ["bash", "-c"]
