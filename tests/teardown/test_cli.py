"""`runctl resources` and `runctl gc` from the command line, on the moto server."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from runctl_iac.prices import catalog
from tests.cli.plan_helpers import invoke
from tests.teardown.seed import SECRET_VALUE, seed_stack, write_stack

WEST = "us-west-2"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "runctl.toml").write_text(f'regions = ["{WEST}"]\n')
    return tmp_path


def test_resources_json_and_text(aws: str, here: Path, project: str) -> None:
    seed_stack(project, "dev", WEST, instance_type="p4d.24xlarge")
    seed_stack(project, "ci", WEST, instance_type="g5.xlarge", iam=False)
    run = invoke("resources", "--project", project, "-o", "json")
    assert run.code == 0, run.stderr
    doc = run.json()
    assert doc["version"] == 1 and doc["regions"] == [WEST]  # from runctl.toml
    kinds = sorted({r["type"] for r in doc["resources"]})
    assert kinds == [
        "bucket",
        "instance",
        "instance-profile",
        "parameter",
        "role",
        "security-group",
        "volume",
    ]
    first = doc["resources"][0]
    p4d = catalog().instance_hourly(WEST, "p4d.24xlarge")
    assert (first["type"], Decimal(first["hourly_usd"])) == ("instance", p4d)  # sorted by cost
    assert [s["stack"] for s in doc["stacks"]] == ["dev", "ci"]  # totals per stack, by cost
    assert Decimal(doc["total_hourly_usd"]) == sum(Decimal(s["hourly_usd"]) for s in doc["stacks"])
    text = invoke("resources", "--project", project, "--stack", "ci").stdout
    assert "g5.xlarge" not in text and "p4d" not in text  # ids and types, not a dump
    assert f"  {project}/ci" in text and "Total: $" in text and "/dev" not in text
    assert SECRET_VALUE not in run.stdout + text


def test_gc_dry_run_then_yes(aws: str, here: Path, project: str) -> None:
    seed_stack(project, "pr-7", WEST, iam=False, bucket_objects=0)
    (here / ".runctl" / "state").mkdir(parents=True)
    dry = invoke("gc", "--orphans", "--project", project, "--min-age", "0")
    assert dry.code == 0, dry.stderr
    assert dry.stdout.startswith("runctl gc (dry run): would remove 5 item(s), saving $")
    assert "terminate" in dry.stdout and "Run again with --yes" in dry.stdout
    assert not (here / ".runctl" / "audit.jsonl").exists()
    done = invoke("gc", "--orphans", "--project", project, "--min-age", "0", "--yes", "-o", "json")
    assert done.code == 0, done.stderr
    doc = done.json()
    assert [o["result"] for o in doc["outcomes"]] == ["ok"] * 5
    assert doc["audit_log"].endswith(".runctl/audit.jsonl")
    assert len((here / ".runctl" / "audit.jsonl").read_text().splitlines()) == 5
    again = invoke("gc", "--project", project, "--min-age", "0", "--yes")
    assert again.code == 0 and again.stdout.startswith("runctl gc (dry run): nothing to remove.")


def test_gc_refuses_a_running_job_and_reports_young_resources(aws: str, here: Path, project: str) -> None:
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    status = {"state": "running", "heartbeat": now.isoformat()}
    seed_stack(project, "train", WEST, iam=False, expires=now - dt.timedelta(hours=1), staging_status=status)
    write_stack(here / "state", project, "train", expires=now - dt.timedelta(hours=1))
    out = invoke("gc", "--project", project, "--backend", str(here / "state"), "--min-age", "0").stdout
    assert "nothing to remove" in out and "job r1 is running" in out and "--force" in out
    seed_stack(project, "fresh", WEST, iam=False)
    out = invoke("gc", "--project", project, "--backend", str(here / "state")).stdout
    assert "younger than --min-age" in out


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["--dry-run", "--yes"], "E0904", "contradict"),
        (["--min-age", "soon"], "E0904", "not a duration"),
        (["--backend", "https://api.pulumi.com"], "E0902", "cannot read stacks"),
        (["--region", "us-west-2", "--backend", "/nonexistent/state"], "E0902", "does not exist"),
    ],
)
def test_gc_usage_errors(aws: str, here: Path, args: list[str], code: str, text: str) -> None:
    run = invoke("gc", *args)
    assert run.code == 1
    assert f"error[{code}]" in run.stderr and text in run.stderr


def test_no_region_anywhere(aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    run = invoke("resources")
    assert run.code == 1 and "error[E0901]" in run.stderr and "--region" in run.stderr


def test_no_credentials_is_a_diagnostic(
    no_aws_credentials: None, here: Path, monkeypatch: pytest.MonkeyPatch, moto_server: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    run = invoke("resources")
    assert run.code == 1 and "error[E0903]" in run.stderr and "credentials" in run.stderr


def test_json_is_parseable_when_empty(aws: str, here: Path, project: str) -> None:
    (here / ".runctl" / "state").mkdir(parents=True)
    doc = json.loads(invoke("gc", "--project", project, "-o", "json").stdout)
    assert doc["dry_run"] and doc["delete"] == [] and doc["hourly_usd_saved"] == "0"
