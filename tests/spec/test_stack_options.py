"""Issue 8 item 11: a ttl shorter than max_runtime warns; `--stack prd` next to a `prod` overlay gets
"did you mean"; a --stacks-dir that does not exist is an error."""

from __future__ import annotations

from pathlib import Path

from runctl_iac.spec import load_spec

SPEC = "version: 1\nname: demo\ninstances:\n  t:\n    type: g5.xlarge\ntraining:\n  group: t\n  run: x\n"


def test_ttl_shorter_than_max_runtime_warns(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("version: 1\n", "version: 1\nttl: 2h\n") + "  max_runtime: 12h\n")
    result = load_spec(spec)
    assert result.ok
    [warning] = result.diagnostics
    assert (warning.code, warning.path, warning.line) == ("W0317", "ttl", 2)
    assert "expires 10h before" in warning.message
    spec.write_text(SPEC.replace("version: 1\n", "version: 1\nttl: 12h\n") + "  max_runtime: 12h\n")
    assert load_spec(spec).diagnostics == []


def test_misspelt_stack_gets_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "prod.yaml").write_text("tags: {env: prod}\n")
    (tmp_path / "spec.yaml").write_text(SPEC)
    [warning] = load_spec(tmp_path / "spec.yaml", stack="prd").diagnostics
    assert warning.code == "W0402" and warning.hint is not None
    assert warning.hint.startswith("did you mean --stack prod?")
    [other] = load_spec(tmp_path / "spec.yaml", stack="qa").diagnostics
    assert other.hint is not None and other.hint.startswith("create ")


def test_stacks_dir_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(SPEC)
    result = load_spec(tmp_path / "spec.yaml", stacks_dir=tmp_path / "overlays")
    assert result.spec is None
    [error] = result.diagnostics
    assert error.code == "E0405" and "does not exist" in error.message
    (tmp_path / "file").write_text("")
    [not_dir] = load_spec(tmp_path / "spec.yaml", stacks_dir=tmp_path / "file").diagnostics
    assert not_dir.code == "E0405" and "is not a directory" in not_dir.message
