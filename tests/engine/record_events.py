"""Record the engine's event stream for runctl's own program, as the replay fixtures store them.

`python -m tests.engine.record_events [OUT_DIR]` (the Pulumi CLI on PATH; `make engine-cli`) runs
the local example through the real engine with the stand-in aws plugin and a moto server, and
writes into OUT_DIR (default: tests/fixtures/pulumi-events/, where the fixtures live)
runctl-local-up.json (the first `up`: every resource created) and runctl-local-replace.json (an
edit that grows the volumes in place and replaces the instances): JSON lines, one engine event
each, exactly as the CLI sent them to the Automation API (`EngineEvent.from_json` input), with
this machine's paths replaced by `<repo>` / `<tmp>`.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.engine.event_shapes import FIXTURES
from tests.engine.real import ROOT, compile_spec, local_spec, moto_process, stack_for


@contextmanager
def raw_events() -> Iterator[list[dict[str, Any]]]:
    """Every event JSON the SDK parses while the block runs (it parses each with EngineEvent.from_json)."""
    from pulumi.automation import _stack
    from pulumi.automation.events import EngineEvent

    seen: list[dict[str, Any]] = []

    class Recording:
        @staticmethod
        def from_json(data: dict[str, Any]) -> EngineEvent:
            seen.append(data)
            return EngineEvent.from_json(data)

    real = _stack.EngineEvent
    _stack.EngineEvent = Recording  # type: ignore[misc,assignment]
    try:
        yield seen
    finally:
        _stack.EngineEvent = real  # type: ignore[misc]


def scrub(events: list[dict[str, Any]], tmp: Path) -> str:
    text = "".join(json.dumps(e, sort_keys=True) + "\n" for e in events)  # in the order they came
    return text.replace(str(ROOT), "<repo>").replace(str(tmp), "<tmp>")


def record(out_dir: Path) -> dict[str, Path]:
    def grown_on_demand(doc: dict[str, Any]) -> None:
        doc["instances"]["worker"]["spot"] = False
        doc["volumes"]["scratch"]["size_gb"] = 30

    with tempfile.TemporaryDirectory() as tmp_dir, moto_process() as endpoint:
        tmp = Path(tmp_dir)
        (tmp / "state").mkdir()
        written = {}
        for name, edit in (("runctl-local-up.json", None), ("runctl-local-replace.json", grown_on_demand)):
            graph = compile_spec(local_spec(tmp, "local-demo", edit))
            stack = stack_for(graph, tmp / "work", endpoint, f"file://{tmp / 'state'}", tmp / "home")
            with raw_events() as events:
                stack.up(on_event=lambda _e: None)
            path = out_dir / name
            path.write_text(scrub(events, tmp))
            written[name] = path
        stack.destroy(remove=True)
    return written


if __name__ == "__main__":
    for path in record(Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURES).values():
        print(path)
