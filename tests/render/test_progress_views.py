"""The live view redraws at a bounded rate and shows a screenful; plain lines per step."""

from __future__ import annotations

import io
import time
from types import SimpleNamespace

from runctl_iac.engine.progress import Progress, Row
from runctl_iac.render.progress import (
    LIVE_REFRESH_PER_SECOND,
    LiveView,
    PlainView,
    duration_text,
    summary_text,
    visible_rows,
)


def _event(kind: str, i: int, op: str = "create") -> SimpleNamespace:
    meta = SimpleNamespace(
        op=op, urn=f"urn:pulumi:dev::p::aws:s3/bucket:Bucket::b{i}", type="aws:s3/bucket:Bucket"
    )
    fields = {
        "resource_pre_event": None,
        "res_outputs_event": None,
        "res_op_failed_event": None,
        "diagnostic_event": None,
        "summary_event": None,
    }
    fields[kind] = SimpleNamespace(metadata=meta)
    return SimpleNamespace(timestamp=i, **fields)


def test_live_redraws_are_bounded_by_the_refresh_rate_not_the_event_rate() -> None:
    renders = 0

    class Counting(LiveView):
        def _table(self) -> object:
            nonlocal renders
            renders += 1
            return super()._table()

    start = time.perf_counter()
    view = Counting(io.StringIO(), color=False)
    for i in range(5000):
        view.handle(_event("resource_pre_event", i))
        view.handle(_event("res_outputs_event", i))
    view.close()
    elapsed = time.perf_counter() - start
    assert renders <= elapsed * LIVE_REFRESH_PER_SECOND + 3
    assert len(view.model.rows) == 5000


def test_visible_rows_keep_running_and_failed_first() -> None:
    rows = [Row(f"u{i}", f"r{i}", "t", "create", state="done") for i in range(100)]
    rows[3].state = "running"
    rows[7].state = "failed"
    shown = visible_rows(rows, 10)
    assert len(shown) == 10
    assert rows[3] in shown and rows[7] in shown and rows[99] in shown and rows[0] not in shown


def test_plain_view_one_line_per_step_and_same_is_quiet() -> None:
    out = io.StringIO()
    view = PlainView(out.write)
    view.handle(_event("resource_pre_event", 1, "same"))
    view.handle(_event("res_outputs_event", 1, "same"))
    assert out.getvalue() == ""
    pre = _event("resource_pre_event", 2)
    done = _event("res_outputs_event", 2)
    done.timestamp = 9
    view.handle(pre)
    view.handle(done)
    assert out.getvalue().splitlines() == [
        "  creating               b2 (aws:s3/bucket:Bucket)",
        "  created                b2 in 7s",
    ]
    assert (
        isinstance(view.model, Progress)
        and view.model.rows[pre.resource_pre_event.metadata.urn].duration == 7
    )


def test_refresh_steps_are_quiet_and_a_repeated_warning_is_shown_once() -> None:
    """`up --refresh` reads every resource first and starts the plugin twice: neither is news."""
    out = io.StringIO()
    view = PlainView(out.write)
    view.handle(_event("resource_pre_event", 1, "refresh"))
    view.handle(_event("res_outputs_event", 1, "refresh"))
    text = "using pulumi-resource-aws from $PATH at /x"
    warning = SimpleNamespace(message=text, severity="warning", urn="")
    said = SimpleNamespace(**{**vars(_event("diagnostic_event", 2)), "diagnostic_event": warning})
    for _ in range(3):
        view.handle(said)
    view.handle(_event("resource_pre_event", 1, "update"))
    assert out.getvalue().splitlines() == [
        "  warning: using pulumi-resource-aws from $PATH at /x",
        "  updating               b1 (aws:s3/bucket:Bucket)",
    ]
    assert summary_text(view.model) == "update done in -: 1 updated\n"


def test_durations_read_well() -> None:
    assert [duration_text(s) for s in (None, 3, 75, 3600 + 120)] == ["-", "3s", "1m15s", "1h02m"]
