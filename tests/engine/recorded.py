"""The recorded Pulumi engine event streams (../shared/fixtures/pulumi-events/, see its README).

Found beside the checkout (`<repo>/../shared` or `<repo>/../../shared` for a worktree) or at
$RUNCTL_EVENT_FIXTURES; tests that need them skip when the folder is absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMES = (
    "failed-stacks-dont-rewrite-operations",
    "template-body",
    "up",
    "up-3",
    "up-4",
    "webserver-userdata",
)


def folder() -> Path | None:
    env = os.environ.get("RUNCTL_EVENT_FIXTURES")
    candidates = [Path(env)] if env else []
    candidates += [p / "shared" / "fixtures" / "pulumi-events" for p in (ROOT.parent, ROOT.parent.parent)]
    return next((c for c in candidates if (c / "up.json").is_file()), None)


def events(name: str) -> list[Any]:
    """The stream's events as the SDK parses them (EngineEvent objects)."""
    from pulumi.automation.events import EngineEvent

    where = folder()
    if where is None:
        pytest.skip("recorded Pulumi event streams not found (../shared/fixtures/pulumi-events)")
    lines = (where / f"{name}.json").read_text(encoding="utf-8").splitlines()
    return [EngineEvent.from_json(json.loads(line)) for line in lines if line.strip()]


def path(name: str) -> Path:
    where = folder()
    if where is None:
        pytest.skip("recorded Pulumi event streams not found (../shared/fixtures/pulumi-events)")
    return where / f"{name}.json"
