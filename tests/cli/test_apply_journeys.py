"""Issue 21 through the fake Pulumi CLI: plan and apply refresh before the preview (--no-refresh
skips it), a locked stack is E0702 before any preview, --no-launch announces no job, cancel with
nothing locked says so, and re-applying an expired stack warns how to extend it."""

from __future__ import annotations

from pathlib import Path

from tests.cli.plan_helpers import invoke
from tests.engine import fake_pulumi as fp


def _ops(fake: fp.FakePulumi, op: str) -> list[list[str]]:
    return [c for c in fake.calls if c[1] == op]


def test_apply_and_plan_refresh_before_the_preview_by_default(fake: fp.FakePulumi) -> None:
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    [preview] = _ops(fake, "preview")
    [up] = _ops(fake, "up")
    assert "--refresh" in preview and "--refresh" in up
    plan = invoke("plan", "spec.yaml", "--engine")
    assert plan.code == 0, plan.stderr
    assert "--refresh" in _ops(fake, "preview")[-1]


def test_no_refresh_previews_and_applies_the_state_as_recorded(fake: fp.FakePulumi) -> None:
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch", "--no-refresh").code == 0
    assert "--refresh" not in _ops(fake, "preview")[-1] and "--refresh" not in _ops(fake, "up")[-1]
    assert invoke("plan", "spec.yaml", "--engine", "--no-refresh").code == 0
    assert "--refresh" not in _ops(fake, "preview")[-1]


def test_a_locked_stack_is_refused_before_any_preview(fake: fp.FakePulumi) -> None:
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    previews = len(_ops(fake, "preview"))
    fake.stacks["dev"].locked = True  # another apply is running: its lock file is in the backend
    run = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert run.code == 1
    assert "error[E0702]" in run.stderr
    assert "(ci@runner-7, pid 4242, since 2026-11-27T06:00:00Z)" in run.stderr
    assert "runctl plan" not in run.stdout and "update done" not in run.stdout  # no stale preview
    assert len(_ops(fake, "preview")) == previews and not _ops(fake, "up")[1:]


def test_no_launch_neither_announces_nor_counts_the_job(fake: fp.FakePulumi) -> None:
    run = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert run.code == 0, run.stderr
    assert "--no-launch: the training job is not launched (`runctl launch spec.yaml` starts it)" in run.stdout
    assert "job" not in run.stdout.split("runctl will perform these actions:")[1].split("Plan:")[0]
    assert "will be launched" not in run.stdout
    resources = len(fake.program)
    assert f"Plan: {resources} to create, 0 to update" in run.stdout  # the job is not counted


def test_cancel_with_nothing_locked_says_there_was_nothing_to_cancel(fake: fp.FakePulumi) -> None:
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    run = invoke("cancel", "spec.yaml", "--yes")
    assert run.code == 0, run.stderr
    assert run.stdout == "nothing to cancel: no update of demo/dev holds the lock\n"
    assert not _ops(fake, "cancel")  # the lock files say so: the CLI is not asked to cancel


def test_reapplying_an_expired_stack_warns_and_says_how_to_extend(fake: fp.FakePulumi) -> None:
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    fake.stacks["dev"].config["runctl:expiresAt"] = {"value": "2020-01-01T00:00:00Z", "secret": False}
    run = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert run.code == 0, run.stderr
    assert "no changes" in run.stdout
    assert "warning[W0717] demo/dev expired" in run.stderr
    assert "applying again keeps its expiry (2020-01-01T00:00:00Z)" in run.stderr
    assert "hint: keep it longer with `runctl extend spec.yaml --stack dev --by 4h`" in run.stderr
    fresh = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert "W0717" in fresh.stderr  # still expired: applying does not move the expiry


def test_a_missing_code_folder_is_a_located_error_before_anything_is_spent(
    fake: fp.FakePulumi, project: Path
) -> None:
    spec = project / "spec.yaml"
    run_line = "  run: python train.py"
    spec.write_text(spec.read_text().replace(run_line, f"  code: ./src\n{run_line}"))
    line = spec.read_text().splitlines().index("  code: ./src") + 1
    located = f"spec.yaml:{line}:9: error[E0320] training.code: local folder './src' does not exist"
    for command in (["validate"], ["plan", "--offline"], ["apply", "--yes"]):
        run = invoke(*command, "spec.yaml")
        assert run.code == 1, command
        assert located in run.stderr + run.stdout, command
    assert fake.calls == []  # apply stopped before the engine was asked anything
    (project / "src").mkdir()
    assert invoke("validate", "spec.yaml").code == 0


def test_a_plan_on_the_local_target_announces_no_job(cli_env: Path) -> None:
    from tests.engine.real import ROOT

    (cli_env / "local.yaml").write_text((ROOT / "examples" / "local.yaml").read_text())
    run = invoke("plan", "local.yaml", "--offline")
    assert run.code == 0, run.stderr
    assert "job" not in run.stdout.split("Plan:")[0] and "will be launched" not in run.stdout
