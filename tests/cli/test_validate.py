"""`runctl validate`: exit codes, every problem of every file, JSON output, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runctl_iac.cli import app

VALID = "version: 1\nname: demo\nregion: us-east-1\n"
runner = CliRunner()


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "good.yaml").write_text(VALID)
    (tmp_path / "dup.yaml").write_text("version: 1\nname: a\nname: b\nregion: us-east-1\nregion: x\n")
    (tmp_path / "schema.yaml").write_text(VALID + "colour: blue\n")
    (tmp_path / "binary.yaml").write_bytes(b"\x00\xff\xfe garbage")
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_valid_file(specs: Path) -> None:
    assert invoke("good.yaml") == (0, "good.yaml: ok (stack dev)\n1 file checked: 0 errors, 0 warnings\n")


def test_all_problems_of_all_files(specs: Path) -> None:
    code, out = invoke("dup.yaml", "good.yaml", "missing.yaml", "schema.yaml")
    assert code == 1
    lines = out.splitlines()
    assert lines[:7] == [
        "dup.yaml:3:1: error[E0106] name: duplicate key 'name' in the top level",
        "  hint: 'name' is first defined on line 2; keep one of them",
        "dup.yaml:5:1: error[E0106] region: duplicate key 'region' in the top level",
        "  hint: 'region' is first defined on line 4; keep one of them",
        "good.yaml: ok (stack dev)",
        "missing.yaml: error[E0101] file not found",
        "  hint: check the path",
    ]
    # the schema tier's wording for the unknown key is its own; its position is the loader's
    assert lines[7].startswith("schema.yaml:4:1: error[E0201] colour: ")
    assert lines[8].startswith("  hint: ")
    assert lines[9:] == ["4 files checked: 4 errors, 0 warnings"]


def test_binary_garbage_is_a_diagnostic(specs: Path) -> None:
    code, out = invoke("binary.yaml")
    assert code == 1
    assert out.startswith("binary.yaml:1:2: error[E0103] byte 0xff is not valid UTF-8\n")


def test_json_output(specs: Path) -> None:
    code, out = invoke("dup.yaml", "good.yaml", "--output", "json")
    assert code == 1
    data = json.loads(out)
    assert [(d["code"], d["file"], d["line"], d["column"], d["path"]) for d in data] == [
        ("E0106", "dup.yaml", 3, 1, "name"),
        ("E0106", "dup.yaml", 5, 1, "region"),
    ]
    assert invoke("good.yaml", "-o", "json") == (0, "[]\n")


def test_markdown_is_not_offered(specs: Path) -> None:
    result = runner.invoke(app, ["validate", "good.yaml", "--output", "markdown"])
    assert result.exit_code != 0 and "Invalid value" in result.output
    help_text = runner.invoke(app, ["validate", "--help"]).output
    assert "markdown" not in help_text and "text|json" in help_text


def test_validate_reads_stdin_with_dash(specs: Path) -> None:
    result = runner.invoke(app, ["validate", "-"], input=VALID)
    assert (result.exit_code, result.output) == (
        0,
        "<stdin>: ok (stack dev)\n1 file checked: 0 errors, 0 warnings\n",
    )
    bad = runner.invoke(app, ["validate", "-"], input="version: 1\nname: Bad\n")
    assert bad.exit_code == 1 and bad.output.startswith("<stdin>:2:7: error[E0204] name:")


def test_help_says_guardrails_are_not_applied(specs: Path) -> None:
    help_text = " ".join(runner.invoke(app, ["validate", "--help"]).output.split())
    assert "runctl.toml" in help_text and "not here" in help_text


def test_stack_and_stacks_dir(specs: Path) -> None:
    (specs / "overlays").mkdir()
    (specs / "overlays" / "prod.yaml").write_text("region: eu-west-1\nname: null\n")
    code, out = invoke("good.yaml", "--stack", "prod", "--stacks-dir", "overlays")
    assert code == 1
    assert "E0203" in out and "name" in out
    (specs / "overlays" / "prod.yaml").write_text("region: eu-west-1\n")
    assert invoke("good.yaml", "-s", "prod", "--stacks-dir", "overlays")[1].startswith(
        "good.yaml: ok (stack prod)\n"
    )


def test_missing_overlay_warns_but_passes(specs: Path) -> None:
    code, out = invoke("good.yaml", "--stack", "pr-7")
    assert code == 0
    assert out == (
        "warning[W0402] no overlay stacks/pr-7.yaml for stack 'pr-7'; the spec is used as is\n"
        "  hint: create stacks/pr-7.yaml to give this stack its own settings\n"
        "good.yaml: ok (stack pr-7)\n"
        "1 file checked: 0 errors, 1 warning\n"
    )


def test_bad_stack_name(specs: Path) -> None:
    code, out = invoke("good.yaml", "--stack", "Prod!")
    assert code == 1
    assert out.startswith("error[E0401] invalid stack name 'Prod!'\n")


def test_no_files_is_a_usage_error(specs: Path) -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
