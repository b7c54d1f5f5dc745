"""Every example spec, compiled and run as a Pulumi program under the SDK's own mocks.

Each (example, stack) program runs once per module; the tests assert the security
defaults, tags, spot options, wiring and secrecy on what the mocks recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.rpc import is_rpc_secret

from runctl_iac.compiler import compile
from runctl_iac.compiler.graph import Graph
from runctl_iac.engine import make_program, secret_env_names
from runctl_iac.spec import load_spec_or_raise
from runctl_iac.spec.model import Spec
from tests.engine.checks import get, missing_inputs, plain
from tests.engine.pulumi_mocks import Registered, Run, run_program

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
STACKS = sorted(p.stem for p in (ROOT / "stacks").glob("*.yaml"))
CASES = [(e.name, s) for e in EXAMPLES for s in STACKS]
EXPIRES_AT = "2026-11-22T10:00:00Z"

BUCKET = "aws:s3/bucket:Bucket"
INSTANCE = "aws:ec2/instance:Instance"
VOLUME = "aws:ebs/volume:Volume"
ATTACHMENT = "aws:ec2/volumeAttachment:VolumeAttachment"
PARAMETER = "aws:ssm/parameter:Parameter"


@dataclass
class Case:
    spec: Spec
    graph: Graph
    run: Run
    secrets: dict[str, str]

    def of_type(self, typ: str) -> dict[str, Registered]:
        return self.run.mocks.by_type(typ)


def test_examples_present() -> None:
    assert {"quickstart.yaml", "llama-finetune.yaml", "local.yaml"} <= {e.name for e in EXAMPLES}
    assert STACKS


@pytest.fixture(scope="module", params=CASES, ids=[f"{e}-{s}" for e, s in CASES])
def case(request: pytest.FixtureRequest) -> Iterator[Case]:
    example, stack = request.param
    spec = load_spec_or_raise(ROOT / "examples" / example, stack=stack)
    graph, _ = compile(spec)
    secrets = {name: f"fake-{name.lower()}-value-{i:04d}" for i, name in enumerate(secret_env_names(graph))}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in secrets.items():
            mp.setenv(name, value)
        config = {"runctl:expiresAt": EXPIRES_AT} if spec.ttl is not None else {}
        run = run_program(make_program(graph), graph.project, graph.stack, config)
    yield Case(spec, graph, run, secrets)


def test_every_resource_registered_once_with_the_explicit_provider(case: Case) -> None:
    recorded = {n: r.type for n, r in case.run.mocks.resources.items()}
    assert recorded == {rid: r.type for rid, r in case.graph.resources.items()}
    provider = case.run.mocks.resources["provider.aws"]
    for name, opts in case.run.monitor.options.items():
        if name != "provider.aws":
            assert opts.provider.endswith(f"::provider.aws::{provider.id}"), name


def test_no_input_is_none_where_the_graph_has_a_value(case: Case) -> None:
    assert missing_inputs(case.graph, case.run.mocks.resources) == []


def test_options_match_the_graph(case: Case) -> None:
    urns = {name: f"::{name}" for name in case.graph.resources}
    for rid, res in case.graph.resources.items():
        opts = case.run.monitor.options[rid]
        assert (opts.protect, opts.retain_on_delete) == (res.options.protect, res.options.retain_on_delete), (
            rid
        )
        for dep in res.options.depends_on:
            assert any(u.endswith(urns[dep]) for u in opts.dependencies), (rid, dep)


def test_buckets_block_public_access_and_are_encrypted(case: Case) -> None:
    buckets = case.of_type(BUCKET)
    staging = 1 if case.spec.training is not None else 0  # the staging bucket of a spec with training
    assert len(buckets) == len(case.spec.buckets) + staging
    blocks = case.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    enc = case.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    for name, bucket in buckets.items():
        physical = bucket.outputs["bucket"]
        block = blocks[f"{name}.public-access-block"].inputs
        assert block["bucket"] == physical
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
            assert block[flag] is True, (name, flag)
        rules = enc[f"{name}.encryption"].inputs["rules"]
        assert enc[f"{name}.encryption"].inputs["bucket"] == physical
        algos = {r["applyServerSideEncryptionByDefault"]["sseAlgorithm"] for r in rules}
        assert algos and algos <= {"AES256", "aws:kms"}


def test_instances_require_imdsv2_and_encrypted_root(case: Case) -> None:
    instances = case.of_type(INSTANCE)
    assert len(instances) == sum(g.count for g in case.spec.instances.values())
    for name, inst in instances.items():
        assert get(inst.inputs, "metadata_options", "http_tokens") == "required", name
        assert get(inst.inputs, "root_block_device", "encrypted") is True, name
        assert inst.inputs["ami"].startswith("ami-"), name


def test_volumes_encrypted_and_in_their_instance_zone(case: Case) -> None:
    res = case.run.mocks.resources
    attachments = case.of_type(ATTACHMENT)
    assert len(attachments) == len(case.of_type(VOLUME))
    for name, att in attachments.items():
        _, vol, group, index = name.split(".")
        volume, instance = res[f"volume.{vol}.{group}.{index}"], res[f"instance.{group}.{index}"]
        assert att.inputs["instanceId"] == instance.id and instance.id.startswith("i-0")
        assert att.inputs["volumeId"] == volume.id and volume.id.startswith("vol-0")
        assert volume.inputs["encrypted"] is True
        assert volume.inputs["availabilityZone"] == instance.inputs["availabilityZone"]


def test_one_zone_per_group(case: Case) -> None:
    for g, group in case.spec.instances.items():
        zones = {
            case.run.mocks.resources[f"instance.{g}.{i}"].inputs["availabilityZone"]
            for i in range(group.count)
        }
        assert len(zones) == 1, g
        if case.spec.network.subnet is None:
            assert next(iter(zones)).startswith(case.spec.region), g


def test_security_groups_allow_no_ingress_from_outside(case: Case) -> None:
    for name, sg in case.of_type("aws:ec2/securityGroup:SecurityGroup").items():
        for rule in sg.inputs.get("ingress") or []:
            assert rule.get("self") is True, (name, rule)
            for key in ("cidrBlocks", "ipv6CidrBlocks", "securityGroups", "prefixListIds"):
                assert not rule.get(key), (name, key)


def _statements(policy: Any) -> list[dict[str, Any]]:
    doc = json.loads(policy) if isinstance(policy, str) else policy
    return doc["Statement"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_iam_policy_scoped_to_the_spec_buckets(case: Case) -> None:
    own = {f"arn:aws:s3:::{b.outputs['bucket']}" for b in case.of_type(BUCKET).values()}
    code = case.spec.training.code if case.spec.training else None
    code_bucket = code[len("s3://") :].split("/", 1)[0] if code and code.startswith("s3://") else None
    for name, pol in case.of_type("aws:iam/rolePolicy:RolePolicy").items():
        written: set[str] = set()
        for st in _statements(pol.inputs["policy"]):
            actions = _as_list(st["Action"])
            resources = _as_list(st["Resource"])
            if actions == ["ec2:DescribeSpotPriceHistory"]:
                continue  # a spot node reads its price; that action has no resource-level permission

            assert "*" not in resources and "*" not in actions, (name, st)
            if any(a.startswith("s3:") for a in actions):
                buckets = {r.split("/", 1)[0] for r in resources}
                extra = buckets - own
                assert not extra or (
                    extra == {f"arn:aws:s3:::{code_bucket}"}
                    and set(actions) <= {"s3:GetObject", "s3:ListBucket"}
                ), (name, st)
                if {"s3:PutObject", "s3:DeleteObject"} & set(actions):
                    written |= buckets
            elif any(a.startswith("ssm:") for a in actions):
                prefix = f":parameter/runctl/{case.graph.project}/{case.graph.stack}/"
                assert all(prefix in r for r in resources), (name, st)
        assert written == own, name
        role = case.run.mocks.resources[name.removesuffix(".policy")]
        assert pol.inputs["role"] == role.outputs["name"]


def test_provider_region_and_default_tags(case: Case) -> None:
    provider = case.run.mocks.resources["provider.aws"].inputs
    assert provider["region"] == case.spec.region
    tags = get(provider, "default_tags", "tags")
    assert tags["runctl:managed-by"] == "runctl"
    assert tags["runctl:project"] == case.spec.name
    assert tags["runctl:stack"] == case.spec.stack
    if case.spec.ttl is not None:
        assert tags["runctl:expires-at"] == EXPIRES_AT
    else:
        assert "runctl:expires-at" not in tags
    for key, value in case.spec.tags.items():
        if not key.startswith("runctl:"):
            assert tags[key] == value
    if case.spec.target == "local":
        endpoints = get(provider, "endpoints")
        urls = {url for ep in endpoints for url in ep.values()}
        assert urls and all(u.startswith("http://127.0.0.1") for u in urls)
        assert plain(provider["skipCredentialsValidation"]) in (True, "true")


def test_spot_options_follow_the_spec(case: Case) -> None:
    for name, inst in case.of_type(INSTANCE).items():
        group = case.spec.instances[name.split(".")[1]]
        market = get(inst.inputs, "instance_market_options")
        if group.spot is None:
            assert market is None, name
            continue
        assert market["marketType"] == "spot"
        spot = market["spotOptions"]
        assert spot["spotInstanceType"] == "one-time"
        assert spot["instanceInterruptionBehavior"] == "terminate"
        if group.spot.max_price_usd is not None:
            assert float(spot["maxPrice"]) == float(group.spot.max_price_usd)


def test_spot_example_is_covered() -> None:
    spot = [e.name for e in EXAMPLES if any(g.spot for g in load_spec_or_raise(e).instances.values())]
    assert spot


def test_secrets_are_marked_secret_and_never_leak(case: Case) -> None:
    params = case.of_type(PARAMETER)
    assert {n.removeprefix("secret.") for n in params} == set(case.secrets)
    for name, param in params.items():
        assert param.inputs["type"] == "SecureString"
        assert is_rpc_secret(param.inputs["value"]), name
        assert param.inputs["value"]["value"] == case.secrets[name.removeprefix("secret.")]
    for name, reg in case.run.mocks.resources.items():
        visible = {k: v for k, v in reg.inputs.items() if not is_rpc_secret(v)}
        text = json.dumps(visible, default=str)
        assert not any(value in text for value in case.secrets.values()), name
    assert not any(v in json.dumps(case.run.outputs, default=str) for v in case.secrets.values())


def test_stack_outputs(case: Case) -> None:
    res = case.run.mocks.resources
    outputs = case.run.outputs
    assert outputs["specHash"] == case.graph.spec_hash()
    for rid, node in outputs.get("instances", {}).items():
        assert node["id"] == res[rid].id
        assert node["private_ip"] == res[rid].outputs["privateIp"]
        assert node["availability_zone"] == res[rid].inputs["availabilityZone"]
    assert len(outputs.get("instances", {})) == len(case.of_type(INSTANCE))
    for rid, vid in outputs.get("volumes", {}).items():
        assert vid == res[rid].id
    assert sorted(outputs.get("buckets", {}).values()) == sorted(
        b.outputs["bucket"] for b in case.of_type(BUCKET).values()
    )
