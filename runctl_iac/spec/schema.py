"""The JSON Schema tier: validate plain spec data and turn every error into a Diagnostic for humans.

Translation rules: the dotted path of the offending value; for `anyOf`/`oneOf` the branch the value was
meant for (its type matches, or its literal prefix such as `ami-` does) instead of "not valid under any of
the given schemas"; unknown keys point at the key and suggest the closest allowed key.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.spec.model import PathT, SourceMap
from runctl_iac.spec.schema_hints import (
    FORBIDDEN_HINTS,
    RANGE_HINTS,
    RENAMED,
    REQUIRED_HINTS,
    enum_kinds,
    json_kind,
)

if TYPE_CHECKING:  # jsonschema is imported when validating, not for `runctl schema`
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "runctl.schema.json"

_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}
_RANGE = {
    "minimum": "{v} is below the minimum of {n}",
    "maximum": "{v} is above the maximum of {n}",
    "exclusiveMinimum": "must be greater than {n}, got {v}",
    "exclusiveMaximum": "must be less than {n}, got {v}",
}


@functools.cache
def schema_text() -> str:
    """The schema exactly as shipped (what `runctl schema` prints)."""
    return resources.files("runctl_iac").joinpath("data", SCHEMA_FILE).read_text(encoding="utf-8")


@functools.cache
def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_text())
    return schema


@functools.cache
def validator() -> Draft202012Validator:
    """Built once per process; no format checker (formats are expressed as patterns)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema())


def describe(value: Any) -> str:
    """A short, human spelling of a YAML value for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return json.dumps(text, ensure_ascii=False)
    return str(value)


def schema_diagnostics(data: Any, source: SourceMap) -> list[Diagnostic]:
    """Every schema error in `data`, translated, deduplicated and sorted by position."""
    return schema_check(data, source)[0]


def schema_check(data: Any, source: SourceMap) -> tuple[list[Diagnostic], set[PathT]]:
    """The schema diagnostics and the paths they are about, so the semantic tier can still check every
    part of the spec that passed (a missing or unknown key is about that key, not its whole mapping)."""
    translator = _Translator(data, source)
    invalid: set[PathT] = set()
    for error in validator().iter_errors(data):
        translator.translate(error)
        invalid.update(_error_paths(error, translator))
    return translator.finish(), invalid


def _error_paths(error: ValidationError, translator: _Translator) -> list[PathT]:
    path: PathT = tuple(error.absolute_path)
    instance: Any = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        wanted: Any = error.validator_value
        return [(*path, key) for key in wanted if key not in instance] or [path]
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = (error.schema if isinstance(error.schema, dict) else {}).get("properties", {})
        return [(*path, key) for key in instance if key not in allowed] or [path]
    if "propertyNames" in error.absolute_schema_path:
        return [(*path, str(instance))]
    if error.validator is None:  # a `false` schema: jsonschema reports the mapping that holds the key
        parent = translator.value_at(path)
        forbidden = _walk(list(error.absolute_schema_path))
        if isinstance(parent, dict) and isinstance(forbidden, dict):
            return [(*path, k) for k, sub in forbidden.items() if sub is False and k in parent] or [path]
    return [path]


def resolve(node: Any) -> Any:
    """Follow a local `$ref` ("#/$defs/x") to its schema."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = load_schema()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _walk(path: Sequence[str | int]) -> Any:
    """The schema node at an absolute schema path (jsonschema omits `$ref` hops, so resolve as needed)."""
    node: Any = load_schema()
    for part in path:
        if isinstance(node, dict) and part not in node:
            node = resolve(node)
        node = node[part]
    return node


def _literal_prefix(pattern: str, whole: bool = False) -> str:
    """The literal start of a pattern: its first segment (`ami-`, `ssm:`), or with `whole` every literal
    character before the first regex construct (`ssm:/aws/service/`, `dlami-pytorch-`)."""
    match = re.match(r"\^([A-Za-z0-9:/-]+[:/-])" if whole else r"\^([A-Za-z0-9]+[:/-])", pattern)
    return match.group(1) if match else ""


