"""`runctl refresh`, `status`, `stacks`, `extend` through the fake Pulumi CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runctl_iac.engine.snapshot import read_applied
from runctl_iac.stackref import resolve_backend
from tests.cli.plan_helpers import SECRET_VALUE, invoke, write
from tests.engine import fake_pulumi as fp
from tests.engine.cli_fake import program_for, use_fake


@pytest.fixture
def applied(
    project: Path, monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None, moto_server: str
) -> fp.FakePulumi:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)  # STS: the account of bucket names
    monkeypatch.setenv("RUNCTL_PASSPHRASE", "cli-test-passphrase")
    monkeypatch.setenv("RUNCTL_OWNER", "alice")
    f = use_fake(monkeypatch, fp.FakePulumi())
    program_for(f, project / "spec.yaml")
    run = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert run.code == 0, run.stderr
    return f


def test_refresh_without_drift(applied: fp.FakePulumi) -> None:
    run = invoke("refresh", "spec.yaml", "--detailed-exitcode")
    assert run.code == 0, run.stderr
    assert "no drift" in run.stdout
    call = next(c for c in applied.calls if c[1] == "refresh")
    assert "--preview-only" in call


def test_refresh_reports_drift_with_exit_2(applied: fp.FakePulumi) -> None:
    res = applied.stacks["dev"].resources
    res["instance.gpu.0"]["drift"] = {"instanceType": "g5.2xlarge"}
    res["volume.data.gpu.0"]["gone"] = True
    run = invoke("refresh", "spec.yaml", "--detailed-exitcode")
    assert run.code == 2, run.stderr
    assert "drift in demo/dev: 2 resource(s)" in run.stdout
    assert "instance_type" in run.stdout and "no longer exists in AWS" in run.stdout
    doc = invoke("refresh", "spec.yaml", "--output", "json").json()
    assert doc["drift"] is True and {c["id"] for c in doc["changes"]} == {
        "instance.gpu.0",
        "volume.data.gpu.0",
    }
    assert invoke("refresh", "spec.yaml", "--update-state").code == 0
    assert "volume.data.gpu.0" not in applied.stacks["dev"].resources
    assert invoke("refresh", "spec.yaml", "--detailed-exitcode").code == 0


def test_status_text_and_json(applied: fp.FakePulumi) -> None:
    run = invoke("status", "spec.yaml")
    assert run.code == 0, run.stderr
    assert "last update: update succeeded" in run.stdout
    assert "expires: in 3h59m" in run.stdout or "expires: in 4h00m" in run.stdout
    assert "/hour now" in run.stdout and "instance.gpu.0" in run.stdout
    doc = invoke("status", "--project", "demo", "--stack", "dev", "--output", "json").json()
    assert doc["last_update"]["result"] == "succeeded"
    assert doc["hourly_usd"] and doc["expires_in_seconds"] > 3 * 3600
    assert {r["id"] for r in doc["resources"]} >= {"instance.gpu.0", "bucket.results"}
    assert doc["outputs"]["buckets"]["results"] == "runctl-demo-dev-results-0a1b2c3d"
    assert SECRET_VALUE not in run.stdout + json.dumps(doc)


def test_status_shows_pending_operations(applied: fp.FakePulumi) -> None:
    applied.stacks["dev"].pending = [
        {
            "resource": {
                "urn": "urn:pulumi:dev::demo::aws:ec2/instance:Instance::instance.gpu.1",
                "type": "aws:ec2/instance:Instance",
            },
            "type": "creating",
        }
    ]
    run = invoke("status", "spec.yaml")
    assert "pending operations" in run.stdout and "instance.gpu.1" in run.stdout and "creating" in run.stdout


def test_stacks_lists_expiry_and_owner(applied: fp.FakePulumi) -> None:
    run = invoke("stacks")
    assert run.code == 0, run.stderr
    assert "demo" in run.stdout and "alice" in run.stdout
    doc = invoke("stacks", "--output", "json").json()
    (row,) = doc["stacks"]
    assert row["project"] == "demo" and row["stack"] == "dev" and row["owner"] == "alice"
    assert row["expires_at"] and row["resource_count"] and row["last_update"]
    ls = next(c for c in applied.calls if c[1:3] == ["stack", "ls"])
    assert "--all" in ls and "--json" in ls


def test_extend_moves_the_expiry_and_retags(applied: fp.FakePulumi, project: Path) -> None:
    before = read_applied("demo", "dev", resolve_backend(project, environ={}))
    assert before is not None
    ups = sum(1 for c in applied.calls if c[1] == "up")
    run = invoke("extend", "spec.yaml", "--by", "4h")
    assert run.code == 0, run.stderr
    after = read_applied("demo", "dev", resolve_backend(project, environ={}))
    assert after is not None
    from runctl_iac.engine.driver import parse_rfc3339

    old = parse_rfc3339(before.config["runctl:expiresAt"])
    new = parse_rfc3339(after.config["runctl:expiresAt"])
    assert old and new and (new - old).total_seconds() == 4 * 3600
    assert applied.stacks["dev"].tags["runctl:expires-at"] == after.config["runctl:expiresAt"]
    assert sum(1 for c in applied.calls if c[1] == "up") == ups + 1
    again = invoke("apply", "spec.yaml", "--yes", "--no-launch")  # a later apply keeps the extended expiry
    assert again.code == 0
    kept = read_applied("demo", "dev", resolve_backend(project, environ={}))
    assert kept is not None and kept.config["runctl:expiresAt"] == after.config["runctl:expiresAt"]
    assert invoke("extend", "spec.yaml", "--by", "soon").code == 1


@pytest.mark.parametrize("command", ["status", "refresh", "destroy", "extend", "cancel", "recover"])
def test_stack_commands_on_a_local_spec_without_the_emulator_are_diagnostics(
    cli_env: Path, command: str
) -> None:
    """No emulator running: E0712 with its hint, exit 1, no traceback (found through the real CLI)."""
    (cli_env / "runctl.toml").write_text("")
    write(cli_env / "local.yaml", "version: 1\nname: loc\ntarget: local\nbuckets:\n  results: {}\n")
    run = invoke(command, "local.yaml", *(["--by", "1h"] if command == "extend" else []))
    assert run.code == 1
    assert "error[E0712] the local emulator is not running" in run.stderr
