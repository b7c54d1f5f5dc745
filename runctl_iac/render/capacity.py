"""Capacity candidates as text, JSON and Markdown (plan, cost, diff)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from runctl_iac.plan.capacity import worst_case
from runctl_iac.plan.model import CandidateCost
from runctl_iac.render.cost import money, money_str

HEADER = ["#", "candidate", "$/hour", "$/run", ""]


def _money(value: Decimal | None) -> str:
    return "unknown" if value is None else money(value)


def _status(row: CandidateCost) -> str:
    if row.blocked is not None:
        return f"blocked: {row.blocked}"
    return "placed" if row.placed else ""


def _groups(rows: tuple[CandidateCost, ...]) -> list[str]:
    return list(dict.fromkeys(r.group for r in rows))


def placed_line(rows: tuple[CandidateCost, ...], group: str) -> str:
    placed = next((r for r in rows if r.group == group and r.placed), None)
    if placed is None:
        return f"{group}: not placed on a candidate"
    return f"{group}: placed: {placed.label}, candidate {placed.index} of {placed.total}"


def capacity_lines(rows: tuple[CandidateCost, ...]) -> list[str]:
    """`Capacity candidates` section: per group, the placed one, the table in try order, worst case."""
    if not rows:
        return []
    out = ["Capacity candidates (tried in order on a capacity error):"]
    for group in _groups(rows):
        mine = [r for r in rows if r.group == group]
        table = [HEADER] + [
            [str(r.index), r.label, _money(r.hourly_usd), _money(r.per_run_usd), _status(r)] for r in mine
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
        out.append(f"  {placed_line(rows, group)}")
        for row in table:
            cells = [
                row[i].rjust(widths[i]) if i in (0, 2, 3) else row[i].ljust(widths[i])
                for i in range(len(row))
            ]
            out.append(("    " + "  ".join(cells)).rstrip())
    hourly, per_run = worst_case(rows)
    out.append(f"  worst case of the usable candidates: {_money(hourly)}/hour, {_money(per_run)}/run")
    return out


def capacity_json(rows: tuple[CandidateCost, ...]) -> dict[str, Any]:
    hourly, per_run = worst_case(rows)
    return {
        "candidates": [
            {
                "group": r.group,
                "index": r.index,
                "of": r.total,
                "candidate": r.label,
                "key": r.key,
                "hourly_usd": None if r.hourly_usd is None else money_str(r.hourly_usd),
                "per_run_usd": None if r.per_run_usd is None else money_str(r.per_run_usd),
                "blocked": r.blocked,
                "placed": r.placed,
            }
            for r in rows
        ],
        "worst_case": {
            "hourly_usd": None if hourly is None else money_str(hourly),
            "per_run_usd": None if per_run is None else money_str(per_run),
        },
    }


def capacity_markdown(rows: tuple[CandidateCost, ...]) -> list[str]:
    if not rows:
        return []
    out = ["**Capacity candidates** (tried in order on a capacity error)", ""]
    for group in _groups(rows):
        out.append(f"- {placed_line(rows, group)}")
    out.extend(["", "| group | # | candidate | $/hour | $/run | status |", "|---|--:|---|--:|--:|---|"])
    for r in rows:
        status = _status(r).replace("|", "\\|")
        prices = f"{_money(r.hourly_usd)} | {_money(r.per_run_usd)}"
        out.append(f"| {r.group} | {r.index} | {r.label} | {prices} | {status} |")
    hourly, per_run = worst_case(rows)
    out.extend(["", f"Worst case of the usable candidates: {_money(hourly)}/hour, {_money(per_run)}/run", ""])
    return out
