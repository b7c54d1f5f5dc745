"""Contract tests: the driver against a fake `PulumiCommand` (tests/engine/fake_pulumi.py).

Each test checks the CLI arguments the SDK passes for runctl's calls and how runctl reads the
answers, including the failures, from the CLI's real error text.
"""

from __future__ import annotations

import _thread
import os
import select
import signal
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.engine import driver
from runctl_iac.engine.workspace import Target
from runctl_iac.stackref import resolve_backend, resolve_passphrase
from tests.engine import fake_pulumi as fp
from tests.engine.real import default_sigint


def target(tmp_path: Path, fake: fp.FakePulumi, stack: str = "dev") -> Target:
    backend = resolve_backend(tmp_path, environ={})
    phrase = resolve_passphrase(backend, {"RUNCTL_PASSPHRASE": "contract-passphrase"})
    return Target("demo", stack, backend, phrase, command=fake)


def test_select_falls_back_to_init_with_the_passphrase_provider(tmp_path: Path) -> None:
    fake = fp.FakePulumi()
    stack = driver.open_for(target(tmp_path, fake))
    assert stack.name == "dev"
    assert fake.calls[0] == ["--non-interactive", "stack", "select", "--stack", "dev"]
    assert fake.calls[1] == ["--non-interactive", "stack", "init", "dev", "--secrets-provider", "passphrase"]
    env = fake.envs[0]
    assert env["PULUMI_BACKEND_URL"] == "file://" + str((tmp_path / ".runctl" / "state").resolve())
    assert env["PULUMI_CONFIG_PASSPHRASE"] == "contract-passphrase"
    assert (tmp_path / ".runctl" / "work" / "demo" / "dev" / "Pulumi.yaml").is_file()
    driver.open_for(target(tmp_path, fake))
    assert fake.calls[-1][1:3] == ["stack", "select"]


def test_select_without_create_is_E0711(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticError) as err:
        driver.open_for(target(tmp_path, fp.FakePulumi()), create=False)
    assert err.value.diagnostics[0].code == "E0711"


def test_config_set_all_and_rm_all(tmp_path: Path) -> None:
    fake = fp.FakePulumi()
    stack = driver.open_for(target(tmp_path, fake))
    got = driver.configure(stack, {"aws:region": "us-east-1", "runctl:expiresAt": "2030-01-01T00:00:00Z"})
    assert got == {"aws:region": "us-east-1", "runctl:expiresAt": "2030-01-01T00:00:00Z"}
    set_all = next(c for c in fake.calls if "set-all" in c)
    assert set_all[:5] == ["--non-interactive", "config", "set-all", "--stack", "dev"]
    assert "--plaintext" in set_all and "aws:region=us-east-1" in set_all
    assert fake.stacks["dev"].tags["runctl:expires-at"] == "2030-01-01T00:00:00Z"
    got = driver.configure(stack, {"runctl:expiresAt": None})
    assert got == {"aws:region": "us-east-1"}
    assert any("rm-all" in c for c in fake.calls)
    assert "runctl:expires-at" not in fake.stacks["dev"].tags


