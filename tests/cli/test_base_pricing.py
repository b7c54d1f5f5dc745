"""Issue 8 item 2: every base with a spec is priced at its own run length and located in its own file;
a bare Graph base says when its run length is assumed."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.plan_helpers import BASE_SPEC, invoke, validate_plan, write

VOLUME = "volumes:\n  data:\n    size_gb: 100\n    type: gp3\n"
MOUNT = "    volumes:\n      data: /data\n"
# the new spec runs twice as long and drops the data volume (data loss located in the base)
NEW_SPEC = BASE_SPEC.replace("max_runtime: 2h", "max_runtime: 4h").replace(VOLUME, "").replace(MOUNT, "")
VOLUME_LINE = BASE_SPEC.splitlines().index("  data:") + 1  # the base's `data:` key, 1-based


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _args(project: Path, how: str) -> tuple[list[str], str]:
    """The command line for one kind of base, and the file label its findings carry."""
    if how == "against":
        write(project / "old.yaml", BASE_SPEC)
        write(project / "spec.yaml", NEW_SPEC)
        return ["plan", "spec.yaml", "--against", "old.yaml"], "old.yaml"
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    _git(project, "init", "-q")
    _git(project, "add", "spec.yaml")
    _git(project, "commit", "-q", "-m", "base")
    write(project / "spec.yaml", NEW_SPEC)
    command = (
        ["plan", "spec.yaml", "--base", "HEAD"]
        if how == "plan-base"
        else ["diff", "--base", "HEAD", "spec.yaml"]
    )
    return command, "HEAD:spec.yaml"


@pytest.mark.parametrize("how", ["plan-base", "diff-base", "against"])
def test_base_is_priced_with_its_own_run_length(project: Path, how: str) -> None:
    command, _ = _args(project, how)
    doc = invoke(*command, "-o", "json").json()
    validate_plan(doc)
    cost = doc["cost"]
    q = Decimal("1e-9")
    assert Decimal(cost["per_run"]).quantize(q) == (Decimal(cost["hourly"]) * 4).quantize(q)
    assert Decimal(cost["base"]["per_run"]).quantize(q) == (Decimal(cost["base"]["hourly"]) * 2).quantize(q)
    assert Decimal(cost["delta"]["per_run"]) > 0
    assert not any("assumes this spec's run length" in n for n in cost["notes"])


@pytest.mark.parametrize("how", ["plan-base", "diff-base", "against"])
def test_base_data_loss_points_at_the_base_file(project: Path, how: str) -> None:
    command, label = _args(project, how)
    doc = invoke(*command, "-o", "json").json()
    loss = [f for f in doc["findings"] if f["code"] == "W0507"]
    assert [(f["file"], f["line"], f["path"]) for f in loss] == [(label, VOLUME_LINE, "volumes.data")]
    text = invoke(*command).stdout
    assert f"{label}:{VOLUME_LINE}:3: warning[W0507] volumes.data:" in text


def test_bare_graph_base_says_its_run_length_is_assumed(project: Path) -> None:
    no_runtime = BASE_SPEC.replace("  max_runtime: 2h\n", "")
    write(project / "old.yaml", no_runtime)
    graph = invoke("graph", "old.yaml", "-o", "json")
    write(project / "graph.json", graph.stdout)
    doc = invoke("plan", "spec.yaml", "--against", "graph.json", "-o", "json").json()
    notes = [n for n in doc["cost"]["notes"] if n.startswith("base:")]
    assert notes == [
        "base: the Graph document graph.json has no spec and no training.max_runtime, so its per-run "
        "figure assumes this spec's run length (training.max_runtime 2h)"
    ]
    assert "assumes this spec's run length" in invoke("plan", "spec.yaml", "--against", "graph.json").stdout


def test_bare_graph_base_with_a_job_keeps_its_own_run_length(project: Path) -> None:
    write(project / "old.yaml", BASE_SPEC)
    write(project / "graph.json", invoke("graph", "old.yaml", "-o", "json").stdout)
    write(project / "spec.yaml", BASE_SPEC.replace("max_runtime: 2h", "max_runtime: 4h"))
    doc = invoke("plan", "spec.yaml", "--against", "graph.json", "-o", "json").json()
    cost = doc["cost"]
    q = Decimal("1e-9")
    assert Decimal(cost["base"]["per_run"]).quantize(q) == (Decimal(cost["base"]["hourly"]) * 2).quantize(q)
    assert Decimal(cost["delta"]["per_run"]) > 0
    assert not any(n.startswith("base:") for n in cost["notes"])
