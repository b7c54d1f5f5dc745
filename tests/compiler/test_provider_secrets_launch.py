from __future__ import annotations

import json

import pytest

from runctl_iac.compiler import compile
from runctl_iac.compiler.graph import Config, SecretEnv
from runctl_iac.compiler.provider import LOCAL_ENDPOINT
from runctl_iac.compiler.secrets import PARAMETER
from runctl_iac.spec.model import Duration
from tests.compiler.helpers import of_type
from tests.compiler.specs import multi_node, single_node

SECRET_VALUE = "hf_super-secret-value-123"


def test_default_tags_with_expiry_placeholder_and_runctl_keys_winning() -> None:
    graph, _ = compile(multi_node())
    provider = graph.resources["provider.aws"]
    assert provider.type == "pulumi:providers:aws"
    assert provider.properties["region"] == "us-west-2"
    assert provider.properties["default_tags"] == {
        "tags": {
            "team": "ml",
            "runctl:managed-by": "runctl",
            "runctl:project": "llama",  # a spec tag cannot spoof runctl's own keys
            "runctl:stack": "dev",
            "runctl:expires-at": Config("runctl:expiresAt"),
        }
    }
    assert "endpoints" not in provider.properties and "access_key" not in provider.properties


def test_no_expiry_tag_without_ttl_and_no_spec_hash_tag_anywhere() -> None:
    graph, _ = compile(single_node())
    tags = graph.resources["provider.aws"].properties["default_tags"]["tags"]
    assert "runctl:expires-at" not in tags
    text = graph.dumps()
    assert "sha256" not in text and "spec-hash" not in text and "spec_hash" not in text


def test_local_target_points_every_service_at_the_emulator() -> None:
    graph, _ = compile(single_node(target="local"))
    p = graph.resources["provider.aws"].properties
    [endpoints] = p["endpoints"]
    assert endpoints == {s: LOCAL_ENDPOINT for s in ("ec2", "iam", "s3", "ssm", "sts")}
    assert p["access_key"] == p["secret_key"] == "test"
    for flag in (
        "skip_credentials_validation",
        "skip_requesting_account_id",
        "skip_metadata_api_check",
        "s3_use_path_style",
    ):
        assert p[flag] is True
    # the emulator has no Deep Learning AMI parameters: aliases read one it ships
    ami = graph.resources["instance.box.0"].properties["ami"]
    assert ami.args["name"].startswith("/aws/service/ami-amazon-linux-latest/")


def test_secrets_are_secure_string_parameters_holding_only_the_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", SECRET_VALUE)  # present in the environment: must still never be read
    graph, launch = compile(multi_node())
    params = of_type(graph, PARAMETER)
    assert [p.id for p in params] == ["secret.HF_TOKEN", "secret.WANDB_API_KEY"]
    for p, name in zip(params, ("HF_TOKEN", "WANDB_API_KEY"), strict=True):
        assert p.properties["type"] == "SecureString"
        assert p.properties["value"] == SecretEnv(name)
        assert p.properties["name"] == f"/runctl/llama/dev/{name}"
    assert SECRET_VALUE not in graph.dumps()
    assert launch.secret_parameters == {
        "HF_TOKEN": "/runctl/llama/dev/HF_TOKEN",
        "WANDB_API_KEY": "/runctl/llama/dev/WANDB_API_KEY",
    }
    assert json.loads(graph.dumps())["resources"]["secret.HF_TOKEN"]["properties"]["value"] == {
        "$secret": "HF_TOKEN"
    }


def test_launch_plan_carries_the_training_stage() -> None:
    _, launch = compile(multi_node())
    assert launch.group == "trainer"
    assert [(n.instance_resource, n.rank) for n in launch.nodes] == [
        (f"instance.trainer.{i}", i) for i in range(3)
    ]
    assert launch.run == "torchrun train.py" and launch.setup == "pip install -r requirements.txt"
    assert launch.code == "s3://shared-code/llama/v1"
    assert list(launch.env.items()) == [("A", "1"), ("B", "2")]
    assert launch.secret_names == ("HF_TOKEN", "WANDB_API_KEY")
    assert launch.checkpoint_dir == "/data/ckpt"
    assert launch.checkpoint_bucket == "runctl-llama-dev-checkpoints-<account>"
    assert launch.checkpoint_every_seconds == 1800 and launch.max_runtime_seconds == 12 * 3600


def test_ttl_value_does_not_change_the_graph() -> None:
    a, _ = compile(multi_node(ttl=Duration("8h", 8 * 3600)))
    b, _ = compile(multi_node(ttl=Duration("3d", 3 * 86400)))
    assert a.dumps() == b.dumps()
