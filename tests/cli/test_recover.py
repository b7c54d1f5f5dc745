"""Interrupted updates: Ctrl-C during apply, `runctl cancel`, `runctl recover`, pending operations."""

from __future__ import annotations

import _thread
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from runctl_iac.engine import driver
from tests.cli.plan_helpers import invoke
from tests.engine import fake_pulumi as fp

INSTANCE = "aws:ec2/instance:Instance"


def _pending(name: str, op: str, physical_id: str = "") -> dict[str, object]:
    res = {"urn": f"urn:pulumi:dev::demo::{INSTANCE}::{name}", "type": INSTANCE, "custom": True}
    if physical_id:
        res["id"] = physical_id
    return {"resource": res, "type": op}


@contextmanager
def ctrl_c_while_it_runs(fake: fp.FakePulumi, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Ctrl-C once the fake CLI's update runs, as explicit events: the fake blocks in its operation
    (`fake.blocked`), a helper thread then interrupts the main thread, and only the interrupt that
    runctl handled releases the fake (it stands for the SIGINT the CLI gets as well), which then
    reports "update canceled". Python's own SIGINT handler is set for the block: under `nohup` or
    `make test &` the suite starts with SIGINT ignored, and then nothing could interrupt runctl.
    Yields the operations the interrupt reached (the fake's blocked ones)."""
    reached: list[str] = []
    block = fake.block = threading.Event()

    def cli_gets_it() -> list[int]:
        reached.append(fake.calls[-1][1])
        block.set()
        return []

    def press_ctrl_c() -> None:
        if fake.blocked.wait(60):  # the update runs (the preview does not block)
            _thread.interrupt_main()
        else:
            block.set()  # never blocked: let the command end, the assertions say what went wrong

    monkeypatch.setattr(driver, "forward_interrupt", cli_gets_it)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    helper = threading.Thread(target=press_ctrl_c)
    helper.start()
    try:
        yield reached
    finally:
        block.set()
        helper.join()
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_during_apply_waits_for_the_engine_and_says_what_exists(
    fake: fp.FakePulumi, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ctrl_c_while_it_runs(fake, monkeypatch) as reached:
        run = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert reached == ["up"], run.stdout + run.stderr
    assert run.code == 1
    assert "E0713" in run.stderr and "runctl recover spec.yaml" in run.stderr, run.stderr
    assert "resources in the stack now:" in run.stdout
    assert not fake.stacks["dev"].locked


def test_apply_refuses_pending_operations(fake: fp.FakePulumi) -> None:
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    fake.stacks["dev"].pending = [_pending("instance.gpu.1", "creating")]
    run = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert run.code == 1 and "E0703" in run.stderr and "runctl recover" in run.stderr
    assert "instance.gpu.1" in run.stderr


def test_cancel_removes_the_lock_and_names_pending_operations(fake: fp.FakePulumi) -> None:
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    st = fake.stacks["dev"]
    st.locked = True
    st.pending = [_pending("instance.gpu.1", "creating")]
    locked = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert locked.code == 1 and "E0702" in locked.stderr and "runctl cancel" in locked.stderr
    assert "ci@runner-7" in locked.stderr
    assert invoke("cancel", "spec.yaml").code == 1  # no terminal, no --yes
    run = invoke("cancel", "spec.yaml", "--yes")
    assert run.code == 0, run.stderr
    assert (
        "lock is removed" in run.stdout and "instance.gpu.1" in run.stdout and "runctl recover" in run.stdout
    )
    assert not st.locked


def test_recover_adopts_what_exists_and_drops_unknown_creates(fake: fp.FakePulumi) -> None:
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    st = fake.stacks["dev"]
    st.pending = [
        _pending("instance.gpu.1", "creating", "i-0123456789abcdef0"),
        _pending("instance.gpu.2", "creating"),
        _pending("instance.gpu.0", "updating", "i-29584347"),
    ]
    run = invoke("recover", "spec.yaml", "--yes")
    assert run.code == 0, run.stderr
    assert "instance.gpu.2" in run.stdout and "runctl:project=demo" in run.stdout
    assert (
        "kept instance.gpu.1" in run.stdout and "dropped the pending create of instance.gpu.2" in run.stdout
    )
    assert st.pending == []
    assert "instance.gpu.1" in st.resources
    refresh = [c for c in fake.calls if c[1] == "refresh"][-1]
    assert "--clear-pending-creates" in refresh and "--preview-only" not in refresh
    assert any(c[1:3] == ["stack", "import"] for c in fake.calls)
    assert "nothing to recover" in invoke("recover", "spec.yaml", "--yes").stdout


def test_ctrl_c_during_destroy(fake: fp.FakePulumi, monkeypatch: pytest.MonkeyPatch) -> None:
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    with ctrl_c_while_it_runs(fake, monkeypatch) as reached:
        run = invoke("destroy", "spec.yaml", "--yes")
    assert reached == ["destroy"], run.stdout + run.stderr
    assert run.code == 1 and "E0713" in run.stderr and "destroy interrupted" in run.stderr, run.stderr
    assert "instance.gpu.0" in run.stdout  # what exists is listed
