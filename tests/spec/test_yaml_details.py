"""Small YAML details a careful user meets (issue 8 item 13): a trailing `---`, keys YAML reads as
numbers/booleans/null, and invisible characters in messages."""

from __future__ import annotations

import pytest

from runctl_iac.render.diagnostics import escape_invisible, render_text
from runctl_iac.spec import load_spec_bytes
from runctl_iac.spec.yamlload import load_yaml

SPEC = "version: 1\nname: demo\n"


@pytest.mark.parametrize("tail", ["---\n", "---\n# nothing more\n", "...\n---\n", "---"])
def test_trailing_document_marker_is_accepted(tail: str) -> None:
    result = load_spec_bytes((SPEC + tail).encode(), "spec.yaml")
    assert result.ok and result.diagnostics == []


def test_a_real_second_document_is_still_refused() -> None:
    [diag] = load_yaml((SPEC + "---\nname: other\n").encode(), "spec.yaml").diagnostics
    assert (diag.code, diag.line, diag.column) == ("E0110", 3, 1)


def test_tag_keys_that_yaml_reads_as_number_boolean_or_null_warn() -> None:
    result = load_spec_bytes(
        (SPEC + 'tags:\n  1: a\n  true: b\n  null: c\n  "2": d\n  team: e\n').encode(), "s.yaml"
    )
    assert result.ok and result.spec is not None
    assert dict(result.spec.tags) == {"1": "a", "true": "b", "null": "c", "2": "d", "team": "e"}
    found = [(d.code, d.severity.value, d.path, d.line) for d in result.diagnostics]
    assert found == [
        ("W0318", "warning", "tags.1", 4),
        ("W0318", "warning", "tags.true", 5),
        ("W0318", "warning", "tags.null", 6),
    ]
    assert result.diagnostics[1].hint == 'quote it ("true") so every YAML tool reads the same key'


def test_invisible_characters_are_escaped_in_messages() -> None:
    assert escape_invisible("train\u200ber") == "train\\u200ber"
    assert escape_invisible("a\u202eb\u00a0c\td") == "a\\u202eb\\u00a0c\\u0009d"
    assert escape_invisible("llama-finetune ✓ é") == "llama-finetune ✓ é"
    result = load_spec_bytes((SPEC + 'buckets:\n  "data\u200b": {}\n').encode(), "spec.yaml")
    text = render_text(result.diagnostics)
    assert "data\\u200b" in text and "\u200b" not in text
