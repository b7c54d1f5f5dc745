"""The offline diff: two Graphs -> `Changes`, plus data-loss and shrink findings.

Decisions (see also `replace_rules`):

- Property paths are dotted paths into nested dicts. Lists are compared as whole
  values (security group ids, lifecycle rules): a per-index diff would report a
  shifted list as many unrelated edits. Placeholders (Ref, SecretEnv, Config,
  Invoke) are leaves compared in their encoded form (`encode_value`).
- A property whose old or new value holds a SecretEnv has `secret=True`. Its
  encoded form only names the environment variable; values are never read here,
  so a rotated secret value is not visible offline (the engine preview sees it).
- Resource options: a change of `protect` or `retain_on_delete` is reported as an
  in-place update of `options.protect` / `options.retain_on_delete` (a state
  change in Pulumi); `depends_on` changes are ordering only and not reported.
- A resource whose type token changes under the same id is replaced.
- Cascading: a Ref's encoded form names the resource and attribute, so it is
  equal before and after even when the referenced resource is re-created. When a
  referenced resource R is replaced, `R.attr` is taken to change unless `attr` is
  one of R's own input properties and that input did not change (a replaced
  instance keeps the availability_zone it is given; its `id` is new). When R is
  updated in place, `R.attr` changes only if that input changed. The dependent
  then gets a property change to `KNOWN_AFTER_APPLY`; if that path forces
  replacement for the dependent's type (an attachment's `instance_id`, a volume's
  `availability_zone`), the dependent is replaced too, and so on transitively.
  The same holds when the AWS provider is replaced or the Graph's region
  changes: every AWS resource is re-created in the new region.
- Apply-time lookups: a lookup path (`replace_rules.TypeRules.lookups`, e.g. an
  instance's zone, looked up by instance type) whose Invoke keeps its token and
  attribute but gets new inputs is reported as an in-place change with a note:
  the answer is usually the same, and calling every instance type change a
  replacement (and its volumes data loss) would cry wolf. Dependents get a
  "may be replaced if ..." note instead of a cascade. The engine preview, which
  runs the lookup, is authoritative.
- The training job (`Graph.job`, not a resource) is one `job` entry, listed first
  (`plan.job_diff`): a changed definition means the job is relaunched on apply.
- Data loss: deleting or replacing a volume or bucket is data loss unless it is
  retained. A delete is retained when the old resource has `retain_on_delete`;
  a replacement only when both the old and new resource have it (conservative).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from runctl_iac.compiler.graph import Graph, Invoke, Ref, Resource, encode_value
from runctl_iac.compiler.job import JOB_TYPE
from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.plan import replace_rules as rr
from runctl_iac.plan.job_diff import diff_job
from runctl_iac.plan.model import Action, Change, Changes, PropertyChange
from runctl_iac.spec.model import dotted

KNOWN_AFTER_APPLY = "(known after apply)"

_ORDER = {JOB_TYPE: -1, rr.INSTANCE_TYPE: 0, rr.VOLUME_TYPE: 1, rr.BUCKET_TYPE: 2}
_MISSING: Any = object()


@dataclass
class _State:
    old: Resource | None
    new: Resource | None
    action: Action
    props: list[PropertyChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    uncertain: set[str] = field(default_factory=set)  # lookup paths whose answer may or may not change
    maybe: list[str] = field(default_factory=list)  # "may be replaced if ..." notes (moot once replaced)

    def changed_top(self) -> set[str]:
        return {p.path.split(".", 1)[0] for p in self.props if p.path not in self.uncertain}


def diff_graphs(old: Graph | None, new: Graph) -> Changes:
    """Compare `old` (None: nothing exists yet) with `new`; one Change per resource id, NOOPs kept."""
    old_res: Mapping[str, Resource] = old.resources if old is not None else {}
    states: dict[str, _State] = {}
    for rid in old_res.keys() | new.resources.keys():
        states[rid] = _direct(old_res.get(rid), new.resources.get(rid))
    _cascade_provider(old, new, states)
    _cascade_refs(new, states)
    _move_notes(new, states)
    changes = [_finish(rid, st) for rid, st in states.items()]
    job = diff_job(old.job if old is not None else None, new.job)
    if job is not None:  # the training job (not a resource): first, as it is what a reviewer reads first
        changes.append(job)
    changes.sort(key=lambda c: (_ORDER.get(c.type, 3), c.id))
    return Changes(tuple(changes), source="offline")


def _move_notes(new: Graph, states: dict[str, _State]) -> None:
    """On each new EBS snapshot of a volume moved to another zone (`move_volumes: snapshot`):
    `volume data: snapshot of volume.data.w.0 → new volume volume.data.w.0-m1 in us-east-1b; old volume
    volume.data.w.0 kept`."""
    for sid, st in states.items():
        res = new.resources.get(sid)
        if res is None or res.type != rr.SNAPSHOT_TYPE or st.action is not Action.CREATE:
            continue
        source = res.properties.get("volume_id")
        made = [
            (vid, v)
            for vid, v in new.resources.items()
            if v.type == rr.VOLUME_TYPE and v.properties.get("snapshot_id") == Ref(sid, "id")
        ]
        if not isinstance(source, Ref) or not made:
            continue
        vid, volume = made[0]
        zone = volume.properties.get("availability_zone")
        if isinstance(zone, Ref) and zone.resource in new.resources:
            zone = new.resources[zone.resource].properties.get(zone.attr)
        where = zone if isinstance(zone, str) else "the instance's new zone"
        st.notes.append(
            f"volume data: snapshot of {source.resource} → new volume {vid} in {where}; "
            f"old volume {source.resource} kept"
        )


# ---- direct (per resource) differences ----


def _direct(old: Resource | None, new: Resource | None) -> _State:
    if new is None:
        assert old is not None
        props = [PropertyChange(p, o, None, secret=s) for p, o, _, s in _leaves(old.properties, _MISSING)]
        return _State(old, None, Action.DELETE, props)
    if old is None:
        props = [PropertyChange(p, None, n, secret=s) for p, _, n, s in _leaves(_MISSING, new.properties)]
        return _State(None, new, Action.CREATE, props)
    if old.type != new.type:
        props = [PropertyChange(p, o, n, True, s) for p, o, n, s in _leaves(old.properties, new.properties)]
        return _State(old, new, Action.REPLACE, props, [f"type changed from {old.type} to {new.type}"])
    st = _State(old, new, Action.NOOP)
    for path, o, n, secret in _leaves(old.properties, new.properties):
        if old.options.protect and new.options.protect and rr.stays_in_zone(new.type, path, o, n):
            st.notes.append(
                f"stays in {n}, kept: its instance moves to another zone (move_volumes: snapshot)"
            )
            continue
        if rr.is_uncertain_lookup(new.type, path, o, n):
            st.uncertain.add(path)
            st.notes.append(
                f"{path} is looked up on apply with new inputs; a different answer would replace it"
            )
            _add(st, PropertyChange(path, o, n, False, secret))
            continue
        _add(st, PropertyChange(path, o, n, rr.forces_replacement(new.type, path), secret))
    for name in ("protect", "retain_on_delete"):
        before, after = getattr(old.options, name), getattr(new.options, name)
        if before != after:
            st.props.append(PropertyChange(f"options.{name}", before, after))
            st.notes.append(f"options.{name}: {rr.STATE_ONLY}")
            st.action = Action.UPDATE if st.action is Action.NOOP else st.action
    return st


def _add(st: _State, pc: PropertyChange) -> None:
    """Record a property change on an existing resource and escalate its action."""
    assert st.new is not None
    st.props.append(pc)
    if pc.replaces:
        st.action = Action.REPLACE
    elif st.action is Action.NOOP:
        st.action = Action.UPDATE
    note = rr.update_note(st.new.type, pc.path) if not pc.replaces else None
    if rr.rules_for(st.new.type) is None:
        note = rr.UNKNOWN_TYPE_NOTE
    if note and note not in st.notes:
        st.notes.append(note)


def _leaves(old: Any, new: Any, path: str = "") -> Iterator[tuple[str, Any, Any, bool]]:
    """(path, old encoded, new encoded, secret) for every differing leaf; absent values become None."""
    old_dict, new_dict = _is_dict(old), _is_dict(new)
    if (old_dict or new_dict) and (old_dict or _nothing(old)) and (new_dict or _nothing(new)):
        o = old if old_dict else {}
        n = new if new_dict else {}
        for key in sorted(o.keys() | n.keys(), key=str):
            sub = f"{path}.{key}" if path else str(key)
            yield from _leaves(o.get(key, _MISSING), n.get(key, _MISSING), sub)
        return
    eo = None if old is _MISSING else encode_value(old)
    en = None if new is _MISSING else encode_value(new)
    if not _same(eo, en):
        yield path, eo, en, _has_secret(eo) or _has_secret(en)


_SCALARS = frozenset({str, int, float, bool, type(None), list, tuple})


def _is_dict(value: Any) -> bool:
    cls = type(value)
    if cls is dict:
        return True
    return cls not in _SCALARS and isinstance(value, Mapping)


def _nothing(value: Any) -> bool:
    """Absent or None: compared key by key against a dict on the other side."""
    return value is _MISSING or value is None


def _same(a: Any, b: Any) -> bool:
    """Equality of encoded values that does not confuse True with 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    return bool(a == b)


