"""Bucket names unique per account: the program fills the `<account>` placeholder from stack config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runctl_iac.compiler import compile
from runctl_iac.compiler.names import ACCOUNT_PLACEHOLDER, account_suffix
from runctl_iac.engine import make_program
from runctl_iac.engine.program import uses_account
from runctl_iac.spec import load_spec_or_raise
from tests.engine.pulumi_mocks import run_program

ROOT = Path(__file__).resolve().parents[2]


def test_names_and_policies_get_the_account_suffix(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = compile(load_spec_or_raise(ROOT / "examples" / "quickstart.yaml"))[0]
    assert uses_account(graph)
    suffix = account_suffix("111111111111", "us-east-1")
    config = {"runctl:expiresAt": "2030-01-01T00:00:00Z", "runctl:accountSuffix": suffix}
    run = run_program(make_program(graph), graph.project, graph.stack, config)
    buckets = [r for r in run.mocks.resources.values() if r.type == "aws:s3/bucket:Bucket"]
    assert buckets and all(b.inputs["bucket"].endswith(f"-{suffix}") for b in buckets)
    policies = [r for r in run.mocks.resources.values() if r.type == "aws:iam/rolePolicy:RolePolicy"]
    assert policies
    for p in policies:
        doc = json.loads(p.inputs["policy"])
        assert ACCOUNT_PLACEHOLDER not in p.inputs["policy"]
        assert any(suffix in json.dumps(st) for st in doc["Statement"])
    assert all(v.endswith(suffix) for v in run.outputs["buckets"].values())
    assert run.outputs["specHash"] == graph.spec_hash()  # the hash is the placeholder Graph's


def test_a_missing_account_suffix_is_an_error() -> None:
    graph = compile(load_spec_or_raise(ROOT / "examples" / "quickstart.yaml"))[0]
    config = {"runctl:expiresAt": "2030-01-01T00:00:00Z", "runctl:accountSuffix": ""}
    with pytest.raises(Exception, match="accountSuffix"):
        run_program(make_program(graph), graph.project, graph.stack, config)
