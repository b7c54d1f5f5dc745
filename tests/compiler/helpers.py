"""Small queries over a compiled Graph, shared by the compiler tests."""

from __future__ import annotations

import json
from typing import Any

from runctl_iac.compiler.graph import Graph, Resource


def of_type(graph: Graph, token: str) -> list[Resource]:
    return [r for rid, r in sorted(graph.resources.items()) if r.type == token]


def policy(graph: Graph, group: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(graph.resources[f"role.{group}.policy"].properties["policy"])
    return doc


def statement_resources(doc: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for st in doc["Statement"]:
        res = st["Resource"]
        out.update([res] if isinstance(res, str) else res)
    return out
