"""Cost rendering: money formatting, the cost table (text), its JSON and Markdown forms.

Used by the plan renderers (the cost section of a plan) and by `runctl cost`
(a cost-only document). Money is `Decimal` all the way; JSON carries it as
strings so no float ever rounds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from runctl_iac.diagnostics import Diagnostic
from runctl_iac.plan.model import CostEstimate

HOURS_PER_MONTH = 730
COST_FORMAT_VERSION = 1
ESTIMATE_MARK = "*"
UNKNOWN_PRICE = "?"


def money(value: Decimal, places: int = 2) -> str:
    """`Decimal("1234.5")` -> `"$1,234.50"`; half-up rounding, never a float."""
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    return f"{sign}${abs(q):,.{places}f}"


def hourly(value: Decimal) -> str:
    """$/hour figures keep 4 places: storage adds fractions of a cent per hour."""
    return money(value, 4)


def signed(value: Decimal, places: int = 2) -> str:
    """A delta: `+$1.00`, `-$0.50`, `+$0.00`."""
    text = money(value, places)
    return text if text.startswith("-") else "+" + text


def decimal_str(value: Decimal) -> str:
    """Exact plain-notation string of a Decimal for JSON (`Decimal("1E+1")` -> `"10"`)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def hours_label(hours: Decimal) -> str:
    return f"{decimal_str(hours)} h"


@dataclass(frozen=True)
class CostDelta:
    """This plan's cost minus the base's (a base with no cost counts as zero)."""

    hourly_usd: Decimal
    per_run_usd: Decimal | None
    monthly_usd: Decimal


def cost_delta(cost: CostEstimate, base_cost: CostEstimate | None) -> CostDelta:
    if base_cost is None:
        return CostDelta(cost.hourly_usd, cost.per_run_usd, cost.monthly_usd)
    per_run: Decimal | None = None
    if cost.per_run_usd is not None:
        per_run = cost.per_run_usd - (base_cost.per_run_usd or Decimal(0))
    return CostDelta(
        cost.hourly_usd - base_cost.hourly_usd, per_run, cost.monthly_usd - base_cost.monthly_usd
    )


def _pad(cells: list[str], widths: list[int], right: set[int]) -> str:
    out = [
        c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    ]
    return "  " + "  ".join(out).rstrip()


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [_pad(r, widths, right) for r in rows]


def cost_lines(
    cost: CostEstimate, base_cost: CostEstimate | None = None, *, has_base: bool = False
) -> list[str]:
    """The cost section as plain lines: per-resource $/hour, then totals and the delta vs base.

    `has_base`: the plan has a base (even one with no resources), so a delta row is shown.
    """
    lines = [f"Cost estimate ({cost.region})"]
    rows = [["resource", "description", "$/hour"]]
    any_estimate = False
    for line in cost.lines:
        price = UNKNOWN_PRICE if line.hourly_usd is None else hourly(line.hourly_usd)
        if line.estimate:
            any_estimate = True
            price += " " + ESTIMATE_MARK
        rows.append([line.resource, line.description, price])
    if len(rows) > 1:
        lines.extend(_table(rows, right={2}))
    else:
        lines.append("  (no priced resources)")
    lines.append("")
    run_label, run = _run_column(cost, base_cost)
    totals = [["", "$/hour", run_label, f"per month ({HOURS_PER_MONTH} h)"]]
    totals.append(["this plan", hourly(cost.hourly_usd), run(cost), money(cost.monthly_usd)])
    if has_base or base_cost is not None:
        if base_cost is not None:
            totals.append(
                ["base", hourly(base_cost.hourly_usd), run(base_cost), money(base_cost.monthly_usd)]
            )
        delta = cost_delta(cost, base_cost)
        per_run = signed(delta.per_run_usd) if delta.per_run_usd is not None else "n/a"
        totals.append(["delta vs base", signed(delta.hourly_usd, 4), per_run, signed(delta.monthly_usd)])
    lines.extend(_table(totals, right={1, 2, 3}))
    if any_estimate:
        lines.append(f"  {ESTIMATE_MARK} estimate (assumed spot discount or other assumption)")
    if cost.incomplete:
        lines.append(
            f"  ! incomplete estimate: some prices are unknown (marked {UNKNOWN_PRICE}); totals omit them"
        )
    lines.extend(f"  note: {n}" for n in cost.notes)
    return lines


