"""Every example, ejected, run under Pulumi's mocks beside runctl's own program: the same resources
(types, names, inputs, provider, protect / retain / depends_on) and the same stack outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runctl_iac.compiler import compile as compile_spec
from runctl_iac.engine import make_program, secret_env_names
from runctl_iac.engine.eject import program_source
from runctl_iac.spec import load_spec_or_raise
from tests.engine.pulumi_mocks import Run, run_program

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
STACKS = sorted(p.stem for p in (ROOT / "stacks").glob("*.yaml"))
CASES = [(e.name, s) for e in EXAMPLES for s in STACKS]
CONFIG = {"runctl:accountSuffix": "0a1b2c3d", "runctl:expiresAt": "2026-11-22T10:00:00Z"}


def registrations(run: Run) -> dict[str, tuple[Any, ...]]:
    out = {}
    for name, r in run.mocks.resources.items():
        opts = run.monitor.options[name]
        out[name] = (
            r.type,
            r.inputs,
            r.provider,
            opts.protect,
            opts.retain_on_delete,
            sorted(opts.dependencies),
        )
    return out


@pytest.mark.parametrize(("example", "stack"), CASES, ids=[f"{e}-{s}" for e, s in CASES])
def test_the_ejected_program_registers_what_runctl_registers(
    example: str, stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph, _ = compile_spec(load_spec_or_raise(ROOT / "examples" / example, stack=stack))
    secrets = {name: f"fake-{name.lower()}-value" for name in secret_env_names(graph)}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    ours = run_program(make_program(graph), graph.project, graph.stack, CONFIG)
    source = program_source(graph, CONFIG)
    code = compile(source, "__main__.py", "exec")
    theirs = run_program(lambda: exec(code, {"__name__": "__main__"}), graph.project, graph.stack, CONFIG)

    assert registrations(theirs) == registrations(ours)
    assert set(theirs.mocks.resources) == set(graph.resources)
    assert (theirs.outputs, theirs.secret_outputs) == (ours.outputs, ours.secret_outputs)
    assert "runctl_iac" not in source
    for value in secrets.values():
        assert value not in source
    for name in secrets:
        assert f'secret("{name}")' in source


def test_the_ejected_programs_are_ruff_clean(tmp_path: Path) -> None:
    for example in EXAMPLES:
        graph, _ = compile_spec(load_spec_or_raise(example))
        (tmp_path / f"{example.stem.replace('-', '_')}.py").write_text(program_source(graph, CONFIG))
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run([str(ruff), "check", "--isolated", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    formatted = subprocess.run(
        [str(ruff), "format", "--isolated", "--check", "--line-length", "120", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
