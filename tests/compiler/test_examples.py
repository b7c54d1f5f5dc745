"""Every example (stacks dev, ci, prod) and every good fixture compiles; golden graphs pin the output.

Regenerate the golden files after an intended change with:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/compiler/test_examples.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runctl_iac.compiler import compile
from runctl_iac.compiler.buckets import BUCKET, ENCRYPTION, PUBLIC_ACCESS_BLOCK
from runctl_iac.compiler.graph import Graph, SecretEnv
from runctl_iac.compiler.instances import INSTANCE
from runctl_iac.compiler.names import is_valid_bucket_name, resolve_account
from runctl_iac.compiler.volumes import VOLUME
from runctl_iac.spec import load_spec_or_raise
from runctl_iac.spec.model import Spec
from tests.compiler.helpers import of_type

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
GOOD = sorted((ROOT / "tests" / "fixtures" / "specs" / "good").glob("*.yaml"))
GOLDEN = ROOT / "tests" / "fixtures" / "graphs"
STACKS = ("dev", "ci", "prod")


def _load(path: Path, stack: str = "dev") -> Spec:
    return load_spec_or_raise(path, stack=stack)


def _check_golden(graph: Graph, golden: Path) -> None:
    text = graph.dumps()
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"missing golden file {golden.relative_to(ROOT)}; run with UPDATE_GOLDEN=1"
    assert text == golden.read_text(), (
        f"{golden.relative_to(ROOT)} differs; if intended, run with UPDATE_GOLDEN=1"
    )


def test_there_are_examples_to_check() -> None:
    assert {p.name for p in EXAMPLES} >= {"quickstart.yaml", "llama-finetune.yaml", "local.yaml"}


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_compiles_for_every_stack(example: Path, stack: str) -> None:
    spec = _load(example, stack)
    graph, launch = compile(spec)
    assert graph.stack == stack
    graph.topological_order()
    assert graph.dumps() == compile(spec)[0].dumps()
    # the security defaults hold for every example and stack
    for b in of_type(graph, BUCKET):
        assert is_valid_bucket_name(resolve_account(b.properties["bucket"], "0a1b2c3d"))
        assert graph.resources[f"{b.id}.public-access-block"].type == PUBLIC_ACCESS_BLOCK
        assert graph.resources[f"{b.id}.encryption"].type == ENCRYPTION
    for v in of_type(graph, VOLUME):
        assert v.properties["encrypted"] is True
    for i in of_type(graph, INSTANCE):
        assert i.properties["metadata_options"]["http_tokens"] == "required"
    params = [r for r in graph.resources.values() if r.type == "aws:ssm/parameter:Parameter"]
    assert all(isinstance(p.properties["value"], SecretEnv) for p in params)
    if spec.training is not None:
        assert launch.group == spec.training.group
        assert len(launch.nodes) == spec.instances[spec.training.group].count


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_graph_matches_golden(example: Path) -> None:
    _check_golden(compile(_load(example))[0], GOLDEN / "examples" / f"{example.stem}.dev.json")


@pytest.mark.parametrize("fixture", GOOD, ids=[p.stem for p in GOOD])
def test_good_fixture_graph_matches_golden(fixture: Path) -> None:
    _check_golden(compile(_load(fixture))[0], GOLDEN / "good" / f"{fixture.stem}.json")


def test_no_stale_golden_files() -> None:
    expected = {GOLDEN / "examples" / f"{p.stem}.dev.json" for p in EXAMPLES} | {
        GOLDEN / "good" / f"{p.stem}.json" for p in GOOD
    }
    present = set((GOLDEN / "examples").glob("*.json")) | set((GOLDEN / "good").glob("*.json"))
    assert present <= expected, sorted(str(p.relative_to(ROOT)) for p in present - expected)
