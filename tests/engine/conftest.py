"""Engine test setup. Tests here run the program under the SDK's own mocks
(tests/engine/pulumi_mocks.py); the `engine` marker's skip rule is in tests/conftest.py.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Fake values for the secrets used by the hand-built graphs and the examples."""
    values = {"HF_TOKEN": "hf-fake-value-0001", "WANDB_API_KEY": "wandb-fake-value-0002"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values
