"""Golden fixtures: every good spec loads cleanly; every bad spec gives exactly its expected diagnostics.

- `tests/fixtures/specs/good/*.yaml` must load (default stack) with no error.
- `tests/fixtures/specs/bad/<name>.yaml` must produce the diagnostics in `bad/<name>.expected`:
  the text rendering (file paths relative to the repo root), without the summary line.
  Regenerate with `UPDATE_GOLDEN=1 pytest tests/spec/test_fixtures.py` and review the diff.
- A bad fixture may pick a stack with a first-line comment `# runctl-test: stack=<name>`; its
  overlay then comes from `bad/stacks/<name>.yaml`. (Do not add `bad/stacks/dev.yaml`: it would
  apply to every fixture.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from runctl_iac.render.diagnostics import render_text
from runctl_iac.spec import LoadResult, load_spec

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "tests" / "fixtures" / "specs"
GOOD = sorted((SPECS / "good").glob("*.yaml"))
BAD = sorted((SPECS / "bad").glob("*.yaml"))
DIRECTIVE = re.compile(rb"^# runctl-test: stack=(\S+)")


def load_fixture(path: Path) -> LoadResult:
    match = DIRECTIVE.match(path.read_bytes())
    if match:
        return load_spec(path, stack=match.group(1).decode(), stacks_dir=path.parent / "stacks")
    return load_spec(path)


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_good_fixture_loads(path: Path) -> None:
    result = load_fixture(path)
    assert render_text(result.diagnostics, cwd=REPO) == ""
    assert result.spec is not None


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_fixture_matches_golden(path: Path) -> None:
    result = load_fixture(path)
    assert result.spec is None
    assert any(d.is_error for d in result.diagnostics)
    for d in result.diagnostics:  # a golden line must pin the position, not only the code
        if d.is_error:
            assert d.file and d.line and d.column, f"{d.code} without a position: {d}"
    actual = render_text(result.diagnostics, cwd=REPO)
    golden = path.with_suffix(".expected")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.exists(), f"{golden.name} missing: run with UPDATE_GOLDEN=1 and review it"
    assert actual == golden.read_text(encoding="utf-8")


def test_every_golden_has_a_fixture() -> None:
    stale = [g.name for g in (SPECS / "bad").glob("*.expected") if not g.with_suffix(".yaml").exists()]
    assert stale == []


def test_fixture_sets_are_large_enough() -> None:
    assert len(GOOD) >= 5
    assert len(BAD) >= 30
    assert len([p for p in BAD if p.name.startswith("load-")]) >= 12


LOAD = [p for p in BAD if p.name.startswith("load-")]


@pytest.mark.parametrize("path", LOAD, ids=[p.stem for p in LOAD])
def test_load_fixture_same_with_pure_python_parser(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The load tier says the same whichever parser PyYAML was built with: libyaml (the default
    above) or the pure-Python one (PyYAML without libyaml; also what locates over-deep nesting)."""
    from runctl_iac.spec import yamlload

    monkeypatch.setattr(yamlload, "_CParser", None)
    actual = render_text(load_fixture(path).diagnostics, cwd=REPO)
    assert actual == path.with_suffix(".expected").read_text(encoding="utf-8")