def _has_secret(encoded: Any) -> bool:
    if isinstance(encoded, dict):
        return "$secret" in encoded or any(_has_secret(v) for v in encoded.values())
    if isinstance(encoded, list):
        return any(_has_secret(v) for v in encoded)
    return False


# ---- cascading ----


def _cascade_provider(old: Graph | None, new: Graph, states: dict[str, _State]) -> None:
    if old is None:
        return
    provider_replaced = any(
        st.action is Action.REPLACE and st.new is not None and st.new.type == rr.PROVIDER_TYPE
        for st in states.values()
    )
    if not provider_replaced and old.region == new.region:
        return
    note = f"re-created in {new.region}: the provider's region changed from {old.region}"
    for st in states.values():
        if st.old is not None and st.new is not None and st.new.type.startswith("aws:"):
            st.action = Action.REPLACE
            st.notes.append(note)


def _ref_sites(res: Resource) -> Iterator[tuple[str, Ref]]:
    """(property path as compared by `_leaves`, Ref) for every Ref in the properties."""

    def walk(value: Any, path: str, leaf: str | None) -> Iterator[tuple[str, Ref]]:
        if isinstance(value, Ref):
            yield (leaf or path), value
        elif isinstance(value, Invoke):
            yield from walk(value.args, path, leaf or path)
        elif isinstance(value, Mapping):
            for k in sorted(value, key=str):
                yield from walk(value[k], f"{path}.{k}" if path else str(k), leaf)
        elif isinstance(value, list | tuple):
            for v in value:
                yield from walk(v, path, leaf or path)

    yield from walk(res.properties, "", None)


