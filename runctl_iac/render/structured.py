"""Property changes that read better key by key than as two one-line values: a tag map (`tags`,
`tags_all`) and an IAM policy document (a JSON string with a `Statement`).

`structured_lines(prop)` gives the changed lines, without indentation, each starting with `+`
(added), `-` (removed) or `~` (changed); the renderers indent them. A policy is compared statement
by statement (matched by `Sid`, else by position), and inside a statement key by key; a list value
(`Action`, `Resource`) shows the entries added and removed, so a reviewer sees that one bucket ARN
was added instead of two 600-character JSON lines.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from runctl_iac.plan.model import PropertyChange

ABSENT = "(none)"
ARROW = "→"


def _fmt(value: Any) -> str:
    if value is None:
        return ABSENT
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _flat_map(value: Any) -> bool:
    """A map of scalars (tags), not a graph placeholder (`$ref`, `$secret`...)."""
    return (
        isinstance(value, Mapping)
        and not any(str(k).startswith("$") for k in value)
        and all(v is None or isinstance(v, (str, int, float, bool)) for v in value.values())
    )


def map_lines(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[str]:
    """Key by key: `+ key = value`, `- key = value`, `~ key = old → new` (keys sorted)."""
    before, after = dict(old or {}), dict(new or {})
    out: list[str] = []
    for key in sorted(before.keys() | after.keys()):
        if key not in before:
            out.append(f"+ {key} = {_fmt(after[key])}")
        elif key not in after:
            out.append(f"- {key} = {_fmt(before[key])}")
        elif before[key] != after[key]:
            out.append(f"~ {key} = {_fmt(before[key])} {ARROW} {_fmt(after[key])}")
    return out


def _policy(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, str):
        return None
    try:
        doc = json.loads(value)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and "Statement" in doc else None


def _statements(doc: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    raw = (doc or {}).get("Statement") or []
    listed = raw if isinstance(raw, list) else [raw]
    out: dict[str, dict[str, Any]] = {}
    for i, stmt in enumerate(listed, start=1):
        if isinstance(stmt, dict):
            out[str(stmt["Sid"]) if stmt.get("Sid") else f"#{i}"] = stmt
    return out


def _as_list(value: Any) -> list[Any] | None:
    """A string-or-list IAM value as a list (`Action`, `Resource`); None for anything else."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _statement_lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        olds, news = _as_list(before), _as_list(after)
        if olds is not None and news is not None:
            out.extend(f"    + {key}: {_fmt(v)}" for v in news if v not in olds)
            out.extend(f"    - {key}: {_fmt(v)}" for v in olds if v not in news)
        elif before is None:
            out.append(f"    + {key} = {_fmt(after)}")
        elif after is None:
            out.append(f"    - {key} = {_fmt(before)}")
        else:
            out.append(f"    ~ {key} = {_fmt(before)} {ARROW} {_fmt(after)}")
    return out


def policy_lines(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    """Statement by statement, then key by key inside a changed statement."""
    out: list[str] = []
    for key in sorted((old or {}).keys() | (new or {}).keys()):
        if key == "Statement":
            continue
        before, after = (old or {}).get(key), (new or {}).get(key)
        if before != after:
            out.append(f"~ {key} = {_fmt(before)} {ARROW} {_fmt(after)}")
    olds, news = _statements(old), _statements(new)
    for sid in [*news, *(s for s in olds if s not in news)]:
        before, after = olds.get(sid), news.get(sid)
        if before == after:
            continue
        if before is None:
            out.append(f"+ statement {sid}")
            out.extend(f"    {k} = {_fmt(v)}" for k, v in sorted((after or {}).items()) if k != "Sid")
        elif after is None:
            out.append(f"- statement {sid}")
            out.extend(f"    {k} = {_fmt(v)}" for k, v in sorted(before.items()) if k != "Sid")
        else:
            out.append(f"~ statement {sid}")
            out.extend(_statement_lines(before, after))
    return out


def structured_lines(prop: PropertyChange) -> list[str] | None:
    """The changed lines of a tag map or policy document; None for any other property (and for a
    secret one, which is never shown)."""
    if prop.secret:
        return None
    old, new = prop.old, prop.new
    if (old is not None or new is not None) and all(v is None or _flat_map(v) for v in (old, new)):
        return map_lines(old, new) or None
    olddoc, newdoc = _policy(old), _policy(new)
    if (olddoc or newdoc) and (old is None or olddoc) and (new is None or newdoc):
        return policy_lines(olddoc, newdoc) or None
    return None


def structured_label(prop: PropertyChange) -> str:
    """What the structured lines list: `changed keys` of a map, or a policy's statements."""
    return "changed keys" if isinstance(prop.old or prop.new, dict) else "policy, changed statements"
