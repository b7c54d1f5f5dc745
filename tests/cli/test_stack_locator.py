"""Stack commands where the stack is not (yet): no traceback, one line or one diagnostic saying where
runctl looked; with no SPEC, the backend's only project; extend without --by; --local everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.plan_helpers import SECRET_VALUE, invoke
from tests.engine import fake_pulumi as fp
from tests.engine.cli_fake import program_for, use_fake
from tests.teardown.seed import write_stack


@pytest.fixture
def applied(
    project: Path, monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None, moto_server: str
) -> fp.FakePulumi:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("RUNCTL_PASSPHRASE", "cli-test-passphrase")
    f = use_fake(monkeypatch, fp.FakePulumi())
    program_for(f, project / "spec.yaml")
    run = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert run.code == 0, run.stderr
    return f


@pytest.mark.parametrize("local", [False, True])
def test_stacks_without_a_state_folder_says_no_stacks_yet(cli_env: Path, local: bool) -> None:
    run = invoke("stacks", *(["--local"] if local else []))
    folder = cli_env / ".runctl" / ("local/state" if local else "state")
    assert run.code == 0, run.stderr
    assert run.stdout == f"no stacks yet (looked in file://{folder.resolve()})\n"
    assert not (cli_env / ".runctl").exists()  # a command that only reads creates nothing


@pytest.mark.parametrize("command", ["status", "refresh", "destroy", "cancel", "recover", "extend"])
def test_a_stack_command_without_state_says_where_it_looked(cli_env: Path, command: str) -> None:
    run = invoke(command, "--project", "demo", "--stack", "dev", *(["--yes"] if command == "destroy" else []))
    assert run.code == 1
    url = f"file://{(cli_env / '.runctl' / 'state').resolve()}"
    assert f"error[E0711] no stack demo/dev: no stacks yet (looked in {url})" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout and not (cli_env / ".runctl").exists()


def test_status_of_a_stack_not_in_the_backend_does_not_blame_the_passphrase(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUNCTL_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    write_stack(cli_env / ".runctl" / "state", "other", "dev")
    run = invoke("status", "--project", "demo", "--stack", "dev")
    assert run.code == 1
    url = f"file://{(cli_env / '.runctl' / 'state').resolve()}"
    assert f"error[E0711] no stack demo/dev: looked in {url}" in run.stderr and "E0710" not in run.stderr


def test_without_spec_the_only_project_is_used(applied: fp.FakePulumi) -> None:
    run = invoke("status")
    assert run.code == 0, run.stderr
    assert "instance.gpu.0" in run.stdout and SECRET_VALUE not in run.stdout


def test_without_spec_several_projects_are_listed_to_choose_from(cli_env: Path) -> None:
    state = cli_env / ".runctl" / "state"
    write_stack(state, "alpha", "dev")
    write_stack(state, "beta", "ci")
    for command in ("status", "refresh", "destroy"):
        run = invoke(command)
        assert run.code == 1
        assert f"runctl {command} --project alpha --stack dev" in run.stderr
        assert f"runctl {command} --project beta --stack ci" in run.stderr


def test_extend_defaults_to_the_ttl_and_refuses_more_than_30_days(
    applied: fp.FakePulumi, project: Path
) -> None:
    from runctl_iac.engine.driver import parse_rfc3339
    from runctl_iac.engine.snapshot import read_applied
    from runctl_iac.stackref import backend_for

    before = read_applied("demo", "dev", backend_for(project))
    run = invoke("extend", "spec.yaml")
    assert run.code == 0, run.stderr
    after = read_applied("demo", "dev", backend_for(project))
    assert before is not None and after is not None
    old = parse_rfc3339(before.config["runctl:expiresAt"])
    new = parse_rfc3339(after.config["runctl:expiresAt"])
    ttl = before.config["runctl:ttl"]
    assert old and new and ttl == "4h" and (new - old).total_seconds() == 4 * 3600
    too_long = invoke("extend", "spec.yaml", "--by", "40d")
    assert too_long.code == 1
    assert 'error[E0308] --by: "40d" is longer than the maximum of 30d' in too_long.stderr


def test_plan_and_launch_take_local(project: Path) -> None:
    for command in ("plan", "launch", "job", "logs", "stop-job", "checkpoints", "gc", "resources"):
        assert "--local" in invoke(command, "--help").stdout, command


def test_the_first_apply_makes_the_state_folder_and_git_ignores_runctl(
    applied: fp.FakePulumi, project: Path
) -> None:
    import stat

    assert stat.S_IMODE((project / ".runctl" / "state").stat().st_mode) == 0o700
    assert (project / ".runctl" / ".gitignore").read_text().splitlines()[-1] == "*"
