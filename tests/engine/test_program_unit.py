"""The interpreter on small hand-built Graphs, under the SDK's mocks."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from pulumi.runtime.rpc import is_rpc_secret

from runctl_iac.compiler.graph import Graph, Ref, SecretEnv
from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.engine import check_secret_env, make_program, secret_env_names
from runctl_iac.engine.args import TokenError, invoke_function, resource_class
from runctl_iac.engine.program import extract
from tests.engine.checks import get, missing_inputs
from tests.engine.graphs import OFFERINGS, small_graph
from tests.engine.pulumi_mocks import AMI_ID, RecordingMocks, Run, run_program

CONFIG = {"runctl:expiresAt": "2026-11-22T10:00:00Z"}


def _run(graph: Graph, config: dict[str, str] | None = None, preview: bool = False) -> Run:
    return run_program(
        make_program(graph), graph.project, graph.stack, CONFIG if config is None else config, preview=preview
    )


@pytest.fixture
def run(secret_env: dict[str, str]) -> Run:
    return _run(small_graph())


def test_every_resource_registered_with_its_type_and_the_explicit_provider(run: Run) -> None:
    graph = small_graph()
    assert {n: r.type for n, r in run.mocks.resources.items()} == {
        rid: r.type for rid, r in graph.resources.items()
    }
    provider = run.mocks.resources["provider.aws"]
    provider_ref = run.monitor.options["bucket.data"].provider
    assert provider_ref.endswith(f"::provider.aws::{provider.id}")
    for name, opts in run.monitor.options.items():
        if name != "provider.aws":
            assert opts.provider == provider_ref, name


def test_no_graph_value_arrives_as_none(run: Run) -> None:
    assert missing_inputs(small_graph(), run.mocks.resources) == []


def test_nested_blocks_are_typed_and_refs_wired(run: Run) -> None:
    res = run.mocks.resources
    inst = res["instance.trainer.0"].inputs
    assert get(inst, "metadata_options", "http_tokens") == "required"
    assert get(inst, "root_block_device") == {"volumeSize": 200, "volumeType": "gp3", "encrypted": True}
    assert get(inst, "instance_market_options", "spot_options", "spot_instance_type") == "one-time"
    assert get(inst, "vpc_security_group_ids") == [res["sg.trainer"].id]
    assert res["sg.trainer"].id.startswith("sg-0")
    att = res["attachment.data.trainer.0"].inputs
    assert att["instanceId"] == res["instance.trainer.0"].id
    assert att["volumeId"] == res["volume.data.trainer.0"].id
    assert res["bucket.data.public-access-block"].inputs["bucket"] == "runctl-demo-dev-data"
    assert get(res["sg.trainer"].inputs, "ingress") == [
        {"self": True, "protocol": "-1", "fromPort": 0, "toPort": 0}
    ]


def test_invokes_resolved_through_the_provider_once_each(run: Run) -> None:
    inst = run.mocks.resources["instance.trainer.0"].inputs
    vol = run.mocks.resources["volume.data.trainer.0"].inputs
    assert inst["ami"] == AMI_ID
    # "min(locations)": the first zone in sorted order, the same for the instance and its volume
    assert inst["availabilityZone"] == vol["availabilityZone"] == sorted(RecordingMocks().zones)[0]
    tokens = [c[0] for c in run.mocks.calls]
    assert sorted(tokens) == sorted([OFFERINGS, "aws:ssm/getParameter:getParameter"])
    provider = run.mocks.resources["provider.aws"]
    assert all(c[2].endswith(f"::provider.aws::{provider.id}") for c in run.mocks.calls)


def test_secret_values_are_marked_secret(run: Run, secret_env: dict[str, str]) -> None:
    value = run.mocks.resources["secret.HF_TOKEN"].inputs["value"]
    assert is_rpc_secret(value)
    assert value["value"] == secret_env["HF_TOKEN"]


def test_secret_env_is_secret_wherever_it_is_used(secret_env: dict[str, str]) -> None:
    # pulumi_aws already wraps ssm.Parameter.value; a field it does not wrap and a stack output
    # prove the program itself marks SecretEnv values secret.
    graph = small_graph()
    sg = graph.resources["sg.trainer"]
    sg = dataclasses.replace(sg, properties={**sg.properties, "description": SecretEnv("HF_TOKEN")})
    graph = dataclasses.replace(
        graph,
        resources={**graph.resources, "sg.trainer": sg},
        outputs={**graph.outputs, "token": SecretEnv("HF_TOKEN")},
    )
    run = _run(graph)
    assert is_rpc_secret(run.mocks.resources["sg.trainer"].inputs["description"])
    assert run.secret_outputs == {"token"}


def test_options_reach_the_engine(run: Run) -> None:
    opts = run.monitor.options
    assert opts["volume.data.trainer.0"].protect and opts["volume.data.trainer.0"].retain_on_delete
    assert opts["bucket.data"].retain_on_delete and not opts["bucket.data"].protect
    assert not opts["instance.trainer.0"].protect and not opts["instance.trainer.0"].retain_on_delete
    assert any(u.endswith("::bucket.data") for u in opts["secret.HF_TOKEN"].dependencies)


def test_provider_default_tags_resolve_config(run: Run) -> None:
    tags = get(run.mocks.resources["provider.aws"].inputs, "default_tags", "tags")
    assert tags == {
        "runctl:managed-by": "runctl",
        "runctl:project": "demo",
        "runctl:stack": "dev",
        "runctl:expires-at": CONFIG["runctl:expiresAt"],
    }


def test_outputs_and_spec_hash(run: Run) -> None:
    graph = small_graph()
    res = run.mocks.resources
    assert run.outputs["specHash"] == graph.spec_hash()
    assert run.outputs["instances"]["trainer.0"] == {
        "id": res["instance.trainer.0"].id,
        "private_ip": res["instance.trainer.0"].outputs["privateIp"],
        "zone": res["instance.trainer.0"].inputs["availabilityZone"],
    }
    assert run.outputs["buckets"] == {"data": "runctl-demo-dev-data"}
    assert run.outputs["volumes"] == {"data.trainer.0": res["volume.data.trainer.0"].id}


def test_misspelt_nested_key_is_a_type_error(secret_env: dict[str, str]) -> None:
    graph = small_graph(root_block_device={"volume_sise": 1})
    with pytest.raises(
        TypeError, match=r"instance\.trainer\.0\.root_block_device.*'volume_sise'.*'volume_size'"
    ):
        _run(graph)


def test_misspelt_top_level_key_is_a_type_error(secret_env: dict[str, str]) -> None:
    graph = small_graph()
    bad = dataclasses.replace(graph.resources["sg.trainer"], properties={"descripton": "x"})
    graph = dataclasses.replace(graph, resources={**graph.resources, "sg.trainer": bad})
    with pytest.raises(TypeError, match="SecurityGroup has no argument 'descripton'"):
        _run(graph)


def test_missing_secret_fails_before_anything_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    mocks = RecordingMocks()
    graph = small_graph()
    with pytest.raises(DiagnosticError) as err:
        run_program(make_program(graph), "demo", "dev", CONFIG, mocks=mocks)
    assert [d.code for d in err.value.diagnostics] == ["E0601"]
    assert "HF_TOKEN" in str(err.value)
    assert mocks.resources == {} and mocks.calls == []


def test_secret_check_names_all_missing_and_never_values() -> None:
    graph = small_graph(secret="API_KEY")
    extra = dataclasses.replace(graph.resources["secret.API_KEY"], id="secret.OTHER")
    graph = dataclasses.replace(graph, resources={**graph.resources, "secret.OTHER": extra})
    assert secret_env_names(graph) == ["API_KEY"]
    env = {"API_KEY": ""}
    with pytest.raises(DiagnosticError) as err:
        check_secret_env(graph, env)
    assert "API_KEY" in err.value.diagnostics[0].message
    check_secret_env(graph, {"API_KEY": "value-that-must-not-leak"})


def test_missing_config_is_an_error_not_none(secret_env: dict[str, str]) -> None:
    with pytest.raises(Exception, match="expiresAt"):
        _run(small_graph(), config={})


def test_preview_mode_runs(secret_env: dict[str, str]) -> None:
    run = _run(small_graph(), preview=True)
    assert set(run.mocks.resources) == set(small_graph().resources)


def test_ref_to_unknown_attribute_fails(secret_env: dict[str, str]) -> None:
    graph = small_graph()
    att = graph.resources["attachment.data.trainer.0"]
    bad = dataclasses.replace(
        att, properties={**att.properties, "volume_id": Ref("volume.data.trainer.0", "idd")}
    )
    graph = dataclasses.replace(graph, resources={**graph.resources, att.id: bad})
    with pytest.raises(AttributeError, match="idd"):
        _run(graph)


def test_tokens_resolve_generically_and_check_the_class() -> None:
    import pulumi_aws

    assert resource_class("aws:ec2/instance:Instance") is pulumi_aws.ec2.Instance
    assert resource_class("pulumi:providers:aws") is pulumi_aws.Provider
    assert resource_class("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock") is (
        pulumi_aws.s3.BucketPublicAccessBlock
    )
    assert invoke_function("aws:ssm/getParameter:getParameter") is pulumi_aws.ssm.get_parameter_output
    assert invoke_function(OFFERINGS) is pulumi_aws.ec2.get_instance_type_offerings_output
    for bad in ("aws:s3/bucketV2:Bucket", "aws:ec2/instance", "gcp:compute/instance:Instance"):
        with pytest.raises(TokenError):
            resource_class(bad)
    with pytest.raises(TokenError):
        invoke_function("aws:ec2/getNothing:getNothing")


def test_endpoint_override_moves_every_local_endpoint(secret_env: dict[str, str]) -> None:
    graph = small_graph()
    provider = graph.resources["provider.aws"]
    local = {
        **provider.properties,
        "endpoints": [{"s3": "http://127.0.0.1:5000", "ec2": "http://127.0.0.1:5000"}],
    }
    graph = dataclasses.replace(
        graph, resources={**graph.resources, "provider.aws": dataclasses.replace(provider, properties=local)}
    )
    run = run_program(
        make_program(graph, endpoint_url="http://127.0.0.1:5123"), graph.project, graph.stack, CONFIG
    )
    assert get(run.mocks.resources["provider.aws"].inputs, "endpoints") == [
        {"s3": "http://127.0.0.1:5123", "ec2": "http://127.0.0.1:5123"}
    ]
    assert run.outputs["specHash"] == graph.spec_hash()
    with pytest.raises(ValueError, match="no endpoints"):
        make_program(small_graph(), endpoint_url="http://127.0.0.1:1")


def test_extract_attr_forms() -> None:
    result = {"locations": ["b", "c", "a"], "value": "v"}
    assert extract(result, "value") == "v"
    assert extract(result, "min(locations)") == "a"
    assert extract(result, "max(locations)") == "c"
    with pytest.raises(LookupError, match="returned no locations"):
        extract({"locations": []}, "min(locations)", OFFERINGS)
    with pytest.raises(ValueError, match="unknown reducer"):
        extract(result, "first(locations)")


def test_engine_package_import_is_light() -> None:
    code = (
        "import sys, runctl_iac.engine; "
        "print(sorted(m for m in sys.modules if m.startswith(('pulumi', 'boto3'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
