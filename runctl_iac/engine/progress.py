"""One progress model fed by engine events, and the engine's changes in runctl's plan model.

`Progress.handle(event)` takes a `pulumi.automation.events.EngineEvent` (or anything with the same
attributes) and returns the `Step` it caused, if any: a resource started, finished or failed, a
diagnostic, the summary. The views (`render/progress.py`) read the rows and the steps; they never
see an engine event. `changes_from_events` turns a preview's events into `Changes(source="engine")`.
No pulumi import: events are read by attribute.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from runctl_iac.engine.errors import readable
from runctl_iac.plan import replace_rules as rr
from runctl_iac.plan.model import Action, Change, Changes, PropertyChange

STACK_TYPE = "pulumi:pulumi:Stack"

State = Literal["running", "done", "failed"]
# steps that change nothing: a resource left as it is, or read back from AWS before the update
# (`up --refresh`); they get no line of their own and are not counted
QUIET_OPS = frozenset({"same", "refresh"})
StepKind = Literal["start", "done", "failed", "diagnostic", "summary"]

# engine op -> (present tense, past tense)
VERBS: dict[str, tuple[str, str]] = {
    "create": ("creating", "created"),
    "update": ("updating", "updated"),
    "delete": ("deleting", "deleted"),
    "replace": ("replacing", "replaced"),
    "create-replacement": ("creating replacement", "created replacement"),
    "delete-replaced": ("deleting original", "deleted original"),
    "read": ("reading", "read"),
    "refresh": ("refreshing", "refreshed"),
    "import": ("importing", "imported"),
    "discard": ("forgetting", "forgot"),
    "same": ("checking", "unchanged"),
}


@dataclass
class Row:
    urn: str
    name: str  # logical id (the last URN segment)
    type: str
    op: str
    state: State = "running"
    started: int | None = None  # engine timestamps (seconds)
    ended: int | None = None
    message: str | None = None

    @property
    def duration(self) -> int | None:
        if self.started is None or self.ended is None:
            return None
        return max(0, self.ended - self.started)


@dataclass(frozen=True)
class Step:
    kind: StepKind
    row: Row | None = None
    message: str | None = None
    severity: str | None = None


@dataclass
class Progress:
    rows: dict[str, Row] = field(default_factory=dict)  # urn -> row, in order of first appearance
    diagnostics: list[tuple[str, str]] = field(default_factory=list)  # (severity, message)
    summary: dict[str, int] | None = None
    duration_seconds: int | None = None
    events: int = 0

    def handle(self, event: Any) -> Step | None:
        self.events += 1
        pre = getattr(event, "resource_pre_event", None)
        if pre is not None:
            return self._start(pre.metadata, event.timestamp)
        out = getattr(event, "res_outputs_event", None)
        if out is not None:
            return self._finish(out.metadata, event.timestamp, "done")
        failed = getattr(event, "res_op_failed_event", None)
        if failed is not None:
            return self._finish(failed.metadata, event.timestamp, "failed")
        diag = getattr(event, "diagnostic_event", None)
        if diag is not None:
            return self._diagnostic(diag)
        summary = getattr(event, "summary_event", None)
        if summary is not None:
            self.summary = {str(getattr(k, "value", k)): int(v) for k, v in summary.resource_changes.items()}
            self.duration_seconds = summary.duration_seconds
            return Step("summary")
        return None

    def _row(self, meta: Any, ts: int) -> tuple[Row, str, bool]:
        """The resource's row (made on its first step), the step's op, and whether the row is new."""
        op = str(getattr(meta.op, "value", meta.op))
        row = self.rows.get(meta.urn)
        if row is not None:
            return row, op, False
        row = self.rows[meta.urn] = Row(meta.urn, urn_name(meta.urn), meta.type, op, started=ts)
        return row, op, True

    def _start(self, meta: Any, ts: int) -> Step | None:
        if meta.type == STACK_TYPE:
            return None
        row, op, new = self._row(meta, ts)
        if not new:  # a replacement's second step
            row.op, row.state, row.ended = op, "running", None
        return Step("start", row) if op not in QUIET_OPS else None

    def _finish(self, meta: Any, ts: int, state: Literal["done", "failed"]) -> Step | None:
        if meta.type == STACK_TYPE:
            return None
        row, op, _ = self._row(meta, ts)
        row.state, row.ended = state, ts
        if state == "failed" or op not in QUIET_OPS:
            return Step(state, row)
        return None

    def _diagnostic(self, diag: Any) -> Step | None:
        message = readable(strip_ansi(str(diag.message))).strip()
        severity = str(diag.severity)
        if not message or getattr(diag, "ephemeral", False):
            return None
        if severity != "error" and (severity, message) in self.diagnostics:
            return None  # a warning said once per plugin start (up --refresh starts it twice): shown once
        self.diagnostics.append((severity, message))
        row = self.rows.get(diag.urn) if getattr(diag, "urn", None) else None
        if row is not None and severity == "error":
            row.message = message.splitlines()[0]
        return Step("diagnostic", row, message, severity)

    def changed_rows(self) -> list[Row]:
        return [r for r in self.rows.values() if r.op not in QUIET_OPS or r.state == "failed"]

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows.values() if r.state == "failed"]


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|<\{%[a-z]*%\}>")


def strip_ansi(text: str) -> str:
    """Without terminal colour codes, nor Pulumi's `<{%reset%}>` colour markup."""
    return _ANSI.sub("", text)


def urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


# ---- preview events -> Changes(source="engine") ----

_ACTION = {
    "same": Action.NOOP,
    "read": Action.NOOP,
    "refresh": Action.NOOP,
    "create": Action.CREATE,
    "import": Action.CREATE,
    "update": Action.UPDATE,
    "delete": Action.DELETE,
    "discard": Action.DELETE,
    "replace": Action.REPLACE,
    "create-replacement": Action.REPLACE,
    "delete-replaced": Action.REPLACE,
    "read-replacement": Action.REPLACE,
    "import-replacement": Action.REPLACE,
    "discard-replaced": Action.REPLACE,
    "remove-pending-replace": Action.NOOP,
}
_ORDER = {rr.INSTANCE_TYPE: 0, rr.VOLUME_TYPE: 1, rr.BUCKET_TYPE: 2}
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_path(path: str) -> str:
    """`rootBlockDevice.volumeSize` -> `root_block_device.volume_size` (the Graph's names)."""
    return _CAMEL.sub(r"_\1", path).lower()


TAG_KEYS = frozenset({"tags", "tagsAll"})


def _top_value(state: Any, path: str, *, live: bool = False) -> Any:
    """The value at a top-level `path` of a resource state's inputs; with `live`, of its outputs
    first (what AWS had at the last refresh: a tag removed by hand is missing there, not in the
    inputs). Nested values are left out (None), except tag maps, shown key by key."""
    if state is None:
        return None
    inputs = getattr(state, "inputs", None) or {}
    outputs = (getattr(state, "outputs", None) or {}) if live else {}
    key = re.split(r"[.\[]", path, maxsplit=1)[0]
    value = outputs[key] if key in outputs else inputs.get(key)
    if key != path:
        return None
    return _plain(value, key)


def _props(meta: Any) -> tuple[PropertyChange, ...]:
    detailed = getattr(meta, "detailed_diff", None) or {}
    out: list[PropertyChange] = []
    for path, diff in sorted(detailed.items()):
        kind = str(getattr(diff.diff_kind, "value", diff.diff_kind))
        old = None if kind.startswith("add") else _top_value(meta.old, path, live=True)
        new = None if kind.startswith("delete") else _top_value(meta.new, path)
        out.append(PropertyChange(snake_path(path), old, new, replaces=kind.endswith("-replace")))
    if not out:
        for key in getattr(meta, "diffs", None) or []:
            out.append(PropertyChange(snake_path(key), None, None))
    return tuple(out)


