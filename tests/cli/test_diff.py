"""`runctl diff OLD NEW` and `runctl diff --base REF SPEC`."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.plan_helpers import BASE_SPEC, SECRET_VALUE, invoke, validate_plan, write


@pytest.fixture
def project(cli_env: Path) -> Path:
    """A project holding old.yaml (BASE_SPEC), the side every diff compares against."""
    write(cli_env / "old.yaml", BASE_SPEC)
    return cli_env


def test_two_specs(project: Path) -> None:
    new = BASE_SPEC.replace("type: g5.xlarge", "type: g5.2xlarge").replace(
        "max_runtime: 2h", "max_runtime: 3h"
    )
    write(project / "new.yaml", new)
    run = invoke("diff", "old.yaml", "new.yaml")
    assert run.code == 0, run.stderr
    assert "base: file old.yaml (sha256:" in run.stdout
    assert "    ~ instance.gpu.0 (aws:ec2/instance:Instance)" in run.stdout
    assert "    ~ job (runctl:training:Job)" in run.stdout  # max_runtime changed
    assert "Plan: 0 to create, 2 to update, 0 to replace, 0 to delete." in run.stdout
    doc = invoke("diff", "old.yaml", "new.yaml", "-o", "json").json()
    validate_plan(doc)
    cost = doc["cost"]
    # each side is priced for its own run length: 3 h new, 2 h old
    # amounts are rounded to 6 places (plan.schema.json $defs/money): products agree within rounding
    q = Decimal("1e-5")
    assert abs(Decimal(cost["per_run"]) - Decimal(cost["hourly"]) * 3) < q
    assert abs(Decimal(cost["base"]["per_run"]) - Decimal(cost["base"]["hourly"]) * 2) < q
    assert Decimal(cost["delta"]["per_run"]) == Decimal(cost["per_run"]) - Decimal(cost["base"]["per_run"])
    assert Decimal(cost["delta"]["hourly"]) > 0


def test_identical_specs_detailed_exitcode(project: Path) -> None:
    write(project / "same.yaml", BASE_SPEC)
    run = invoke("diff", "old.yaml", "same.yaml", "--detailed-exitcode")
    assert run.code == 0
    assert "No changes." in run.stdout
    assert "delta vs base  +$0.0000" in run.stdout
    write(project / "new.yaml", BASE_SPEC.replace("disk_gb: 100", "disk_gb: 150"))
    assert invoke("diff", "old.yaml", "new.yaml", "--detailed-exitcode").code == 2


def test_data_loss_and_shrink(project: Path) -> None:
    write(project / "new.yaml", BASE_SPEC.replace("  results: {}\n", "  other: {}\n"))
    run = invoke("diff", "old.yaml", "new.yaml", "-o", "markdown")
    assert run.code == 0
    assert "> [!CAUTION]" in run.stdout and "`bucket.results` will be deleted" in run.stdout
    assert invoke("diff", "old.yaml", "new.yaml", "--fail-on-data-loss").code == 1
    # the deleted bucket exists only in the old spec: the finding points at its name there
    [line] = [ln for ln in invoke("diff", "old.yaml", "new.yaml").stdout.splitlines() if "[W0507]" in ln]
    key_line = BASE_SPEC.splitlines().index("  results: {}") + 1
    assert line.startswith(f"old.yaml:{key_line}:3: warning[W0507] buckets.results: ")
    write(project / "shrunk.yaml", BASE_SPEC.replace("size_gb: 100", "size_gb: 50"))
    shrink = invoke("diff", "old.yaml", "shrunk.yaml")
    assert shrink.code == 1
    assert "error[E0508]" in shrink.stdout


def test_argument_errors(project: Path) -> None:
    assert invoke("diff", "old.yaml").code == 1
    assert invoke("diff", "old.yaml", "old.yaml", "old.yaml").code == 1
    both = invoke("diff", "--base", "HEAD", "old.yaml", "old.yaml")
    assert both.code == 1 and "exactly one spec" in both.stderr
    missing = invoke("diff", "nope.yaml", "old.yaml")
    assert missing.code == 1 and "E0101" in missing.stderr


def test_secret_never_printed(project: Path) -> None:
    write(project / "new.yaml", BASE_SPEC.replace("[HF_TOKEN]", "[HF_TOKEN, WANDB_API_KEY]"))
    for fmt in ("text", "json", "markdown"):
        run = invoke("diff", "old.yaml", "new.yaml", "-o", fmt)
        assert run.code == 0
        assert "secret.WANDB_API_KEY" in run.stdout
        assert SECRET_VALUE not in run.stdout + run.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_base_new_file_and_change(project: Path) -> None:
    def git(*args: str) -> None:
        cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
        subprocess.run(cmd, cwd=project, check=True, capture_output=True)

    git("init", "-q")
    git("add", "old.yaml")
    git("commit", "-q", "-m", "first")
    write(project / "spec.yaml", BASE_SPEC)
    fresh = invoke("diff", "--base", "HEAD", "spec.yaml", "-o", "json")
    assert fresh.code == 0, fresh.stderr
    doc = fresh.json()
    assert doc["base"] == {"kind": "git", "ref": "HEAD", "spec_hash": None}
    assert doc["summary"]["create"] == len(doc["changes"])
    write(project / "old.yaml", BASE_SPEC.replace("disk_gb: 100", "disk_gb: 120"))
    changed = invoke("diff", "--base", "HEAD", "old.yaml")
    assert changed.code == 0
    assert "root_block_device.volume_size = 100 → 120" in changed.stdout


def test_runctl_diff_shows_the_role_policy_statement_by_statement(cli_env: Path) -> None:
    write(cli_env / "old.yaml", BASE_SPEC)
    write(cli_env / "new.yaml", BASE_SPEC.replace("  results: {}", "  results: {}\n  logs: {}"))
    run = invoke("diff", "old.yaml", "new.yaml")
    assert run.code == 0, run.stderr
    policy = run.stdout.split("~ role.gpu.policy")[1].split("\nPlan:")[0]
    assert "policy = (policy, changed statements):" in policy
    assert "~ statement ListOwnBuckets" in policy and "~ statement ReadWriteOwnObjects" in policy
    assert '+ Resource: "arn:aws:s3:::runctl-demo-dev-logs-' in policy
    assert max(len(line) for line in policy.splitlines()) < 120  # no 600-character JSON lines
