"""The Markdown spec reference, generated from the schema's descriptions (`runctl schema --markdown`)."""

from __future__ import annotations

import json
from typing import Any

from runctl_iac.spec.schema import load_schema, resolve

HEADER = """\
# Spec reference (version 1)

<!-- Generated from schemas/runctl.schema.json by `runctl schema --markdown > docs/spec.md`; do not edit. -->

{description}

Editors that use the YAML language server (VS Code, Neovim, JetBrains) complete and check a spec
when its first line points at the schema. Write the schema beside your spec with
`runctl schema > runctl.schema.json`; the path is relative to the spec's folder:

```yaml
# yaml-language-server: $schema=runctl.schema.json
```

A stack overlay (`--stack NAME`) is a partial spec deep-merged over this one: mappings merge,
scalars and lists replace, `null` deletes a key. `NAME.yaml` is looked up in `--stacks-dir DIR`
when given, else in `stacks/` next to the spec, else in `stacks/` at the project root (the nearest
directory upward holding `runctl.toml`, `pyproject.toml` or `.git`).

(The examples in this repository use `$schema=../schemas/runctl.schema.json`, relative to `examples/`.)
"""


def markdown_reference() -> str:
    schema = load_schema()
    parts = [HEADER.format(description=schema["description"])]
    _section(parts, "Top level", schema, "")
    return "\n".join(parts).rstrip("\n") + "\n"


def _section(parts: list[str], title: str, schema: dict[str, Any], prefix: str) -> None:
    schema = resolve(schema)
    required = set(schema.get("required", []))
    rows = ["| field | type | default | description | constraints |", "|---|---|---|---|---|"]
    children: list[tuple[str, dict[str, Any]]] = []
    for name, prop in schema.get("properties", {}).items():
        target = resolve(prop)
        constraints = _constraints(target)
        if name in required:
            constraints.insert(0, "required")
        default = f"`{json.dumps(prop['default'])}`" if "default" in prop else ""
        rows.append(
            f"| `{name}` | {_type(prop)} | {default} | {_cell(prop.get('description', ''))} | "
            f"{_cell('; '.join(constraints))} |"
        )
        children.extend(_children(f"{prefix}{name}", target))
    parts += [f"## {title}", "", *rows, ""]
    if "allOf" in schema:
        _limits(parts, schema)
    for path, child in children:
        _section(parts, f"`{path}`", child, f"{path}.")


def _children(path: str, schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Object-shaped parts of a property that get their own section."""
    if "properties" in schema:
        return [(path, schema)]
    items = resolve(schema.get("items", {}))
    if "properties" in items:
        return [(f"{path}[]", items)]
    values = resolve(schema.get("additionalProperties", {}))
    if isinstance(values, dict) and "properties" in values:
        return [(f"{path}.<name>", values)]
    found = []
    for branch in schema.get("oneOf", []) + schema.get("anyOf", []):
        found += _children(path, resolve(branch))
    return found


def _type(prop: dict[str, Any]) -> str:
    schema = resolve(prop)
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    branches = schema.get("oneOf") or schema.get("anyOf")
    if branches:
        return " or ".join(dict.fromkeys(_type(b) for b in branches))
    kind = schema.get("type", "any")
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"map of name → {_type(schema['additionalProperties'])}"
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object":
        return "mapping"
    return str(kind)


def _constraints(schema: dict[str, Any]) -> list[str]:
    found: list[str] = []
    low, high, above = schema.get("minimum"), schema.get("maximum"), schema.get("exclusiveMinimum")
    if low is not None and high is not None:
        found.append(f"{low}–{high}")
    else:
        bounds = [f"≥ {low}" if low is not None else "", f"> {above}" if above is not None else ""]
        bounds.append(f"≤ {high}" if high is not None else "")
        if any(bounds):
            found.append(" and ".join(b for b in bounds if b))
    if schema.get("minLength"):
        found.append(
            "not empty" if schema["minLength"] == 1 else f"at least {schema['minLength']} characters"
        )
    if "maxLength" in schema:
        found.append(f"at most {schema['maxLength']} characters")
    if "pattern" in schema:
        found.append(f"pattern `{schema['pattern']}`")
    if schema.get("uniqueItems"):
        found.append("no duplicates")
    keys = schema.get("propertyNames")
    if isinstance(keys, dict):
        key_schema = resolve(keys)
        found.append(f"keys: {key_schema.get('description') or keys.get('description', '')}".rstrip(": ."))
    items = resolve(schema.get("items", {}))
    if items.get("description") and items is not schema:
        found.append(f"items: {items['description']}".rstrip("."))
    values = schema.get("additionalProperties")
    if isinstance(values, dict) and "properties" not in resolve(values):
        inner = _constraints(resolve(values))
        if inner:
            found.append("values: " + ", ".join(inner))
    examples = schema.get("examples")
    if examples:
        found.append("e.g. " + ", ".join(f"`{e}`" for e in examples))
    return found


def _limits(parts: list[str], schema: dict[str, Any]) -> None:
    """One table per selector of the if/then blocks keyed on a const (per EBS type, per provider)."""
    fields = list(schema.get("properties", {}))
    tables: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for block in schema["allOf"]:
        for name, sub in block.get("if", {}).get("properties", {}).items():
            if "const" in sub:
                tables.setdefault(name, []).append((sub["const"], block["then"]))
    for selector, rows in tables.items():
        shown = [f for f in fields if any(f in then.get("properties", {}) for _, then in rows)]
        parts += [f"Limits per `{selector}`:", ""]
        parts.append("| " + " | ".join([selector, *shown]) + " |")
        parts.append("|" + "---|" * (len(shown) + 1))
        for const, then in rows:
            cells = []
            for name in shown:
                sub = then.get("properties", {}).get(name)
                if sub is False:
                    cells.append("not allowed")
                elif isinstance(sub, dict):
                    text = "–".join(str(sub[k]) for k in ("minimum", "maximum") if k in sub)
                    if "maxProperties" in sub:
                        text = f"at most {sub['maxProperties']}"
                    cells.append(text + (" (required)" if name in then.get("required", []) else ""))
                else:
                    cells.append("(required)" if name in then.get("required", []) else "")
            parts.append("| " + " | ".join([f"`{const}`", *cells]) + " |")
        parts.append("")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
