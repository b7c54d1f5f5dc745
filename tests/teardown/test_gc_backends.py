"""gc looks in every backend runctl knows for a project before it calls a resource an orphan, and a
folder with no state is "no stacks yet", never a failure (on the moto server)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.teardown.audit import AuditLog
from runctl_iac.teardown.gc import GcOptions, GcPlan, StackDestroy
from runctl_iac.teardown.sweep import execute
from tests.cli.plan_helpers import invoke
from tests.teardown.seed import seed_stack, write_stack

WEST = "us-west-2"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    (tmp_path / "runctl.toml").write_text(f'regions = ["{WEST}"]\n')
    return tmp_path


def test_a_live_local_stack_is_no_orphan(aws: str, here: Path, project: str) -> None:
    seed_stack(project, "dev", WEST, iam=False, bucket_objects=0)
    write_stack(here / ".runctl" / "local" / "state", project, "dev")
    (here / ".runctl" / "state").mkdir(parents=True)
    run = invoke("gc", "--orphans", "--project", project, "--min-age", "0", "--yes")
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("runctl gc (dry run): nothing to remove.")
    local = (here / ".runctl" / "local" / "state").resolve()
    assert f"its stack is in another backend runctl knows: file://{local}" in run.stdout


def test_a_backend_that_cannot_be_read_keeps_what_may_be_its_stacks(
    aws: str, here: Path, project: str
) -> None:
    seed_stack(project, "dev", WEST, iam=False, bucket_objects=0)
    (here / "runctl.toml").write_text(f'regions = ["{WEST}"]\nbackend = "s3://no-such-state-bucket/runctl"\n')
    (here / "state").mkdir()
    run = invoke("gc", "--orphans", "--project", project, "--backend", str(here / "state"), "--min-age", "0")
    assert run.code == 0, run.stderr
    assert "nothing to remove" in run.stdout
    assert "the backend s3://no-such-state-bucket/runctl cannot be read" in run.stdout


def test_orphans_of_a_named_project_are_swept_without_any_state(aws: str, here: Path, project: str) -> None:
    seed_stack(project, "pr-3", WEST, iam=False, bucket_objects=0)
    run = invoke("gc", "--orphans", "--project", project, "--min-age", "0")
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("runctl gc (dry run): would remove 5 item(s)")
    assert not (here / ".runctl").exists()  # the dry run wrote nothing


def test_orphans_without_a_project_or_any_stack_say_which_flag_to_add(aws: str, here: Path) -> None:
    run = invoke("gc", "--orphans", "--region", WEST)
    assert run.code == 1
    assert "error[E0904] --project: no stacks yet (looked in file://" in run.stderr
    assert "pass --project P" in run.stderr and "Traceback" not in run.stderr


def test_an_engine_diagnostic_is_told_as_such_never_as_a_repr(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    plan = GcPlan(now=now, options=GcOptions())
    plan.destroys.append(StackDestroy("demo", "dev", "expired", (), 3, "file:///x"))

    def destroy(project: str, stack: str, url: str) -> object:
        assert url == "file:///x"  # the backend the stack was found in
        diag = Diagnostic(Severity.ERROR, "E0712", "the local emulator is not running")
        raise DiagnosticError([diag])

    result = execute(
        plan,
        clients=None,  # type: ignore[arg-type]
        audit=AuditLog(tmp_path / "a.jsonl"),
        probe=None,  # type: ignore[arg-type]
        iam_region=WEST,
        backend_url="file:///other",
        destroy_stack=destroy,
    )
    [outcome] = result.outcomes
    assert outcome.error == "E0712 the local emulator is not running"
