"""`runctl destroy` as a library call: what goes, what is retained (with its monthly cost),
confirm through the UI, destroy with progress, remove the empty stack.

The UI is `engine.apply.ApplyUI`, as for apply; the CLI only wires options to `run_destroy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runctl_iac.engine import driver, snapshot
from runctl_iac.engine.teardown import destroy_stack
from runctl_iac.engine.ui import confirmed

if TYPE_CHECKING:
    from runctl_iac.engine.apply import ApplyUI
    from runctl_iac.engine.workspace import Target


def retained_lines(target: Target, kept: list[dict[str, Any]]) -> list[str]:
    """`logical id  AWS id  $/month` for each resource the destroy leaves in AWS."""
    from runctl_iac.plan.cost import ebs_monthly, format_usd
    from runctl_iac.plan.replace_rules import DATA_TYPES
    from runctl_iac.prices import ebs_price

    monthly: dict[str, str] = {}
    applied = snapshot.read_applied(target.project, target.stack, target.backend)
    if applied is not None:
        for rid, vol in applied.graph.resources.items():
            props = vol.properties
            price = ebs_price(applied.graph.region, str(props.get("type", "gp3")))
            size = props.get("size")
            if vol.type == "aws:ebs/volume:Volume" and price is not None and isinstance(size, int):
                iops, tput = props.get("iops"), props.get("throughput")
                month = ebs_monthly(
                    price,
                    size,
                    iops if isinstance(iops, int) else None,
                    tput if isinstance(tput, int) else None,
                )
                monthly[rid] = format_usd(month) + "/month"
    out = []
    for res in kept:
        if res.get("type") not in DATA_TYPES:
            continue  # a kept bucket's configuration resources go with it: not listed apart
        rid = str(res.get("urn", "")).rsplit("::", 1)[-1]
        cost = monthly.get(rid, "storage billed per GB-month")
        out.append(f"  {rid}  {res.get('id') or ''}  {cost}")
    return out


def run_destroy(target: Target, ui: ApplyUI, *, yes: bool, label: str) -> bool:
    """Destroy the stack after showing what goes and asking; False when the user said no.
    `label` names the stack in hints (`runctl destroy LABEL --yes`)."""
    where = f"{target.project}/{target.stack}"
    handle = driver.open_for(target, create=False)
    changes = driver.preview_destroy(handle)
    kept = driver.retained_resources(handle)
    kept_ids = {str(r.get("urn", "")).rsplit("::", 1)[-1] for r in kept}
    going = [c for c in changes.changes if not c.retained and c.id not in kept_ids]
    lines = [f"destroy {where}: {len(going)} to delete, {len(kept)} retained"]
    lines += [f"  - {c.id} ({c.type})" for c in going]
    if kept:
        lines.append("retained (stay in AWS, removed from the stack; delete them yourself when done):")
        lines += retained_lines(target, kept)
    ui.note("\n".join(lines))
    if not going and not kept:
        resources, pending = driver.state_resources(handle)
        if not resources and not pending:
            driver.remove_stack(handle)
            snapshot.remove_applied(target.project, target.stack, target.backend)
            ui.note(f"stack {where} removed")
        return True
    hint = f"run `runctl destroy {label} --yes`"
    if not confirmed(ui, yes, command="destroy", question=f"destroy {where}?", hint=hint):
        ui.note("destroy cancelled: nothing was changed")
        return False
    view = ui.progress()
    try:
        outcome = destroy_stack(target, view.handle)
    finally:
        view.close()
    ui.finished(driver.UpOutcome({}, {}, progress=view.model))
    if outcome.removed:
        ui.note(f"stack {where} removed")
    return True
