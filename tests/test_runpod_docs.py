"""docs/runpod.md's spec is valid and compiles (docs that run)."""

from __future__ import annotations

from pathlib import Path

from runctl_iac.compiler import compile
from runctl_iac.compiler.runpod import NETWORK_VOLUME, POD
from runctl_iac.spec import load_spec

DOC = Path(__file__).resolve().parents[1] / "docs" / "runpod.md"


def test_the_documented_spec_validates_and_compiles(tmp_path: Path) -> None:
    block = DOC.read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```", 1)[0]
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(block)
    result = load_spec(spec_file)
    assert result.spec is not None, result.diagnostics
    graph, _ = compile(result.spec)
    assert graph.resources["pod.trainer"].type == POD
    assert graph.resources["runpod-volume.cache"].type == NETWORK_VOLUME
