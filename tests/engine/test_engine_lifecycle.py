"""apply -> status -> refresh -> destroy of examples/local.yaml with the real Pulumi CLI against the
local emulator (marked `engine`: skipped without `pulumi` and its aws plugin, see tests/conftest.py).

Everything runs as a user would: `runctl local start`, the commands, `runctl local stop`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.plan_helpers import invoke
from tests.engine.real import local_project


@pytest.mark.engine
def test_local_example_lifecycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None
) -> None:
    with local_project(tmp_path, monkeypatch, files={"runctl.toml": ""}, example="local.yaml") as work:
        applied = invoke("apply", "local.yaml", "--yes", "--no-launch")
        assert applied.code == 0, applied.stdout + applied.stderr
        assert "update done" in applied.stdout and "outputs:" in applied.stdout
        status = invoke("status", "local.yaml", "--output", "json")
        assert status.code == 0, status.stderr
        doc = status.json()
        assert doc["last_update"]["result"] == "succeeded"
        assert doc["expires_in_seconds"] > 0
        bucket = doc["outputs"]["buckets"]["local-demo-artifacts"]
        assert bucket.startswith("runctl-local-demo-dev-local-demo-artifacts-") and "<account>" not in bucket
        assert len(doc["outputs"]["instances"]) == 2
        drift = invoke("refresh", "local.yaml", "--detailed-exitcode")
        assert drift.code == 0, drift.stdout + drift.stderr
        again = invoke("plan", "local.yaml", "--engine", "--detailed-exitcode")
        assert again.code == 0, again.stdout + again.stderr
        gone = invoke("destroy", "local.yaml", "--yes")
        assert gone.code == 0, gone.stdout + gone.stderr
        assert "stack local-demo/dev removed" in gone.stdout
    assert not (work / ".runctl" / "local").exists()
