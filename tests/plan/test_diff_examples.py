"""The offline diff on Graphs compiled from the example specs (edited in memory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runctl_iac.compiler.graph import Graph
from runctl_iac.plan import replace_rules as rr
from runctl_iac.plan.diff import data_loss_findings, diff_graphs
from runctl_iac.plan.model import Action
from tests.plan.diff_graphs import actions, by_id

INSTANCE = "instance.trainer.0"
ATTACH = "attachment.data.trainer.0"


# ---- real compiled examples ----

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _compile(text: str, stack: str = "dev") -> Graph:
    from runctl_iac.compiler import compile as compile_spec
    from runctl_iac.spec import load_spec_bytes

    overlay = (EXAMPLES.parent / "stacks" / f"{stack}.yaml").read_bytes()
    result = load_spec_bytes(text.encode(), "spec.yaml", stack, overlay=(overlay, f"stacks/{stack}.yaml"))
    assert result.spec is not None and result.ok, result.diagnostics
    return compile_spec(result.spec)[0]


LLAMA = (EXAMPLES / "llama-finetune.yaml").read_text() if (EXAMPLES / "llama-finetune.yaml").exists() else ""
needs_llama = pytest.mark.skipif(not LLAMA, reason="examples/llama-finetune.yaml is absent")


@pytest.mark.parametrize("name", ["quickstart", "llama-finetune", "local"])
def test_every_compiled_type_has_rules(name: str) -> None:
    path = EXAMPLES / f"{name}.yaml"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    g = _compile(path.read_text())
    assert sorted({r.type for r in g.resources.values()} - set(rr.RULES)) == []
    assert not diff_graphs(g, _compile(path.read_text())).has_changes


@needs_llama
def test_compiled_instance_type_change_is_stop_start() -> None:
    new = _compile(LLAMA.replace("type: g5.12xlarge", "type: g5.48xlarge"))
    changes = diff_graphs(_compile(LLAMA), new)
    assert actions(changes) == {INSTANCE: Action.UPDATE, "instance.trainer.1": Action.UPDATE}
    assert data_loss_findings(changes) == []


@needs_llama
def test_compiled_snapshot_change_replaces_volumes_with_data_loss() -> None:
    new = _compile(
        LLAMA.replace("from_snapshot: snap-0a1b2c3d4e5f67890", "from_snapshot: snap-0ffffffffffffffff")
    )
    changes = diff_graphs(_compile(LLAMA), new)
    vols = [f"volume.data.trainer.{i}" for i in (0, 1)]
    atts = [f"attachment.data.trainer.{i}" for i in (0, 1)]
    assert actions(changes) == dict.fromkeys(vols + atts, Action.REPLACE)
    assert [f.code for f in data_loss_findings(changes, fail=True)] == ["E0507", "E0507"]


@needs_llama
def test_compiled_count_change_and_prod_stack() -> None:
    changes = diff_graphs(_compile(LLAMA), _compile(LLAMA.replace("count: 2", "count: 1")))
    deleted = {c.id for c in changes.changes if c.action is Action.DELETE}
    # one node needs no cluster placement group; leaving it replaces the remaining instance (ForceNew),
    # which keeps its zone, so its volume stays and only the attachment follows the new instance id
    assert deleted == {
        "instance.trainer.1",
        "volume.data.trainer.1",
        "attachment.data.trainer.1",
        "placement.trainer",
    }
    replaced = {c.id for c in changes.changes if c.action is Action.REPLACE}
    assert replaced == {INSTANCE, ATTACH}
    assert [p.path for p in by_id(changes)[INSTANCE].properties if p.replaces] == ["placement_group"]
    assert {c.id for c in changes.changes if c.data_loss} == {"volume.data.trainer.1"}
    # a spec tag is a provider default tag: one in-place update; a ttl change is apply-time config: quiet
    tagged = diff_graphs(_compile(LLAMA), _compile(LLAMA.replace("team: research", "team: platform")))
    assert actions(tagged) == {"provider.aws": Action.UPDATE}
    assert not diff_graphs(_compile(LLAMA), _compile(LLAMA.replace("ttl: 3d", "ttl: 5d"))).has_changes