def _attr_changes(st: _State, attr: str) -> bool:
    if st.action is Action.CREATE:
        return True
    if st.action is Action.REPLACE:
        assert st.new is not None
        return attr not in st.new.properties or attr in st.changed_top()
    if st.action is Action.UPDATE:
        return attr in st.changed_top()
    return False


def _cascade_refs(new: Graph, states: dict[str, _State]) -> None:
    dependents: dict[str, list[tuple[str, str, Ref]]] = {}
    for rid, res in new.resources.items():
        if states[rid].action is Action.CREATE:
            continue  # a new resource has no "before" to change
        for path, ref in _ref_sites(res):
            dependents.setdefault(ref.resource, []).append((rid, path, ref))
    queue = deque(sorted(rid for rid, st in states.items() if st.action is not Action.NOOP))
    while queue:
        target = queue.popleft()
        st_target = states[target]
        for rid, path, ref in dependents.get(target, ()):
            st = states[rid]
            if st.action is Action.CREATE or st.old is None or st.new is None:
                continue
            if any(p.path == path for p in st.props):
                continue
            if ref.attr in st_target.uncertain and not _attr_changes(st_target, ref.attr):
                may = "be replaced" if rr.forces_replacement(st.new.type, path) else "change"
                note = f"may {may} if the looked-up {ref.resource}.{ref.attr} changes"
                if note not in st.maybe:
                    st.maybe.append(note)
                continue
            if not _attr_changes(st_target, ref.attr):
                continue
            before = (st.action, len(st.props))
            current = _value_at(st.new.properties, path)
            replaces = rr.forces_replacement(st.new.type, path)
            _add(st, PropertyChange(path, current, KNOWN_AFTER_APPLY, replaces, _has_secret(current)))
            verb = "replaced" if st_target.action is Action.REPLACE else "changed"
            st.notes.append(f"{path} follows {ref.resource}.{ref.attr}, which is {verb}")
            if (st.action, len(st.props)) != before:
                queue.append(rid)


