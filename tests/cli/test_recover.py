"""Interrupted updates: Ctrl-C during apply, `runctl cancel`, `runctl recover`, pending operations."""

from __future__ import annotations

import _thread
import threading
from pathlib import Path

import pytest

from tests.cli.plan_helpers import invoke
from tests.engine import fake_pulumi as fp
from tests.engine.cli_fake import program_for, use_fake

INSTANCE = "aws:ec2/instance:Instance"


@pytest.fixture
def fake(
    project: Path, monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None, moto_server: str
) -> fp.FakePulumi:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)  # STS: the account of bucket names
    monkeypatch.setenv("RUNCTL_PASSPHRASE", "cli-test-passphrase")
    f = use_fake(monkeypatch, fp.FakePulumi())
    program_for(f, project / "spec.yaml")
    return f


def _pending(name: str, op: str, physical_id: str = "") -> dict[str, object]:
    res = {"urn": f"urn:pulumi:dev::demo::{INSTANCE}::{name}", "type": INSTANCE, "custom": True}
    if physical_id:
        res["id"] = physical_id
    return {"resource": res, "type": op}


def test_ctrl_c_during_apply_waits_for_the_engine_and_says_what_exists(fake: fp.FakePulumi) -> None:
    def press_ctrl_c() -> None:
        assert fake.blocked.wait(10)  # the up is running (the preview does not block)
        _thread.interrupt_main()
        fake.block.set()  # the CLI got SIGINT too: it stops and reports "update canceled"

    fake.block = threading.Event()
    helper = threading.Thread(target=press_ctrl_c)
    helper.start()
    run = invoke("apply", "spec.yaml", "--yes")
    helper.join()
    assert run.code == 1
    assert "E0713" in run.stderr and "runctl recover spec.yaml" in run.stderr
    assert "resources in the stack now:" in run.stdout
    assert not fake.stacks["dev"].locked


def test_apply_refuses_pending_operations(fake: fp.FakePulumi) -> None:
    assert invoke("apply", "spec.yaml", "--yes").code == 0
    fake.stacks["dev"].pending = [_pending("instance.gpu.1", "creating")]
    run = invoke("apply", "spec.yaml", "--yes")
    assert run.code == 1 and "E0703" in run.stderr and "runctl recover" in run.stderr
    assert "instance.gpu.1" in run.stderr


def test_cancel_removes_the_lock_and_names_pending_operations(fake: fp.FakePulumi) -> None:
    assert invoke("apply", "spec.yaml", "--yes").code == 0
    st = fake.stacks["dev"]
    st.locked = True
    st.pending = [_pending("instance.gpu.1", "creating")]
    locked = invoke("apply", "spec.yaml", "--yes")
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
    assert invoke("apply", "spec.yaml", "--yes").code == 0
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


def test_ctrl_c_during_destroy(fake: fp.FakePulumi) -> None:
    assert invoke("apply", "spec.yaml", "--yes").code == 0
    fake.block = threading.Event()

    def press_ctrl_c() -> None:
        assert fake.blocked.wait(10)
        _thread.interrupt_main()
        fake.block.set()

    helper = threading.Thread(target=press_ctrl_c)
    helper.start()
    run = invoke("destroy", "spec.yaml", "--yes")
    helper.join()
    assert run.code == 1 and "E0713" in run.stderr and "destroy interrupted" in run.stderr
    assert "instance.gpu.0" in run.stdout  # what exists is listed
