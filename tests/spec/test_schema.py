"""The schema itself, and how its errors are translated into diagnostics (the E02xx tier)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from runctl_iac.diagnostics import Diagnostic
from runctl_iac.spec.check import check
from runctl_iac.spec.model import SourceMap
from runctl_iac.spec.schema import load_schema, resolve, schema_diagnostics
from runctl_iac.spec.yamlload import load_yaml

REPO = Path(__file__).resolve().parents[2]
LLAMA = REPO / "examples" / "llama-finetune.yaml"


def diagnose(text: str) -> list[Diagnostic]:
    doc = load_yaml(text.encode(), "spec.yaml")
    assert doc.data is not None, doc.diagnostics
    return schema_diagnostics(doc.data, SourceMap(doc.positions, doc.keys, doc.file))


def brief(diags: list[Diagnostic]) -> list[tuple[str, str, int | None, int | None]]:
    return [(d.code, d.path, d.line, d.column) for d in diags]


def subschemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object in the document, skipping the if/then constraint blocks' own properties."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            if key in ("if", "then", "else", "examples", "default", "enum", "const"):
                continue
            if key in ("properties", "$defs"):
                for name, sub in value.items():
                    yield from subschemas(sub, f"{where}/{key}/{name}")
            elif isinstance(value, dict):
                yield from subschemas(value, f"{where}/{key}")
            elif isinstance(value, list):
                for i, sub in enumerate(value):
                    yield from subschemas(sub, f"{where}/{key}/{i}")


# --- the schema document ---------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12_with_id_and_title() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("runctl.schema.json")
    assert schema["title"]


def test_schemas_dir_is_a_symlink_to_the_packaged_schema() -> None:
    link = REPO / "schemas" / "runctl.schema.json"
    assert link.is_symlink()
    assert link.resolve() == (REPO / "runctl_iac" / "data" / "runctl.schema.json").resolve()


def test_every_property_at_every_depth_has_a_description() -> None:
    missing = []
    count = 0
    for where, node in subschemas(load_schema()):
        for name, prop in node.get("properties", {}).items():
            count += 1
            if not (isinstance(prop, dict) and prop.get("description")):
                missing.append(f"{where}/properties/{name}")
    assert count >= 45  # every field of the spec is reached
    assert missing == []


def test_every_object_is_closed() -> None:
    """Objects with fields forbid others; maps (named entries) constrain their keys and values."""
    problems = []
    for where, node in subschemas(load_schema()):
        if "properties" in node and node.get("additionalProperties") is not False:
            problems.append(f"{where}: additionalProperties is not false")
        is_map = node.get("type") == "object" and "properties" not in node
        if is_map and (not isinstance(node.get("additionalProperties"), dict) or "propertyNames" not in node):
            problems.append(f"{where}: a map without propertyNames and a value schema")
    assert problems == []


def test_defaults_and_examples_are_valid_for_their_fields() -> None:
    schema = load_schema()
    checked = 0
    for where, node in subschemas(schema):
        for name, prop in node.get("properties", {}).items():
            for value in [prop["default"]] if "default" in prop else []:
                sub = {"$defs": schema["$defs"], **{k: v for k, v in prop.items() if k != "default"}}
                assert Draft202012Validator(sub).is_valid(value), f"{where}/{name} default {value!r}"
                checked += 1
        for value in node.get("examples", []):
            sub = {"$defs": schema["$defs"], **{k: v for k, v in node.items() if k != "examples"}}
            assert Draft202012Validator(sub).is_valid(value), f"{where} example {value!r}"
            checked += 1
    assert checked >= 20


def test_patterns_are_portable_to_editor_regex_engines() -> None:
    for where, node in subschemas(load_schema()):
        pattern = node.get("pattern")
        if pattern is None:
            continue
        re.compile(pattern)
        assert pattern.startswith("^") and (pattern.endswith("$") or pattern == "^/"), where
        assert "(?P" not in pattern and "\\A" not in pattern and "\\Z" not in pattern, where


@pytest.mark.parametrize(
    ("ok", "bad"),
    [
        (
            ["llama-checkpoints", "abc", "a" * 63, "x1-2-3"],
            ["ab", "a" * 64, "Data", "my.bucket", "-abc", "abc-"],
        ),
        (["data-s3", "alias-x"], ["xn--data", "sthree-x", "data-s3alias", "data--ol-s3", "amzn-s3-demo-x"]),
    ],
)
def test_bucket_names_follow_s3_rules(ok: list[str], bad: list[str]) -> None:
    check_name = Draft202012Validator(resolve({"$ref": "#/$defs/bucketName"})).is_valid
    assert all(check_name(n) for n in ok)
    assert not any(check_name(n) for n in bad)


def test_name_duration_and_id_patterns() -> None:
    defs = load_schema()["$defs"]
    valid = Draft202012Validator
    assert all(valid(defs["logicalName"]).is_valid(n) for n in ["a", "trainer", "gpu-2", "a" * 40])
    assert not any(
        valid(defs["logicalName"]).is_valid(n) for n in ["", "2gpu", "Gpu", "gpu-", "a" * 41, "a_b"]
    )
    assert all(valid(defs["duration"]).is_valid(d) for d in ["90m", "8h", "3d", "1d12h", "2h30m"])
    assert not any(valid(defs["duration"]).is_valid(d) for d in ["", "8", "h", "8 h", "1.5h", "30m2h", "8s"])
    assert all(valid(defs["envName"]).is_valid(n) for n in ["HF_TOKEN", "_X", "A1"])
    assert not any(valid(defs["envName"]).is_valid(n) for n in ["hf_token", "1A", "A-B", ""])


# --- translation -----------------------------------------------------------------------------------

BASE = "version: 1\nname: demo\n"


def test_unknown_key_points_at_the_key_and_suggests_the_closest() -> None:
    diags = diagnose(BASE + "instances:\n  trainer:\n    type: g5.xlarge\n    cuont: 2\n")
    assert brief(diags) == [("E0201", "instances.trainer.cuont", 6, 5)]
    assert diags[0].hint == 'did you mean "count"?'
    far = diagnose(BASE + "zzz: 1\n")
    assert far[0].hint is not None and far[0].hint.startswith("allowed keys: buckets, budget, instances")


def test_wrong_type_message_names_the_value() -> None:
    diags = diagnose(BASE + "instances:\n  trainer:\n    type: g5.xlarge\n    count: two\n")
    assert [d.message for d in diags] == ['expected an integer, got "two"']
    assert brief(diags) == [("E0202", "instances.trainer.count", 6, 12)]


def test_spot_mapping_reports_the_mapping_branch_not_the_generic_oneof() -> None:
    diags = diagnose(
        BASE + "instances:\n  t:\n    type: g5.xlarge\n    spot: {max_price_usd: cheap, bid: 1}\n"
    )
    assert brief(diags) == [
        ("E0202", "instances.t.spot.max_price_usd", 6, 27),
        ("E0201", "instances.t.spot.bid", 6, 34),
    ]
    assert not any("valid under" in d.message for d in diags)


def test_spot_with_neither_form_lists_both_types() -> None:
    diags = diagnose(BASE + "instances:\n  t:\n    type: g5.xlarge\n    spot: 3\n")
    assert [(d.code, d.message) for d in diags] == [("E0202", "expected a boolean or a mapping, got 3")]


def test_image_picks_the_branch_by_prefix() -> None:
    text = BASE + "instances:\n  t:\n    type: g5.xlarge\n    image: {}\n"
    ami, ssm, other = (diagnose(text.format(v))[0].message for v in ("ami-xyz", "ssm:x", "dlami"))
    assert ami == '"ami-xyz" is not an AMI id (ami- and 8 or 17 hex digits)'
    assert ssm.startswith('"ssm:x" is not an SSM parameter path')
    assert other.startswith('"dlami" is not an image alias')


def test_volume_type_limits_name_the_type() -> None:
    diags = diagnose(BASE + "volumes:\n  d:\n    size_gb: 10\n    type: io2\n    throughput_mbps: 500\n")
    assert [(d.code, d.path, d.message) for d in diags] == [
        ("E0203", "volumes.d.iops", 'required key "iops" is missing (required for type io2)'),
        ("E0207", "volumes.d.throughput_mbps", "throughput_mbps cannot be set for type io2"),
    ]
    assert diags[1].line == 7 and diags[1].column == 5  # the key, not its mapping


def test_missing_required_key_that_a_typo_explains_is_reported_once() -> None:
    diags = diagnose(BASE + "instances:\n  t:\n    tpye: g5.xlarge\n")
    assert brief(diags) == [("E0201", "instances.t.tpye", 5, 5)]


def test_all_errors_are_reported_deduplicated_and_sorted_by_position() -> None:
    diags = diagnose("name: Bad\nversion: 3\nvolumes:\n  d: {size_gb: 0}\nregion: moon\n")
    assert brief(diags) == [
        ("E0204", "name", 1, 7),
        ("E0205", "version", 2, 10),
        ("E0206", "volumes.d.size_gb", 4, 16),
        ("E0204", "region", 5, 9),
    ]
    assert len({(d.code, d.path, d.message) for d in diags}) == len(diags)


def test_enum_suggests_the_closest_value() -> None:
    [diag] = diagnose(BASE + "target: locla\n")
    assert (diag.code, diag.message, diag.hint) == (
        "E0205",
        'expected one of aws, local, got "locla"',
        'did you mean "local"?',
    )


def test_bad_map_key_points_at_the_key() -> None:
    diags = diagnose(BASE + "volumes:\n  Data_1:\n    size_gb: 10\n")
    assert brief(diags) == [("E0204", "volumes.Data_1", 4, 3)]


# --- robustness: any data shape gives diagnostics or a Spec, never an exception -------------------

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=False), st.text(max_size=8)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


LLAMA_DATA = yaml.safe_load(LLAMA.read_text())
LLAMA_PATHS = _paths(LLAMA_DATA)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(LLAMA_PATHS), VALUES), min_size=1, max_size=3))
def test_mutated_spec_never_raises(mutations: list[tuple[tuple[Any, ...], Any]]) -> None:
    data = copy.deepcopy(LLAMA_DATA)
    for path, value in mutations:
        node = data
        try:
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    spec, diags = check(data, SourceMap(), "dev")
    assert (spec is None) == any(d.is_error for d in diags)
    json.dumps([d.to_json() for d in diags])


def test_image_of_the_wrong_type_and_near_miss_alias() -> None:
    text = BASE + "instances:\n  t:\n    type: g5.xlarge\n    image: {}\n"
    [number] = diagnose(text.format("5"))
    assert (number.code, number.message) == ("E0202", "expected a string, got 5")
    [near] = diagnose(text.format("ubuntu-24"))
    assert (near.code, near.hint) == ("E0204", 'did you mean "ubuntu-24.04"?')


def test_training_on_is_reported_as_renamed_to_group() -> None:
    """`on` was renamed before v1: YAML 1.1 parsers (PyYAML's safe_load) read it as the boolean true."""
    diags = diagnose(BASE + "instances:\n  gpu: {type: g5.xlarge}\ntraining:\n  on: gpu\n  run: x\n")
    assert [(d.code, d.path, d.line, d.column) for d in diags] == [("E0201", "training.on", 6, 3)]
    assert diags[0].hint is not None and diags[0].hint.startswith('did you mean "group"?')


def test_examples_read_the_same_under_yaml_11() -> None:
    """Every example means the same to PyYAML's YAML 1.1 safe_load as to runctl's YAML 1.2 loader."""
    import yaml

    from runctl_iac.spec.yamlload import load_yaml_file

    for path in sorted((Path(__file__).resolve().parents[2] / "examples").rglob("*.yaml")):
        assert yaml.safe_load(path.read_text()) == load_yaml_file(path).data, path
