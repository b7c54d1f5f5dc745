"""`runctl doctor` (with no CLI, and with a stand-in `pulumi` script) and `runctl local`."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
from pathlib import Path

import pytest

from runctl_iac.engine.doctor import aws_plugin_version
from tests.cli.plan_helpers import invoke, write

FAKE_CLI = """#!/bin/sh
# a stand-in Pulumi CLI: `version`, `plugin ls --json`, `plugin install resource aws V`
state="$(dirname "$0")/plugins.json"
case "$1" in
  version) echo "v{version}" ;;
  plugin)
    case "$2" in
      ls) if [ -f "$state" ]; then cat "$state"; else echo "[]"; fi ;;
      install) printf '[{{"name": "%s", "kind": "%s", "version": "%s", "size": 1}}]' "$4" "$3" "$5" \
                 > "$state" ;;
    esac ;;
  *) echo "unknown $1" >&2; exit 1 ;;
esac
"""


@pytest.fixture
def machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None, moto_server: str
) -> Path:
    """A project folder as cwd, an empty HOME, no pulumi on PATH, STS answered by the moto server."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "runctl.toml", "")
    home = tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", str(home / "bin") + os.pathsep + "/usr/bin:/bin")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("RUNCTL_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    return home


def _fake_cli(home: Path, version: str = "3.274.1") -> Path:
    cli = home / "bin" / "pulumi"
    cli.write_text(FAKE_CLI.format(version=version))
    cli.chmod(cli.stat().st_mode | stat.S_IEXEC)
    return cli


def test_doctor_without_the_cli(machine: Path) -> None:
    run = invoke("doctor")
    assert run.code == 1
    assert "Pulumi CLI" in run.stdout and "not found" in run.stdout
    assert "runctl doctor --install" in run.stdout
    assert "account 123456789012" in run.stdout
    assert "writable" in run.stdout
    assert "generated into .runctl/passphrase on the first apply" in run.stdout


def test_doctor_all_green_with_cli_and_plugin(machine: Path) -> None:
    cli = _fake_cli(machine)
    (cli.parent / "plugins.json").write_text(
        json.dumps([{"name": "aws", "kind": "resource", "version": aws_plugin_version()}])
    )
    run = invoke("doctor")
    assert run.code == 0, run.stdout
    assert "v3.274.1" in run.stdout and "minimum 3.200.0" in run.stdout
    assert f"aws v{aws_plugin_version()}" in run.stdout


def test_doctor_flags_an_old_cli_and_a_missing_plugin(machine: Path) -> None:
    _fake_cli(machine, "3.100.0")
    run = invoke("doctor")
    assert run.code == 1
    assert "3.100.0" in run.stdout and "minimum 3.200.0" in run.stdout


def test_doctor_finds_the_cli_built_by_make_engine_cli(machine: Path) -> None:
    built = machine / ".cache" / "runctl" / "pulumi-v3.274.1"
    built.mkdir(parents=True)
    cli = built / "pulumi"
    cli.write_text(FAKE_CLI.format(version="3.274.1"))
    cli.chmod(0o755)
    run = invoke("doctor")
    assert str(cli) in run.stdout


def test_doctor_install_adds_the_matching_plugin(machine: Path) -> None:
    cli = _fake_cli(machine)
    run = invoke("doctor", "--install")
    assert f"installed the aws plugin v{aws_plugin_version()}" in run.stdout
    assert run.code == 0, run.stdout
    assert json.loads((cli.parent / "plugins.json").read_text())[0]["version"] == aws_plugin_version()


def test_doctor_shared_backend_needs_a_passphrase(machine: Path, tmp_path: Path) -> None:
    run = invoke("doctor", "--backend", f"file://{tmp_path / 'team'}")
    assert "no passphrase is set" in run.stdout and "RUNCTL_PASSPHRASE" in run.stdout
    assert run.code == 1


def test_local_without_moto_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "moto" else real(name, *a)
    )
    run = invoke("local", "start")
    assert run.code == 1 and "E0712" in run.stderr and "pip install 'moto[server]'" in run.stderr
    status = invoke("local", "status")
    assert status.code == 1 and "moto[server]" in status.stdout


