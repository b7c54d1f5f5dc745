"""A real `pulumi preview` of the local example through the Automation API (marked `engine`).

Needs the Pulumi CLI on PATH (`make test-engine`); skipped with a reason otherwise (see
tests/conftest.py). The aws plugin is the stand-in from tests/engine/standin/, the AWS side a
moto server on 127.0.0.1, the state a local file backend in tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runctl_iac.compiler import compile
from runctl_iac.spec import load_spec_or_raise
from tests.engine.real import ROOT, stack_for


@pytest.mark.engine
def test_preview_of_the_local_example(tmp_path: Path, engine_moto: str) -> None:
    from pulumi import automation as auto

    spec = load_spec_or_raise(ROOT / "examples" / "local.yaml", stack="ci")
    graph = compile(spec)[0]
    state = tmp_path / "state"
    state.mkdir()
    stack = stack_for(graph, tmp_path / "work", engine_moto, f"file://{state}", tmp_path / "home")
    result = stack.preview()
    assert result.change_summary == {auto.OpType.CREATE: len(graph.resources) + 1}  # + the stack itself
