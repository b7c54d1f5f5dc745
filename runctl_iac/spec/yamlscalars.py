"""Scalar resolution (YAML 1.2 core schema) and syntax-error hints for `yamlload`.

Only `true`/`false` are booleans, so `on:` and `yes` stay
strings; there are no timestamps and no sexagesimal numbers; `.inf` and `.nan`
stay strings.
"""

from __future__ import annotations

import re
from typing import Any

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


def resolve_scalar(value: str) -> Any:
    """A plain (unquoted) scalar as null, bool, int, float or str."""
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value)
    if _INT8.match(value):
        return int(value[2:], 8)
    if _INT16.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        number = float(value)
        if number not in (float("inf"), float("-inf")):
            return number
    return value


# PyYAML's pure-Python parser words some problems differently from libyaml; the user reads one wording
# (libyaml's) whichever parser PyYAML was built with.
_PY_WORDING = (
    (re.compile(r"^mapping values are not allowed here$"), "mapping values are not allowed in this context"),
    (re.compile(r"^expected ',' or '([\]}])', but got .*$"), r"did not find expected ',' or '\1'"),
    (
        re.compile(r"^found character .* that cannot start any token$"),
        "found character that cannot start any token",
    ),
)


def libyaml_wording(problem: str, context: str | None) -> str:
    """The libyaml wording of a problem reported by PyYAML's pure-Python parser."""
    if problem.startswith("expected <block end>, but found"):
        in_sequence = context is not None and "block collection" in context
        return "did not find expected '-' indicator" if in_sequence else "did not find expected key"
    for pattern, wording in _PY_WORDING:
        if pattern.match(problem):
            return pattern.sub(wording, problem)
    return problem


def syntax_hint(problem: str) -> str:
    """What to try for a PyYAML syntax problem."""
    if "mapping values are not allowed" in problem:
        return "quote a value that contains ': ', or check the indentation of this line"
    if "cannot start any token" in problem:
        return "quote the value (characters like ` @ % cannot start a plain value)"
    if "expected" in problem and ("key" in problem or "block end" in problem):
        return "check the indentation: keys of one mapping must line up"
    return "check indentation, quoting and brackets near this position"
