"""Hand-built Plans covering every change kind, shared by the renderer tests."""

from __future__ import annotations

import json
from decimal import Decimal

from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.plan.model import (
    Action,
    Change,
    Changes,
    CostEstimate,
    CostLine,
    Plan,
    PlanBase,
    PropertyChange,
)

HASH_NEW = "sha256:" + "ab" * 32
HASH_OLD = "sha256:" + "cd" * 32
SECRET_VALUE = "hf_s3cr3t_value_never_printed"

INSTANCE = "aws:ec2/instance:Instance"
VOLUME = "aws:ebs/volume:Volume"
BUCKET = "aws:s3/bucket:Bucket"
PARAM = "aws:ssm/parameter:Parameter"
SG = "aws:ec2/securityGroup:SecurityGroup"


def _cost(hourly: str, per_run: str | None, run_hours: str | None, **kw: object) -> CostEstimate:
    h = Decimal(hourly)
    return CostEstimate(
        region="us-east-1",
        lines=kw.pop("lines", ()),  # type: ignore[arg-type]
        hourly_usd=h,
        run_hours=Decimal(run_hours) if run_hours else None,
        per_run_usd=Decimal(per_run) if per_run else None,
        monthly_usd=h * 730,
        **kw,  # type: ignore[arg-type]
    )


def mixed_plan() -> Plan:
    """Every change kind: create, update, replace (data loss), delete, retained delete, secret, findings."""
    changes = (
        Change(
            "instance.trainer.1",
            INSTANCE,
            Action.CREATE,
            (
                PropertyChange("ami", None, "ami-0123456789abcdef0"),
                PropertyChange("instance_type", None, "g5.12xlarge"),
                PropertyChange("vpc_security_group_ids", None, [{"$ref": "sg.trainer.id"}]),
            ),
        ),
        Change(
            "instance.trainer.0",
            INSTANCE,
            Action.UPDATE,
            (
                PropertyChange("instance_type", "g5.2xlarge", "g5.12xlarge"),
                PropertyChange("root_block_device.volume_size", 200, 300),
            ),
            note="stop/start of the instance",
        ),
        Change(
            "volume.data.trainer.0",
            VOLUME,
            Action.REPLACE,
            (
                PropertyChange("availability_zone", "us-east-1a", "us-east-1b", replaces=True),
                PropertyChange("size", 500, 600),
            ),
            data_loss=True,
        ),
        Change("volume.data.trainer.0.unchanged", VOLUME, Action.NOOP),
        Change(
            "bucket.logs",
            BUCKET,
            Action.DELETE,
            (PropertyChange("bucket", "llama-dev-logs", None),),
            data_loss=True,
        ),
        Change("bucket.ckpt", BUCKET, Action.DELETE, retained=True),
        Change(
            "secret.HF_TOKEN",
            PARAM,
            Action.UPDATE,
            (PropertyChange("value", {"$secret": "HF_TOKEN"}, SECRET_VALUE, secret=True),),
        ),
        Change("sg.trainer", SG, Action.NOOP),
    )
    cost = _cost(
        "11.4138",
        "91.31",
        "8",
        lines=(
            CostLine(
                "instance.trainer.0", "instance", "g5.12xlarge spot (estimate)", Decimal("2.2684"), True
            ),
            CostLine("instance.trainer.1", "instance", "g5.12xlarge on-demand", Decimal("5.672"), False),
            CostLine("volume.data.trainer.0", "volume", "gp3 600 GB", Decimal("0.0657"), False),
            CostLine("instance.eval.0", "instance", "x9.huge (price unknown)", None, False),
        ),
        incomplete=True,
        notes=("spot price assumed 60% below on-demand",),
    )
    base_cost = _cost("5.7377", "45.90", "8")
    findings = (
        Diagnostic(
            Severity.WARNING,
            "W0507",
            "volume.data.trainer.0 will be replaced; its data is lost",
            "examples/llama.yaml",
            14,
            5,
            "volumes.data",
            "set retain: true to keep it",
        ),
        Diagnostic(
            Severity.ERROR,
            "E0501",
            "hourly cost $11.41 exceeds budget.max_hourly_usd $10",
            "stacks/dev.yaml",
            3,
            19,
            "budget.max_hourly_usd",
            "raise the budget or use smaller instances",
        ),
        Diagnostic(
            Severity.WARNING, "W0509", "no price for x9.huge in us-east-1", path="instances.eval.type"
        ),
    )
    return Plan(
        project="llama",
        stack="dev",
        spec_hash=HASH_NEW,
        base=PlanBase("file", "base.json", HASH_OLD),
        changes=Changes(changes),
        cost=cost,
        base_cost=base_cost,
        findings=findings,
    )


