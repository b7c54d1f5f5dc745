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


def status_text(st: Any) -> str:
    """`runctl status` as text (st: engine.status.StackStatus)."""
    from runctl_iac.engine.status import countdown
    from runctl_iac.plan.cost import format_usd

    lines = [f"stack {st.project}/{st.stack} ({st.backend})"]
    last = st.last_update
    if last is None:
        lines.append("last update: none")
    else:
        end = last.get("end_time") or last.get("start_time")
        when = end.strftime("%Y-%m-%d %H:%M UTC") if end is not None else "?"
        lines.append(f"last update: {last.get('kind')} {last.get('result')} at {when}")
    lines.append(
        f"expires: {countdown(st.expires_in_seconds)}" + (f" ({st.expires_at})" if st.expires_at else "")
    )
    if st.hourly_usd is not None:
        spent = format_usd(st.spent_since_update_usd) if st.spent_since_update_usd is not None else "-"
        stopped = st.stopped_compute_usd
        now = f"{format_usd(st.hourly_usd)}/hour now" + (
            f" (stopped instances' {format_usd(stopped)}/hour of compute left out)" if stopped else ""
        )
        lines.append(f"cost: {now}; {spent} since the last update (catalog prices)")
    lines.append("")
    if st.resources:
        lines.append(
            table(("resource", "type", "id"), ((r["id"], r["type"], r["physical_id"]) for r in st.resources))
        )
    else:
        lines.append("no resources\n")
    if st.pending:
        lines.append("pending operations (an update was interrupted; run `runctl recover`):")
        lines.extend(f"  {p['id']} ({p['type']}): {p['operation']}" for p in st.pending)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n" + outputs_text(st.outputs)


def doctor_text(checks: Sequence[Any], *, unicode: bool = True) -> str:
    """The doctor table: ✓/✗ per check (✗ on a required check fails), a hint under each ✗."""
    ok_mark, bad_mark, opt_mark = ("✓", "✗", "!") if unicode else ("ok", "XX", "--")
    width = max(len(c.name) for c in checks)
    lines = []
    for c in checks:
        mark = ok_mark if c.ok else (bad_mark if c.required else opt_mark)
        lines.append(f"{mark} {c.name.ljust(width)}  {c.detail}")
        if not c.ok and c.hint:
            lines.append(f"  {' ' * width}  hint: {c.hint}")
    return "\n".join(lines) + "\n"
