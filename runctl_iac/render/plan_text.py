"""A Plan as Terraform-like text: header, changes, data loss, summary, cost, findings.

The text is built as styled lines and printed through Rich: with `color=False`
(tests, pipes, CI logs) the output is plain, deterministic text; on a terminal
the same lines get colours. Secret values are always shown as "(secret)".
"""

from __future__ import annotations

import difflib
import io
import json
from collections.abc import Iterable
from typing import Any

from runctl_iac.diagnostics import Diagnostic
from runctl_iac.plan.diff import KNOWN_AFTER_APPLY
from runctl_iac.plan.model import Action, Change, Changes, Plan, PlanBase, PropertyChange
from runctl_iac.render.capacity import capacity_lines
from runctl_iac.render.cost import cost_lines
from runctl_iac.render.structured import structured_label, structured_lines

SECRET = "(secret)"
ABSENT = "(none)"
ARROW = "→"

SYMBOLS: dict[Action, str] = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.NOOP: " ",
}
STYLES: dict[Action, str] = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.REPLACE: "magenta",
    Action.DELETE: "red",
    Action.NOOP: "",
}
VERBS: dict[Action, str] = {
    Action.CREATE: "created",
    Action.UPDATE: "updated in place",
    Action.REPLACE: "replaced",
    Action.DELETE: "deleted",
    Action.NOOP: "left unchanged",
}

Line = tuple[str, str]  # (text, Rich style); style "" is plain


def format_value(value: Any, secret: bool = False) -> str:
    """A graph-encoded value for humans: JSON-like scalars, placeholders spelled out."""
    if secret:
        return SECRET
    if value is None:
        return ABSENT
    if value == KNOWN_AFTER_APPLY:
        return KNOWN_AFTER_APPLY
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        if "$secret" in value:
            return SECRET
        if set(value) == {"$ref"}:
            return f"ref({value['$ref']})"
        if set(value) == {"$config"}:
            return f"config({value['$config']})"
        if "$invoke" in value:
            func = str(value["$invoke"]).rpartition(":")[2]
            args = value.get("args") or {}
            inner = ", ".join(f"{k} = {format_value(v)}" for k, v in sorted(args.items()))
            return f"lookup {func}({inner}).{value.get('attr', '')}"
        inner = ", ".join(f"{k} = {format_value(v)}" for k, v in sorted(value.items()))
        return "{" + inner + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def summary_line(changes: Changes) -> str:
    """Exactly "2 to create, 1 to update, 1 to replace, 0 to delete."."""
    c = changes.count
    return (
        f"{c(Action.CREATE)} to create, {c(Action.UPDATE)} to update, "
        f"{c(Action.REPLACE)} to replace, {c(Action.DELETE)} to delete."
    )


def short_hash(value: str | None) -> str:
    if not value:
        return "unknown"
    algo, _, digest = value.partition(":")
    return f"{algo}:{digest[:12]}" if digest else value[:12]


def base_label(base: PlanBase) -> str:
    if base.kind == "none":
        return "none (nothing applied yet: everything is created)"
    where = {"snapshot": "last applied snapshot", "file": "file", "git": "git ref"}[base.kind]
    text = f"{where} {base.ref}" if base.ref else where
    if base.spec_hash:
        text += f" ({short_hash(base.spec_hash)})"
    else:
        text += " (no spec there: everything is created)"
    return text


def data_loss_message(change: Change) -> str:
    if change.action is Action.REPLACE:
        return f"!! data loss: {change.id} will be replaced; its data is lost (set retain: true to keep it)"
    return (
        f"!! data loss: {change.id} will be deleted; its data is lost"
        " (apply with retain: true before removing it to keep it)"
    )


def script_lines(prop: PropertyChange, create: bool = False) -> list[str] | None:
    """A multi-line string property (a job's `run` or `setup` script) as changed lines, `- old` /
    `+ new` (every line, `+`, for a create); None for any other property. A reviewer reads what the
    script does now, not two escaped one-line strings."""
    old, new = prop.old, prop.new
    if prop.secret or not any(isinstance(v, str) and "\n" in v.rstrip("\n") for v in (old, new)):
        return None
    if not all(v is None or isinstance(v, str) for v in (old, new)):
        return None
    before = [] if create or old is None else old.splitlines()
    after = [] if new is None else new.splitlines()
    diff = difflib.unified_diff(before, after, lineterm="", n=0)
    return [line.rstrip() for line in diff if not line.startswith(("---", "+++", "@@"))]


def _style(line: str) -> str:
    return {"+": "green", "-": "red", "~": "yellow"}.get(line.lstrip()[:1], "")