def initial_plan() -> Plan:
    """Nothing applied yet: everything is created; no findings; complete cost."""
    changes = (
        Change(
            "instance.box.0", INSTANCE, Action.CREATE, (PropertyChange("instance_type", None, "g5.xlarge"),)
        ),
        Change("bucket.data", BUCKET, Action.CREATE, (PropertyChange("bucket", None, "quick-ci-data"),)),
    )
    cost = _cost(
        "1.0330",
        None,
        None,
        lines=(
            CostLine("instance.box.0", "instance", "g5.xlarge on-demand", Decimal("1.006"), False),
            CostLine("instance.box.0", "root-disk", "gp3 200 GB", Decimal("0.0219"), False),
            CostLine("bucket.data", "bucket", "S3 standard (storage billed by use)", Decimal("0"), False),
        ),
    )
    return Plan("quick", "ci", HASH_NEW, PlanBase("none"), Changes(changes), cost)


def unchanged_plan() -> Plan:
    """A snapshot base equal to the spec: no changes, zero delta."""
    changes = (Change("instance.box.0", INSTANCE, Action.NOOP), Change("bucket.data", BUCKET, Action.NOOP))
    cost = _cost(
        "1.0330", "8.26", "8", lines=(CostLine("instance.box.0", "instance", "g5.xlarge", Decimal("1.006")),)
    )
    return Plan(
        "quick",
        "dev",
        HASH_NEW,
        PlanBase("snapshot", ".runctl/snapshots/quick/dev.json", HASH_NEW),
        Changes(changes),
        cost,
        base_cost=cost,
    )


def _policy(*statements: dict[str, object]) -> str:
    """An IAM document as the compiler writes it (compiler.groups.policy_json: one compact line)."""
    return json.dumps(
        {"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True, separators=(",", ":")
    )


def drift_plan() -> Plan:
    """An engine preview after drift and a spec edit: a role policy gains a bucket and a statement,
    an instance's removed tag is put back and a tag changes, a bucket deleted by hand is re-created."""
    arns = ["arn:aws:s3:::runctl-demo-dev-data-0a1b2c3d"]
    more = [*arns, "arn:aws:s3:::runctl-demo-dev-logs-0a1b2c3d"]
    params = {
        "Sid": "ReadStackParameters",
        "Effect": "Allow",
        "Action": ["ssm:GetParameter", "ssm:GetParameters"],
    }
    params["Resource"] = "arn:aws:ssm:us-east-1:*:parameter/runctl/demo/dev/*"
    old_policy = _policy(
        {"Sid": "ListOwnBuckets", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": arns},
        params,
    )
    new_policy = _policy(
        {"Sid": "ListOwnBuckets", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": more},
        {
            "Sid": "ReadCode",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::shared-code/*",
        },
        {**params, "Action": ["ssm:GetParameter"]},
    )
    tags = {"Name": "demo-dev-trainer-0", "runctl:project": "demo", "team": "ml"}
    expires = {"runctl:expires-at": "2026-12-06T22:00:00Z"}
    changes = (
        Change(
            "instance.trainer.0",
            INSTANCE,
            Action.UPDATE,
            (
                PropertyChange("tags", tags, {**tags, "team": "research"}),
                PropertyChange("tags_all", tags, {**tags, **expires, "team": "research"}),
            ),
        ),
        Change("bucket.data", BUCKET, Action.CREATE),
        Change(
            "role.trainer.policy",
            "aws:iam/rolePolicy:RolePolicy",
            Action.UPDATE,
            (PropertyChange("policy", old_policy, new_policy),),
        ),
    )
    cost = _cost(
        "1.0060",
        None,
        None,
        lines=(CostLine("instance.trainer.0", "instance", "g5.xlarge", Decimal("1.006")),),
    )
    base = PlanBase("snapshot", ".runctl/snapshots/demo/dev.json", HASH_OLD)
    return Plan("demo", "dev", HASH_NEW, base, Changes(changes, source="engine"), cost, base_cost=cost)


PLANS = {"mixed": mixed_plan, "initial": initial_plan, "unchanged": unchanged_plan, "drift": drift_plan}