def _value_at(props: Mapping[str, Any], path: str) -> Any:
    value: Any = props
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return encode_value(value)


# ---- data loss, retention, ordering ----


def _finish(rid: str, st: _State) -> Change:
    res = st.new if st.new is not None else st.old
    assert res is not None
    notes = st.notes + (st.maybe if st.action is not Action.REPLACE else [])
    if st.action is Action.UPDATE:  # a replacement starts a new disk: any size goes
        shrinks = [p for p in st.props if rr.is_shrink(res.type, p.path, p.old, p.new)]
        notes += [f"{p.path}: shrinking from {p.old} to {p.new} is not possible" for p in shrinks]
    data_loss = retained = False
    if st.action in (Action.DELETE, Action.REPLACE) and st.old is not None:
        is_data = st.old.type in rr.DATA_TYPES or (st.new is not None and st.new.type in rr.DATA_TYPES)
        keep = st.old.options.retain_on_delete and (st.new is None or st.new.options.retain_on_delete)
        retained = keep
        data_loss = is_data and not keep
        if st.old.options.protect and (st.new is None or st.new.options.protect):
            notes.append("protected: the engine refuses to delete it until protect is removed")
        if keep and st.action is Action.REPLACE:
            empty = "; the new one starts empty" if is_data else ""
            notes.append(f"the old resource is kept in AWS (retained){empty}")
        elif keep:
            notes.append("retained: left in AWS and dropped from the stack")
        if st.action is Action.REPLACE and res.type == rr.INSTANCE_TYPE:
            notes.append("the instance is terminated and relaunched; its root disk contents are lost")
    return Change(
        id=rid,
        type=res.type,
        action=st.action,
        properties=tuple(sorted(st.props, key=lambda p: p.path)),
        data_loss=data_loss,
        retained=retained,
        note="; ".join(dict.fromkeys(notes)) or None,
    )


# ---- findings ----

_INSTANCE_FIELDS = {
    "instance_type": "type",
    "ami": "image",
    "instance_market_options": "spot",
    "root_block_device.volume_size": "disk_gb",
}
_VOLUME_FIELDS = {
    "size": "size_gb",
    "type": "type",
    "iops": "iops",
    "throughput": "throughput_mbps",
    "snapshot_id": "from_snapshot",
}


