"""Views of the engine progress model (`engine.progress`): one plain line per step for logs, a Rich
live table on a terminal (refreshed at a bounded rate, whatever the event rate), and the summary.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO, Any

from runctl_iac.engine.progress import QUIET_OPS, VERBS, Progress, Row, Step

LIVE_REFRESH_PER_SECOND = 4
LIVE_MAX_ROWS = 30  # a terminal shows a screenful: running and failed rows first, then the latest done
_SKIP_SEVERITIES = ("info", "debug", "info#err")


def _verb(op: str, past: bool) -> str:
    pair = VERBS.get(op, (op, op))
    return pair[1] if past else pair[0]


def duration_text(seconds: int | float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def step_line(step: Step) -> str | None:
    """The plain line for one step (None: nothing worth a line)."""
    row = step.row
    if step.kind == "start" and row is not None:
        return f"  {_verb(row.op, False):<22} {row.name} ({row.type})"
    if step.kind == "done" and row is not None:
        return f"  {_verb(row.op, True):<22} {row.name} in {duration_text(row.duration)}"
    if step.kind == "failed" and row is not None:
        why = f": {row.message}" if row.message else ""
        return f"  {'FAILED ' + _verb(row.op, False):<22} {row.name}{why}"
    if step.kind == "diagnostic" and step.message and step.severity not in _SKIP_SEVERITIES:
        where = f"{row.name}: " if row is not None else ""
        first = step.message.splitlines()[0]
        return f"  {step.severity}: {where}{first}"
    return None


class PlainView:
    """One line per step event: readable in CI logs."""

    def __init__(self, write: Callable[[str], Any]) -> None:
        self.model = Progress()
        self._write = write

    def handle(self, event: Any) -> None:
        step = self.model.handle(event)
        if step is not None:
            line = step_line(step)
            if line is not None:
                self._write(line + "\n")

    def close(self) -> None:
        return None


def _row_cells(row: Row, now: float) -> tuple[str, str, str, str]:
    if row.state == "running":
        started = row.started if row.started is not None else now
        status, took = _verb(row.op, False), duration_text(max(0, now - started))
    elif row.state == "failed":
        status, took = "failed", duration_text(row.duration)
    else:
        status, took = _verb(row.op, True), duration_text(row.duration)
    return row.name, row.type, status, took


def visible_rows(rows: list[Row], limit: int) -> list[Row]:
    """At most `limit` rows, in their order: every failed and running row first, then the most
    recently finished ones."""
    if len(rows) <= limit:
        return rows
    urgent = [r for r in rows if r.state != "done"][:limit]
    room = limit - len(urgent)
    finished = [r for r in rows if r.state == "done"]
    keep = {id(r) for r in urgent} | {id(r) for r in (finished[-room:] if room > 0 else [])}
    return [r for r in rows if id(r) in keep]


class LiveView:
    """A Rich live table, one row per resource; Rich redraws at most LIVE_REFRESH_PER_SECOND times a
    second (its own refresh thread), so a burst of events costs model updates only."""

    def __init__(self, stream: IO[str], *, color: bool = True) -> None:
        from rich.console import Console
        from rich.live import Live

        self.model = Progress()
        self._console = Console(file=stream, force_terminal=True, no_color=not color, highlight=False)
        self._live = Live(
            get_renderable=self._table,
            console=self._console,
            refresh_per_second=LIVE_REFRESH_PER_SECOND,
            transient=False,
        )
        self._live.start()

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        for col in ("resource", "type", "status", "time"):
            table.add_column(col)
        now = time.time()
        rows = self.model.changed_rows()
        shown = visible_rows(rows, LIVE_MAX_ROWS)
        for row in shown:
            cells = _row_cells(row, now)
            style = "red" if row.state == "failed" else ("green" if row.state == "done" else "yellow")
            table.add_row(*cells, style=style)
        if len(rows) > len(shown):
            done = sum(1 for r in rows if r.state == "done")
            table.add_row(f"... {len(rows) - len(shown)} more ({done} done)", "", "", "")
        return table

    def handle(self, event: Any) -> None:
        self.model.handle(event)

    def close(self) -> None:
        self._live.stop()


# the steps of one replacement (the engine's summary counts the resource once, as "replace")
_REPLACEMENT_STEPS = frozenset(
    {
        "replace",
        "create-replacement",
        "delete-replaced",
        "read-replacement",
        "import-replacement",
        "discard-replaced",
    }
)


def summary_text(model: Progress, operation: str = "update") -> str:
    """`update done in 3m12s: 5 created, 1 updated` plus the slowest steps."""
    counts: dict[str, int] = {}
    for row in model.rows.values():
        if row.op not in QUIET_OPS or row.state == "failed":
            op = "replace" if row.op in _REPLACEMENT_STEPS else row.op  # one replace per resource
            key = "failed" if row.state == "failed" else _verb(op, True)
            counts[key] = counts.get(key, 0) + 1
    parts = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "no changes"
    took = duration_text(model.duration_seconds)
    outcome = "failed" if model.failed else "done"
    lines = [f"{operation} {outcome} in {took}: {parts}"]
    slow = sorted((r for r in model.changed_rows() if r.duration), key=lambda r: -(r.duration or 0))[:3]
    for row in slow:
        lines.append(f"  {row.name}: {duration_text(row.duration)}")
    return "\n".join(lines) + "\n"
