"""The recorded Pulumi engine event streams from upstream (tests/fixtures/pulumi-events/upstream/,
see its README: copied unchanged from pulumi/pulumi, Apache-2.0).

They are part of the repository: a missing stream fails the test that needs it, never skips it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parents[1] / "fixtures" / "pulumi-events" / "upstream"
NAMES = (
    "failed-stacks-dont-rewrite-operations",
    "template-body",
    "up",
    "up-3",
    "up-4",
    "webserver-userdata",
)


def path(name: str) -> Path:
    where = FOLDER / f"{name}.json"
    assert where.is_file(), f"recorded Pulumi event stream {where} is missing from the checkout"
    return where


def events(name: str) -> list[Any]:
    """The stream's events as the SDK parses them (EngineEvent objects)."""
    from pulumi.automation.events import EngineEvent

    lines = path(name).read_text(encoding="utf-8").splitlines()
    return [EngineEvent.from_json(json.loads(line)) for line in lines if line.strip()]
