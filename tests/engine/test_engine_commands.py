"""runctl's own commands through the real engine (marked `engine`): a second apply while one runs,
Ctrl-C to an apply and `runctl recover`, `runctl stacks`, `runctl doctor`. The Pulumi CLI from
`make engine-cli`, the stand-in aws plugin (tests/engine/standin/) and the local emulator that
`runctl local start` runs; slow applies come from the stand-in's create delay (a test hook)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.plan_helpers import invoke
from tests.engine.real import ROOT, STANDIN_BIN, compile_spec, default_sigint

pytestmark = pytest.mark.engine
RUNCTL = [str(Path(sys.executable).parent / "runctl")]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None) -> Iterator[Path]:
    """A project folder with the local example and a running local emulator."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", f"{STANDIN_BIN}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "runctl.toml").write_text("")
    shutil.copy(ROOT / "examples" / "local.yaml", tmp_path / "local.yaml")
    started = invoke("local", "start")
    assert started.code == 0, started.stderr
    try:
        yield tmp_path
    finally:
        invoke("local", "stop")


def _apply(project: Path, delay: str = "0", gate: Path | None = None) -> subprocess.Popen[str]:
    """`runctl apply` of the local example whose creates answer after `delay` seconds, or only once
    the `gate` file exists."""
    env = {**os.environ, "RUNCTL_STANDIN_CREATE_DELAY": delay, "PYTHONPATH": str(ROOT)}
    if gate is not None:
        env["RUNCTL_STANDIN_CREATE_GATE"] = str(gate)
    return subprocess.Popen(
        [*RUNCTL, "apply", "local.yaml", "--yes", "--no-launch"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=default_sigint,  # Ctrl-C reaches it even when the suite ignores SIGINT
    )


def _until(proc: subprocess.Popen[str], needle: str) -> list[str]:
    """The apply's output up to the first line holding `needle` (its progress lines)."""
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} never printed:\n{''.join(seen)}")


def _locks(project: Path) -> list[Path]:
    return sorted(project.glob(".runctl/local/state/.pulumi/locks/**/*.json"))


def _wait(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_second_apply_gets_the_locked_stack_diagnostic(project: Path) -> None:
    gate = project / "creates-may-answer"
    first = _apply(project, gate=gate)  # its creates wait for the gate: the update holds the lock
    try:
        _until(first, "creating               role.worker ")
        assert _locks(project)
        second = invoke("apply", "local.yaml", "--yes", "--no-launch")
        gate.touch()
        assert second.code == 1, second.stdout + second.stderr
        assert "E0702" in second.stdout + second.stderr
        assert "runctl plan ·" not in second.stdout and "update done" not in second.stdout  # no preview
        out, _ = first.communicate(timeout=300)
    finally:
        gate.touch()
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.communicate()
    assert first.returncode == 0, out


def test_ctrl_c_then_recover_then_apply(project: Path) -> None:
    proc = _apply(project, delay="2")
    seen = _until(proc, "created                role.worker in")
    os.killpg(proc.pid, signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 1, "".join(seen) + out
    recovered = invoke("recover", "local.yaml", "--yes")
    assert recovered.code == 0, recovered.stdout + recovered.stderr
    # The stand-in answers a create 2 s after making it, so Ctrl-C usually catches creates in flight
    # and recover explains them. Whether the engine lets them finish first (a graceful cancel: no
    # pending operations) depends on timing, and both outcomes are right; the pending-operations
    # path is pinned deterministically (SIGKILL) in test_engine_automation.py.
    explained = "the interrupted update left" in recovered.stdout and "was being created" in recovered.stdout
    assert explained or "has no pending operations: nothing to recover" in recovered.stdout, recovered.stdout
    applied = invoke("apply", "local.yaml", "--yes", "--no-launch")
    assert applied.code == 0, applied.stdout + applied.stderr
    again = invoke("plan", "local.yaml", "--engine", "--detailed-exitcode")
    assert again.code == 0, again.stdout + again.stderr
    resources = len(compile_spec(project / "local.yaml", stack="dev").resources)  # + the stack itself
    stacks = invoke("stacks", "--local", "--output", "json")
    assert stacks.code == 0, stacks.stderr
    [row] = [s for s in stacks.json()["stacks"] if s["project"] == "local-demo"]
    assert row["stack"] == "dev" and row["resource_count"] == resources + 1 and not row["update_in_progress"]
    # stack tags set by runctl apply, read back by runctl stacks: the expiry (ttl 2h) and the owner
    assert row["expires_at"] and row["expires_at"] > row["last_update"] and row["owner"]


def test_doctor_finds_the_cli_make_engine_cli_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None
) -> None:
    """With no `pulumi` on PATH, `runctl doctor` finds the one in ~/.cache/runctl/ and its version."""
    cli = shutil.which("pulumi")
    assert cli is not None
    built = Path.home() / ".cache" / "runctl" / "pulumi-v3.274.1" / "pulumi"
    if Path(cli).resolve() != built.resolve():
        pytest.skip("the pulumi on PATH is not the one `make engine-cli` builds")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(
        "PATH",
        os.pathsep.join(
            p
            for p in os.environ["PATH"].split(os.pathsep)
            if p and Path(p).resolve() != built.parent.resolve()
        ),
    )
    assert shutil.which("pulumi") is None
    doctor = invoke("doctor")
    assert f"v3.274.1 at {built}" in doctor.stdout, doctor.stdout
