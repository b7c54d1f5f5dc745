"""Text for the engine commands: stack outputs, destroy listings, status, stacks, doctor."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def outputs_text(outputs: Mapping[str, Any]) -> str:
    """Instances (id, private IP, zone), buckets, volumes, then the rest; secret outputs never get here."""
    if not outputs:
        return "outputs: none\n"
    lines = ["outputs:"]
    instances = outputs.get("instances")
    if isinstance(instances, Mapping) and instances:
        lines.append("  instances:")
        for name, info in sorted(instances.items()):
            if isinstance(info, Mapping):
                cells = [str(info.get(k, "")) for k in ("id", "private_ip", "availability_zone")]
                lines.append(f"    {name}  " + "  ".join(c for c in cells if c))
            else:
                lines.append(f"    {name}  {_scalar(info)}")
    for section in ("buckets", "volumes"):
        values = outputs.get(section)
        if isinstance(values, Mapping) and values:
            lines.append(f"  {section}:")
            lines.extend(f"    {k}  {_scalar(v)}" for k, v in sorted(values.items()))
    for key, value in sorted(outputs.items()):
        if key not in ("instances", "buckets", "volumes"):
            lines.append(f"  {key}: {_scalar(value)}")
    return "\n".join(lines) + "\n"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain fixed-width table (no Rich: it reads the same in a terminal and in a CI log)."""
    body = [list(map(str, r)) for r in rows]
    widths = [len(h) for h in headers]
    for row in body:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out.extend("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in body)
    return "\n".join(out) + "\n"