def _resource_steps(events: Iterable[Any], kind: str) -> Iterator[tuple[Any, str]]:
    """(metadata, op) of each `kind` event about a resource (the stack's own events left out)."""
    for event in events:
        step = getattr(event, kind, None)
        if step is None or step.metadata.type == STACK_TYPE:
            continue
        meta = step.metadata
        yield meta, str(getattr(meta.op, "value", meta.op))


def _in_order(found: dict[str, Change]) -> Changes:
    """The changes in plan order: by resource kind, then logical id."""
    ordered = sorted(found.values(), key=lambda c: (_ORDER.get(c.type, 3), c.id))
    return Changes(tuple(ordered), source="engine")


def changes_from_events(events: Iterable[Any]) -> Changes:
    """One Change per resource of a preview (replacement steps merged), in reading order."""
    found: dict[str, Change] = {}
    for meta, op in _resource_steps(events, "resource_pre_event"):
        action = _ACTION.get(op, Action.UPDATE)
        name = urn_name(meta.urn)
        previous = found.get(name)
        if previous is not None and previous.action is Action.REPLACE and action is not Action.REPLACE:
            continue
        retain = bool(getattr(meta.old, "retain_on_delete", False)) if meta.old is not None else False
        props = _props(meta) or (previous.properties if previous else ())
        is_data = meta.type in rr.DATA_TYPES
        lossy = action in (Action.DELETE, Action.REPLACE)
        note = "retained: left in AWS and dropped from the stack" if lossy and retain else None
        found[name] = Change(
            id=name,
            type=meta.type,
            action=action,
            properties=props,
            data_loss=lossy and is_data and not retain,
            retained=lossy and retain,
            note=note,
        )
    return _in_order(found)


def drift_from_events(events: Iterable[Any]) -> Changes:
    """Refresh events -> what changed outside runctl: updated (the engine's `update`: the provider's
    Diff found drift; with the legacy refresh diff, any output that differs) or deleted (gone); a
    `same` resource whose outputs moved keeps them as properties of its no-op change."""
    found: dict[str, Change] = {}
    for meta, op in _resource_steps(events, "res_outputs_event"):
        old = getattr(meta.old, "outputs", None) if meta.old is not None else None
        new = getattr(meta.new, "outputs", None) if meta.new is not None else None
        if op == "delete" or (meta.old is not None and meta.new is None):
            action = Action.DELETE
        elif op == "update" or (op == "refresh" and old != new):
            action = Action.UPDATE
        else:
            action = Action.NOOP
        props: tuple[PropertyChange, ...] = ()
        # outputs that moved with no drift (op `same`: the provider's Diff found the inputs as they
        # were, e.g. an instance's `instanceState` after it stopped) are kept too, for what reads them
        if action is not Action.DELETE and isinstance(old, dict) and isinstance(new, dict):
            keys = sorted(
                k for k in set(old) | set(new) if old.get(k) != new.get(k) and not k.startswith("__")
            )
            props = tuple(
                PropertyChange(snake_path(k), _plain(old.get(k), k), _plain(new.get(k), k)) for k in keys
            )
        name = urn_name(meta.urn)
        note = "changed outside runctl" if action is Action.UPDATE else None
        if action is Action.DELETE:
            note = "no longer exists in AWS"
        found[name] = Change(id=name, type=meta.type, action=action, properties=props, note=note)
    return _in_order(found)


def _plain(value: Any, key: str) -> Any:
    """Scalars as they are; a tag map as a map (an absent one as `{}`: tags were removed); other
    nested values left out (None)."""
    if key in TAG_KEYS:
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}
    return None if isinstance(value, (dict, list)) else value


def replacement_disagreements(offline: Changes, engine: Changes) -> list[str]:
    """Resources one diff replaces and the other does not (said in words after the preview)."""
    off = {c.id: c.action for c in offline.changes}
    lines: list[str] = []
    for c in engine.changes:
        theirs = off.get(c.id)
        if theirs is None:
            continue
        if (c.action is Action.REPLACE) != (theirs is Action.REPLACE):
            lines.append(f"{c.id}: the engine says {c.action.value}, the offline diff said {theirs.value}")
    return lines
