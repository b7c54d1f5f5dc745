"""A spec that is no readable regular file (issue 8 item 7): a symlink loop, a dangling symlink, a FIFO,
an unreadable file and a directory are located E0101 diagnostics for every command that reads a spec
(validate, plan, cost, graph, diff, --against) — never a traceback, never a hang; `validate` goes on with
the other files."""

from __future__ import annotations

import builtins
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from runctl_iac.cli import app
from runctl_iac.spec.yamlload import load_yaml_file

GOOD = "version: 1\nname: demo\nregion: us-east-1\n"
runner = CliRunner()

CASES = {
    "loop.yaml": "is a symbolic link loop",
    "dangling.yaml": "is a symbolic link to nowhere.yaml, which does not exist",
    "fifo.yaml": "is a FIFO (named pipe), not a regular file",
    "folder.yaml": "is a directory, not a file",
}


@pytest.fixture
def odd_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "good.yaml").write_text(GOOD)
    os.symlink("loop.yaml", tmp_path / "loop.yaml")
    os.symlink("nowhere.yaml", tmp_path / "dangling.yaml")
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "folder.yaml").mkdir()
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize(
    "command",
    [
        ["validate", "{f}"],
        ["plan", "{f}"],
        ["cost", "{f}"],
        ["graph", "{f}"],
        ["diff", "{f}", "good.yaml"],
        ["diff", "good.yaml", "{f}"],
        ["plan", "good.yaml", "--against", "{f}"],
    ],
    ids=["validate", "plan", "cost", "graph", "diff-old", "diff-new", "against"],
)
def test_unreadable_spec_is_a_located_e0101_for_every_command(
    odd_files: Path, name: str, command: list[str]
) -> None:
    code, out = invoke(*(part.format(f=name) for part in command))
    assert code == 1
    assert f"{name}: error[E0101] {CASES[name]}" in out  # under its own name, not the link's target


def test_against_a_json_fifo_or_directory_does_not_hang_or_name_an_exception(odd_files: Path) -> None:
    os.mkfifo(odd_files / "base.json")
    (odd_files / "dir").mkdir()
    for base, problem in (("base.json", "is a FIFO"), ("dir", "is a directory")):
        code, out = invoke("plan", "good.yaml", "--against", base)
        assert code == 1 and f"{base}: error[E0101] {problem}" in out and "Error" not in out


def test_validate_keeps_going_after_unreadable_files(odd_files: Path) -> None:
    code, out = invoke("validate", *sorted(CASES), "good.yaml")
    assert code == 1
    assert "good.yaml: ok (stack dev)" in out
    assert out.count("error[E0101]") == len(CASES)
    assert out.endswith("5 files checked: 4 errors, 0 warnings\n")


def test_permission_denied_is_e0101(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "secret.yaml"
    spec.write_text(GOOD)
    real_open = builtins.open

    def no_read(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(spec):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", no_read)  # root can read a chmod 000 file, so fake the denial
    [diag] = load_yaml_file(spec).diagnostics
    assert (diag.code, diag.message, diag.file) == ("E0101", "permission denied", str(spec))
    assert diag.hint and "chmod" in diag.hint


def test_diff_reports_both_files_problems(odd_files: Path) -> None:
    (odd_files / "old.yaml").write_text("version: 2\nname: demo\n")
    (odd_files / "new.yaml").write_text("version: 1\nname: Demo\n")
    code, out = invoke("diff", "old.yaml", "new.yaml")
    assert code == 1
    assert "old.yaml:1:10: error[E0205] version" in out and "new.yaml:2:7: error[E0204] name" in out
