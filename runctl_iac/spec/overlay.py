"""Deep-merge a stack overlay (`stacks/<stack>.yaml`) over the base spec.

Rules:
- a mapping in the overlay merges key by key into the base mapping, recursively;
- any other overlay value (scalar or list) replaces the base value; lists are not concatenated;
- `null` in the overlay deletes the key from the base (e.g. `ttl: null` for a long-lived prod
  stack); the field then takes its default. Deleting a key the base does not have is a no-op,
  and nulls inside a mapping the base does not have are dropped. Nulls inside lists stay.

Positions follow the values: a value that comes from the overlay points at the overlay file,
so diagnostics about it name the overlay's line. Mappings that merge keep their base position.
"""

from __future__ import annotations

from typing import Any

from runctl_iac.spec.model import PathT
from runctl_iac.spec.yamlload import YamlDoc


def merge_overlay(base: YamlDoc, overlay: YamlDoc) -> YamlDoc:
    """Return a new document: `overlay` deep-merged over `base`. Neither input is modified."""
    if base.data is None or overlay.data is None:
        raise ValueError("merge_overlay needs two documents that loaded without errors")
    replaced: set[PathT] = set()  # paths whose whole subtree now comes from the overlay
    deleted: set[PathT] = set()  # paths removed by `null`
    data = _merge(base.data, overlay.data, (), replaced, deleted)

    def gone(path: PathT) -> bool:
        return any(path[:i] in replaced or path[:i] in deleted for i in range(1, len(path) + 1))

    def from_overlay(path: PathT) -> bool:
        return any(path[:i] in replaced for i in range(1, len(path) + 1))

    positions = {p: loc for p, loc in base.positions.items() if not gone(p)}
    keys = {p: loc for p, loc in base.keys.items() if not gone(p)}
    positions.update((p, loc) for p, loc in overlay.positions.items() if from_overlay(p))
    keys.update((p, loc) for p, loc in overlay.keys.items() if from_overlay(p))
    return YamlDoc(base.file, data, positions, keys, [*base.diagnostics, *overlay.diagnostics])


def _merge(
    base: dict[str, Any], over: dict[str, Any], path: PathT, replaced: set[PathT], deleted: set[PathT]
) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        here = (*path, key)
        if value is None:
            if key in out:
                del out[key]
                deleted.add(here)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, here, replaced, deleted)
        elif isinstance(value, dict):  # a new mapping: its nulls delete nothing, drop them too
            out[key] = _merge({}, value, here, replaced, deleted)
            replaced.add(here)
        else:
            out[key] = value
            replaced.add(here)
    return out