def _run(value: Decimal | None) -> str:
    return money(value) if value is not None else "n/a"


def _run_column(
    cost: CostEstimate, base_cost: CostEstimate | None
) -> tuple[str, Callable[[CostEstimate], str]]:
    """The per-run column's header and cell: the run length goes in the header only when every row of
    the column was priced for it; a base priced at another run length says its own in its cell."""
    same = base_cost is None or base_cost.run_hours == cost.run_hours
    if same and cost.run_hours is not None:
        return f"per run ({hours_label(cost.run_hours)})", lambda c: _run(c.per_run_usd)

    def cell(c: CostEstimate) -> str:
        if c.per_run_usd is None or c.run_hours is None:
            return _run(c.per_run_usd)
        return f"{money(c.per_run_usd)} ({hours_label(c.run_hours)})"

    return "per run", cell


# ---- JSON ----


def _opt(value: Decimal | None) -> str | None:
    return decimal_str(value) if value is not None else None


MONEY_PLACES = Decimal("0.000001")  # the one precision rule of money in JSON (plan.schema.json $defs/money)


def money_str(value: Decimal) -> str:
    """A USD amount for JSON: rounded half-up to 6 decimal places, plain notation, no trailing zeros."""
    return decimal_str(value.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP))


def _opt_money(value: Decimal | None) -> str | None:
    return money_str(value) if value is not None else None


def cost_json(
    cost: CostEstimate, base_cost: CostEstimate | None = None, *, has_base: bool = False
) -> dict[str, Any]:
    """The `cost` object of the plan document (money as strings, see plan.schema.json)."""
    data: dict[str, Any] = {
        "currency": "USD",
        "region": cost.region,
        "hourly": money_str(cost.hourly_usd),
        "run_hours": _opt(cost.run_hours),
        "per_run": _opt_money(cost.per_run_usd),
        "monthly": money_str(cost.monthly_usd),
        "incomplete": cost.incomplete,
        "notes": list(cost.notes),
        "lines": [
            {
                "resource": line.resource,
                "kind": line.kind,
                "description": line.description,
                "hourly": _opt_money(line.hourly_usd),
                "estimate": line.estimate,
            }
            for line in cost.lines
        ],
        "base": None,
        "delta": None,
    }
    if base_cost is not None:
        data["base"] = {
            "hourly": money_str(base_cost.hourly_usd),
            "per_run": _opt_money(base_cost.per_run_usd),
            "monthly": money_str(base_cost.monthly_usd),
            "incomplete": base_cost.incomplete,
        }
    if has_base or base_cost is not None:
        delta = cost_delta(_rounded(cost), _rounded(base_cost) if base_cost is not None else None)
        data["delta"] = {  # from the rounded amounts, so delta == this - base exactly as printed
            "hourly": money_str(delta.hourly_usd),
            "per_run": _opt_money(delta.per_run_usd),
            "monthly": money_str(delta.monthly_usd),
        }
    return data


def _rounded(cost: CostEstimate) -> CostEstimate:
    def q(value: Decimal) -> Decimal:
        return value.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)

    per_run = q(cost.per_run_usd) if cost.per_run_usd is not None else None
    return replace(cost, hourly_usd=q(cost.hourly_usd), per_run_usd=per_run, monthly_usd=q(cost.monthly_usd))


def cost_document(
    project: str, stack: str, cost: CostEstimate, findings: Sequence[Diagnostic] = ()
) -> dict[str, Any]:
    """`runctl cost --output json`: a versioned cost-only document (`$defs/cost_document` in the schema)."""
    from runctl_iac.render.diagnostics import findings_json

    return {
        "format_version": COST_FORMAT_VERSION,
        "kind": "cost",
        "project": project,
        "stack": stack,
        "cost": cost_json(cost),
        "findings": findings_json(findings),
    }


