"""What stops the spend of a run on its own: the autostop and the runtime budget cap, for review.

- `autostop_summary`: one line for the plan and cost notes, e.g.
  "stops after 30 min idle; job stopped at $250.00".
- `stopped_node_monthly`: what one stopped node of a group still costs (its EBS: root disk and
  volumes, $/month), shown beside autostopped nodes.
- `expected_stops`: `runctl refresh` counts a stopped instance as expected, not drift.
- W0515 (`check_autostop`): a GPU instance group that nothing on the node stops: the training
  group with `autostop: false` and no `budget.max_run_usd`, or a GPU group that runs no training
  (no node script runs there). An idle GPU node is billed until someone stops it.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from runctl_iac.accelerators import lookup
from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.plan.model import Action, Change, Changes, CostEstimate
from runctl_iac.spec.model import Spec


def _minutes(seconds: int) -> str:
    hours, minutes = divmod(seconds // 60, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{minutes} min"] if minutes or not hours else [])
    return " ".join(parts)


def autostop_summary(spec: Spec) -> str | None:
    """None: the spec has no training (no node script runs, nothing stops by itself)."""
    training = spec.training
    if training is None:
        return None
    group = spec.instances.get(training.group)
    verb = "terminates" if training.autostop.action == "terminate" or (group and group.spot) else "stops"
    idle = training.autostop.idle
    first = f"{verb} after {_minutes(idle.seconds)} idle" if idle is not None else "autostop off"
    if training.group in spec.runpod_groups:  # the pod holds no RunPod key: it cannot stop itself
        first = "a RunPod pod never stops itself (runctl gc removes it after the ttl)"
    cap = spec.budget.max_run_usd
    second = (
        f"job stopped at ${cap.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
        if cap is not None
        else "no runtime budget cap"
    )
    return f"{first}; {second}"


def check_autostop(spec: Spec) -> list[Diagnostic]:
    training = spec.training
    out: list[Diagnostic] = []
    for name in sorted(spec.instances):
        group = spec.instances[name]
        accel = lookup(group.type)
        if accel is None:
            continue
        if training is not None and training.group == name:
            if training.autostop.idle is not None or spec.budget.max_run_usd is not None:
                continue
            message = f"{group.type} runs the job with `autostop: false` and no budget.max_run_usd"
            hint = "remove `autostop: false` (default: stop after 30m idle) or set budget.max_run_usd"
            path: tuple[str, ...] = ("training", "autostop")
        else:
            message = f"{group.type} runs no training job, so nothing stops it when it is idle"
            hint = "set a ttl and run `runctl gc` on a schedule, or run the job on this group"
            path = ("instances", name, "type")
        out.append(spec.source.diagnostic(Severity.WARNING, "W0515", message, path, hint))
    return out


HOURS_PER_MONTH = Decimal(730)  # as plan.cost counts a month


def stopped_node_monthly(cost: CostEstimate, group: str, count: int) -> Decimal | None:
    """EBS $/month of one node of `group` (root disk and its copies of volumes); None: unknown."""
    total = Decimal(0)
    for line in cost.lines:
        mine = (line.kind == "root-disk" and line.resource == f"instance.{group}") or (
            line.kind == "volume" and line.resource.endswith(f".{group}")
        )
        if not mine:
            continue
        if line.hourly_usd is None:
            return None
        total += line.hourly_usd * HOURS_PER_MONTH
    return total / max(count, 1)


INSTANCE = "aws:ec2/instance:Instance"
STOPPED_STATES = ("stopped", "stopping")
# what AWS changes on an instance it stops: its state, and the public address it gives back
STOP_FIELDS = frozenset({"instance_state", "public_ip", "public_dns"})


def expected_stops(drift: Changes) -> tuple[Changes, list[str]]:
    """Drift with stopped instances taken out: an instance that autostop stopped is expected, not
    drift (`runctl apply` starts it again). Returns (the rest of the drift, the stopped logical ids).

    The engine's refresh diffs inputs (the provider's Diff): a stopped instance is a no-op whose
    `instance_state` output moved; with the legacy refresh diff (outputs) it is an update of
    `instance_state` and the public address only. Either way it is stopped, not drift."""
    kept: list[Change] = []
    stopped: list[str] = []
    for change in drift.changes:
        fields = {p.path for p in change.properties}
        state = next((p.new for p in change.properties if p.path == "instance_state"), None)
        if (
            change.type == INSTANCE
            and state in STOPPED_STATES
            and (change.action is Action.NOOP or (change.action is Action.UPDATE and fields <= STOP_FIELDS))
        ):
            stopped.append(change.id)
            kept.append(
                replace(change, action=Action.NOOP, properties=(), note="stopped (autostop): expected")
            )
        else:
            kept.append(change)
    return replace(drift, changes=tuple(kept)), stopped
