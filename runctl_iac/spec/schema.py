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
# (context from `Translator.context`, field, bound) -> what to do instead
_RANGE_HINTS = {
    (" for type gp3", "iops", "maximum"): "use type io2 for more than 16000 IOPS (up to 256000)",
    (" for type gp3", "iops", "minimum"): "gp3 includes 3000 IOPS; leave iops out for the baseline",
    (" for type gp3", "throughput_mbps", "minimum"): "gp3 includes 125 MiB/s; leave throughput_mbps out",
    (" for type io1", "iops", "maximum"): "use type io2 for up to 256000 IOPS",
    (" for type st1", "size_gb", "minimum"): "st1 volumes are at least 125 GiB; use gp3 for smaller ones",
    (" for type sc1", "size_gb", "minimum"): "sc1 volumes are at least 125 GiB; use gp3 for smaller ones",
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
    translator = _Translator(data, source)
    for error in validator().iter_errors(data):
        translator.translate(error)
    return translator.finish()


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


def _literal_prefix(pattern: str) -> str:
    match = re.match(r"\^([A-Za-z0-9]+[:/-])", pattern)
    return match.group(1) if match else ""


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
            hint = _RANGE_HINTS.get((context, str(path[-1]) if path else "", str(kind)))
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
            renamed = _RENAMED.get(str(key))
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
                hint = f"{key}: {description}" if description else None
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
        if isinstance(error.instance, str):
            close = difflib.get_close_matches(error.instance, [str(o) for o in options], n=1, cutoff=0.5)
            hint = f'did you mean "{close[0]}"?' if close else None
        self.emit("E0205", path, f"{lead} {spelled}, got {describe(error.instance)}", hint)

    def forbidden(self, error: ValidationError, path: PathT) -> None:
        properties = _walk(list(error.absolute_schema_path))
        parent = self.value_at(path)
        suffix = self.context(error)
        for key, sub in properties.items():
            if sub is False and isinstance(parent, dict) and key in parent:
                self.emit("E0207", (*path, key), f"{key} cannot be set{suffix}", at_key=True)

    def constraint(self, error: ValidationError, path: PathT) -> None:
        kind, value, limit = error.validator, error.instance, error.validator_value
        if kind == "minLength" and limit == 1:
            message = "must not be empty"
        elif kind == "minLength":
            message = f"must be at least {limit} characters long"
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
            elif (kinds := _enum_kinds(errors, depth)) and _json_kind(error.instance) not in kinds:
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
            prefixed = [
                i
                for i in candidates
                if (p := _literal_prefix(resolve(branches[i]).get("pattern", "")))
                and error.instance.startswith(p)
            ]
            candidates = prefixed or candidates
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


# keys renamed before spec v1 was published: old name -> (new name, why)
_RENAMED = {
    "on": ("group", "`training.on` is now `training.group`: YAML 1.1 parsers read the key `on` as true"),
}


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "null"


def _enum_kinds(errors: list[ValidationError], depth: int) -> set[str]:
    """The JSON types of an enum/const branch's values, when that is the branch's only failure."""
    if not all(e.validator in ("enum", "const") and len(e.absolute_path) == depth for e in errors):
        return set()
    values: Any = [e.validator_value for e in errors]
    flat = [v for group in values for v in (group if isinstance(group, list) else [group])]
    return {_json_kind(v) for v in flat}


def _sibling(path: str, name: str) -> str:
    parent = path.rpartition(".")[0]
    return f"{parent}.{name}" if parent else name


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    return (d.file or "", d.line or 0, d.column or 0, d.path, d.code)


def _examples(schema: dict[str, Any]) -> str | None:
    examples = schema.get("examples")
    return f"for example: {', '.join(str(e) for e in examples)}" if examples else None
