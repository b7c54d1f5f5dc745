"""`runctl apply` and `runctl destroy` through the fake Pulumi CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runctl_iac.engine.apply import AppliedStack
from runctl_iac.engine.snapshot import read_applied
from runctl_iac.stackref import resolve_backend
from tests.cli.plan_helpers import SECRET_VALUE, invoke
from tests.engine import fake_pulumi as fp
from tests.engine.cli_fake import program_for, use_fake


def test_apply_without_terminal_needs_yes(fake: fp.FakePulumi) -> None:
    run = invoke("apply", "spec.yaml")
    assert run.code == 1
    assert "E0708" in run.stderr and "--yes" in run.stderr
    assert not any(c[1] == "up" for c in fake.calls)


def test_apply_yes_runs_up_writes_snapshot_and_prints_outputs(fake: fp.FakePulumi, project: Path) -> None:
    run = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert run.code == 0, run.stderr
    assert "(engine" in run.stdout or "engine" in run.stdout
    assert "created" in run.stdout and "update done in" in run.stdout
    assert "outputs:" in run.stdout and "instances:" in run.stdout
    assert SECRET_VALUE not in run.stdout + run.stderr
    applied = read_applied("demo", "dev", resolve_backend(project, environ={}))
    assert applied is not None
    assert applied.outputs["specHash"] == applied.spec_hash
    assert applied.config["aws:region"] == "us-east-1"
    assert "runctl:expiresAt" in applied.config
    assert fake.stacks["dev"].tags["runctl:expires-at"] == applied.config["runctl:expiresAt"]
    again = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert again.code == 0
    assert "no changes" in again.stdout
    assert json.loads(json.dumps(applied.outputs))  # plain JSON


def test_generated_passphrase_is_announced_once(
    project: Path, monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None, moto_server: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.delenv("RUNCTL_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    f = use_fake(monkeypatch, fp.FakePulumi())
    program_for(f, project / "spec.yaml")
    first = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert "Back it up" in first.stderr
    path = project / ".runctl" / "passphrase"
    assert path.stat().st_mode & 0o777 == 0o600
    value = path.read_text().strip()
    assert value not in first.stdout + first.stderr
    second = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert "Back it up" not in second.stderr
    assert f.envs[-1]["PULUMI_CONFIG_PASSPHRASE"] == value


def test_apply_with_a_matching_and_a_stale_plan(fake: fp.FakePulumi, project: Path) -> None:
    assert invoke("plan", "spec.yaml", "--out", "plan.json").code == 0
    ok = invoke("apply", "spec.yaml", "--yes", "--no-launch", "--plan", "plan.json")
    assert ok.code == 0, ok.stderr
    stale = invoke(
        "apply", "spec.yaml", "--yes", "--no-launch", "--plan", "plan.json"
    )  # the stack changed since
    assert stale.code == 1 and "E0709" in stale.stderr and "the stack changed" in stale.stderr
    spec = project / "spec.yaml"
    spec.write_text(spec.read_text().replace("size_gb: 100", "size_gb: 200"))
    assert invoke("plan", "spec.yaml", "--out", "plan2.json").code in (0, 2)
    spec.write_text(spec.read_text().replace("size_gb: 200", "size_gb: 300"))
    changed = invoke("apply", "spec.yaml", "--yes", "--no-launch", "--plan", "plan2.json")
    assert changed.code == 1 and "the spec changed" in changed.stderr


def test_apply_calls_the_launch_stage(fake: fp.FakePulumi, project: Path) -> None:
    from runctl_iac.cli.engine_common import TerminalUI
    from runctl_iac.compiler import compile as compile_spec
    from runctl_iac.engine.apply import ApplyRequest, run_apply
    from runctl_iac.engine.workspace import Target
    from runctl_iac.plan.config import ProjectConfig
    from runctl_iac.spec import load_spec_or_raise
    from runctl_iac.stackref import resolve_passphrase

    spec = load_spec_or_raise(project / "spec.yaml")
    graph, launch = compile_spec(spec)
    backend = resolve_backend(project, environ={})
    target = Target("demo", "dev", backend, resolve_passphrase(backend), command=fake)
    seen: list[AppliedStack] = []

    def after_up(applied: AppliedStack) -> int:
        seen.append(applied)
        return 0

    req = ApplyRequest(
        project / "spec.yaml",
        spec,
        graph,
        launch,
        target,
        ProjectConfig(),
        yes=True,
        after_up=after_up,
        account_lookup=lambda: "123456789012",
    )
    assert run_apply(req, TerminalUI()) == 0
    assert seen and seen[0].outputs["instances"] and seen[0].graph is graph
    req.no_launch = True
    seen.clear()
    assert run_apply(req, TerminalUI()) == 0
    assert not seen


def test_destroy_lists_retained_and_removes_the_stack(fake: fp.FakePulumi, project: Path) -> None:
    spec = project / "spec.yaml"
    text = spec.read_text().replace("  results: {}", "  results:\n    retain: true")
    spec.write_text(text.replace("    type: gp3\n", "    type: gp3\n    retain: true\n"))
    program_for(fake, spec)
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    state = fake.stacks["dev"].resources
    assert state["volume.data.gpu.0"].get("protect") and state["volume.data.gpu.0"].get("retainOnDelete")
    no_yes = invoke("destroy", "spec.yaml")
    assert no_yes.code == 1 and "E0708" in no_yes.stderr
    run = invoke("destroy", "--project", "demo", "--stack", "dev", "--yes")
    assert run.code == 0, run.stderr
    retained = run.stdout.split("retained (stay in AWS")[1]
    assert "bucket.results  id-bucket.results  storage billed per GB-month" in retained
    assert "volume.data.gpu.0  id-volume.data.gpu.0  $" in retained and "/month" in retained
    assert "- volume.data.gpu.0" not in run.stdout and "- instance.gpu.0" in run.stdout
    unprotect = next(c for c in fake.calls if c[1:3] == ["state", "unprotect"])
    assert unprotect[-1].endswith("::volume.data.gpu.0")
    preview = next(c for c in fake.calls if c[1] == "destroy")
    assert "--preview-only" in preview and "--exclude-protected" in preview
    assert "stack demo/dev removed" in run.stdout
    assert "dev" not in fake.stacks
    assert read_applied("demo", "dev", resolve_backend(project, environ={})) is None


def test_destroy_of_an_unknown_stack(fake: fp.FakePulumi) -> None:
    run = invoke("destroy", "--project", "demo", "--stack", "nope", "--yes")
    assert run.code == 1 and "E0711" in run.stderr


def test_without_the_cli_apply_says_how_to_install(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNCTL_PASSPHRASE", "x")
    monkeypatch.setenv("PATH", str(project))
    monkeypatch.setenv("HOME", str(project))
    run = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert run.code == 1
    assert "E0701" in run.stderr and "runctl doctor --install" in run.stderr
    monkeypatch.delenv("RUNCTL_PASSPHRASE")  # nothing is generated for an apply that cannot run
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 1
    assert not (project / ".runctl" / "passphrase").exists()


def test_bucket_names_get_the_account_suffix_once(fake: fp.FakePulumi, project: Path) -> None:
    from runctl_iac.compiler.names import account_suffix

    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    suffix = account_suffix("123456789012", "us-east-1")  # moto's account
    assert fake.stacks["dev"].config["runctl:accountSuffix"]["value"] == suffix
    applied = read_applied("demo", "dev", resolve_backend(project, environ={}))
    assert applied is not None and applied.config["runctl:accountSuffix"] == suffix
    bucket = applied.graph.resources["bucket.results"].properties["bucket"]
    assert bucket == "runctl-demo-dev-results-<account>"  # the Graph keeps the placeholder
    plan = invoke("plan", "spec.yaml", "--detailed-exitcode")
    assert plan.code == 0, plan.stdout  # no change reported for the account part
    sets = sum(1 for c in fake.calls if "set-all" in c and any("accountSuffix" in a for a in c))
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    assert sum(1 for c in fake.calls if "set-all" in c and any("accountSuffix" in a for a in c)) == sets


def test_apply_without_credentials_is_E0704(
    project: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None
) -> None:
    monkeypatch.setenv("RUNCTL_PASSPHRASE", "x")
    f = use_fake(monkeypatch, fp.FakePulumi())
    program_for(f, project / "spec.yaml")
    run = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert run.code == 1 and "E0704" in run.stderr and "runctl doctor" in run.stderr


def test_blocked_plan_and_missing_secret_stop_before_the_engine(
    fake: fp.FakePulumi, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = project / "spec.yaml"
    text = spec.read_text()
    spec.write_text(text.replace("max_hourly_usd: 5", "max_hourly_usd: 0.5"))
    blocked = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert blocked.code == 1 and "E0501" in blocked.stdout + blocked.stderr
    assert fake.calls == []
    spec.write_text(text)
    monkeypatch.delenv("HF_TOKEN")
    missing = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert missing.code == 1 and "E0601" in missing.stderr
    assert fake.calls == []


def test_apply_runs_the_launch_stage_with_wait_and_yes(
    fake: fp.FakePulumi, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --no-launch, apply hands the applied stack to the launch layer (tested in tests/launch)
    and exits with its outcome: with --wait, the job's own."""
    import runctl_iac.launch as launch

    seen: list[tuple[Any, bool, bool]] = []

    def fake_launch(applied: Any, *, wait: bool = False, yes: bool = False, **_: Any) -> int:
        seen.append((applied, wait, yes))
        return 1  # e.g. a node failed

    monkeypatch.setattr(launch, "launch_after_apply", fake_launch)
    run = invoke("apply", "spec.yaml", "--yes", "--wait")
    assert run.code == 1
    [(applied, wait, yes)] = seen
    assert (wait, yes) == (True, True)
    assert applied.outputs and applied.launch_plan.nodes
    seen.clear()
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    assert seen == []
