"""Placement groups, which moto does not implement: the EC2 calls checked with botocore's Stubber."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from runctl_iac.teardown.audit import AuditLog, read_audit
from runctl_iac.teardown.discover import _Discovery, classify
from runctl_iac.teardown.gc import Deletion
from runctl_iac.teardown.model import Kind, ManagedResource
from runctl_iac.teardown.sweep import _Sweeper

ARN = "arn:aws:ec2:us-east-1:123456789012:placement-group/llama-dev-trainer"
TAGS = {"runctl:managed-by": "runctl", "runctl:project": "llama", "runctl:stack": "dev"}


class Clients:
    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, service: str, region: str) -> Any:
        return self.client


@pytest.fixture
def ec2(fake_aws_credentials: None) -> Any:
    return boto3.client("ec2", region_name="us-east-1")


def test_classify_arns() -> None:
    assert classify(ARN) == (Kind.PLACEMENT_GROUP, "llama-dev-trainer")
    assert classify("arn:aws:ssm:us-east-1:1:parameter/runctl/llama/dev/HF_TOKEN") == (
        Kind.PARAMETER,
        "/runctl/llama/dev/HF_TOKEN",
    )
    assert classify("arn:aws:ssm:us-east-1:1:parameter/plain") == (Kind.PARAMETER, "plain")
    assert classify("arn:aws:s3:::bucket-a") == (Kind.BUCKET, "bucket-a")
    assert classify("arn:aws:sqs:us-east-1:1:queue")[0] is Kind.OTHER


def test_found_and_deleted(ec2: Any, tmp_path: Path) -> None:
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_placement_groups",
            {
                "PlacementGroups": [
                    {"GroupName": "llama-dev-trainer", "State": "available", "Strategy": "cluster"}
                ]
            },
            {"GroupNames": ["llama-dev-trainer"]},
        )
        stub.add_response("delete_placement_group", {}, {"GroupName": "llama-dev-trainer"})
        stub.add_client_error("delete_placement_group", "InvalidPlacementGroup.Unknown", http_status_code=400)
        finder = _Discovery(Clients(ec2), None, None)  # type: ignore[arg-type]
        found = finder._placement_groups(ec2, "us-east-1", {"llama-dev-trainer": (ARN, TAGS)})
        assert [(r.kind, r.id, r.details["strategy"]) for r in found] == [
            (Kind.PLACEMENT_GROUP, "llama-dev-trainer", "cluster")
        ]
        audit = AuditLog(tmp_path / "audit.jsonl")
        sweeper = _Sweeper(Clients(ec2), audit, "us-east-1")  # type: ignore[arg-type]
        deletion = Deletion(found[0], "orphan", None)
        first = sweeper.sweep([deletion])
        again = sweeper.sweep([deletion])  # already gone: done, not failed
    assert [(o.result, o.error) for o in first + again] == [("ok", None), ("gone", None)]
    assert [line["result"] for line in read_audit(tmp_path / "audit.jsonl")] == ["ok", "gone"]


def test_an_endpoint_that_cannot_list_them_is_a_warning(ec2: Any) -> None:
    with Stubber(ec2) as stub:
        stub.add_client_error("describe_placement_groups", "InternalError", "not implemented", 500)
        stub.add_client_error("describe_placement_groups", "UnauthorizedOperation", "no", 403)
        finder = _Discovery(Clients(ec2), None, None)  # type: ignore[arg-type]
        assert finder._placement_groups(ec2, "us-east-1", {"pg": (ARN, TAGS)}) == []
        assert finder.warnings == [
            "placement groups in us-east-1 could not be listed (InternalError: not implemented);"
            " the result may be incomplete"
        ]
        with pytest.raises(Exception, match="UnauthorizedOperation"):
            finder._placement_groups(ec2, "us-east-1", {"pg": (ARN, TAGS)})


def test_a_failed_deletion_is_recorded_and_the_sweep_goes_on(ec2: Any, tmp_path: Path) -> None:
    sg = ManagedResource(Kind.SECURITY_GROUP, "sg-1", "us-east-1", TAGS)
    pg = ManagedResource(Kind.PLACEMENT_GROUP, "pg", "us-east-1", TAGS)
    with Stubber(ec2) as stub:  # order: placement groups before security groups
        stub.add_client_error("delete_placement_group", "Throttling", "slow down", 400)
        stub.add_response("delete_security_group", {}, {"GroupId": "sg-1"})
        sweeper = _Sweeper(Clients(ec2), AuditLog(tmp_path / "a.jsonl"), "us-east-1")  # type: ignore[arg-type]
        outcomes = sweeper.sweep([Deletion(sg, "orphan", None), Deletion(pg, "orphan", None)])
    assert [(o.what, o.result) for o in outcomes] == [
        ("placement-group pg (us-east-1)", "failed"),
        ("security-group sg-1 (us-east-1)", "ok"),
    ]
    assert outcomes[0].error == "Throttling: slow down"