def test_local_start_status_stop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "runctl.toml", "")
    assert invoke("local", "status").code == 1
    run = invoke("local", "start")
    try:
        assert run.code == 0, run.stderr
        assert "started at http://127.0.0.1:" in run.stdout
        assert "already running" in invoke("local", "start").stdout
        status = invoke("local", "status")
        assert status.code == 0 and "running at" in status.stdout
        import boto3

        url = status.stdout.split("running at ")[1].split()[0]
        iam = boto3.client(
            "iam",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
        assert policy["Policy"]["PolicyName"] == "AmazonSSMManagedInstanceCore"
        (tmp_path / ".runctl" / "local" / "state").mkdir(parents=True, exist_ok=True)
    finally:
        stop = invoke("local", "stop")
    assert stop.code == 0 and "stopped" in stop.stdout
    assert not (tmp_path / ".runctl" / "local").exists()
    assert invoke("local", "status").code == 1


def test_apply_of_a_local_spec_uses_the_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto_server: str
) -> None:
    from tests.engine import fake_pulumi as fp
    from tests.engine.cli_fake import program_for, use_fake

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNCTL_PASSPHRASE", raising=False)
    spec = write(tmp_path / "local.yaml", (Path(__file__).parents[2] / "examples" / "local.yaml").read_text())
    assert invoke("apply", "local.yaml", "--yes").code == 1  # no emulator yet: E0712
    port = int(moto_server.rsplit(":", 1)[1])
    write(tmp_path / ".runctl" / "local" / "server.json", json.dumps({"pid": os.getpid(), "port": port}))
    fake = use_fake(monkeypatch, fp.FakePulumi())
    program_for(fake, spec)
    run = invoke("apply", "local.yaml", "--yes", "--no-launch")
    assert run.code == 0, run.stderr
    env = fake.envs[-1]
    assert env["AWS_ENDPOINT_URL"] == moto_server and env["AWS_ACCESS_KEY_ID"] == "test"
    assert env["PULUMI_BACKEND_URL"].endswith("/.runctl/local/state")
    assert (
        tmp_path / ".runctl" / "local" / "state" / ".runctl-snapshots" / "local-demo" / "dev.json"
    ).is_file()
    assert not (tmp_path / ".runctl" / "passphrase").exists()
    listed = invoke("stacks", "--local", "--output", "json")
    assert listed.code == 0, listed.stderr
    assert [(r["project"], r["stack"]) for r in listed.json()["stacks"]] == [("local-demo", "dev")]


def test_doctor_accepts_an_aws_plugin_on_path(machine: Path) -> None:
    _fake_cli(machine)
    plugin = machine / "bin" / "pulumi-resource-aws"
    plugin.write_text("#!/bin/sh\n")
    plugin.chmod(0o755)
    run = invoke("doctor")
    assert "pulumi-resource-aws from PATH" in run.stdout
    assert run.code == 0, run.stdout


def test_apply_refuses_a_backend_for_the_local_target(cli_env: Path) -> None:
    """The local target keeps its state beside the emulator; a --backend would be silently ignored."""
    (cli_env / "runctl.toml").write_text("")
    write(cli_env / "local.yaml", "version: 1\nname: loc\ntarget: local\nbuckets:\n  results: {}\n")
    run = invoke("apply", "local.yaml", "--yes", "--backend", "s3://team/state")
    assert run.code == 1 and "--backend does not apply to the local target" in run.stderr


def test_doctor_reports_the_dynamic_provider_plugin_for_runpod(machine: Path) -> None:
    cli = _fake_cli(machine)
    (cli.parent / "plugins.json").write_text(
        json.dumps([{"name": "aws", "kind": "resource", "version": aws_plugin_version()}])
    )
    missing = invoke("doctor")
    assert "pulumi-resource-pulumi-python not found" in missing.stdout
    assert missing.code == 0, missing.stdout  # optional: only RunPod groups need it
    plugin = cli.parent / "pulumi-resource-pulumi-python"  # where the official CLI ships it
    plugin.write_text("#!/bin/sh\n")
    plugin.chmod(0o755)
    found = invoke("doctor")
    assert "pulumi-resource-pulumi-python beside the Pulumi CLI" in found.stdout
