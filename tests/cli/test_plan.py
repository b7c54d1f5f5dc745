"""`runctl plan`: exit codes, bases, --out, guardrails, data loss, and no secret in any output."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from runctl_iac.compiler import compile as compile_spec
from runctl_iac.plan.base import write_snapshot
from runctl_iac.spec import load_spec_or_raise
from tests.cli.plan_helpers import BASE_SPEC, SECRET_VALUE, invoke, validate_plan, write


def _apply_snapshot(project: Path, spec_text: str = BASE_SPEC) -> None:
    write(project / "applied.yaml", spec_text)
    graph, _ = compile_spec(load_spec_or_raise(project / "applied.yaml"))
    write_snapshot(graph, project)


def test_first_plan_creates_everything(project: Path) -> None:
    run = invoke("plan", "spec.yaml")
    assert run.code == 0
    assert "base: none (nothing applied yet: everything is created)" in run.stdout
    assert "    + instance.gpu.0 (aws:ec2/instance:Instance)" in run.stdout
    assert "to update, 0 to replace, 0 to delete." in run.stdout
    assert "Cost estimate (us-east-1)" in run.stdout


def test_detailed_exitcode_changes_then_none(project: Path) -> None:
    assert invoke("plan", "spec.yaml", "--detailed-exitcode").code == 2
    _apply_snapshot(project)
    run = invoke("plan", "spec.yaml", "--detailed-exitcode")
    assert run.code == 0, run.stdout
    assert "No changes." in run.stdout
    assert "base: last applied snapshot .runctl/snapshots/demo/dev.json" in run.stdout.replace(
        str(project) + "/", ""
    )


def test_detailed_exitcode_blocked_is_1(project: Path) -> None:
    write(project / "spec.yaml", BASE_SPEC.replace("max_hourly_usd: 5", "max_hourly_usd: 0.5"))
    run = invoke("plan", "spec.yaml", "--detailed-exitcode")
    assert run.code == 1
    assert "error[E0501] budget.max_hourly_usd" in run.stdout
    assert "spec.yaml:6:19" in run.stdout
    assert "Plan blocked" in run.stdout


def test_blocked_budget_in_json_and_markdown(project: Path) -> None:
    write(project / "spec.yaml", BASE_SPEC.replace("max_hourly_usd: 5", "max_hourly_usd: 0.5"))
    run = invoke("plan", "spec.yaml", "-o", "json")
    assert run.code == 1
    doc = run.json()
    validate_plan(doc)
    assert doc["blocked"] is True
    assert [f["code"] for f in doc["findings"] if f["severity"] == "error"] == ["E0501"]
    md = invoke("plan", "spec.yaml", "-o", "markdown")
    assert md.code == 1
    assert md.stdout.startswith("<!-- runctl-plan: demo/dev -->\n")
    assert "**Blocked**" in md.stdout


def test_out_writes_json_whatever_the_output(project: Path) -> None:
    run = invoke("plan", "spec.yaml", "--out", "plan.json", "-o", "markdown")
    assert run.code == 0
    assert run.stdout.startswith("<!-- runctl-plan:")
    doc = json.loads((project / "plan.json").read_text())
    validate_plan(doc)
    assert doc["project"] == "demo" and doc["stack"] == "dev"
    assert doc["base"] == {"kind": "none", "ref": None, "spec_hash": None}
    assert doc["summary"]["create"] == len(doc["changes"]) > 0
    graph, _ = compile_spec(load_spec_or_raise(project / "spec.yaml"))
    assert doc["spec_hash"] == graph.spec_hash()


def test_against_file_and_data_loss(project: Path) -> None:
    old = write(project / "old.yaml", BASE_SPEC.replace("  results: {}", "  results: {}\n  scratch: {}"))
    graph, _ = compile_spec(load_spec_or_raise(old))
    (project / "old.json").write_text(graph.dumps())
    run = invoke("plan", "spec.yaml", "--against", "old.json")
    assert run.code == 0
    assert "    - bucket.scratch (aws:s3/bucket:Bucket)" in run.stdout
    assert "!! data loss: bucket.scratch will be deleted; its data is lost" in run.stdout
    assert "warning[W0507]" in run.stdout
    blocked = invoke("plan", "spec.yaml", "--against", "old.json", "--fail-on-data-loss", "-o", "json")
    assert blocked.code == 1
    doc = blocked.json()
    validate_plan(doc)
    assert doc["blocked"] is True and doc["summary"]["data_loss"] == 1
    assert "E0507" in {f["code"] for f in doc["findings"]}


def test_retained_bucket_is_not_data_loss(project: Path) -> None:
    retained = BASE_SPEC.replace("  results: {}", "  results: {}\n  keep:\n    retain: true")
    write(project / "old.yaml", retained)
    run = invoke("plan", "spec.yaml", "--against", "old.yaml", "--fail-on-data-loss")
    assert run.code == 0, run.stdout
    assert "    - bucket.keep (aws:s3/bucket:Bucket)  # " in run.stdout
    assert "data loss: bucket.keep" not in run.stdout


def test_replacement_shown_with_forcing_property(project: Path) -> None:
    write(
        project / "old.yaml",
        BASE_SPEC.replace("size_gb: 100", "size_gb: 100\n    from_snapshot: snap-0123456789abcdef0"),
    )
    run = invoke("plan", "spec.yaml", "--against", "old.yaml")
    assert run.code == 0
    assert "  -/+ volume.data.gpu.0 (aws:ebs/volume:Volume)" in run.stdout
    assert "# forces replacement" in run.stdout
    assert "!! data loss: volume.data.gpu.0 will be replaced" in run.stdout


def test_engine_without_the_cli_is_a_clear_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(project))
    monkeypatch.setenv("HOME", str(project))
    monkeypatch.setenv("RUNCTL_PASSPHRASE", "x")
    run = invoke("plan", "spec.yaml", "--engine")
    assert run.code == 1
    assert "E0701" in run.stderr and "runctl doctor --install" in run.stderr
    assert run.stdout == ""
    both = invoke("plan", "spec.yaml", "--engine", "--offline")
    assert both.code == 1 and "cannot be used together" in both.stderr
    assert invoke("plan", "spec.yaml", "--offline").code == 0


def test_usage_errors_exit_1(project: Path) -> None:
    run = invoke("plan", "spec.yaml", "--against", "x.json", "--base", "HEAD")
    assert run.code == 1 and "cannot be used together" in run.stderr
    missing = invoke("plan", "spec.yaml", "--against", "nope.json")
    assert missing.code == 1 and "E0101" in missing.stderr  # an unreadable base file is E0101, as for a spec
    bad = invoke("plan", "spec.yaml", "-o", "yaml")
    assert bad.code != 0


def test_invalid_spec_prints_diagnostics(project: Path) -> None:
    write(project / "bad.yaml", BASE_SPEC.replace("type: g5.xlarge", "typo: g5.xlarge"))
    run = invoke("plan", "bad.yaml")
    assert run.code == 1
    assert "bad.yaml:" in run.stderr and "error[E02" in run.stderr
    assert run.stdout == ""


def test_secret_value_never_in_any_output(project: Path) -> None:
    _apply_snapshot(project, BASE_SPEC.replace("[HF_TOKEN]", "[OTHER]"))
    for fmt in ("text", "json", "markdown"):
        run = invoke("plan", "spec.yaml", "-o", fmt, "--out", f"p-{fmt}.json")
        assert run.code == 0
        assert "secret.HF_TOKEN" in run.stdout
        assert SECRET_VALUE not in run.stdout + run.stderr
        assert SECRET_VALUE not in (project / f"p-{fmt}.json").read_text()
    text = invoke("plan", "spec.yaml").stdout
    assert "value       = (secret)" in text


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_base(project: Path) -> None:
    _git(project, "init", "-q")
    _git(project, "add", "spec.yaml")
    _git(project, "commit", "-q", "-m", "base")
    write(project / "spec.yaml", BASE_SPEC.replace("type: g5.xlarge", "type: g5.2xlarge"))
    run = invoke("plan", "spec.yaml", "--base", "HEAD", "--detailed-exitcode", "--out", "p.json")
    assert run.code == 2, run.stdout + run.stderr
    assert "base: git ref HEAD (sha256:" in run.stdout
    assert 'instance_type     = "g5.xlarge" → "g5.2xlarge"' in run.stdout
    assert 'values = ["g5.xlarge"]}], location_type = "availability-zone").min(locations) →' in run.stdout
    doc = json.loads((project / "p.json").read_text())
    assert doc["base"]["kind"] == "git" and doc["summary"]["update"] >= 1
    assert float(doc["cost"]["delta"]["hourly"]) > 0
    unknown = invoke("plan", "spec.yaml", "--base", "no-such-ref")
    assert unknown.code == 1 and "E0511" in unknown.stderr
