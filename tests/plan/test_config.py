"""Project config: search order, values, and E0510 for invalid settings with the key's line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.plan.config import ProjectConfig, find_config, load_project_config, parse_config


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _errors(text: str, *, pyproject: bool = False) -> list[tuple[str, int | None, str, str]]:
    with pytest.raises(DiagnosticError) as info:
        parse_config(text, "cfg.toml", pyproject=pyproject)
    return [(d.code, d.line, d.path, d.message) for d in info.value.diagnostics]


def test_defaults_without_a_config(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    spec_dir = tmp_path / "specs"
    spec_dir.mkdir()
    assert find_config(spec_dir) is None
    config = load_project_config(spec_dir)
    assert config == ProjectConfig()
    assert (config.max_instances, config.allowed_regions, config.allowed_instance_types) == (16, None, None)
    assert (config.required_tags, config.spot_discount) == ((), None)


def test_runctl_toml_found_upward_from_the_spec(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _write(
        tmp_path / "runctl.toml",
        'max_instances = 4\nallowed_regions = ["us-east-1", "us-west-2"]\n'
        'allowed_instance_types = ["g5.*", "m6i.xlarge"]\nrequired_tags = ["team"]\nspot_discount = 0.65\n',
    )
    spec = _write(tmp_path / "a" / "b" / "spec.yaml", "name: x\n")
    config = load_project_config(spec)
    assert config.max_instances == 4
    assert config.allowed_regions == ("us-east-1", "us-west-2")
    assert config.allowed_instance_types == ("g5.*", "m6i.xlarge")
    assert config.required_tags == ("team",)
    assert config.spot_discount == Decimal("0.65") and isinstance(config.spot_discount, Decimal)
    assert config.source == str((tmp_path / "runctl.toml").resolve())


def test_search_stops_at_the_git_root(tmp_path: Path) -> None:
    _write(tmp_path / "runctl.toml", "max_instances = 2\n")  # outside the repository
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert load_project_config(repo / "specs") == ProjectConfig()
    _write(repo / "runctl.toml", "max_instances = 3\n")
    assert load_project_config(repo / "specs").max_instances == 3


def test_pyproject_tool_runctl_and_precedence(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.runctl]\nmax_instances = 5\n')
    nested = tmp_path / "sub"
    _write(nested / "pyproject.toml", '[project]\nname = "sub"\n')  # no [tool.runctl]: skipped
    assert find_config(nested) == ((tmp_path / "pyproject.toml").resolve(), True)
    assert load_project_config(nested).max_instances == 5

    _write(tmp_path / "runctl.toml", "max_instances = 6\n")  # same directory: runctl.toml wins
    assert load_project_config(nested).max_instances == 6
    _write(nested / "runctl.toml", "max_instances = 7\n")  # nearer directory wins
    assert load_project_config(nested).max_instances == 7


def test_unknown_key_with_did_you_mean_and_its_line() -> None:
    text = "# guardrails\nmax_instances = 8\n\nallowed_region = ['us-east-1']\n"
    with pytest.raises(DiagnosticError) as info:
        parse_config(text, "runctl.toml")
    (d,) = info.value.diagnostics
    assert (d.code, d.file, d.line, d.path) == ("E0510", "runctl.toml", 4, "allowed_region")
    assert d.hint == "did you mean 'allowed_regions'?"


def test_wrong_types_are_each_reported() -> None:
    text = 'max_instances = "ten"\nspot_discount = 1.5\nrequired_tags = "team"\nallowed_regions = [1]\n'
    assert [(c, line, p) for c, line, p, _ in _errors(text)] == [
        ("E0510", 1, "max_instances"),
        ("E0510", 2, "spot_discount"),
        ("E0510", 3, "required_tags"),
        ("E0510", 4, "allowed_regions"),
    ]
    assert [c for c, *_ in _errors("max_instances = true\n")] == ["E0510"]
    assert [c for c, *_ in _errors("max_instances = 0\n")] == ["E0510"]
    assert [c for c, *_ in _errors('spot_discount = "0.6"\n')] == ["E0510"]
    assert parse_config("spot_discount = 0\n", "f").spot_discount == Decimal(0)


def test_pyproject_lines_are_found_inside_the_tool_runctl_table() -> None:
    text = '[tool.other]\nmax_instances = "x"\n\n[tool.runctl]\nrequired_tags = ["a"]\nmax_instances = -1\n'
    ((code, line, path, message),) = _errors(text, pyproject=True)
    assert (code, line, path) == ("E0510", 6, "tool.runctl.max_instances")
    assert "-1" in message


def test_toml_syntax_error_has_a_line() -> None:
    ((code, line, _, message),) = _errors("max_instances = 4\nallowed_regions = [\n")
    assert code == "E0510" and line is not None and line >= 2
    assert "TOML syntax error" in message


def test_unreadable_config_is_a_diagnostic(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "runctl.toml").write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(DiagnosticError) as info:
        load_project_config(tmp_path)
    assert info.value.diagnostics[0].code == "E0510"
