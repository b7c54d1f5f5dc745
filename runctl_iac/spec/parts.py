"""Which parts of a spec's data passed the schema (`Parts`), and the `Emit` callback the semantic
checks report through: shared by `semantic.py`, `runpod_checks.py`, `advice.py` and `check.py`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from runctl_iac.spec.model import PathT

Emit = Callable[..., None]


class Parts:
    """Which parts of the data passed the schema: semantic checks read only those, so one run reports
    every problem (a schema error in one volume does not hide a semantic error in another)."""

    def __init__(self, data: dict[str, Any], invalid: Iterable[PathT] = ()) -> None:
        self.data = data
        self.invalid = set(invalid)

    def clean(self, *path: str | int) -> bool:
        """No schema error at `path`, above it or inside it."""
        return not any(p[: len(path)] == path or path[: len(p)] == p for p in self.invalid)

    def mapping(self, *path: str) -> dict[str, Any]:
        """The mapping at `path` when it is one and has no schema error of its own (its entries may)."""
        node: Any = self.data
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or any(p == path or path[: len(p)] == p for p in self.invalid):
            return {}
        return node

    def known(self, *path: str) -> dict[str, Any] | None:
        """The names defined under `path` (for cross references), or None when that cannot be known."""
        node: Any = self.data
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return {}
        if not isinstance(node, dict) or any(path[: len(p)] == p for p in self.invalid):
            return None
        return node
