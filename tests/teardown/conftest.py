"""Teardown tests: AWS is the session's moto server (one per xdist worker).

The server is not reset between tests (a reset makes moto rebuild each region's default
VPC, two seconds a region); each test owns a fresh project name instead and scopes its
searches to it, as teams sharing one account do.
"""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def aws(moto_server: str, fake_aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """boto3 reaches the moto server through AWS_ENDPOINT_URL; yields the endpoint."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    # moto loads ~1,300 default AMIs into each region on first use; the seeds name one image id it
    # accepts without them (read when a region's EC2 backend is created in this in-process server)
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    return moto_server


@pytest.fixture
def project() -> str:
    """A project name no other test uses."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True)
def no_engine_destroyer(monkeypatch: pytest.MonkeyPatch) -> None:
    """`runctl gc` here never finds a Pulumi CLI, whether or not this machine has one, so expired
    stacks are swept by their tags. The engine path is tested with an injected destroyer
    (test_gc_moto.py) and in tests/engine/test_teardown_destroy.py."""
    monkeypatch.setattr("runctl_iac.cli.gc.engine_destroyer", lambda: None)
