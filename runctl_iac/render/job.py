"""Job views: the per-node table of `runctl job` (text, JSON), log lines, checkpoint listings.

Plain text (no Rich live display), readable in a terminal and in CI logs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import IO, Any

from runctl_iac.launch.runs import CheckpointObject, NodeStatus

JOB_JSON_VERSION = 1


def age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = max(0, int(seconds))
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    if s < 172800:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d"


def size(n: int | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _cost(s: NodeStatus, now: datetime, hourly: Decimal | None) -> Decimal | None:
    """The node's own count from its heartbeats when it reports one, else runtime × the estimate."""
    if s.spent_usd is not None:
        return s.spent_usd.quantize(Decimal("0.01"))
    seconds = s.runtime_seconds(now)
    if hourly is None or seconds is None:
        return None
    return (hourly * Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.01"))


def job_rows(statuses: Sequence[NodeStatus], now: datetime, hourly: Decimal | None) -> list[dict[str, Any]]:
    rows = []
    for s in statuses:
        cost = _cost(s, now, hourly)
        rows.append(
            {
                "node": s.rank,
                "state": s.state,
                "exit_code": s.exit_code,
                "reason": s.reason,
                "runtime_seconds": None
                if s.runtime_seconds(now) is None
                else int(s.runtime_seconds(now) or 0),
                "heartbeat_age_seconds": None
                if s.heartbeat_age(now) is None
                else int(s.heartbeat_age(now) or 0),
                "heartbeat_stale": s.stale(now),
                "checkpoint_age_seconds": None
                if s.checkpoint_at is None
                else int((now - s.checkpoint_at).total_seconds()),
                "checkpoint_bytes": s.checkpoint_bytes,
                "cost_usd": None if cost is None else str(cost),
                "cost_source": "heartbeat" if s.spent_usd is not None else "estimate",
                "spend_price": s.spend_source,
                "autostop": s.autostop,
            }
        )
    return rows


def run_spend(rows: list[dict[str, Any]]) -> Decimal | None:
    """The run's $ so far: every node's figure added up (None: some node's is unknown)."""
    if any(r["cost_usd"] is None for r in rows):
        return None
    return sum((Decimal(r["cost_usd"]) for r in rows), Decimal(0))


def render_job_text(
    run_id: str, rows: list[dict[str, Any]], note: str = "", stopped_monthly: Decimal | None = None
) -> str:
    header = ("node", "state", "exit", "runtime", "heartbeat", "checkpoint", "$ so far")
    table = [header]
    for r in rows:
        beat = age(r["heartbeat_age_seconds"]) + (" STALE" if r["heartbeat_stale"] else "")
        ckpt = "-" if r["checkpoint_age_seconds"] is None else f"{age(r['checkpoint_age_seconds'])} ago"
        table.append(
            (
                str(r["node"]),
                r["state"],
                "-" if r["exit_code"] is None else str(r["exit_code"]),
                age(r["runtime_seconds"]),
                beat,
                ckpt,
                "-" if r["cost_usd"] is None else f"${r['cost_usd']}",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [f"run {run_id}"]
    lines += [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table
    ]
    for r in rows:
        if r["reason"]:
            lines.append(f"  node {r['node']}: {r['reason']}")
        stop = r.get("autostop")
        if stop:
            keeps = ""
            if stopped_monthly is not None and stop.get("action") == "stop":
                keeps = f"; stopped, it still costs ${stopped_monthly:.2f}/month (EBS)"
            lines.append(
                f"  node {r['node']}: autostopped ({stop.get('action')}) at {stop.get('at')}: "
                f"{stop.get('reason')}; ${stop.get('spent_usd')} spent{keeps}"
            )
    total = run_spend(rows)
    if total is not None and len(rows) > 1:
        lines.append(f"  run: ${total:.2f} so far on {len(rows)} nodes")
    if any(r.get("cost_source") == "heartbeat" for r in rows):
        lines.append(
            "  $ so far: counted on the nodes at their $/hour "
            "(the plan's estimate unless a node read its spot price)"
        )
    if note:
        lines.append(note)
    return "\n".join(lines) + "\n"


def render_job_json(run_id: str, rows: list[dict[str, Any]]) -> str:
    return (
        json.dumps({"version": JOB_JSON_VERSION, "run_id": run_id, "nodes": rows}, indent=2, sort_keys=True)
        + "\n"
    )


def log_line(rank: int, line: str, several: bool) -> str:
    return f"[node {rank}] {line}" if several else line


def render_checkpoints_text(per_node: dict[int, list[CheckpointObject]], now: datetime) -> str:
    lines = []
    for rank, objects in sorted(per_node.items()):
        total = sum(o.size for o in objects)
        newest = max((o.modified for o in objects), default=None)
        when = "never" if newest is None else f"{age((now - newest).total_seconds())} ago"
        lines.append(f"node {rank}: {len(objects)} file(s), {size(total)}, last sync {when}")
        for o in objects:
            lines.append(f"  {o.key}  {size(o.size)}  {o.modified.strftime('%Y-%m-%d %H:%M:%SZ')}")
    return "\n".join(lines) + "\n"


def upload_progress(stream: IO[str]) -> Callable[[int], tuple[Callable[[int], Any], Callable[[], None]]]:
    """A progress bar for the code upload on a terminal; nothing elsewhere (CI logs get one summary line)."""

    def factory(total: int) -> tuple[Callable[[int], Any], Callable[[], None]]:
        if not stream.isatty():
            return (lambda _n: None), (lambda: None)
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

        progress = Progress(
            "uploading code",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=Console(file=stream),
        )
        task = progress.add_task("code", total=total)
        progress.start()
        return (lambda n: progress.advance(task, n)), progress.stop

    return factory


def run_spend_line(spend: Any) -> str:
    """`runctl status`: the latest run's spend (spend: launch.runs.RunSpend or None)."""
    if spend is None:
        return ""
    total = "unknown" if spend.spent_usd is None else f"${spend.spent_usd:.2f}"
    stopped = ", ".join(str(r) for r in spend.autostopped)
    tail = f"; autostopped node(s): {stopped}" if stopped else ""
    return f"latest run {spend.run_id}: {total} spent (from the nodes' heartbeats){tail}\n"
