"""Hypothesis: random and mutated YAML never makes the loader raise; it returns a Spec or a diagnostic."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from runctl_iac.diagnostics import has_errors
from runctl_iac.spec import LoadResult, load_spec_bytes
from runctl_iac.spec.yamlload import load_yaml

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted([*REPO.glob("examples/*.yaml"), *REPO.glob("tests/fixtures/specs/good/*.yaml")])
SEED_BYTES = [p.read_bytes() for p in SEEDS] or [b"version: 1\nname: seed\nregion: us-east-1\n"]
YAML_BITS = [
    *(
        s.encode()
        for s in [":", "- ", "  ", "\t", "\n", "[", "]", "{", "}", "&a ", "*a", "!!int ", "!x ", "? "]
    ),
    *(s.encode() for s in ["'", '"', "|", ">", "#", "---\n", "~", "null", "0", "-1", "1e9", "<<: "]),
    b"\xff",
    b"\x00",
]

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_well_formed(result: LoadResult) -> None:
    if result.spec is None:
        assert has_errors(result.diagnostics)
    else:
        assert not has_errors(result.diagnostics)
    for d in result.diagnostics:
        assert d.message and d.code


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEED_BYTES)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "dup-line"]))
        if op == "insert":
            data[at:at] = draw(st.sampled_from(YAML_BITS))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif op == "replace":
            data[at : at + 1] = bytes([draw(st.integers(0, 255))])
        else:
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    assert_well_formed(load_spec_bytes(data, "fuzz.yaml"))


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("ab: -\n\t[]{},&*!|>'\"#?~01.")), max_size=200))
def test_random_yaml_like_text(text: str) -> None:
    assert_well_formed(load_spec_bytes(text.encode(), "fuzz.yaml"))


@FUZZ
@given(mutated(), st.sampled_from([None, b"tags: {env: x}\n", b"ttl: null\ninstances: null\n", b"- x\n"]))
def test_mutated_specs_and_overlays(data: bytes, overlay: bytes | None) -> None:
    result = load_spec_bytes(data, "fuzz.yaml", stack="ci", overlay=(overlay, "o.yaml") if overlay else None)
    assert_well_formed(result)


def test_seeds_are_valid() -> None:
    for seed in SEED_BYTES:
        assert load_spec_bytes(seed, "seed.yaml").spec is not None


# NEL (U+0085) is excluded: PyYAML's own emitter writes it raw, and YAML reads it as a line break
TEXT = st.text(alphabet=st.characters(exclude_characters="\x85", exclude_categories=["Cs"]), max_size=12)
JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


def all_paths(value: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += all_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += all_paths(v, (*path, i))
    return out


def value_at(data: object, path: tuple[str | int, ...]) -> object:
    for part in path:
        data = data[part]  # type: ignore[index]
    return data


@FUZZ
@given(st.dictionaries(TEXT, JSON_LIKE, min_size=1, max_size=4), st.booleans())
def test_round_trip_of_dumped_data(data: dict[str, object], flow: bool) -> None:
    # whatever PyYAML dumps, the loader reads back unchanged, with a position for every node.
    # PyYAML writes YAML 1.1 and leaves e.g. 0E0 or 0o7 unquoted, which YAML 1.2 reads as numbers
    values = [v for p in all_paths(data) if isinstance(v := value_at(data, p), str)]
    assume(not any(re.match(r"[-+]?[.0-9]", v) for v in values))
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    doc = load_yaml(text.encode(), "rt.yaml")
    assert [d for d in doc.diagnostics if d.is_error] == []  # W0318 may note a key YAML reads as a number
    assert doc.data == data
    assert set(all_paths(data)) <= set(doc.positions)
