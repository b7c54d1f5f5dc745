"""The local-run library (`launch.here`): the rendered script, preflight, plan shaping, exit codes.
The runs themselves go through the real CLI in tests/cli/test_run_here.py."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.launch import here, here_checks
from runctl_iac.launch.runs import NodeStatus
from runctl_iac.launch.script import OVERRIDES_MARKER, render_script
from tests.launch.plans import HOSTILE, compiled, full_training, spec

SHELLCHECK = Path(sys.executable).parent / "shellcheck"


def _plan(count: int = 2, **training: object):  # type: ignore[no-untyped-def]
    graph, plan = compiled(spec(count=count, training=full_training(**training), volumes=True))
    return graph, plan


def test_the_local_script_is_the_node_script_with_local_io(tmp_path: Path) -> None:
    graph, plan = _plan(run=HOSTILE, setup=HOSTILE)
    local = here.Local(tmp_path, graph.project, graph.stack)
    text = here.render_local(
        here.local_plan(plan, 3), local, "20260101T000000Z-abcdef", graph.region, tmp_path
    )
    node = render_script(plan, None, project=graph.project, stack=graph.stack, region=graph.region)
    # everything up to the marker is the node script's own supervisor, only the values differ
    assert text.split("# ---- runctl run --here")[0].count("supervise()") == node.count("supervise()") == 1
    assert OVERRIDES_MARKER not in text and "RUNCTL_NUM_NODES=3" in text
    assert "RUNCTL_NODE_IPS=127.0.0.1,127.0.0.1,127.0.0.1" in text
    assert f"HERE_CODE_DIR={tmp_path}" in text
    path = tmp_path / "node.sh"
    path.write_text(text)
    # SC2329 (a function never invoked): here.sh redefines the node's I/O functions on purpose, so
    # in the local script the node's own definitions of them are never called
    check = [str(SHELLCHECK), "-x", "--exclude=SC2329", str(path)]
    out = subprocess.run(check, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout


def test_local_plan_repeats_the_first_node_and_bounds_the_count() -> None:
    _, plan = _plan(count=1)
    shaped = here.local_plan(plan, 4)
    assert [n.rank for n in shaped.nodes] == [0, 1, 2, 3]
    assert {n.instance_resource for n in shaped.nodes} == {plan.nodes[0].instance_resource}
    for bad in (0, 65):
        with pytest.raises(DiagnosticError) as err:
            here.local_plan(plan, bad)
        assert err.value.diagnostics[0].code == "E0824"
    with pytest.raises(DiagnosticError):
        here.local_plan(replace(plan, nodes=()), 1)


def test_code_must_be_a_local_folder(tmp_path: Path) -> None:
    _, plan = _plan()
    with pytest.raises(DiagnosticError) as err:
        here.code_dir(replace(plan, code="s3://bucket/code/"), tmp_path)
    assert err.value.diagnostics[0].code == "E0824"
    (tmp_path / "src").mkdir()
    assert here.code_dir(replace(plan, code="src"), tmp_path) == tmp_path / "src"
    assert here.code_dir(replace(plan, code=None), tmp_path) is None


@pytest.mark.parametrize(
    ("gpus", "require", "codes", "note"),
    [
        (None, False, ["W0821", "W0823"], None),
        (0, True, ["E0820", "W0823"], None),
        (2, True, ["W0823"], "2 GPU(s) on this machine"),
    ],
    ids=["no-nvidia-smi", "required-but-none", "present"],
)
def test_preflight(
    tmp_path: Path, gpus: int | None, require: bool, codes: list[str], note: str | None
) -> None:
    _, plan = _plan()
    found, notes = here_checks.preflight(
        plan, "dlami-pytorch", tmp_path, require_gpu=require, gpus=lambda: gpus
    )
    assert [d.code for d in found] == codes
    assert notes[0].startswith(note) if note else notes == []


def test_preflight_checks_free_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, plan = _plan()
    monkeypatch.setenv("RUNCTL_MIN_FREE_MB", str(10**12))
    found, _ = here_checks.preflight(plan, "x", tmp_path, require_gpu=False, gpus=lambda: 1)
    assert "E0822" in [d.code for d in found]


def test_exit_code_is_the_first_unsuccessful_rank() -> None:
    ok = NodeStatus(0, "succeeded", 0)
    assert here.exit_code([ok, replace(ok, rank=1)]) == 0
    assert here.exit_code([ok, NodeStatus(1, "failed", 3), NodeStatus(2, "failed", 5)]) == 3
    assert here.exit_code([NodeStatus(0, "failed", None)]) == 1  # e.g. a preflight failure
    assert here.exit_code([ok, NodeStatus(1, "pending")]) == 1


def test_secrets_come_from_the_environment_or_the_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    _, plan = compiled(spec(count=1, training=full_training(secrets=("TOKEN_A", "TOKEN_B"))))
    monkeypatch.setenv("TOKEN_A", "from-env")
    monkeypatch.delenv("TOKEN_B", raising=False)
    asked: list[str] = []
    values = here.secret_values(plan, lambda name: asked.append(name) or "typed")
    assert values == {"TOKEN_A": "from-env", "TOKEN_B": "typed"} and asked == ["TOKEN_B"]
    with pytest.raises(DiagnosticError) as err:
        here.secret_values(plan, lambda name: None)
    assert err.value.diagnostics[0].code == "E0825" and "typed" not in str(err.value.diagnostics)


def test_the_local_script_never_shuts_this_machine_down(tmp_path: Path) -> None:
    """Autostop and the budget cap end in `shutdown -h now` on a node: the local script switches both
    off and defines `shutdown` and the boot unit away, after the node's own definitions."""
    graph, plan = _plan()
    local = here.Local(tmp_path, graph.project, graph.stack)
    text = here.render_local(
        here.local_plan(plan, 1), local, "20260101T000000Z-abcdef", graph.region, tmp_path
    )
    local_part = text[text.index("# ---- runctl run --here") :]
    assert "shutdown -h now" in text[: text.index("# ---- runctl run --here")]
    assert "\nAUTOSTOP_IDLE=0\n" in local_part and "\nMAX_RUN_MICRO=0\n" in local_part
    assert "\nshutdown() {" in local_part and "\ninstall_boot_unit() { :; }" in local_part