def test_expiry_rules() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    first = driver.expiry_config({}, 7200, "2h", now)
    assert first == {"runctl:expiresAt": "2026-01-01T02:00:00Z", "runctl:ttl": "2h"}
    later = driver.expiry_config(first, 7200, "2h", datetime(2026, 1, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert later["runctl:expiresAt"] == "2026-01-01T02:00:00Z"
    changed = driver.expiry_config(first, 3600, "1h", datetime(2026, 1, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert changed["runctl:expiresAt"] == "2026-01-01T02:00:00Z" and changed["runctl:ttl"] == "1h"
    assert driver.expiry_config(first, None, None, now) == {"runctl:expiresAt": None, "runctl:ttl": None}  # type: ignore[arg-type]
    assert driver.extended(first, 4 * 3600, now) == "2026-01-01T06:00:00Z"  # type: ignore[arg-type]
    assert driver.extended(first, 3600, datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T01:00:00Z"  # type: ignore[arg-type]


@pytest.mark.parametrize("version", ["3.274.1", "3.200.0"])  # gRPC event stream / event log file
def test_preview_and_up_read_the_event_log(tmp_path: Path, version: str) -> None:
    fake = fp.FakePulumi(version=version)
    fake.program = [("aws:s3/bucket:Bucket", "bucket.data", {"bucket": "b"}, {"id": "b", "bucket": "b"})]
    fake.program_outputs = {"buckets": {"data": "b"}, "specHash": "sha256:x"}
    stack = driver.open_for(target(tmp_path, fake))
    changes = driver.preview(stack)
    assert changes.source == "engine"
    assert [(c.id, c.action.value) for c in changes.changes] == [("bucket.data", "create")]
    preview_call = next(c for c in fake.calls if c[1] == "preview")
    assert "--event-log" in preview_call and "--exec-kind" in preview_call
    assert preview_call[preview_call.index("--exec-kind") + 1] == "auto.inline"
    seen: list[object] = []
    outcome = driver.up(stack, seen.append, parallel=4)
    up_call = next(c for c in fake.calls if c[1] == "up")
    assert up_call[1:4] == ["up", "--yes", "--skip-preview"]
    assert up_call[up_call.index("--parallel") + 1] == "4"
    assert outcome.outputs == {"buckets": {"data": "b"}, "specHash": "sha256:x"}
    assert outcome.summary == {"create": 1}
    assert [r.state for r in outcome.progress.rows.values()] == ["done"]
    assert len(seen) >= 4
    assert driver.last_update(stack)["result"] == "succeeded"  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        (fp.LOCKED, "E0702", "ci@runner-7, pid 4242, since 2026-11-27T06:00:00Z"),
        (fp.CLOUD_CONFLICT, "E0702", "locked by another update"),
        (fp.PLUGIN_MISSING, "E0705", "plugin aws is missing"),
        (fp.NO_CREDENTIALS, "E0704", "credentials"),
        (fp.CAPACITY, "E0706", "no capacity for g5.12xlarge in us-east-1a"),
        (fp.QUOTA, "E0706", "Running On-Demand G and VT instances (L-DB2E81BA)"),
        (fp.UNAUTHORIZED, "E0706", "ec2:RunInstances"),
        (fp.UPDATE_FAILED, "E0707", "update failed"),
        (fp.PLUGIN_DOWNLOAD, "E0705", "plugin aws is missing"),
        (fp.EXPIRED, "E0704", "expired"),
        (fp.SPOT_COUNT, "E0706", "spot request for g5.12xlarge was refused"),
        (
            fp.PROTECTED.format(urn="urn:pulumi:dev::demo::aws:ebs/volume:Volume::volume.data.gpu.0"),
            "E0707",
            "volume.data.gpu.0 is retained (protected)",
        ),
    ],
)
def test_up_failures_become_diagnostics(tmp_path: Path, text: str, code: str, words: str) -> None:
    fake = fp.FakePulumi()
    stack = driver.open_for(target(tmp_path, fake))
    fake.fail["up"] = text
    with pytest.raises(DiagnosticError) as err:
        driver.up(stack)
    diag = err.value.diagnostics[0]
    assert diag.code == code
    assert words in diag.message + (diag.hint or "")
    assert diag.hint


def test_locked_stack_names_cancel(tmp_path: Path) -> None:
    fake = fp.FakePulumi()
    stack = driver.open_for(target(tmp_path, fake))
    fake.stacks["dev"].locked = True
    with pytest.raises(DiagnosticError) as err:
        driver.preview(stack)
    assert "runctl cancel" in (err.value.diagnostics[0].hint or "")
    driver.cancel(stack)
    assert fake.calls[-1][:3] == ["--non-interactive", "cancel", "--yes"]
    assert not fake.stacks["dev"].locked


def test_disagreements_on_replacements_are_named() -> None:
    from runctl_iac.engine.progress import replacement_disagreements
    from runctl_iac.plan.model import Action, Change, Changes

    offline = Changes((Change("instance.a", "t", Action.UPDATE), Change("volume.b", "t", Action.REPLACE)))
    engine = Changes(
        (Change("instance.a", "t", Action.REPLACE), Change("volume.b", "t", Action.REPLACE)), source="engine"
    )
    assert replacement_disagreements(offline, engine) == [
        "instance.a: the engine says replace, the offline diff said update"
    ]


def test_secrets_and_passphrase_never_reach_a_diagnostic(tmp_path: Path) -> None:
    fake = fp.FakePulumi()
    stack = driver.open_for(target(tmp_path, fake))
    fake.fail["up"] = "error: update failed\n  secret.HF_TOKEN: value [secret]"
    with pytest.raises(DiagnosticError) as err:
        driver.up(stack)
    text = repr(err.value.diagnostics)
    assert "contract-passphrase" not in text
    assert "contract-passphrase" not in repr(target(tmp_path, fake))


@pytest.mark.parametrize("version", ["3.274.1", "3.200.0"])
def test_recorded_streams_through_the_cli_event_log(tmp_path: Path, version: str) -> None:
    from tests.engine.recorded import path

    fake = fp.FakePulumi(version=version)
    fake.replay["up"] = path("up-3")
    fake.replay["preview"] = path("webserver-userdata")
    stack = driver.open_for(target(tmp_path, fake))
    changes = driver.preview(stack)
    assert [c.action.value for c in changes.changes if c.type == "aws:ec2/instance:Instance"] == ["replace"]
    outcome = driver.up(stack)
    rows = outcome.progress.rows.values()
    assert {r.name for r in rows} == {
        "eks-role",
        "eks-sg",
        "eks-rpa-service-policy",
        "eks-rpa-cluster-policy",
        "eks-cluster",
    }
    assert outcome.progress.summary == {"create": 6} and outcome.summary == {"create": 6}
    fake.replay["up"] = path("failed-stacks-dont-rewrite-operations")
    fake.fail["up"] = fp.UPDATE_FAILED
    seen: list[object] = []
    with pytest.raises(DiagnosticError):
        driver.up(stack, seen.append)
    assert any(getattr(e, "res_op_failed_event", None) is not None for e in seen)


def test_an_interrupt_only_runctl_got_is_passed_to_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ready = tmp_path / "ready"  # a named pipe: the stand-in writes to it once its trap is set
    os.mkfifo(ready)
    cli = tmp_path / "pulumi"  # a stand-in named like the CLI, so its process name is `pulumi`
    cli.write_text(
        f"#!/bin/sh\ntrap 'kill $!; exit 42' INT\nsleep 120 &\necho ready > {ready}\nwait $!\nexit 1\n"
    )
    cli.chmod(0o755)
    monkeypatch.setattr(driver, "_terminal_delivered_sigint", lambda: False)  # only runctl got it
    reader = os.open(ready, os.O_RDONLY | os.O_NONBLOCK)  # before the start: the writer never blocks
    proc = subprocess.Popen([str(cli)], stdin=subprocess.DEVNULL, preexec_fn=default_sigint)
    try:
        readable, _, _ = select.select([reader], [], [], 60)  # a bound, not a timing
        assert readable and os.read(reader, 64) == b"ready\n", "the stand-in never set its trap"
        assert driver.forward_interrupt() == [proc.pid]
        assert proc.wait(60) == 42  # the trap ran: the CLI got the SIGINT
    finally:
        os.close(reader)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _interrupt_once_started(started: threading.Event, again: threading.Event | None = None) -> None:
    """Ctrl-C to the main thread once `started` is set; a second one once `again` is set."""
    assert started.wait(60)
    _thread.interrupt_main()
    if again is not None and again.wait(60):
        _thread.interrupt_main()


@pytest.fixture
def python_sigint() -> Iterator[None]:
    """Python's own SIGINT handler (the suite may have been started with SIGINT ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_waits_for_the_engine_then_raises_interrupted(
    monkeypatch: pytest.MonkeyPatch, python_sigint: None
) -> None:
    started, stopped = threading.Event(), threading.Event()
    forwarded: list[str] = []

    def cli_gets_it() -> list[int]:
        forwarded.append("sigint")
        stopped.set()
        return []

    def operation() -> str:
        started.set()
        assert stopped.wait(60)  # the CLI stops only once runctl saw the interrupt
        raise RuntimeError("update canceled\nmore")

    monkeypatch.setattr(driver, "forward_interrupt", cli_gets_it)
    helper = threading.Thread(target=_interrupt_once_started, args=(started,))
    helper.start()
    with pytest.raises(driver.Interrupted) as err:
        driver.run_interruptible("update", operation)
    helper.join()
    assert forwarded == ["sigint"]
    assert err.value.detail == "update canceled"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_a_second_ctrl_c_stops_waiting(monkeypatch: pytest.MonkeyPatch, python_sigint: None) -> None:
    started, first, release = threading.Event(), threading.Event(), threading.Event()
    monkeypatch.setattr(driver, "forward_interrupt", lambda: first.set() or [])
    helper = threading.Thread(target=_interrupt_once_started, args=(started, first))
    helper.start()
    try:
        with pytest.raises(driver.Interrupted) as err:
            driver.run_interruptible("update", lambda: started.set() or release.wait(60))
    finally:
        release.set()
        helper.join()
    assert err.value.detail == "stopped waiting for the engine"


def test_a_sigint_runctl_was_started_to_ignore_stays_ignored() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        seen = driver.run_interruptible("update", lambda: signal.getsignal(signal.SIGINT))
        assert seen == signal.SIG_IGN and signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
