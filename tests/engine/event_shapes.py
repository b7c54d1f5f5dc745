"""The shape of a recorded engine event stream: which event kinds and steps it holds."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pulumi-events"


def events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line]


def shape(stream: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts of event kinds (debug diagnostics left out: their number varies) and of steps per
    resource event, and the summary's resource changes."""
    kinds: Counter[str] = Counter()
    steps: Counter[str] = Counter()
    summary: dict[str, int] = {}
    for event in stream:
        [kind] = [k for k in event if k.endswith("Event")]
        if kind == "diagnosticEvent" and event[kind]["severity"] == "debug":
            continue
        kinds[kind] += 1
        if kind in ("resourcePreEvent", "resOutputsEvent"):
            meta = event[kind]["metadata"]
            steps[f"{kind}:{meta['op']}:{meta['type']}"] += 1
        if kind == "summaryEvent":
            summary = event[kind]["resourceChanges"]
    return {"kinds": dict(kinds), "steps": dict(steps), "summary": summary}
