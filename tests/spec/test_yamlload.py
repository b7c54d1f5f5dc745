"""The YAML tier: data, positions, and one precise diagnostic per problem (never an exception)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from runctl_iac.spec import yamlload
from runctl_iac.spec.model import Location
from runctl_iac.spec.yamlload import MAX_BYTES, YamlDoc, dotted, load_yaml, load_yaml_file


def load(text: str | bytes, **kwargs: bool) -> YamlDoc:
    raw = text.encode() if isinstance(text, str) else text
    return load_yaml(raw, "spec.yaml", **kwargs)


def problems(doc: YamlDoc) -> list[tuple[str, int | None, int | None, str]]:
    return [(d.code, d.line, d.column, d.path) for d in doc.diagnostics]


def test_plain_data_and_positions() -> None:
    doc = load("version: 1\nname: demo\ninstances:\n  trainer:\n    count: 2\n    volumes: [a, b]\n")
    assert doc.diagnostics == []
    assert doc.data == {
        "version": 1,
        "name": "demo",
        "instances": {"trainer": {"count": 2, "volumes": ["a", "b"]}},
    }
    assert doc.positions[("instances", "trainer", "count")] == Location("spec.yaml", 5, 12)
    assert doc.keys[("instances", "trainer", "count")] == Location("spec.yaml", 5, 5)
    assert doc.positions[("instances", "trainer", "volumes", 1)] == Location("spec.yaml", 6, 18)
    assert doc.positions[()] == Location("spec.yaml", 1, 1)


def test_yaml_12_core_scalars() -> None:
    doc = load(
        "a: yes\nb: on\nc: true\nd: False\ne: ~\nf: null\ng:\nh: 0x1f\ni: 0o17\nj: -12\nk: 2.5\n"
        "l: 1e3\nm: 1:30\nn: 2024-01-01\no: .inf\np: '3'\nq: !!str 4\nr: !!float 5\ns: 007\n"
    )
    assert doc.data == {
        "a": "yes", "b": "on", "c": True, "d": False, "e": None, "f": None, "g": None, "h": 31, "i": 15,
        "j": -12, "k": 2.5, "l": 1000.0, "m": "1:30", "n": "2024-01-01", "o": ".inf", "p": "3", "q": "4",
        "r": 5.0, "s": 7,
    }  # fmt: skip


def test_keys_are_strings_as_written() -> None:
    # `on:` (the key training.group had before it was renamed) would be the boolean True in YAML 1.1
    doc = load("on: trainer\n1: one\ntrue: t\n'quoted': q\n")
    assert list(doc.data or {}) == ["on", "1", "true", "quoted"]


def test_block_scalars_keep_tabs_and_positions() -> None:
    doc = load("run: |\n  for f in *; do\n  \techo $f\n  done\nnext: 1\n")
    assert doc.diagnostics == []
    assert doc.data == {"run": "for f in *; do\n\techo $f\ndone\n", "next": 1}
    assert doc.positions[("next",)] == Location("spec.yaml", 5, 7)


def test_aliases_copy_values_and_positions() -> None:
    doc = load("base: &b {type: g5.xlarge, count: 2}\nother: *b\n")
    assert doc.data == {"base": {"type": "g5.xlarge", "count": 2}, "other": {"type": "g5.xlarge", "count": 2}}
    assert doc.positions[("other",)] == Location("spec.yaml", 2, 8)
    assert doc.positions[("other", "count")] == Location("spec.yaml", 1, 35)
    assert doc.keys[("other", "type")] == Location("spec.yaml", 1, 11)


def test_utf8_bom_is_accepted() -> None:
    assert load(b"\xef\xbb\xbfname: x\n").data == {"name": "x"}


def test_every_duplicate_key_is_reported() -> None:
    doc = load("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")
    assert doc.data is None
    assert problems(doc) == [("E0106", 4, 3, "b.c"), ("E0106", 5, 1, "a")]
    assert doc.diagnostics[1].hint == "'a' is first defined on line 1; keep one of them"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("E0104", 1, 1, "")),
        ("# only a comment\n\n", ("E0104", 1, 1, "")),
        ("---\n", ("E0104", 1, 1, "")),
        ("- a\n- b\n", ("E0109", 1, 1, "")),
        ("# c\n42\n", ("E0109", 2, 1, "")),
        ("a: [1,\n", ("E0105", 1, 7, "")),
        ("a: b: c\n", ("E0105", 1, 5, "")),
        ("a:\n  b: 1\n c: 2\n", ("E0105", 3, 2, "")),
        ("a:\n\tb: 1\n", ("E0107", 2, 1, "")),
        ("a:\n  \tb: 1\n", ("E0107", 2, 3, "")),
        ("a: 1\n---\nb: 2\n", ("E0110", 2, 1, "")),
        ("a: !Ref x\n", ("E0110", 1, 4, "a")),
        ("a: !!python/object:os.system x\n", ("E0110", 1, 4, "a")),
        ("a: !!int x\n", ("E0110", 1, 4, "a")),
        ("a: !!set {x}\n", ("E0110", 1, 4, "a")),
        ("? [a]\n: 1\n", ("E0110", 1, 3, "")),
        ("[a]: 1\n", ("E0110", 1, 1, "")),
        ("a: &x\n  b: 1\nc:\n  <<: *x\n", ("E0110", 4, 3, "c")),
        ("a: &x [*x]\n", ("E0110", 1, 8, "a[0]")),
        ("a: *nope\n", ("E0105", 1, 4, "a")),
        ("a: b\x07\n", ("E0105", 1, 5, "")),
        ("a: " + "[" * 80 + "]" * 80 + "\n", ("E0110", 1, 67, "a")),
    ],
)
def test_rejected_with_one_diagnostic(text: str, expected: tuple[str, int, int, str]) -> None:
    doc = load(text)
    assert doc.data is None
    assert problems(doc) == [expected]
    assert all(d.hint for d in doc.diagnostics)


def test_non_utf8_points_at_the_first_bad_byte() -> None:
    doc = load("a: 1\nb: 'é".encode() + b"\xff'\n")
    assert problems(doc) == [("E0103", 2, 6, "")]
    assert doc.diagnostics[0].message == "byte 0xff is not valid UTF-8"


def test_utf16_is_not_utf8() -> None:
    assert problems(load("a: 1\n".encode("utf-16"))) == [("E0103", 1, 1, "")]


def test_billion_laughs_fails_fast() -> None:
    lines = ["a: &a [" + ", ".join(["lol"] * 9) + "]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    start = time.process_time()  # this process's CPU time: other processes on the machine add nothing
    doc = load("\n".join(lines) + "\n")
    elapsed = time.process_time() - start
    assert [d.code for d in doc.diagnostics] == ["E0108"]
    assert elapsed < 2.0  # milliseconds in practice (figures: make bench)


@pytest.fixture(params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with each parser PyYAML may have been built with."""
    if request.param == "pure-python":
        monkeypatch.setattr(yamlload, "_CParser", None)
    elif yamlload._CParser is None:
        pytest.skip("PyYAML was built without libyaml")
    return str(request.param)


