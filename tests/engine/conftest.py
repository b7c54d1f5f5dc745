"""Engine test setup: the `engine` marker's skip rule, and shared mocks runs.

Tests marked `engine` drive the real Pulumi CLI; they skip with a reason when it
is absent (here and in CI). Everything else runs the program under the SDK's
own mocks (tests/engine/pulumi_mocks.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

CLI_MISSING = "pulumi CLI not on PATH (install the Pulumi CLI and its aws plugin to run the engine tests)"


def _aws_plugin_installed() -> bool:
    try:
        out = subprocess.run(
            ["pulumi", "plugin", "ls", "--json"], capture_output=True, text=True, timeout=60, check=True
        ).stdout
        return any(p.get("name") == "aws" and p.get("kind") == "resource" for p in json.loads(out or "[]"))
    except (OSError, subprocess.SubprocessError, ValueError):
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    engine_items = [i for i in items if i.get_closest_marker("engine") and "tests/engine" in str(i.path)]
    if not engine_items:
        return
    reason = None
    if shutil.which("pulumi") is None:
        reason = CLI_MISSING
    elif not _aws_plugin_installed():
        reason = "pulumi CLI found but its aws plugin is missing (`pulumi plugin install resource aws`)"
    if reason:
        for item in engine_items:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Fake values for the secrets used by the hand-built graphs and the examples."""
    values = {"HF_TOKEN": "hf-fake-value-0001", "WANDB_API_KEY": "wandb-fake-value-0002"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values
