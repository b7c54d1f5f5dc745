"""The stand-in aws provider (tests/engine/standin/), called directly against the moto server.

No Pulumi CLI is needed: the servicer's methods get the same protobuf requests the engine
sends. The engine-marked tests then run it as a plugin under the real engine.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from runctl_iac.compiler import compile
from runctl_iac.engine import runpod_provider
from runctl_iac.spec import load_spec_or_raise
from tests.engine.standin.aws import Aws, ConfigError
from tests.engine.standin.server import HANDLERS, Provider
from tests.engine.standin.wire import SECRET_SIG, SIG, UNKNOWN, Secret, from_struct, to_struct
from tests.engine.standin_calls import (
    DEFAULT_TAGS,
    PLUGIN,
    ROOT,
    Aborted,
    Context,
    Diff,
    Res,
    client,
    provider_config,
)


def test_wire_round_trip_keeps_secrets_and_whole_numbers() -> None:
    props = {"a": Secret("s3cr3t"), "n": 20, "f": 1.5, "nested": [{"x": Secret({"y": 1})}], "u": UNKNOWN}
    struct = to_struct(props)
    from google.protobuf import json_format

    raw = json_format.MessageToDict(struct)
    assert raw["a"] == {SIG: SECRET_SIG, "value": "s3cr3t"}
    assert from_struct(struct) == props


def test_configure_refuses_a_non_local_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(ConfigError, match="not local"):
        Aws.from_config(provider_config("https://ec2.us-east-1.amazonaws.com"))
    with pytest.raises(ConfigError, match="one local endpoint"):
        Aws.from_config({"region": "us-east-1"})
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://ec2.us-east-1.amazonaws.com")
    with pytest.raises(ConfigError, match="not local"):
        Aws.from_config({"region": "us-east-1"})


def test_an_aws_target_reaches_the_emulator_through_AWS_ENDPOINT_URL(monkeypatch: pytest.MonkeyPatch) -> None:
    """No `endpoints` (an AWS target): AWS_ENDPOINT_URL, as the real provider reads it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert Aws.from_config({"region": "us-east-1"}).endpoint == "http://127.0.0.1:4566"


def test_every_type_the_compiler_emits_has_a_handler() -> None:
    specs = sorted((ROOT / "examples").glob("*.yaml")) + sorted(
        (ROOT / "tests/fixtures/specs/good").glob("*.yaml")
    )
    tokens = {r.type for s in specs for r in compile(load_spec_or_raise(s))[0].resources.values()}
    # RunPod resources are hosted by the dynamic-provider plugin, not the aws stand-in
    assert tokens - {"pulumi:providers:aws", *runpod_provider.CLASSES} <= set(HANDLERS)
    assert "aws:ec2/instance:Instance" in tokens


def test_invokes_answer_from_moto(provider: Provider, moto_server: str) -> None:
    def call(tok: str, args: dict[str, Any]) -> dict[str, Any]:
        req = provider_pb2.InvokeRequest(tok=tok, args=to_struct(args))
        return from_struct(getattr(provider.Invoke(req, Context()), "return"))

    ec2 = client("ec2", moto_server)

    def known(image: str) -> bool:
        return [i["ImageId"] for i in ec2.describe_images(ImageIds=[image])["Images"]] == [image]

    al2023 = call(
        "aws:ssm/getParameter:getParameter",
        {"name": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"},
    )
    assert known(al2023["value"])  # moto ships this public parameter and the image it names
    dlami_name = "/aws/service/deeplearning/ami/x86_64/oss-nvidia-driver-gpu-pytorch-2.7-ubuntu-22.04/latest"
    dlami = call("aws:ssm/getParameter:getParameter", {"name": dlami_name + "/ami-id"})
    assert known(dlami["value"])  # a parameter moto lacks: answered with an image moto knows
    offers = call(
        "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings",
        {
            "locationType": "availability-zone",
            "filters": [{"name": "instance-type", "values": ["t3.medium"]}],
        },
    )
    assert offers["locations"] and all(z.startswith("us-east-1") for z in offers["locations"])
    assert call("aws:index/getCallerIdentity:getCallerIdentity", {})["accountId"].isdigit()
    with pytest.raises(Aborted, match="no invoke"):
        call("aws:ec2/getNothing:getNothing", {})


def test_check_autonames_and_adds_default_tags(provider: Provider) -> None:
    role = Res(provider, "aws:iam/role:Role", "role.worker")
    checked = role.check({"assumeRolePolicy": "{}", "tags": {"Name": "x"}})
    assert checked["name"] == "role.worker-0abcdef"
    assert checked["tagsAll"] == {**DEFAULT_TAGS, "Name": "x"}
    role.inputs = {"name": "role.worker-1234567"}
    assert role.check({"assumeRolePolicy": "{}"})["name"] == "role.worker-1234567"  # kept on re-check


def test_plugin_prints_its_port_and_answers() -> None:
    proc = subprocess.Popen([str(PLUGIN), "127.0.0.1:1"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            import importlib.metadata

            assert stub.GetPluginInfo(empty_pb2.Empty(), timeout=30).version == importlib.metadata.version(
                "pulumi_aws"
            )
            with pytest.raises(grpc.RpcError, match="not configured"):
                stub.Invoke(provider_pb2.InvokeRequest(tok="aws:index/getRegion:getRegion"), timeout=30)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_diff_config_replaces_only_on_a_region_change(moto_server: str) -> None:
    old = provider_config(moto_server)

    def diff(new: dict[str, Any]) -> Any:
        req = provider_pb2.DiffRequest(olds=to_struct(old), news=to_struct(new), old_inputs=to_struct(old))
        return Provider().DiffConfig(req, Context())

    assert diff(old).changes == Diff.DIFF_NONE
    moved = diff({**old, "endpoints": json.dumps([{"ec2": "http://127.0.0.1:1"}])})
    assert moved.changes == Diff.DIFF_SOME and list(moved.diffs) == ["endpoints"] and not moved.replaces
    assert list(diff({**old, "region": "eu-west-1"}).replaces) == ["region"]
