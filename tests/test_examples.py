"""Docs that run: every example spec and every YAML block of the README validates."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from runctl_iac.spec import load_spec, load_spec_bytes

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
STACKS = ("dev", "ci", "prod")
README = REPO / "README.md"
FENCE = re.compile(r"^([ \t]*)```ya?ml[^\n]*\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
TOP_VERSION = re.compile(r"^version\s*:", re.MULTILINE)


def yaml_blocks(markdown: str) -> list[str]:
    """The body of every ```yaml / ```yml fence, also fences indented inside list items."""
    return [textwrap.dedent(m.group(2)) for m in FENCE.finditer(markdown)]


def readme_blocks() -> list[tuple[str, str]]:
    if not README.exists():
        return []
    return [
        (f"README-block-{i}", b) for i, b in enumerate(yaml_blocks(README.read_text(encoding="utf-8")), 1)
    ]


def test_the_examples_named_in_the_issue_exist() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"quickstart.yaml", "llama-finetune.yaml", "local.yaml"} <= names
    assert all((REPO / "examples" / "stacks" / f"{s}.yaml").exists() for s in STACKS)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_validates_for_every_stack(path: Path, stack: str) -> None:
    result = load_spec(path, stack=stack)
    assert result.diagnostics == [], [
        f"{d.file}:{d.line}: {d.code} {d.path}: {d.message}" for d in result.diagnostics
    ]
    assert result.spec is not None and result.spec.stack == stack


def test_overlays_change_what_they_should() -> None:
    dev, ci, prod = (load_spec(REPO / "examples" / "llama-finetune.yaml", stack=s).spec for s in STACKS)
    assert dev is not None and ci is not None and prod is not None
    assert dev.tags["env"] == "dev" and ci.tags["env"] == "ci" and prod.tags["env"] == "prod"
    assert dev.ttl is not None and dev.ttl.text == "3d"  # dev keeps the example's own ttl
    assert ci.ttl is not None and ci.ttl.text == "2h"
    assert prod.ttl is None  # `ttl: null` in the prod overlay removes the expiry
    assert prod.tags["team"] == "research"  # tags merge, they are not replaced


def test_llama_example_has_what_the_issue_asks_for() -> None:
    spec = load_spec(REPO / "examples" / "llama-finetune.yaml").spec
    assert spec is not None and spec.training is not None
    trainer = spec.instances[spec.training.group]
    assert (trainer.type, trainer.count) == ("g5.12xlarge", 2) and trainer.spot is not None
    [mount] = trainer.mounts
    data = spec.volumes[mount.volume]
    assert (
        (data.size_gb, data.type) == (500, "gp3")
        and data.from_snapshot
        and data.from_snapshot.startswith("snap-")
    )
    assert len(spec.buckets) == 2 and spec.training.checkpoints is not None
    assert set(spec.training.secrets) == {"HF_TOKEN", "WANDB_API_KEY"}
    assert (
        spec.ttl is not None
        and spec.budget.max_hourly_usd is not None
        and spec.budget.max_run_usd is not None
    )
    for var in ("RUNCTL_NUM_NODES", "RUNCTL_NODE_RANK", "RUNCTL_MASTER_ADDR"):
        assert var in spec.training.run


def test_examples_point_editors_at_the_schema() -> None:
    for path in EXAMPLES:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/runctl.schema.json", path.name
    assert (REPO / "examples" / "../schemas/runctl.schema.json").resolve().is_file()


def test_yaml_block_extraction() -> None:
    text = "intro\n```yaml\nversion: 1\nname: a\n```\nmore\n```yml title=x\nttl: 8h\n```\n```bash\nls\n```\n"
    assert yaml_blocks(text) == ["version: 1\nname: a\n", "ttl: 8h\n"]
    listed = "1. Write:\n\n   ```yaml\n   version: 1\n   tags:\n     a: b\n   ```\n"
    assert yaml_blocks(listed) == ["version: 1\ntags:\n  a: b\n"]


@pytest.mark.parametrize(("name", "block"), readme_blocks())
def test_readme_yaml_block_validates(name: str, block: str) -> None:
    """A block with `version:` is a whole spec; any other block is an overlay on the quickstart example."""
    if TOP_VERSION.search(block):
        result = load_spec_bytes(block.encode(), name)
    else:
        base = (REPO / "examples" / "quickstart.yaml").read_bytes()
        result = load_spec_bytes(base, "examples/quickstart.yaml", overlay=(block.encode(), name))
    assert result.ok, [f"{d.file}:{d.line}: {d.code} {d.path}: {d.message}" for d in result.diagnostics]