def spec_path_for(resource_id: str, prop: str | None = None) -> tuple[str | int, ...]:
    """The spec field responsible for a Graph resource (and one of its properties), by id convention."""
    kind, _, rest = resource_id.partition(".")
    parts = rest.split(".") if rest else []
    if kind == "instance" and parts:
        field_ = _INSTANCE_FIELDS.get(prop or "", "")
        if prop and prop.startswith("instance_market_options"):
            field_ = "spot"
        return ("instances", parts[0], field_) if field_ else ("instances", parts[0])
    if kind == "volume" and parts:
        field_ = _VOLUME_FIELDS.get(prop or "", "")
        return ("volumes", parts[0], field_) if field_ else ("volumes", parts[0])
    if kind == "attachment" and len(parts) >= 2:
        return ("instances", parts[1], "volumes", parts[0])
    if kind == "bucket" and parts:
        sub = parts[1] if len(parts) > 1 else ""
        return ("buckets", parts[0], sub) if sub in ("versioning", "lifecycle") else ("buckets", parts[0])
    if kind in ("sg", "role", "profile", "placement") and parts:
        return ("instances", parts[0])
    if kind == "secret":
        return ("training", "secrets")
    if kind == "provider":
        return ("region",)
    return ()


def _diagnostic(
    severity: Severity, code: str, message: str, path: tuple[str | int, ...], hint: str, spec: Any
) -> Diagnostic:
    if spec is None:
        return Diagnostic(severity, code, message, path=dotted(path), hint=hint)
    # a whole entry (`buckets.<name>`) is pointed at by its name; a field by its value
    return spec.source.diagnostic(severity, code, message, path, hint, at_key=len(path) == 2)


def data_loss_findings(
    changes: Changes, fail: bool = False, spec: Any = None, base_spec: Any = None
) -> list[Diagnostic]:
    """W0507 per delete/replace that loses data; E0507 instead when `fail` (--fail-on-data-loss).

    A deleted resource is no longer in `spec`: it is located in `base_spec` (the spec the
    base was compiled from) when that is known.
    """
    out: list[Diagnostic] = []
    for c in changes.changes:
        if not c.data_loss:
            continue
        what = "volume" if c.type == rr.VOLUME_TYPE else "bucket"
        causes = [p.path for p in c.properties if p.replaces]
        path = spec_path_for(c.id, causes[0] if causes else None)
        subject = f"the {what}" if path else f"{c.id}: the {what}"  # the path already names it
        if c.action is Action.DELETE:
            message = f"{subject} is deleted and its data is lost"
        else:
            because = f" ({', '.join(causes)} forces replacement)" if causes else ""
            message = f"{subject} is replaced{because}; its data is lost"
        owner = dotted(path[:2]) or c.id
        if c.action is Action.DELETE:
            hint = f"apply with `retain: true` on {owner} before removing it, or copy the data out first"
        else:
            hint = f"set `retain: true` on {owner} to keep it in AWS, or copy the data out first"
        if fail:
            hint += "; --fail-on-data-loss blocks this plan"
        sev, code = (Severity.ERROR, "E0507") if fail else (Severity.WARNING, "W0507")
        where = base_spec if c.action is Action.DELETE and base_spec is not None else spec
        out.append(_diagnostic(sev, code, message, path, hint, where))
    return out


def shrink_findings(changes: Changes, spec: Any = None) -> list[Diagnostic]:
    """E0508 for every grow-only size that would shrink (EBS volumes and root disks cannot shrink)."""
    out: list[Diagnostic] = []
    for c in changes.changes:
        if c.action is not Action.UPDATE:  # a replacement creates a new disk of any size
            continue
        for p in c.properties:
            if rr.is_shrink(c.type, p.path, p.old, p.new):
                message = (
                    f"{c.id}: {p.path} would shrink from {p.old} to {p.new} GiB; EBS volumes cannot shrink"
                )
                hint = f"keep the size at {p.old} GiB or more, or create a new volume and copy the data"
                out.append(
                    _diagnostic(Severity.ERROR, "E0508", message, spec_path_for(c.id, p.path), hint, spec)
                )
    return out