def render_cost_json(
    project: str, stack: str, cost: CostEstimate, findings: Sequence[Diagnostic] = ()
) -> str:
    return json.dumps(cost_document(project, stack, cost, findings), sort_keys=True, indent=2) + "\n"


# ---- Markdown ----


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_finding(d: Diagnostic) -> str:
    """One finding as a Markdown list item body: position, severity and code, path, message, hint."""
    where = f"`{d.file}:{d.line or 1}:{d.column or 1}` " if d.file else ""
    path = f"`{d.path}`: " if d.path else ""
    text = f"{where}**{d.severity.value}[{d.code}]** {path}{_md_cell(d.message)}"
    if d.hint:
        text += f" (hint: {_md_cell(d.hint)})"
    return text


def cost_markdown(
    cost: CostEstimate, base_cost: CostEstimate | None = None, *, has_base: bool = False
) -> list[str]:
    """Markdown lines: the totals table (with the delta) and the per-resource table."""
    run_label, run = _run_column(cost, base_cost)
    out = [
        f"| | $/hour | {run_label} | per month ({HOURS_PER_MONTH} h) |",
        "|---|---:|---:|---:|",
        f"| this plan | {hourly(cost.hourly_usd)} | {run(cost)} | {money(cost.monthly_usd)} |",
    ]
    if base_cost is not None:
        out.append(
            f"| base | {hourly(base_cost.hourly_usd)} | {run(base_cost)} | {money(base_cost.monthly_usd)} |"
        )
    if has_base or base_cost is not None:
        d = cost_delta(cost, base_cost)
        per_run = signed(d.per_run_usd) if d.per_run_usd is not None else "n/a"
        out.append(
            f"| **delta** | **{signed(d.hourly_usd, 4)}** | **{per_run}** | **{signed(d.monthly_usd)}** |"
        )
    out.append("")
    if cost.incomplete:
        out.append(
            f"Incomplete estimate: some prices are unknown (marked {UNKNOWN_PRICE}); totals omit them."
        )
        out.append("")
    if cost.lines:
        out.extend([f"| resource | description | $/hour ({cost.region}) |", "|---|---|---:|"])
        for line in cost.lines:
            price = hourly(line.hourly_usd) if line.hourly_usd is not None else UNKNOWN_PRICE
            if line.estimate:
                price += " " + ESTIMATE_MARK
            out.append(f"| `{line.resource}` | {_md_cell(line.description)} | {price} |")
        out.append("")
        if any(line.estimate for line in cost.lines):
            out.append(f"\\{ESTIMATE_MARK} estimate (assumed spot discount or other assumption)")
            out.append("")
    out.extend(f"Note: {_md_cell(n)}" for n in cost.notes)
    if cost.notes:
        out.append("")
    return out


def render_cost_text(
    project: str, stack: str, cost: CostEstimate, findings: Sequence[Diagnostic] = ()
) -> str:
    """`runctl cost` text output: the cost table, then the findings in the compiler form."""
    from runctl_iac.render.diagnostics import format_diagnostic

    lines = [f"runctl cost · project {project} · stack {stack}", "", *cost_lines(cost)]
    if findings:
        lines.extend(["", f"Findings ({len(findings)}):"])
        lines.extend(format_diagnostic(d) for d in findings)
    return "\n".join(lines) + "\n"


def render_cost_markdown(
    project: str, stack: str, cost: CostEstimate, findings: Sequence[Diagnostic] = ()
) -> str:
    """`runctl cost --output markdown`."""
    lines = [
        f"<!-- runctl-cost: {project}/{stack} -->",
        f"## runctl cost: `{project}` / `{stack}`",
        "",
        *cost_markdown(cost),
    ]
    if findings:
        lines.extend([f"**Findings ({len(findings)})**", ""])
        lines.extend(f"- {markdown_finding(d)}" for d in findings)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"
