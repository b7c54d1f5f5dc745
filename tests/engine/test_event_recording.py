"""Re-recording the event fixtures through the real engine gives streams of the same shape
(marked `engine`; see tests/fixtures/pulumi-events/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.event_shapes import FIXTURES, events, shape
from tests.engine.record_events import record


@pytest.mark.engine
def test_recorded_fixtures_are_reproducible(tmp_path: Path) -> None:
    written = record(tmp_path)
    for name, path in written.items():
        fresh, committed = shape(events(path.read_text())), shape(events((FIXTURES / name).read_text()))
        assert fresh == committed, name
