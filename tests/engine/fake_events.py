"""The fake CLI's state of one stack and the engine events its operations produce
(see fake_pulumi.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Resource = tuple[str, str, dict[str, Any], dict[str, Any]]  # type, name, inputs, outputs
LOCK_TIME = "2026-11-27T06:00:00Z"  # the lock holder's start, as in cli_texts.LOCKED


@dataclass
class FakeStack:
    config: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> state resource
    outputs: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    lock_file: Path | None = None  # where a file backend keeps this stack's lock (None: no file backend)
    _locked: bool = False

    @property
    def locked(self) -> bool:
        return self._locked

    @locked.setter
    def locked(self, value: bool) -> None:
        """A lock is also a file in a file backend, as pkg/backend/diy/lock.go writes it."""
        self._locked = value
        if self.lock_file is None:
            return
        if value:
            self.lock_file.parent.mkdir(parents=True, exist_ok=True)
            content = {"pid": 4242, "username": "ci", "hostname": "runner-7", "timestamp": LOCK_TIME}
            self.lock_file.write_text(json.dumps(content))
        else:
            self.lock_file.unlink(missing_ok=True)


def urn(project: str, stack: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def operation_events(
    op: str,
    name: str,
    project: str,
    st: FakeStack,
    program: list[Resource],
    program_outputs: dict[str, Any],
    *,
    preview: bool,
    argv: list[str],
    options: dict[str, dict[str, bool]] | None = None,
) -> list[dict[str, Any]]:
    """The events of one operation on `st` (changing it unless `preview`), as the engine logs them."""
    ts = int(datetime.now(UTC).timestamp())
    events: list[dict[str, Any]] = [{"sequence": 1, "timestamp": ts, "preludeEvent": {"config": {}}}]
    counts: dict[str, int] = {}

    def step(
        opname: str, type_: str, rname: str, old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> None:
        meta = {
            "op": opname,
            "urn": urn(project, name, type_, rname),
            "type": type_,
            "old": old,
            "new": new,
            "provider": "",
        }
        events.append({"sequence": len(events) + 1, "timestamp": ts, "resourcePreEvent": {"metadata": meta}})
        events.append(
            {"sequence": len(events) + 1, "timestamp": ts + 1, "resOutputsEvent": {"metadata": meta}}
        )
        counts[opname] = counts.get(opname, 0) + 1

    def state(type_: str, rname: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
        opts = (options or {}).get(rname, {})
        res = {
            "urn": urn(project, name, type_, rname),
            "custom": True,
            "id": outputs.get("id", ""),
            "type": type_,
            "inputs": inputs,
            "outputs": outputs,
        }
        res.update({k: True for k in ("protect", "retainOnDelete") if opts.get(k)})
        return res

    if op in ("preview", "up"):
        wanted = {rname: (t, i, o) for t, rname, i, o in program}
        for t, rname, inputs, outputs in program:
            old = st.resources.get(rname)
            new = state(t, rname, inputs, outputs)
            if old is None:
                step("create", t, rname, None, new)
            elif old.get("inputs") != inputs:
                step("update", t, rname, old, new)
            else:
                step("same", t, rname, old, new)
            if not preview:
                st.resources[rname] = new
        for rname, old in list(st.resources.items()):
            if rname not in wanted:
                step("delete", old["type"], rname, old, None)
                if not preview:
                    del st.resources[rname]
        if not preview:
            st.outputs = dict(program_outputs)
    elif op == "destroy":  # --exclude-protected leaves protected resources alone
        skip = "--exclude-protected" in argv
        for rname, old in reversed(list(st.resources.items())):
            if skip and old.get("protect"):
                continue
            step("delete", old["type"], rname, old, None)
            if not preview:
                del st.resources[rname]
        if not preview and not st.resources:
            st.outputs = {}
    elif op == "refresh":  # a resource may carry "drift" (changed outputs) or "gone": True
        for rname, old in list(st.resources.items()):
            if old.get("gone"):
                step("refresh", old["type"], rname, old, None)
                if not preview:
                    del st.resources[rname]
                continue
            after = {**old, "outputs": {**old.get("outputs", {}), **old.get("drift", {})}}
            after.pop("drift", None)
            step("refresh", old["type"], rname, old, after)
            if not preview:
                st.resources[rname] = after
        if not preview:  # a refresh settles pending updates and deletes; creates only when asked
            clear = "--clear-pending-creates" in argv
            st.pending = [p for p in st.pending if p.get("type") == "creating" and not clear]
    events.append(
        {
            "sequence": len(events) + 1,
            "timestamp": ts + 2,
            "summaryEvent": {
                "maybeCorrupt": False,
                "durationSeconds": 2,
                "resourceChanges": counts,
                "PolicyPacks": {},
            },
        }
    )
    events.append({"sequence": len(events) + 1, "timestamp": ts + 2, "cancelEvent": {}})
    return events


def emit(log: str | None, events: list[dict[str, Any]]) -> None:
    """Write the events to the SDK's event log: a file, or its gRPC stream (`tcp://`)."""
    if not log:
        return
    lines = [json.dumps(e) for e in events]
    if log.startswith("tcp://"):
        import grpc
        from pulumi.runtime.proto import events_pb2, events_pb2_grpc

        with grpc.insecure_channel(log.removeprefix("tcp://")) as channel:
            stub = events_pb2_grpc.EventsStub(channel)
            stub.StreamEvents(iter([events_pb2.EventRequest(event=line) for line in lines]))
        return
    with open(log, "a", encoding="utf-8") as fh:
        for line in lines:
            fh.write(line + "\n")