@pytest.mark.parametrize("depth", [65, 999, 1001, 200_000])
def test_deep_nesting_fails_fast_without_recursion(parser: str, depth: int) -> None:
    """libyaml (PyYAML >= 6.0.4) stops at its own depth of 1000 while scanning ahead; the user gets
    runctl's E0110 all the same, located at the 65th level (the 64th bracket), whichever parser ran."""
    start = time.process_time()  # this process's CPU time: other processes on the machine add nothing
    doc = load("a: " + "[" * depth + "]" * depth)
    assert problems(doc) == [("E0110", 1, 3 + 64, "a")]  # the root mapping is level 1
    assert doc.diagnostics[0].message == "nested more than 64 levels deep"
    assert doc.diagnostics[0].hint == "flatten the structure; a spec needs only a few levels"
    assert time.process_time() - start < 2.0  # ~0.15 s (figures: make bench)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: 1\n b: 2\n", "mapping values are not allowed in this context"),
        ("a: [1, 2\nb: 3\n", "did not find expected ',' or ']'"),
        ("a: {x: 1\n", "did not find expected ',' or '}'"),
        ("a: @x\n", "found character that cannot start any token"),
        ("- a\nb: 1\n", "did not find expected '-' indicator"),
        ("a: 1\n- b\n", "did not find expected key"),
    ],
)
def test_syntax_error_wording_is_the_same_for_both_parsers(parser: str, text: str, problem: str) -> None:
    doc = load(text)
    assert [d.code for d in doc.diagnostics] == ["E0105"]
    assert doc.diagnostics[0].message.startswith(problem)


def test_file_over_the_size_bound() -> None:
    doc = load(b"a: 1\n" + b"# padding\n" * (MAX_BYTES // 10 + 1))
    assert problems(doc) == [("E0102", 1, 1, "")]


def test_tab_inside_flow_or_after_key_is_not_indentation() -> None:
    assert load("a:\t1\nb: [1,\t2]\n").data == {"a": 1, "b": [1, 2]}


def test_tab_in_indentation_reports_all_lines() -> None:
    doc = load("a:\n  b: 1\n  c:\n\t\t- x\n")
    assert [d.code for d in doc.diagnostics] == ["E0107"]
    doc = load("a: [1,\n\t2]\nb: {c: 1,\n\td: 2}\n")
    assert problems(doc) == [("E0107", 2, 1, ""), ("E0107", 4, 1, "")]


def test_empty_allowed_for_overlays() -> None:
    assert load("# nothing here\n", allow_empty=True).data == {}


def test_missing_file(tmp_path: Path) -> None:
    doc = load_yaml_file(tmp_path / "nope.yaml")
    assert problems(doc) == [("E0101", None, None, "")]
    assert doc.diagnostics[0].file == str(tmp_path / "nope.yaml")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    assert [d.code for d in load_yaml_file(tmp_path).diagnostics] == ["E0101"]


def test_oversized_file_on_disk_is_not_read_whole(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" + b"#" * (MAX_BYTES * 3))
    assert [d.code for d in load_yaml_file(big).diagnostics] == ["E0102"]


def test_label_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\na: 2\n")
    assert load_yaml_file(path, label="HEAD:x.yaml").diagnostics[0].file == "HEAD:x.yaml"


def test_dotted() -> None:
    assert dotted(("buckets", "data", "lifecycle", 0, "prefix")) == "buckets.data.lifecycle[0].prefix"
    assert dotted(()) == ""
