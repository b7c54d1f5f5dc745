"""The project root and the stack overlay lookup: --stacks-dir, else stacks/ next to the spec, else
stacks/ at the project root (nearest directory upward with runctl.toml, a pyproject.toml with
[tool.runctl], or .git)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from runctl_iac.plan.base import git_base
from runctl_iac.project import overlay_candidates, project_root
from runctl_iac.spec import load_spec
from tests.cli.plan_helpers import invoke, write

REPO = Path(__file__).resolve().parents[1]
SPEC = "version: 1\nname: demo\ninstances:\n  box: {type: g5.xlarge}\n"


def tags_of(path: Path, stack: str, stacks_dir: Path | None = None) -> dict[str, str]:
    result = load_spec(path, stack=stack, stacks_dir=stacks_dir)
    assert result.spec is not None, result.diagnostics
    return dict(result.spec.tags)


@pytest.mark.parametrize("marker", ["runctl.toml", "pyproject.toml", ".git"])
def test_project_root_is_the_nearest_marked_directory(tmp_path: Path, marker: str) -> None:
    text = "[tool.runctl]\n" if marker == "pyproject.toml" else ""
    (tmp_path / marker).mkdir() if marker == ".git" else (tmp_path / marker).write_text(text)
    spec = write(tmp_path / "infra" / "deep" / "spec.yaml", SPEC)
    assert project_root(spec) == tmp_path
    assert project_root(spec.parent) == tmp_path


def test_a_pyproject_without_tool_runctl_is_no_project_root(tmp_path: Path) -> None:
    """A Python package inside a repository keeps its runctl state with the repository's."""
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pkg" / "pyproject.toml", '[project]\nname = "pkg"\n')
    spec = write(tmp_path / "pkg" / "spec.yaml", SPEC)
    assert project_root(spec) == tmp_path


def test_project_root_without_marker_is_the_spec_folder(tmp_path: Path) -> None:
    if any((d / m).exists() for d in tmp_path.parents for m in ("runctl.toml", "pyproject.toml", ".git")):
        pytest.skip("a directory above the temporary folder is marked as a project")
    spec = write(tmp_path / "a" / "spec.yaml", SPEC)
    assert project_root(spec) == spec.parent


def test_overlay_next_to_the_spec(tmp_path: Path) -> None:
    (tmp_path / "runctl.toml").write_text("")
    spec = write(tmp_path / "infra" / "spec.yaml", SPEC)
    write(tmp_path / "infra" / "stacks" / "ci.yaml", "tags: {where: beside}\n")
    write(tmp_path / "stacks" / "ci.yaml", "tags: {where: root}\n")
    assert tags_of(spec, "ci") == {"where": "beside"}


def test_overlay_at_the_project_root_for_a_spec_in_a_subdirectory(tmp_path: Path) -> None:
    (tmp_path / "runctl.toml").write_text("")
    spec = write(tmp_path / "infra" / "envs" / "spec.yaml", SPEC)
    write(tmp_path / "stacks" / "ci.yaml", "tags: {where: root}\n")
    assert tags_of(spec, "ci") == {"where": "root"}
    assert overlay_candidates(spec, "ci") == [
        spec.parent / "stacks" / "ci.yaml",
        tmp_path / "stacks" / "ci.yaml",
    ]


def test_stacks_dir_is_the_only_place_when_given(tmp_path: Path) -> None:
    (tmp_path / "runctl.toml").write_text("")
    spec = write(tmp_path / "spec.yaml", SPEC)
    write(tmp_path / "stacks" / "ci.yaml", "tags: {where: root}\n")
    write(tmp_path / "elsewhere" / "ci.yaml", "tags: {where: elsewhere}\n")
    assert tags_of(spec, "ci", tmp_path / "elsewhere") == {"where": "elsewhere"}
    (tmp_path / "empty").mkdir()
    result = load_spec(spec, stack="ci", stacks_dir=tmp_path / "empty")
    assert [d.code for d in result.diagnostics] == ["W0402"]
    result = load_spec(spec, stack="ci", stacks_dir=tmp_path / "missing")
    assert [d.code for d in result.diagnostics] == ["E0405"]


def test_missing_overlay_names_every_place_looked_in(tmp_path: Path) -> None:
    (tmp_path / "runctl.toml").write_text("")
    spec = write(tmp_path / "infra" / "spec.yaml", SPEC)
    [warning] = load_spec(spec, stack="pr-7").diagnostics
    assert warning.code == "W0402"
    assert str(tmp_path / "infra" / "stacks" / "pr-7.yaml") in warning.message
    assert str(tmp_path / "stacks" / "pr-7.yaml") in warning.message


def test_validate_quickstart_ci_finds_the_root_overlay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Acceptance: `runctl validate examples/quickstart.yaml --stack ci` uses the root's stacks/ci.yaml."""
    monkeypatch.chdir(REPO)
    run = invoke("validate", "examples/quickstart.yaml", "--stack", "ci", "--output", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert "W0402" not in run.stdout
    assert (REPO / "stacks" / "ci.yaml").is_file() and not (REPO / "examples" / "stacks").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_base_ref_reads_the_root_overlay_from_that_commit(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    spec = write(tmp_path / "infra" / "spec.yaml", SPEC)
    write(tmp_path / "stacks" / "ci.yaml", "instances:\n  box: {count: 3}\n")
    git("add", "-A")
    git("commit", "-qm", "base")
    write(tmp_path / "stacks" / "ci.yaml", "instances:\n  box: {count: 1}\n")  # not committed
    graph = git_base("HEAD", spec, "ci").graph
    assert graph is not None
    assert len([r for r in graph.resources.values() if r.type == "aws:ec2/instance:Instance"]) == 3
