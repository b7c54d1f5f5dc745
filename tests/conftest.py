"""Suite-wide settings, and AWS for tests: a local moto server and environments that reach nothing else.

The server listens on 127.0.0.1 on a free port; boto3 is pointed at it with
`endpoint_url` and fake credentials. The instance-metadata credential lookup is
disabled and the shared config files point nowhere, so no test talks to AWS.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# CI runs the property tests with a fixed seed, so a submission passes or fails the same way on
# every run; local runs keep exploring new examples (and .hypothesis/ replays what they found).
# No per-example deadline anywhere: it is a wall-clock assertion that a loaded machine (a CI runner,
# cores shared with other jobs) exceeds with nothing wrong; speed is for the benchmarks.
settings.register_profile("runctl", deadline=None)
settings.register_profile("ci", parent=settings.get_profile("runctl"), derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "runctl")


AWS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_EC2",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An environment where boto3 finds no credentials and never asks the metadata service."""
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def fake_aws_credentials(no_aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 for the whole session; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


CLI_MISSING = (
    "pulumi CLI not on PATH (`make test-engine` builds one from its Go module and runs these tests "
    "with a stand-in aws plugin)"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `engine` drive the real Pulumi CLI, with the stand-in aws plugin from
    tests/engine/standin/ (they put it on the CLI's PATH themselves). Without a CLI they are
    skipped, with the reason printed once (pytest_terminal_summary); `make test-engine` sets
    RUNCTL_REQUIRE_ENGINE=1, and then a missing CLI fails the run instead, so CI never skips
    them silently."""
    engine_items = [i for i in items if i.get_closest_marker("engine")]
    if not engine_items or shutil.which("pulumi") is not None:
        return
    if os.environ.get("RUNCTL_REQUIRE_ENGINE") == "1":
        raise pytest.UsageError(f"engine tests required (RUNCTL_REQUIRE_ENGINE=1) but {CLI_MISSING}")
    for item in engine_items:
        item.add_marker(pytest.mark.skip(reason=CLI_MISSING))


@pytest.hookimpl(tryfirst=True)
def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Fold the engine skips into one line of the `-ra` summary (they come from every engine test file)."""
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        if isinstance(longrepr, tuple) and str(longrepr[2]).endswith(CLI_MISSING):
            report.longrepr = ("tests/engine", None, longrepr[2])
