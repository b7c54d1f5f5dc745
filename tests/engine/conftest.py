"""Engine test setup. The fast tests run the program under the SDK's own mocks
(tests/engine/pulumi_mocks.py); the `engine`-marked ones run the real CLI with the stand-in
aws plugin (tests/engine/real.py); the marker's skip rule is in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.runtime.proto import provider_pb2

from tests.engine.real import moto_process
from tests.engine.standin.server import Provider
from tests.engine.standin.wire import to_struct
from tests.engine.standin_calls import Context, client, provider_config


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


@pytest.fixture
def provider(moto_server: str) -> Provider:
    """The stand-in aws provider, configured for the suite's moto server (tests/engine/standin_calls.py)."""
    p = Provider()
    p.Configure(provider_pb2.ConfigureRequest(args=to_struct(provider_config(moto_server))), Context())
    return p


@pytest.fixture
def ec2(moto_server: str) -> Any:
    """boto3 EC2 client of the suite's moto server."""
    return client("ec2", moto_server)
