"""Golden plans of the shipped examples (the `make demo` commands), in every format.

The examples are copied into a temporary directory so that no applied snapshot
or project config of the checkout can change the result. UPDATE_GOLDEN=1 rewrites.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.plan_helpers import SECRET_VALUE, invoke, validate_plan
from tests.render.golden import check_golden

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

CASES = {
    "examples-llama-dev.txt": ("plan", "examples/llama-finetune.yaml", "--stack", "dev"),
    "examples-llama-dev.json": ("plan", "examples/llama-finetune.yaml", "--stack", "dev", "-o", "json"),
    "examples-quickstart-ci.md": ("plan", "examples/quickstart.yaml", "--stack", "ci", "-o", "markdown"),
    "examples-diff-quickstart-llama.txt": (
        "diff",
        "examples/quickstart.yaml",
        "examples/llama-finetune.yaml",
    ),
    "examples-diff-quickstart-llama.md": (
        "diff",
        "examples/quickstart.yaml",
        "examples/llama-finetune.yaml",
        "-o",
        "markdown",
    ),
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    shutil.copytree(EXAMPLES.parent / "stacks", tmp_path / "stacks")
    (tmp_path / "runctl.toml").write_text("# the project root: stacks/ beside it holds the overlays\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("HF_TOKEN", SECRET_VALUE)
    monkeypatch.setenv("WANDB_API_KEY", SECRET_VALUE)
    return tmp_path


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_golden(workdir: Path, name: str) -> None:
    run = invoke(*CASES[name])
    assert run.code == 0, run.stdout + run.stderr
    assert SECRET_VALUE not in run.stdout
    if name.endswith(".json"):
        validate_plan(json.loads(run.stdout))
    check_golden(name, run.stdout)


def test_quickstart_to_llama_is_reviewable(workdir: Path) -> None:
    doc = invoke("diff", "examples/quickstart.yaml", "examples/llama-finetune.yaml", "-o", "json").json()
    by_id = {c["id"]: c for c in doc["changes"]}
    assert by_id["instance.gpu.0"]["action"] == "delete"
    assert by_id["instance.trainer.0"]["action"] == "create"
    assert by_id["bucket.quickstart-results"]["data_loss"] is True
    # the other project's staging bucket (run logs, status) goes too: not retained, so data loss
    assert by_id["bucket._staging"]["data_loss"] is True
    assert doc["summary"]["data_loss"] == 2
    assert float(doc["cost"]["delta"]["hourly"]) > 0
