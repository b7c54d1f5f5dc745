"""The training job in the offline diff: one `job` entry with property-level changes.

The job is not an AWS resource (see `compiler.job`): apply does not create or
replace anything for it, but the job is launched (or relaunched) with the new
definition. So a changed definition is an UPDATE of the `job` entry whose note
says the job will be relaunched; a new one is a CREATE, a removed `training` a
DELETE. Property paths are dotted (`env.BATCH`, `checkpoints.dir`); lists
(`secrets`, names only) are compared whole. No property is ever secret: the
job definition holds secret *names*, and values never reach the Graph.

A base Graph written before jobs were part of the Graph has no job: the job
then shows as created (launched on apply), which is what apply will do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runctl_iac.compiler.job import JOB_ID, JOB_TYPE
from runctl_iac.plan.model import Action, Change, PropertyChange

NOTES = {
    Action.CREATE: "the job will be launched on apply",
    Action.UPDATE: "the job will be relaunched on apply with the new definition",
    Action.DELETE: "training removed: no job is launched on apply (a running job is not stopped)",
}


def _flat(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping) and value:
        out: dict[str, Any] = {}
        for key in sorted(value, key=str):
            out.update(_flat(value[key], f"{path}.{key}" if path else str(key)))
        return out
    return {path: value}


def diff_job(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> Change | None:
    """The `job` entry for a change of the job definition (None: neither side has a job)."""
    if old is None and new is None:
        return None
    before, after = _flat(old or {}), _flat(new or {})
    before.pop("", None)
    after.pop("", None)
    props = tuple(
        PropertyChange(path, before.get(path), after.get(path))
        for path in sorted(before.keys() | after.keys())
        if not _same(before.get(path), after.get(path))
    )
    if old is None:
        action = Action.CREATE
    elif new is None:
        action = Action.DELETE
    else:
        action = Action.UPDATE if props else Action.NOOP
    return Change(JOB_ID, JOB_TYPE, action, props, note=NOTES.get(action))


def _same(a: Any, b: Any) -> bool:
    """Equal, without confusing True with 1."""
    return type(a) is type(b) and a == b
