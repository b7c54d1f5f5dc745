"""Engine test setup. The fast tests run the program under the SDK's own mocks
(tests/engine/pulumi_mocks.py); the `engine`-marked ones run the real CLI with the stand-in
aws plugin (tests/engine/real.py); the marker's skip rule is in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.real import moto_process


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Fake values for the secrets used by the hand-built graphs and the examples."""
    values = {"HF_TOKEN": "hf-fake-value-0001", "WANDB_API_KEY": "wandb-fake-value-0002"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture(scope="session")
def engine_moto() -> Iterator[str]:
    """A moto server process for the engine tests (one per xdist worker)."""
    with moto_process() as url:
        yield url
