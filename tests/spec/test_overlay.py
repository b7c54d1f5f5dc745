"""Stack overlays: deep merge rules, positions pointing at the overlay, and load_spec's stack handling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.render.diagnostics import render_text
from runctl_iac.spec import load_spec, load_spec_bytes, load_spec_or_raise, overlay_path
from runctl_iac.spec.model import Location, PathT
from runctl_iac.spec.overlay import merge_overlay
from runctl_iac.spec.yamlload import load_yaml

BASE = """\
version: 1
name: demo
region: us-east-1
ttl: 8h
tags: {team: ml, env: base}
instances:
  trainer:
    type: g5.xlarge
    count: 2
    volumes: {data: /data}
volumes:
  data: {size_gb: 100}
"""


def merged(overlay: str) -> tuple[dict[str, Any], dict[PathT, Location], dict[PathT, Location]]:
    base = load_yaml(BASE.encode(), "spec.yaml")
    over = load_yaml(overlay.encode(), "stacks/prod.yaml", allow_empty=True)
    doc = merge_overlay(base, over)
    assert doc.data is not None
    return doc.data, doc.positions, doc.keys


def test_mappings_merge_scalars_replace() -> None:
    data, positions, keys = merged("tags: {env: prod}\ninstances:\n  trainer:\n    count: 4\n")
    assert data["tags"] == {"team": "ml", "env": "prod"}
    assert data["instances"]["trainer"] == {"type": "g5.xlarge", "count": 4, "volumes": {"data": "/data"}}
    assert positions[("instances", "trainer", "count")] == Location("stacks/prod.yaml", 4, 12)
    assert keys[("instances", "trainer", "count")] == Location("stacks/prod.yaml", 4, 5)
    assert positions[("instances", "trainer", "type")] == Location("spec.yaml", 8, 11)
    assert positions[("tags", "team")].file == "spec.yaml"
    assert positions[("tags",)].file == "spec.yaml"  # merged mappings keep the base position


def test_lists_and_type_changes_replace_whole_subtree() -> None:
    data, positions, _ = merged("instances:\n  trainer:\n    volumes: [a]\n")
    assert data["instances"]["trainer"]["volumes"] == ["a"]
    assert positions[("instances", "trainer", "volumes", 0)].file == "stacks/prod.yaml"
    assert ("instances", "trainer", "volumes", "data") not in positions


def test_null_deletes_a_key() -> None:
    data, positions, keys = merged("ttl: null\ntags: {env: ~}\nvolumes: {data: {size_gb: null}}\n")
    assert "ttl" not in data
    assert data["tags"] == {"team": "ml"}
    assert data["volumes"] == {"data": {}}
    assert ("ttl",) not in positions and ("ttl",) not in keys
    assert ("tags", "env") not in positions


def test_null_for_an_absent_key_is_a_no_op_and_new_mappings_drop_nulls() -> None:
    data, positions, _ = merged("budget: {max_hourly_usd: 5, max_run_usd: null}\nnetwork: null\n")
    assert data["budget"] == {"max_hourly_usd": 5}
    assert "network" not in data
    assert positions[("budget", "max_hourly_usd")].file == "stacks/prod.yaml"


def test_inputs_are_not_modified() -> None:
    base = load_yaml(BASE.encode(), "spec.yaml")
    before = repr(base.data)
    merge_overlay(base, load_yaml(b"tags: {env: x}\nttl: null\n", "o.yaml"))
    assert repr(base.data) == before


# --- load_spec: stacks and overlay files ---------------------------------------------------------------

VALID = "version: 1\nname: demo\nregion: us-east-1\ntags: {env: base}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_default_stack_applies_dev_overlay(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", VALID)
    write(tmp_path / "stacks" / "dev.yaml", "tags: {env: dev}\n")
    result = load_spec(spec)
    assert result.diagnostics == []
    assert result.spec is not None
    assert result.spec.stack == "dev"
    assert dict(result.spec.tags) == {"env": "dev"}


def test_default_stack_without_overlay_is_silent(tmp_path: Path) -> None:
    result = load_spec(write(tmp_path / "spec.yaml", VALID))
    assert result.diagnostics == [] and result.spec is not None


def test_explicit_stack_without_overlay_warns(tmp_path: Path) -> None:
    result = load_spec(write(tmp_path / "spec.yaml", VALID), stack="pr-123")
    assert result.spec is not None and result.spec.stack == "pr-123"
    assert [(d.code, d.severity.value) for d in result.diagnostics] == [("W0402", "warning")]


def test_stacks_dir_option(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", VALID)
    write(tmp_path / "elsewhere" / "prod.yaml", "tags: {env: prod}\n")
    assert overlay_path(spec, "prod", tmp_path / "elsewhere") == tmp_path / "elsewhere" / "prod.yaml"
    result = load_spec(spec, stack="prod", stacks_dir=tmp_path / "elsewhere")
    assert result.spec is not None and result.spec.tags["env"] == "prod"


def test_invalid_stack_name(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", VALID)
    for bad in ("Prod", "-x", "a" * 41, "../etc", "a_b", ""):
        result = load_spec(spec, stack=bad)
        assert result.spec is None
        assert [d.code for d in result.diagnostics] == ["E0401"], bad


def test_overlay_value_error_points_at_overlay(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", VALID + "instances:\n  t:\n    type: g5.xlarge\n")
    write(tmp_path / "stacks" / "ci.yaml", "# ci\ninstances:\n  t:\n    count: -1\n")
    result = load_spec(spec, stack="ci")
    assert result.spec is None
    [d] = result.diagnostics
    assert (d.file, d.line, d.column, d.path) == (
        str(tmp_path / "stacks" / "ci.yaml"),
        4,
        12,
        "instances.t.count",
    )


def test_empty_overlay_is_fine_and_broken_overlay_is_reported(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", VALID)
    write(tmp_path / "stacks" / "ci.yaml", "# nothing to change for ci\n")
    assert load_spec(spec, stack="ci").diagnostics == []
    write(tmp_path / "stacks" / "ci.yaml", "- not a mapping\n")
    result = load_spec(spec, stack="ci")
    assert result.spec is None
    assert [(d.code, d.file) for d in result.diagnostics] == [("E0109", str(tmp_path / "stacks" / "ci.yaml"))]


def test_load_spec_bytes_with_overlay() -> None:
    result = load_spec_bytes(VALID.encode(), "HEAD:spec.yaml", stack="prod", overlay=(b"ttl: 2h\n", "o.yaml"))
    assert result.spec is not None and result.spec.ttl is not None and result.spec.ttl.seconds == 7200
    assert result.spec.source.locate(("ttl",)) == Location("o.yaml", 1, 6)
    bad = load_spec_bytes(b"version: 1\nname: x\nname: y\n", "HEAD:spec.yaml")
    assert render_text(bad.diagnostics) == (
        "HEAD:spec.yaml:3:1: error[E0106] name: duplicate key 'name' in the top level\n"
        "  hint: 'name' is first defined on line 2; keep one of them\n"
    )


def test_load_spec_or_raise(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", VALID)
    assert load_spec_or_raise(spec).name == "demo"
    try:
        load_spec_or_raise(tmp_path / "missing.yaml")
    except DiagnosticError as exc:
        assert [d.code for d in exc.diagnostics] == ["E0101"]
    else:  # pragma: no cover
        raise AssertionError("expected DiagnosticError")
