"""The event streams recorded from runctl's own program (tests/fixtures/pulumi-events/) load
with the SDK and say what their README says."""

from __future__ import annotations

import pytest
from pulumi.automation.events import EngineEvent, OpType

from tests.engine.event_shapes import FIXTURES, events, shape

STREAMS = {
    "runctl-local-up.json": {"create": 23},
    "runctl-local-replace.json": {"replace": 4, "update": 3, "same": 16},
}


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_recorded_stream_parses_and_matches_its_summary(name: str) -> None:
    text = (FIXTURES / name).read_text()
    stream = events(text)
    parsed = [EngineEvent.from_json(e) for e in stream]
    assert sum(1 for e in parsed if e.prelude_event) == 1 and parsed[-1].cancel_event is not None
    assert shape(stream)["summary"] == STREAMS[name]
    pre = [e.resource_pre_event.metadata for e in parsed if e.resource_pre_event]
    assert {m.type for m in pre} >= {
        "aws:ec2/instance:Instance",
        "aws:ebs/volume:Volume",
        "pulumi:providers:aws",
    }
    assert "/work/" not in text and "/tmp/" not in text and "/root/" not in text


def test_replace_stream_holds_the_replacement_steps() -> None:
    parsed = [EngineEvent.from_json(e) for e in events((FIXTURES / "runctl-local-replace.json").read_text())]
    ops = {
        (e.resource_pre_event.metadata.type, e.resource_pre_event.metadata.op)
        for e in parsed
        if e.resource_pre_event
    }
    for op in (OpType.CREATE_REPLACEMENT, OpType.REPLACE, OpType.DELETE_REPLACED):
        assert ("aws:ec2/instance:Instance", op) in ops
    assert ("aws:ebs/volume:Volume", OpType.UPDATE) in ops
