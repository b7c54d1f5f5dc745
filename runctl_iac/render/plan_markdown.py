"""A Plan as Markdown for a pull-request comment.

The first line is a hidden marker, `<!-- runctl-plan: <project>/<stack> -->`,
that CI searches for to update its comment in place. Then: title, data-loss and
policy callouts (GitHub alerts), a summary table, the cost delta, and the details
in collapsible sections. Deterministic: no timestamps, stable ordering.
"""

from __future__ import annotations

from runctl_iac.plan.model import Action, Plan
from runctl_iac.render.capacity import capacity_markdown
from runctl_iac.render.cost import cost_delta, cost_markdown, hourly, markdown_finding, money, signed
from runctl_iac.render.plan_text import (
    ARROW,
    SYMBOLS,
    VERBS,
    base_label,
    format_value,
    script_lines,
    short_hash,
    summary_line,
)
from runctl_iac.render.structured import structured_label, structured_lines

RETAIN_ADVICE = {
    Action.REPLACE: "set `retain: true` to keep it",
    Action.DELETE: "apply with `retain: true` before removing it to keep it",
}

# GitHub comments hold at most 65,536 characters: list at most this many changes in detail.
MAX_ROWS = 200


def marker(project: str, stack: str) -> str:
    return f"<!-- runctl-plan: {project}/{stack} -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _callouts(plan: Plan) -> list[str]:
    out: list[str] = []
    loss = [c for c in plan.changes.changes if c.data_loss and c.action is not Action.NOOP]
    if loss:
        out.append("> [!CAUTION]")
        out.append(f"> **Data loss**: {len(loss)} resource(s) holding data will be deleted or replaced.")
        for c in loss:
            out.append(
                f"> - `{c.id}` will be {VERBS[c.action]}; its data is lost ({RETAIN_ADVICE[c.action]})"
            )
        out.append("")
    errors = [f for f in plan.findings if f.is_error]
    warnings = [f for f in plan.findings if not f.is_error and f.code != "W0507"]
    if errors:
        out.append("> [!CAUTION]")
        out.append(f"> **Blocked**: {len(errors)} error(s) must be fixed before apply.")
        out.extend(f"> - {markdown_finding(f)}" for f in errors)
        out.append("")
    if warnings:
        out.append("> [!WARNING]")
        out.append(f"> **Warnings**: {len(warnings)}.")
        out.extend(f"> - {markdown_finding(f)}" for f in warnings)
        out.append("")
    return out


def _summary_table(plan: Plan) -> list[str]:
    c = plan.changes.count
    return [
        "| create | update | replace | delete | unchanged |",
        "|---:|---:|---:|---:|---:|",
        f"| {c(Action.CREATE)} | {c(Action.UPDATE)} | {c(Action.REPLACE)} "
        f"| {c(Action.DELETE)} | {c(Action.NOOP)} |",
        "",
    ]


def _cost_summary(plan: Plan) -> str:
    cost = plan.cost
    parts = [f"**Cost**: {hourly(cost.hourly_usd)}/hour"]
    if plan.base.kind != "none" or plan.base_cost is not None:
        delta = cost_delta(cost, plan.base_cost)
        parts[0] += f" ({signed(delta.hourly_usd, 4)}/hour vs base)"
    if cost.per_run_usd is not None:
        parts.append(f"{money(cost.per_run_usd)} per run")
    parts.append(f"{money(cost.monthly_usd)} per month if left running")
    text = " · ".join(parts)
    if cost.incomplete:
        text += " (incomplete estimate)"
    return text


def _changes_details(plan: Plan) -> list[str]:
    every = [c for c in plan.changes.changes if c.action is not Action.NOOP]
    if not every:
        return []
    visible = every[:MAX_ROWS]
    out = [
        "<details>",
        f"<summary>Changes ({len(every)})</summary>",
        "",
        "| | resource | type | note |",
        "|---|---|---|---|",
    ]
    for c in visible:
        notes = []
        if c.data_loss:
            notes.append("**data loss**")
        if c.retained:
            notes.append("retained: left in AWS")
        if c.note:
            notes.append(_cell(c.note))
        out.append(f"| `{SYMBOLS[c.action]}` {c.action.value} | `{c.id}` | `{c.type}` | {'; '.join(notes)} |")
    out.append("")
    if len(every) > MAX_ROWS:
        out.append(f"… and {len(every) - MAX_ROWS} more: see the JSON plan (`runctl plan --out plan.json`).")
        out.append("")
    with_props = [c for c in visible if c.properties and c.action in (Action.UPDATE, Action.REPLACE)]
    if with_props:
        out.append("```text")
        for c in with_props:
            out.append(f"{SYMBOLS[c.action].rjust(3)} {c.id}")
            width = max(len(p.path) for p in c.properties)
            for p in c.properties:
                nested = structured_lines(p)
                if nested is not None and not any("```" in line for line in nested):
                    out.append(f"      {p.path.ljust(width)} = ({structured_label(p)}):")
                    out.extend(f"          {line}" for line in nested)
                    continue
                script = script_lines(p)
                if script is not None and not any("```" in line for line in script):  # keeps the fence
                    out.append(f"      {p.path.ljust(width)} = (script, changed lines):")
                    out.extend(f"          {line}" for line in script)
                    continue
                line = (
                    f"      {p.path.ljust(width)} = {format_value(p.old, p.secret)} {ARROW} "
                    f"{format_value(p.new, p.secret)}"
                )
                if p.replaces:
                    line += "  # forces replacement"
                out.append(line)
        out.append("```")
        out.append("")
    out.append("</details>")
    out.append("")
    return out


def _cost_details(plan: Plan) -> list[str]:
    return [
        "<details>",
        "<summary>Cost estimate</summary>",
        "",
        *cost_markdown(plan.cost, plan.base_cost, has_base=plan.base.kind != "none"),
        *capacity_markdown(plan.capacity),
        "</details>",
        "",
    ]


def _findings_details(plan: Plan) -> list[str]:
    if not plan.findings:
        return []
    out = ["<details>", f"<summary>Findings ({len(plan.findings)})</summary>", ""]
    out.extend(f"- {markdown_finding(f)}" for f in plan.findings)
    out.extend(["", "</details>", ""])
    return out


def render_plan_markdown(plan: Plan) -> str:
    status = "blocked" if plan.blocked else ("changes" if plan.changes.has_changes else "no changes")
    lines = [
        marker(plan.project, plan.stack),
        f"## runctl plan: `{plan.project}` / `{plan.stack}` ({status})",
        "",
        *_callouts(plan),
        f"**{summary_line(plan.changes)}** Base: {base_label(plan.base)}. "
        f"Spec: `{short_hash(plan.spec_hash)}`.",
        "",
        *_summary_table(plan),
        _cost_summary(plan),
        "",
        *_changes_details(plan),
        *_cost_details(plan),
        *_findings_details(plan),
    ]
    if plan.changes.source == "offline":
        lines.append("<sub>Offline diff computed by runctl from the spec (no cloud credentials used).</sub>")
    else:
        lines.append("<sub>Changes from the engine preview.</sub>")
    return "\n".join(lines) + "\n"
