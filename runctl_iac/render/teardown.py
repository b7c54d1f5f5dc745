"""`runctl resources` and `runctl gc` as plain text (terminal and CI logs alike) and as JSON.

JSON shapes carry `"version": 1`; money is a string (exact Decimal), times are RFC 3339 UTC.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from runctl_iac.diagnostics import Diagnostic
from runctl_iac.plan.cost import format_usd
from runctl_iac.render.cost import decimal_str, hourly
from runctl_iac.render.job import run_spend_line
from runctl_iac.teardown.gc import GcPlan, Kept
from runctl_iac.teardown.model import ORDER, ManagedResource, rfc3339
from runctl_iac.teardown.prices import is_spot
from runctl_iac.teardown.service import ResourceList
from runctl_iac.teardown.sweep import GcResult

FORMAT_VERSION = 1
UNKNOWN = "?"
ACTIONS = {"instance": "terminate", "runpod-pod": "terminate"}


def _money(value: Decimal | None) -> str:
    return UNKNOWN if value is None else hourly(value)


def _json_money(value: Decimal | None) -> str | None:
    return None if value is None else decimal_str(value)


def age_text(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "-"
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 2 * 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _expiry(res: ManagedResource, now: dt.datetime) -> str:
    expiry = res.expires_at
    if expiry is None:
        return "-"
    return f"{expiry:%Y-%m-%d %H:%M}" + (" EXPIRED" if expiry <= now else "")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return [line(header), *(line(r) for r in rows)]


def _warnings(warnings: Sequence[Diagnostic]) -> list[str]:
    return [f"warning[{w.code}]: {w.message}" for w in warnings]


# -- resources --------------------------------------------------------------------------------------
def render_resources_text(listing: ResourceList) -> str:
    now = listing.now
    regions = ", ".join(listing.regions)
    if not listing.items:
        return "\n".join([*_warnings(listing.warnings), f"No runctl-managed resources in {regions}."]) + "\n"
    rows = [
        [
            r.project,
            r.stack,
            r.kind.value + (" (stopped)" if r.stopped else ""),
            r.id,
            r.region,
            age_text(r.age(now)),
            _expiry(r, now),
            "yes" if r.retained else "",
            _money(p.hourly_usd),
        ]
        for p in listing.items
        for r in [p.resource]
    ]
    header = ["PROJECT", "STACK", "TYPE", "ID", "REGION", "AGE", "EXPIRES (UTC)", "RETAIN", "$/HOUR"]
    lines = [f"{len(listing.items)} runctl-managed resources in {regions}", ""]
    lines += _table(header, rows, right=(8,))
    lines += _stopped_lines(listing)
    lines += ["", "Per stack:"]
    stopped, spend = listing.stopped_monthly(), listing.spend
    totals = [
        [f"  {p}/{s}", hourly(v) + "/h", _stack_notes(stopped, spend, (p, s))]
        for (p, s), v in listing.totals().items()
    ]
    lines += _table(["", "", ""], totals, right=(1,))[1:]
    lines += ["", f"Total: {hourly(listing.total)}/h (catalog on-demand prices; ? = no catalog price)"]
    lines += _warnings(listing.warnings)
    return "\n".join(lines) + "\n"


def _monthly(value: Decimal | None) -> str:
    return UNKNOWN if value is None else f"{format_usd(value)}/month"


def _stopped_lines(listing: ResourceList) -> list[str]:
    """Each stopped instance and what its EBS volumes (root disk included) still cost a month."""
    stopped = listing.stopped()
    if not stopped:
        return []
    rows = []
    for item in stopped:
        res = item.resource
        volumes = [v for v in res.details.get("volumes") or () if isinstance(v, dict)]
        disks = ", ".join(f"{v.get('id')} {v.get('size_gb')} GB {v.get('type')}" for v in volumes)
        rows.append(
            [
                f"  {res.project}/{res.stack}",
                res.id,
                disks or "no volumes",
                _monthly(item.stopped_monthly_usd),
            ]
        )
    return [
        "",
        "Stopped instances (they bill only their EBS volumes):",
        *_table(["", "", "", ""], rows, right=(3,))[1:],
    ]


def _stack_notes(
    stopped: dict[tuple[str, str], Decimal | None], spend: dict[tuple[str, str], Any], key: tuple[str, str]
) -> str:
    notes = []
    if key in stopped:
        notes.append(f"stopped instances: {_monthly(stopped[key])} (EBS)")
    if key in spend:
        notes.append(run_spend_line(spend[key]).rstrip("\n"))
    return "; ".join(notes)


def resource_json(res: ManagedResource, now: dt.datetime, cost: Decimal | None) -> dict[str, Any]:
    age = res.age(now)
    return {
        "project": res.project,
        "stack": res.stack,
        "type": res.kind.value,
        "id": res.id,
        "region": res.region,
        "arn": res.arn,
        "created": rfc3339(res.created) if res.created else None,
        "age_seconds": int(age.total_seconds()) if age is not None else None,
        "expires_at": rfc3339(res.expires_at) if res.expires_at else None,
        "expired": res.expired(now),
        "retained": res.retained,
        "hourly_usd": _json_money(cost),
        "details": dict(res.details),
    }


def render_resources_json(listing: ResourceList) -> str:
    stopped, spend = listing.stopped_monthly(), listing.spend
    doc = {
        "version": FORMAT_VERSION,
        "generated_at": rfc3339(listing.now),
        "regions": list(listing.regions),
        "resources": [
            resource_json(p.resource, listing.now, p.hourly_usd)
            | ({"stopped_monthly_usd": _json_money(p.stopped_monthly_usd)} if p.resource.stopped else {})
            for p in listing.items
        ],
        "stacks": [
            {
                "project": p,
                "stack": s,
                "hourly_usd": decimal_str(v),
                "stopped_instances": sum(1 for i in listing.stopped() if i.resource.key == (p, s)),
                "stopped_monthly_usd": _json_money(stopped[(p, s)]) if (p, s) in stopped else None,
                "latest_run": spend[(p, s)].to_json() if (p, s) in spend else None,
            }
            for (p, s), v in listing.totals().items()
        ],
        "total_hourly_usd": decimal_str(listing.total),
        "warnings": [w.to_json() for w in listing.warnings],
    }
    return json.dumps(doc, indent=2) + "\n"


# -- gc ---------------------------------------------------------------------------------------------
def _kept_rows(kept: Sequence[Kept]) -> list[list[str]]:
    return [[f"{k.project}/{k.stack}", k.what, k.why] for k in kept]


def _spot_label(plan: GcPlan) -> str:
    """Spot instances are priced as `runctl plan` prices them (an estimate): say so."""
    found = [d.resource for d in plan.deletions] + [r for d in plan.destroys for r in d.resources]
    return " (spot instances at the spot estimate, as in `runctl plan`)" if any(map(is_spot, found)) else ""


def render_gc_text(
    plan: GcPlan, result: GcResult | None, warnings: Sequence[Diagnostic], audit: str | None
) -> str:
    lines: list[str] = []
    if result is None:
        count = len(plan.deletions) + len(plan.destroys)
        if plan.empty:
            lines.append("runctl gc (dry run): nothing to remove.")
        else:
            lines.append(
                f"runctl gc (dry run): would remove {count} item(s), saving {hourly(plan.hourly_saved)}/h"
                f"{_spot_label(plan)}; nothing was deleted"
            )
        if plan.destroys:
            lines += ["", "Would destroy through the engine:"]
            rows = [
                [
                    f"  {d.project}/{d.stack}",
                    f"{d.state_resources} in state",
                    hourly(d.hourly_usd) + "/h",
                    d.reason,
                ]
                for d in plan.destroys
            ]
            lines += _table(["", "", "", ""], rows)[1:]
        if plan.deletions:
            lines += ["", "Would delete, in this order:"]
            rows = [
                [
                    f"  {ACTIONS.get(d.resource.kind.value, 'delete')}",
                    d.resource.label,
                    f"{d.resource.project}/{d.resource.stack}",
                    _money(d.hourly_usd) + "/h",
                    d.reason,
                ]
                for d in sorted(
                    plan.deletions, key=lambda d: (ORDER[d.resource.kind], d.resource.region, d.resource.id)
                )
            ]
            lines += _table(["", "", "", "", ""], rows)[1:]
    else:
        done = [o for o in result.outcomes if o.done]
        saved = hourly(result.hourly_saved)
        lines.append(
            f"runctl gc: removed {len(done)} of {len(result.outcomes)}, saving {saved}/h{_spot_label(plan)};"
            f" {len(result.failed)} failed"
        )
        if result.outcomes:
            lines += ["", "Actions:"]
            rows = [
                [f"  {o.action}", o.what, f"{o.project}/{o.stack}", o.result, o.error or ""]
                for o in result.outcomes
            ]
            lines += _table(["", "", "", "", ""], rows)[1:]
    if plan.kept:
        lines += ["", "Kept:"]
        lines += _table(["", "", ""], [["  " + r[0], *r[1:]] for r in _kept_rows(plan.kept)])[1:]
    if warnings:
        lines += ["", *_warnings(warnings)]
    if result is None and not plan.empty:
        lines += ["", "Run again with --yes to remove them."]
    if audit:
        lines += ["", f"Audit log: {audit}"]
    return "\n".join(lines) + "\n"


def render_gc_json(
    plan: GcPlan, result: GcResult | None, warnings: Sequence[Diagnostic], audit: str | None
) -> str:
    now = plan.now
    doc: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "dry_run": result is None,
        "generated_at": rfc3339(now),
        "hourly_usd_saved": decimal_str(plan.hourly_saved if result is None else result.hourly_saved),
        "destroy_stacks": [
            {
                "project": d.project,
                "stack": d.stack,
                "reason": d.reason,
                "state_resources": d.state_resources,
                "hourly_usd": decimal_str(d.hourly_usd),
            }
            for d in plan.destroys
        ],
        "delete": [
            {**resource_json(d.resource, now, d.hourly_usd), "reason": d.reason}
            for d in sorted(
                plan.deletions, key=lambda d: (ORDER[d.resource.kind], d.resource.region, d.resource.id)
            )
        ],
        "kept": [
            {
                "project": k.project,
                "stack": k.stack,
                "what": k.what,
                "why": k.why,
                "hourly_usd": _json_money(k.hourly_usd),
            }
            for k in plan.kept
        ],
        "warnings": [w.to_json() for w in warnings],
        "audit_log": audit,
    }
    if result is not None:
        doc["outcomes"] = [
            {
                "project": o.project,
                "stack": o.stack,
                "what": o.what,
                "action": o.action,
                "result": o.result,
                "error": o.error,
                "hourly_usd": _json_money(o.hourly_usd),
            }
            for o in result.outcomes
        ]
    return json.dumps(doc, indent=2) + "\n"
