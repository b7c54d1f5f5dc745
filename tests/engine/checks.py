"""Assertion helpers comparing a Graph with what the mocks recorded."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from runctl_iac.compiler.graph import Graph

_CAMEL = re.compile(r"_([a-z0-9])")


def camel(key: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), key)


def plain(value: Any) -> Any:
    """Recorded input -> plain data: secrets unwrapped, provider JSON strings parsed."""
    if is_rpc_secret(value):
        return plain(unwrap_rpc_secret(value))
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return plain(json.loads(value))
        except ValueError:
            return value
    return value


def get(inputs: Mapping[str, Any], *path: str) -> Any:
    """Look a snake_case path up in recorded (camelCase) inputs; map keys (tags) are kept as is."""
    value: Any = plain(inputs)
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(camel(key), value.get(key))
    return value


def graph_leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every (path, leaf) of a Graph property tree; list indices are ints in the path."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from graph_leaves(v, (*path, k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from graph_leaves(v, (*path, i))
    else:
        yield path, value


def _lookup(value: Any, path: tuple[Any, ...]) -> tuple[bool, Any]:
    for key in path:
        if isinstance(key, int):
            if not isinstance(value, list) or key >= len(value):
                return False, None
            value = value[key]
        else:
            if not isinstance(value, Mapping):
                return False, None
            if camel(key) in value:
                value = value[camel(key)]
            elif key in value:
                value = value[key]
            else:
                return False, None
    return True, value


def missing_inputs(graph: Graph, recorded: Mapping[str, Any]) -> list[str]:
    """`resource.path` of every graph value (placeholders included) the mocks saw as absent or None."""
    problems: list[str] = []
    for rid, res in graph.resources.items():
        reg = recorded.get(rid)
        if reg is None:
            problems.append(f"{rid} (not registered)")
            continue
        inputs = plain(reg.inputs)
        for path, leaf in graph_leaves(res.properties):
            if leaf is None:
                continue
            found, value = _lookup(inputs, path)
            if not found or value is None:
                problems.append(f"{rid}.{'.'.join(map(str, path))}")
    return problems
