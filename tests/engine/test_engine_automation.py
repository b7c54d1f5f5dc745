"""The whole life of runctl's local example through the real engine (marked `engine`).

Real Pulumi CLI (`make engine-cli`), the stand-in aws plugin (tests/engine/standin/) and a moto
server: every resource below really exists in moto, and every assertion about AWS reads moto
back with boto3, not the engine's word.

Circular on purpose, so not evidence: the stand-in decides *which* property changes replace a
resource with runctl's own table (runctl_iac/plan/replace_rules.py). That an instance is
replaced when `spot` is turned off, and updated in place when its type changes, is therefore
checked here only as far as the engine's handling of those answers goes (new ids in moto,
dependents re-pointed, no data volume replaced); the table's facts are tested against their
sources in tests/plan/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.engine.real import aws_client, compile_spec, example_doc, live_instances, local_spec, stack_for

pytestmark = pytest.mark.engine


def _volumes(endpoint: str, project: str) -> dict[str, dict[str, Any]]:
    """The data volumes (not the instances' root disks), by id."""
    ec2 = aws_client("ec2", endpoint)
    tag = [{"Name": "tag:Name", "Values": [f"{project}-ci-scratch-*"]}]
    return {v["VolumeId"]: v for v in ec2.describe_volumes(Filters=tag)["Volumes"]}


def _on_demand_large(doc: dict[str, Any]) -> None:
    doc["instances"]["worker"].update(type="t3.large", spot=False)
    doc["volumes"]["scratch"]["size_gb"] = 30


def _retained(doc: dict[str, Any]) -> None:
    _on_demand_large(doc)
    doc["buckets"]["lifecycle-data"]["retain"] = True
    doc["volumes"]["scratch"]["retain"] = True


def test_apply_edit_refresh_destroy(tmp_path: Path, engine_moto: str) -> None:
    from pulumi import automation as auto

    backend = f"file://{tmp_path / 'state'}"
    (tmp_path / "state").mkdir()
    home = tmp_path / "home"

    def stack(spec: Path) -> Any:
        return stack_for(compile_spec(spec), tmp_path / "work", engine_moto, backend, home)

    base = local_spec(tmp_path, "lifecycle")
    graph = compile_spec(base)
    s = stack(base)

    # apply: every resource exists in moto, tagged, wired
    up = s.up()
    assert up.summary.result == "succeeded"
    assert up.summary.resource_changes == {"create": len(graph.resources) + 1}
    nodes = live_instances(engine_moto, "lifecycle")
    assert sorted(n["TagMap"]["Name"] for n in nodes.values()) == [
        "lifecycle-ci-worker-0",
        "lifecycle-ci-worker-1",
    ]
    for node in nodes.values():
        assert node["InstanceType"] == "t3.medium"
        assert node["TagMap"]["runctl:managed-by"] == "runctl" and node["TagMap"]["runctl:stack"] == "ci"
        assert node["TagMap"]["runctl:expires-at"] == "2030-01-01T00:00:00Z"
        assert node["MetadataOptions"]["HttpTokens"] == "required"
    volumes = _volumes(engine_moto, "lifecycle")
    assert len(volumes) == 2
    assert {v["Attachments"][0]["InstanceId"] for v in volumes.values()} == set(nodes)
    outputs = s.outputs()
    assert outputs["specHash"].value == graph.spec_hash()
    bucket = outputs["buckets"].value["lifecycle-data"]
    s3 = aws_client("s3", engine_moto)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    # nothing changed: the engine's preview agrees
    assert s.preview().change_summary == {auto.OpType.SAME: len(graph.resources) + 1}

    # an edit: the data volumes grow (in place), spot is turned off (the instances are replaced)
    edited = local_spec(tmp_path, "lifecycle", _on_demand_large)
    s = stack(edited)
    preview = s.preview()
    # the instances and their attachments are replaced, the volumes updated, and the role's policy
    # loses the spot-price read an on-demand node has no use for
    expected = {auto.OpType.REPLACE: 4, auto.OpType.UPDATE: 3, auto.OpType.SAME: len(graph.resources) - 6}
    assert preview.change_summary == expected
    up = s.up()
    assert up.summary.resource_changes == {k.value: v for k, v in expected.items()}
    after = live_instances(engine_moto, "lifecycle")
    assert len(after) == 2 and set(after).isdisjoint(nodes)
    assert {n["InstanceType"] for n in after.values()} == {"t3.large"}
    # the data volumes were not replaced: same ids, now attached to the new instances
    vols = _volumes(engine_moto, "lifecycle")
    assert set(vols) == set(volumes)
    assert {v["Size"] for v in vols.values()} == {30}
    assert {v["Attachments"][0]["InstanceId"] for v in vols.values()} == set(after)

    # drift made with boto3: refresh reads it back, the next up puts it right
    ec2 = aws_client("ec2", engine_moto)
    vol_id = sorted(vols)[0]
    ec2.create_tags(Resources=[vol_id], Tags=[{"Key": "Name", "Value": "changed-by-hand"}])
    refresh = s.refresh()
    assert refresh.summary.resource_changes.get("update") == 1, refresh.stdout
    assert s.preview().change_summary.get(auto.OpType.UPDATE) == 1
    s.up()
    tags = {t["Key"]: t["Value"] for t in ec2.describe_volumes(VolumeIds=[vol_id])["Volumes"][0]["Tags"]}
    assert tags["Name"].startswith("lifecycle-ci-scratch-worker-")

    # retain the bucket and the volumes, then destroy
    s = stack(local_spec(tmp_path, "lifecycle", _retained))
    s.up()
    with pytest.raises(auto.CommandError, match="protect"):
        s.destroy()  # the retained volumes are protected: a plain destroy refuses
    state = s.export_stack()
    for res in state.deployment["resources"]:
        res.pop("protect", None)
    s.import_stack(state)
    s.destroy(remove=True)
    assert live_instances(engine_moto, "lifecycle") == {}
    assert set(_volumes(engine_moto, "lifecycle")) == set(volumes)  # retained, still in moto
    assert bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    iam = aws_client("iam", engine_moto)
    assert not [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("role.worker-")]
    ws = auto.LocalWorkspace(
        work_dir=str(tmp_path / "work"), pulumi_home=str(home), env_vars=s.workspace.env_vars
    )
    assert "ci" not in {st.name for st in ws.list_stacks()}


def test_the_llama_example_on_the_local_target(
    tmp_path: Path, engine_moto: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every type and option of the biggest example (snapshot-backed volumes with IOPS and
    throughput, spot with a max price, lifecycle rules, secrets, retained buckets) through the
    engine, on the local target; destroy leaves the retained buckets."""
    import yaml

    ec2 = aws_client("ec2", engine_moto)
    seed = ec2.create_volume(AvailabilityZone="us-east-1a", Size=500, VolumeType="gp3")
    snapshot = ec2.create_snapshot(VolumeId=seed["VolumeId"])["SnapshotId"]
    doc = example_doc("llama-finetune.yaml")
    doc.update(target="local", name="llama-local")
    doc["volumes"]["data"]["from_snapshot"] = snapshot
    spec = tmp_path / "llama-local.yaml"
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    (tmp_path / doc["training"]["code"]).mkdir(parents=True)  # training.code must exist (E0320)
    for name in ("HF_TOKEN", "WANDB_API_KEY"):
        monkeypatch.setenv(name, f"fake-{name.lower()}")
    (tmp_path / "state").mkdir()
    graph = compile_spec(spec)
    stack = stack_for(
        graph, tmp_path / "work", engine_moto, f"file://{tmp_path / 'state'}", tmp_path / "home"
    )
    assert stack.up().summary.resource_changes == {"create": len(graph.resources) + 1}

    nodes = live_instances(engine_moto, "llama-local")
    assert {n["InstanceType"] for n in nodes.values()} == {"g5.12xlarge"} and len(nodes) == 2
    data = [v for v in _all_volumes(engine_moto, "llama-local") if v.get("SnapshotId") == snapshot]
    assert len(data) == 2 and {(v["Size"], v["Iops"], v["Throughput"]) for v in data} == {(500, 6000, 500)}
    s3 = aws_client("s3", engine_moto)
    buckets = stack.outputs()["buckets"].value
    rules = s3.get_bucket_lifecycle_configuration(Bucket=buckets["llama-checkpoints"])["Rules"]
    assert rules[0]["Expiration"]["Days"] == 7 and rules[0]["Filter"]["Prefix"] == "scratch/"
    ssm = aws_client("ssm", engine_moto)
    token = ssm.get_parameter(Name="/runctl/llama-local/ci/HF_TOKEN", WithDecryption=True)["Parameter"]
    assert token["Type"] == "SecureString" and token["Value"] == "fake-hf_token"

    stack.destroy(remove=True)
    assert live_instances(engine_moto, "llama-local") == {}
    retained = {k: v for k, v in buckets.items() if k != "_staging"}  # the staging bucket is scratch
    assert set(retained.values()) <= {b["Name"] for b in s3.list_buckets()["Buckets"]}  # retain: true
    assert buckets["_staging"] not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert not ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": ["/runctl/llama-local/"]}]
    )["Parameters"]


def _all_volumes(endpoint: str, project: str) -> list[dict[str, Any]]:
    ec2 = aws_client("ec2", endpoint)
    tag = [{"Name": "tag:runctl:project", "Values": [project]}]
    return list(ec2.describe_volumes(Filters=tag)["Volumes"])
