"""Every recorded engine event stream through the progress model, the plain and the live views,
and the change model (golden text for the plain view)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from runctl_iac.engine.progress import Progress, changes_from_events
from runctl_iac.plan.model import Action
from runctl_iac.render.plan_text import change_lines, emit
from runctl_iac.render.progress import LiveView, PlainView, summary_text
from tests.engine.recorded import NAMES, events

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "progress"


def check(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} missing: UPDATE_GOLDEN=1 creates it"
    assert actual == path.read_text(encoding="utf-8"), f"differs from {path} (UPDATE_GOLDEN=1 to accept)"


@pytest.mark.parametrize("name", NAMES)
def test_plain_view_golden(name: str) -> None:
    out = io.StringIO()
    view = PlainView(out.write)
    for event in events(name):
        view.handle(event)
    view.close()
    text = out.getvalue() + summary_text(view.model, "update")
    check(f"{name}.plain.txt", text)


@pytest.mark.parametrize("name", NAMES)
def test_change_model_golden(name: str) -> None:
    changes = changes_from_events(events(name))
    assert changes.source == "engine"
    check(f"{name}.changes.txt", emit(line for c in changes.changes for line in change_lines(c)))


@pytest.mark.parametrize("name", NAMES)
def test_live_view_renders_every_stream(name: str) -> None:
    out = io.StringIO()
    view = LiveView(out, color=False)
    for event in events(name):
        view.handle(event)
    view.close()
    rendered = out.getvalue()
    for row in view.model.changed_rows():
        assert row.name in rendered


def test_failed_step_is_reported() -> None:
    model = Progress()
    steps = [model.handle(e) for e in events("failed-stacks-dont-rewrite-operations")]
    failed = [s for s in steps if s is not None and s.kind == "failed"]
    assert [s.row.name for s in failed if s.row] == ["test-x"]
    assert model.summary == {"same": 1}
    assert "update failed" in summary_text(model)
    assert "1 failed" in summary_text(model)


def test_replacement_and_durations_from_real_streams() -> None:
    changes = changes_from_events(events("webserver-userdata"))
    replaced = [c for c in changes.changes if c.action is Action.REPLACE]
    assert len(replaced) == 1 and replaced[0].type == "aws:ec2/instance:Instance"
    assert any(p.path == "user_data" and p.replaces for p in replaced[0].properties)
    model = Progress()
    for e in events("up-3"):
        model.handle(e)
    slow = max(model.rows.values(), key=lambda r: r.duration or 0)
    assert slow.type == "aws:eks/cluster:Cluster" and (slow.duration or 0) > 400


OWN = Path(__file__).resolve().parents[1] / "fixtures" / "pulumi-events"  # runctl's own program, recorded


def _own_events(name: str) -> list[object]:
    import json

    from pulumi.automation.events import EngineEvent

    return [EngineEvent.from_json(json.loads(line)) for line in (OWN / name).read_text().splitlines()]


@pytest.mark.parametrize("name", ["runctl-local-up.json", "runctl-local-replace.json"])
def test_summary_counts_match_the_engines_own_summary(name: str) -> None:
    """A replacement is one resource replaced, not a created replacement plus a deleted original:
    the plain summary says what the engine's summary event says."""
    from runctl_iac.render.progress import _verb

    evs = _own_events(name)
    view = PlainView(lambda _text: None)
    for event in evs:
        view.handle(event)
    engine = dict(next(e.summary_event.resource_changes for e in evs if e.summary_event))  # type: ignore[attr-defined]
    if name == "runctl-local-up.json":
        engine["create"] -= (
            1  # the engine also counts the stack itself (pulumi:pulumi:Stack), runctl does not
        )
    expected = ", ".join(
        f"{n} {what}" for what, n in sorted((_verb(op, True), n) for op, n in engine.items() if op != "same")
    )
    assert f": {expected}\n" in summary_text(view.model)
    LiveView(io.StringIO()).close()  # the live view takes the same stream without error
