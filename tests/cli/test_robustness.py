"""The 1,200-mutation robustness run (issue 8): mutated specs through six commands — validate, graph,
plan --offline, diff (seed against the mutant), cost, and plan --against the mutant — end in a
result or a diagnostic (exit 0, 1 or 2), never a traceback. Mutations come from the same generator as
the loader's property tests (tests/spec/test_fuzz.py); CI runs them derandomized (CI=true)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runctl_iac.cli import app
from tests.spec.test_fuzz import REPO, SEED_BYTES, mutated

RUNS = 1200
runner = CliRunner()
COMMAND = typer.main.get_command(app)  # built once: typer rebuilds it on every app() call


# values a careless edit leaves behind: they pass YAML and often the schema, so they reach the compiler,
# the diff and the cost model (byte-level mutants mostly stop at the loader)
ODD_VALUES = [
    *("0", "-1", "1", "3", "65536", "80001", "99999999", "0.0001", "1e9", "2000"),
    *('""', "~", "[]", "{}", "true", "x", "g5g.xlarge", "p5.48xlarge", "g99.huge", "io1", "io2", "st1"),
    *("dlami-pytorch-2.9", "dlami-pytorch-9.9", "ami-0123456789abcdef0", "30d", "1m", "31d", "s3://b/p"),
    *("/", "/data", "eu-west-1", "trainer", "{max_price_usd: 0.01}"),
]


@st.composite
def odd_valued(draw: st.DrawFn) -> bytes:
    """A seed with one to three `key: value` lines given an odd value."""
    lines = draw(st.sampled_from(SEED_BYTES)).decode("utf-8").split("\n")
    candidates = [i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("#")]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.sampled_from(candidates))
        key = lines[i].split(": ", 1)[0]
        lines[i] = f"{key}: {draw(st.sampled_from(ODD_VALUES))}"
    return "\n".join(lines).encode("utf-8")


def commands(seed: str, spec: str) -> list[list[str]]:
    return [
        ["validate", spec],
        ["graph", spec, "-o", "json"],
        ["plan", spec, "--offline", "-o", "json"],
        ["diff", seed, spec],
        ["cost", spec],
        ["plan", seed, "--offline", "--against", spec],
    ]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("robust")
    (folder / "seed.yaml").write_bytes((REPO / "tests/fixtures/specs/good/minimal.yaml").read_bytes())
    (folder / ".git").mkdir()  # the project root: no runctl.toml above it is read
    return folder


@settings(max_examples=RUNS, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.one_of(mutated(), odd_valued()))
def _every_command_survives(data: bytes, workdir: Path) -> None:
    spec = workdir / "mutant.yaml"
    spec.write_bytes(data)
    for args in commands(str(workdir / "seed.yaml"), str(spec)):
        result = runner.invoke(COMMAND, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
        assert "Traceback" not in result.output, (args, result.output)


def test_1200_mutated_specs_through_six_commands_never_traceback(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)  # no applied snapshot here: plan compares with nothing
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("HF_TOKEN", "not-a-real-secret")
    _every_command_survives(workdir=workdir)
    assert not os.listdir(workdir / ".git")
