from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from runctl_iac.cli import app
from runctl_iac.compiler import compile
from runctl_iac.render.graph import render_dot, render_text
from tests.compiler.specs import multi_node

ROOT = Path(__file__).resolve().parents[2]
LLAMA = ROOT / "examples" / "llama-finetune.yaml"
runner = CliRunner()


def test_text_tree_groups_by_kind_with_dependencies() -> None:
    graph, _ = compile(multi_node())
    text = render_text(graph)
    lines = text.splitlines()
    assert lines[0] == "graph llama/dev (us-west-2): 44 resources"
    assert lines[1] == f"hash {graph.spec_hash()}"
    headers = [line for line in lines if line and not line.startswith((" ", "├", "└", "│", "graph", "hash"))]
    assert headers == [
        "provider (1)",
        "bucket (14)",
        "secret (2)",
        "sg (2)",
        "role (6)",
        "profile (2)",
        "placement (1)",
        "instance (4)",
        "volume (6)",
        "attachment (6)",
        "outputs",
    ]
    assert "├─ volume.cache.trainer.0  aws:ebs/volume:Volume [protect, retain]" in lines
    assert "│     after: instance.trainer.0, volume.cache.trainer.0" in lines
    assert "│     value: $secret:HF_TOKEN" in lines
    assert text == render_text(compile(multi_node())[0])


def test_dot_has_every_resource_and_every_dependency_edge() -> None:
    graph, _ = compile(multi_node())
    dot = render_dot(graph)
    assert dot.startswith('digraph "llama/dev" {') and dot.rstrip().endswith("}")
    for rid, r in graph.resources.items():
        assert f'    "{rid}" [label=' in dot
        for dep in r.dependencies():
            assert f'  "{dep}" -> "{rid}";' in dot
    edges = sum(len(r.dependencies()) for r in graph.resources.values())
    assert dot.count(" -> ") == edges
    assert dot.count("subgraph ") == 10


def test_cli_json_is_the_golden_graph() -> None:
    result = runner.invoke(app, ["graph", str(LLAMA), "--output", "json"])
    assert result.exit_code == 0, result.output
    golden = (ROOT / "tests" / "fixtures" / "graphs" / "examples" / "llama-finetune.dev.json").read_text()
    assert result.stdout == golden
    assert json.loads(result.stdout)["stack"] == "dev"


def test_cli_stack_and_formats() -> None:
    prod = runner.invoke(app, ["graph", str(LLAMA), "--stack", "prod"])
    assert prod.exit_code == 0, prod.output
    assert prod.stdout.startswith("graph llama-finetune/prod (")
    dot = runner.invoke(app, ["graph", str(LLAMA), "-o", "dot"])
    assert dot.exit_code == 0 and dot.stdout.startswith("digraph ")


def test_cli_invalid_spec_prints_diagnostics_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: Not_Valid\ninstances:\n  box:\n    type: g5.xlarge\n    cuont: 2\n")
    result = runner.invoke(app, ["graph", str(bad)])
    assert result.exit_code == 1
    assert "error[E02" in result.output
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["graph", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 1 and "E0101" in missing.output