def _property_lines(change: Change, prop: PropertyChange, width: int) -> list[Line]:
    nested = structured_lines(prop) if change.action is not Action.CREATE else None
    if nested is not None:
        what = structured_label(prop)
        suffix = "  # forces replacement" if prop.replaces else ""
        out_nested: list[Line] = [(f"        {prop.path.ljust(width)} = ({what}):{suffix}", "")]
        out_nested.extend((f"            {line}", _style(line)) for line in nested)
        return out_nested
    script = script_lines(prop, create=change.action is Action.CREATE)
    if script is None:
        return [_property_line(change, prop, width)]
    what = "script" if change.action is Action.CREATE else "script, changed lines"
    out: list[Line] = [(f"        {prop.path.ljust(width)} = ({what}):", "")]
    out.extend((f"            {line}", "red" if line.startswith("-") else "green") for line in script)
    return out


def _property_line(change: Change, prop: PropertyChange, width: int) -> Line:
    name = prop.path.ljust(width)
    if change.action is Action.CREATE:
        text = f"{name} = {format_value(prop.new, prop.secret)}"
    else:
        text = f"{name} = {format_value(prop.old, prop.secret)} {ARROW} {format_value(prop.new, prop.secret)}"
    if prop.replaces:
        text += "  # forces replacement"
    return "        " + text, "bold" if prop.replaces else ""


def change_lines(change: Change) -> list[Line]:
    symbol = SYMBOLS[change.action].rjust(3)
    head = f"  {symbol} {change.id} ({change.type})"
    comments = []
    if change.retained:
        comments.append("retained: left in AWS, removed from the stack")
    if change.note:
        comments.append(change.note)
    if comments:
        head += "  # " + "; ".join(comments)
    out: list[Line] = [(head, STYLES[change.action])]
    if change.action is Action.DELETE:
        return out  # what is deleted is named; its old settings do not matter to the reader
    width = max((len(p.path) for p in change.properties), default=0)
    for p in change.properties:
        out.extend(_property_lines(change, p, width))
    return out


def findings_lines(findings: Iterable[Diagnostic]) -> list[Line]:
    from runctl_iac.render.diagnostics import format_diagnostic

    out: list[Line] = []
    for d in findings:
        style = "red" if d.is_error else "yellow"
        for i, text in enumerate(format_diagnostic(d).splitlines()):
            out.append((text, style if i == 0 else "dim"))
    return out


def plan_lines(plan: Plan) -> list[Line]:
    changes = plan.changes
    out: list[Line] = [
        (f"runctl plan · project {plan.project} · stack {plan.stack}", "bold"),
        (f"base: {base_label(plan.base)}", ""),
        (f"spec: {short_hash(plan.spec_hash)}", ""),
        ("changes: " + ("engine preview" if changes.source == "engine" else "offline diff (no engine)"), ""),
        ("", ""),
    ]
    visible = [c for c in changes.changes if c.action is not Action.NOOP]
    if visible:
        out.append(("runctl will perform these actions:", ""))
        out.append(("", ""))
        for change in visible:
            out.extend(change_lines(change))
        out.append(("", ""))
    else:
        out.append(("No changes. The infrastructure matches the spec.", "green"))
        out.append(("", ""))
    loss = [c for c in visible if c.data_loss]
    for change in loss:
        out.append((data_loss_message(change), "bold red"))
    if loss:
        out.append(("", ""))
    unchanged = changes.count(Action.NOOP)
    out.append((f"Plan: {summary_line(changes)} ({unchanged} unchanged)", "bold"))
    out.append(("", ""))
    out.extend((t, "") for t in cost_lines(plan.cost, plan.base_cost, has_base=plan.base.kind != "none"))
    if plan.capacity:
        out.append(("", ""))
        out.extend((t, "") for t in capacity_lines(plan.capacity))
    if plan.findings:
        out.append(("", ""))
        out.append((f"Findings ({len(plan.findings)}):", "bold"))
        out.extend(findings_lines(plan.findings))
    if plan.blocked:
        errors = sum(1 for f in plan.findings if f.is_error)
        out.append(("", ""))
        out.append((f"Plan blocked: {errors} error(s) above must be fixed before apply.", "bold red"))
    return out


def emit(lines: Iterable[Line], *, color: bool = False, width: int = 100) -> str:
    """Lines -> one string; plain when `color` is false, ANSI colours through Rich otherwise."""
    if not color:
        return "".join(text.rstrip() + "\n" for text, _ in lines)
    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    console = Console(
        file=buf, width=width, force_terminal=True, color_system="standard", soft_wrap=True, highlight=False
    )
    for text, style in lines:
        console.print(Text(text.rstrip(), style=style or ""))
    return buf.getvalue()


def render_plan_text(plan: Plan, *, color: bool = False, width: int = 100) -> str:
    return emit(plan_lines(plan), color=color, width=width)