def _by_prefix(value: str, candidates: list[int], branches: Any) -> list[int]:
    """The branches a string was meant for: the one whose whole literal start it has (`dlami-pytorch-2`);
    else, unless it is a near miss of an allowed name (`dlami-bsae`: a typo, not a pinned line), the
    one whose first segment it has (`ssm:x`); else all of them."""

    def starting(whole: bool) -> list[int]:
        found = []
        for i in candidates:
            prefix = _literal_prefix(resolve(branches[i]).get("pattern", ""), whole)
            if prefix and value.startswith(prefix):
                found.append(i)
        return found

    names = [str(v) for b in branches for v in resolve(b).get("enum", [])]
    if whole := starting(True):
        return whole
    if difflib.get_close_matches(value, names, n=1, cutoff=0.6):
        return candidates
    return starting(False) or candidates


class _Translator:
    def __init__(self, data: Any, source: SourceMap) -> None:
        self.data = data
        self.source = source
        self.out: list[Diagnostic] = []

    # --- helpers -------------------------------------------------------------------------------------
    def emit(
        self,
        code: str,
        path: PathT,
        message: str,
        hint: str | None = None,
        at_key: bool = False,
        where: PathT | None = None,
    ) -> None:
        """Report at `where` (default `path`): its key when `at_key`, else its value."""
        self.out.append(
            self.source.diagnostic(Severity.ERROR, code, message, path, hint, at_key=at_key, where=where)
        )

    def value_at(self, path: PathT) -> Any:
        node = self.data
        for part in path:
            node = node[part]
        return node

    def context(self, error: ValidationError) -> str:
        """The suffix " for type gp3" when the error comes from an if/then block keyed on a const."""
        schema_path = list(error.absolute_schema_path)
        if "then" not in schema_path:
            return ""
        cut = len(schema_path) - 1 - schema_path[::-1].index("then")
        branch = _walk(schema_path[:cut])
        for name, sub in branch.get("if", {}).get("properties", {}).items():
            if isinstance(sub, dict) and "const" in sub:
                return f" for {name} {sub['const']}"
        return ""

    # --- translation ---------------------------------------------------------------------------------
    def translate(self, error: ValidationError) -> None:
        path: PathT = tuple(error.absolute_path)
        kind = error.validator
        schema = error.schema if isinstance(error.schema, dict) else {}
        if "propertyNames" in error.absolute_schema_path:
            self.bad_key(error, path, schema)
        elif kind in ("anyOf", "oneOf"):
            self.alternatives(error, path, schema)
        elif kind is None:  # a `false` schema: the key is not allowed here
            self.forbidden(error, path)
        elif kind == "additionalProperties":
            self.unknown_keys(error, path, schema)
        elif kind == "required":
            self.missing(error, path)
        elif kind == "type":
            self.wrong_type(path, error.instance, [error.validator_value], _examples(schema))
        elif kind in ("enum", "const"):
            self.not_allowed(error, path)
        elif kind == "pattern":
            text = schema.get("patternErrorMessage") or f"does not match the pattern {error.validator_value}"
            self.emit("E0204", path, f"{describe(error.instance)} {text}", _examples(schema))
        elif kind in _RANGE:
            message = _RANGE[str(kind)].format(v=error.instance, n=error.validator_value)
            context = self.context(error)
            hint = RANGE_HINTS.get((context, str(path[-1]) if path else "", str(kind)))
            self.emit("E0206", path, message + context, hint)
        else:
            self.constraint(error, path)

    def bad_key(self, error: ValidationError, path: PathT, schema: dict[str, Any]) -> None:
        key = str(error.instance)
        text = schema.get("patternErrorMessage") or error.message
        self.emit("E0204", (*path, key), f"key {describe(key)} {text}", _examples(schema), at_key=True)

    def unknown_keys(self, error: ValidationError, path: PathT, schema: dict[str, Any]) -> None:
        allowed = sorted(schema.get("properties", {}))
        instance: Any = error.instance
        for key in instance:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f'did you mean "{close[0]}"?' if close else f"allowed keys: {', '.join(allowed)}"
            renamed = RENAMED.get(str(key))
            if renamed is not None and renamed[0] in allowed:
                hint = f'did you mean "{renamed[0]}"? {renamed[1]}'
            self.emit("E0201", (*path, key), f"unknown key {describe(key)}", hint, at_key=True)

    def missing(self, error: ValidationError, path: PathT) -> None:
        owner: Any = error.schema
        schema_path = list(error.absolute_schema_path)
        if "allOf" in schema_path:  # required by an if/then block: describe from the object's own schema
            owner = _walk(schema_path[: len(schema_path) - 1 - schema_path[::-1].index("allOf")])
        properties = resolve(owner).get("properties", {}) if isinstance(owner, dict) else {}
        suffix = self.context(error)
        required: Any = error.validator_value
        for key in required:
            if isinstance(error.instance, dict) and key not in error.instance:
                prop = properties.get(key, {})
                description = prop.get("description") or resolve(prop).get("description")
                owners = [str(p) for p in path[-2:]] or [""]  # training.checkpoints / volumes.<name>
                hint = next(
                    (REQUIRED_HINTS[k] for o in owners if (k := (o, key, suffix)) in REQUIRED_HINTS), None
                )
                if hint is None and description:  # the field's first sentence, not its whole description
                    hint = f"{key}: {description.split('. ')[0].rstrip('.')}"
                message = f'required key "{key}" is missing' + (f" (required{suffix})" if suffix else "")
                # the field's own path, positioned at the mapping that should hold it
                self.emit("E0203", (*path, key), message, hint, at_key=bool(path), where=path)

    def wrong_type(self, path: PathT, value: Any, expected: Sequence[Any], hint: str | None = None) -> None:
        names: list[str] = []
        for item in expected:
            for name in [item] if isinstance(item, str) else item:
                if _TYPE_NAMES.get(name, name) not in names:
                    names.append(_TYPE_NAMES.get(name, name))
        if len(names) > 1:
            names = ["a boolean" if n == _TYPE_NAMES["boolean"] else n for n in names]
            wanted = ", ".join(names[:-1]) + " or " + names[-1]
        else:
            wanted = names[0] if names else "another type"
        if hint is None and "a string" in names and isinstance(value, int | float | bool):
            hint = f'quote the value: "{describe(value)}"'
        self.emit("E0202", path, f"expected {wanted}, got {describe(value)}", hint)

    def not_allowed(self, error: ValidationError, path: PathT) -> None:
        allowed: Any = error.validator_value
        options: list[Any] = list(allowed) if error.validator == "enum" else [allowed]
        spelled = ", ".join(describe(o) if not isinstance(o, str) else o for o in options)
        lead = "expected" if len(options) == 1 else "expected one of"
        hint = None
        quoted = [o for o in options if not isinstance(o, str) and json.dumps(o) == error.instance]
        if quoted:  # version: "1" is the string "1", not the number the field needs
            number = json.dumps(quoted[0])
            hint = f"write {error.instance} without quotes: it is the number {number}, not a string"
        elif isinstance(error.instance, str):
            close = difflib.get_close_matches(error.instance, [str(o) for o in options], n=1, cutoff=0.5)
            hint = f'did you mean "{close[0]}"?' if close else None
        self.emit("E0205", path, f"{lead} {spelled}, got {describe(error.instance)}", hint)

    def forbidden(self, error: ValidationError, path: PathT) -> None:
        properties = _walk(list(error.absolute_schema_path))
        parent = self.value_at(path)
        suffix = self.context(error)
        for key, sub in properties.items():
            if sub is False and isinstance(parent, dict) and key in parent:
                owner = str(path[-2]) if len(path) >= 2 else ""
                hint = FORBIDDEN_HINTS.get((owner, suffix, key))
                self.emit("E0207", (*path, key), f"{key} cannot be set{suffix}", hint, at_key=True)

    def constraint(self, error: ValidationError, path: PathT) -> None:
        kind, value, limit = error.validator, error.instance, error.validator_value
        if kind == "minLength" and limit == 1:
            message = "must not be empty"
        elif kind == "minLength":
            message = f"must be at least {limit} characters long"
        elif kind == "maxProperties":
            message = f"holds more than {limit} {'entry' if limit == 1 else 'entries'}{self.context(error)}"
        elif kind == "maxLength":
            message = f"is longer than {limit} characters"
        elif kind == "uniqueItems" and isinstance(value, list):
            dupes = sorted({describe(v) for i, v in enumerate(value) if v in value[:i]})
            message = f"lists {', '.join(dupes)} more than once"
        else:
            message = error.message
        self.emit("E0207", path, message)

    def alternatives(self, error: ValidationError, path: PathT, schema: dict[str, Any]) -> None:
        groups: dict[int, list[ValidationError]] = {}
        for sub in error.context or []:
            groups.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
        depth = len(error.absolute_path)
        candidates: list[int] = []
        expected: list[Any] = []
        for index, errors in sorted(groups.items()):
            mismatch = [e for e in errors if e.validator == "type" and len(e.absolute_path) == depth]
            if mismatch:
                expected.append(mismatch[0].validator_value)
            elif (kinds := enum_kinds(errors, depth)) and json_kind(error.instance) not in kinds:
                expected.append(sorted(kinds))  # a list of strings is no place for a number
            else:
                candidates.append(index)
        branches: Any = error.validator_value
        if not groups or (error.validator == "oneOf" and len(groups) < len(branches)):
            self.emit("E0207", path, f"{describe(error.instance)} matches more than one allowed form")
            return
        if not candidates:
            self.wrong_type(path, error.instance, expected, _examples(schema))
            return
        if len(candidates) > 1 and isinstance(error.instance, str):
            candidates = _by_prefix(error.instance, candidates, branches)
        if len(candidates) == 1:
            for sub in groups[candidates[0]]:
                self.translate(sub)
            return
        text = schema.get("errorMessage") or "does not match any of the allowed forms"
        names = [str(v) for b in branches for v in resolve(b).get("enum", [])]
        close = difflib.get_close_matches(str(error.instance), names, n=1, cutoff=0.6)
        hint = f'did you mean "{close[0]}"?' if close else _examples(schema)
        self.emit("E0204", path, f"{describe(error.instance)} {text}", hint)

    def finish(self) -> list[Diagnostic]:
        # a missing required key that an unknown key near-misses is the same mistake: report it once
        suggested = {
            _sibling(d.path, d.hint.split('"')[1])
            for d in self.out
            if d.code == "E0201" and d.hint and d.hint.startswith("did you mean")
        }
        seen: set[tuple[str, str, str]] = set()
        result: list[Diagnostic] = []
        for d in self.out:
            if d.code == "E0203" and d.path in suggested:
                continue
            if (d.code, d.path, d.message) not in seen:
                seen.add((d.code, d.path, d.message))
                result.append(d)
        return sorted(result, key=sort_key)


def _sibling(path: str, name: str) -> str:
    parent = path.rpartition(".")[0]
    return f"{parent}.{name}" if parent else name


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    return (d.file or "", d.line or 0, d.column or 0, d.path, d.code)


def _examples(schema: dict[str, Any]) -> str | None:
    examples = schema.get("examples")
    return f"for example: {', '.join(str(e) for e in examples)}" if examples else None
