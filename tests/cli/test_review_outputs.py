"""Outputs a reviewer relies on (issue 8 item 13): `--out -`, `--against` runctl's own plan JSON, one money
precision rule in JSON, the per-run column of a base priced at another run length, data-loss wording."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.cli.plan_helpers import BASE_SPEC, invoke, validate_plan, write


def _amounts(node: Any, key: str = "") -> list[str]:
    if isinstance(node, dict):
        return [a for k, v in node.items() for a in _amounts(v, k)]
    if isinstance(node, list):
        return [a for v in node for a in _amounts(v, key)]
    return [node] if key in ("hourly", "per_run", "monthly") and isinstance(node, str) else []


def test_out_dash_writes_the_json_document_to_stdout(project: Path) -> None:
    run = invoke("plan", "spec.yaml", "--out", "-")
    assert run.code == 0
    validate_plan(json.loads(run.stdout))
    assert "runctl plan · project demo" in run.stderr  # the text view moves to stderr
    assert not (project / "-").exists()
    both = invoke("plan", "spec.yaml", "--out", "-", "-o", "json")
    assert both.code == 0 and json.loads(both.stdout)["project"] == "demo"  # written once


def test_against_accepts_runctls_own_plan_json(project: Path) -> None:
    assert invoke("plan", "spec.yaml", "--out", "plan.json").code == 0
    doc = json.loads((project / "plan.json").read_text())
    assert doc["graph"]["project"] == "demo"
    run = invoke("plan", "spec.yaml", "--against", "plan.json", "--detailed-exitcode")
    assert run.code == 0, run.stderr  # the same spec: no changes
    assert "base: file plan.json" in run.stdout


def test_json_money_has_one_precision_rule(project: Path) -> None:
    write(project / "old.yaml", BASE_SPEC.replace("max_runtime: 2h", "max_runtime: 7h"))
    doc = invoke("diff", "old.yaml", "spec.yaml", "-o", "json").json()
    amounts = _amounts(doc["cost"])
    assert len(amounts) > 10
    assert all(re.fullmatch(r"-?\d+(\.\d{1,6})?", a) for a in amounts), amounts
    cost = doc["cost"]
    assert float(cost["delta"]["per_run"]) == round(
        float(cost["per_run"]) - float(cost["base"]["per_run"]), 6
    )


def test_per_run_header_does_not_cover_a_base_of_another_run_length(project: Path) -> None:
    write(project / "old.yaml", BASE_SPEC.replace("max_runtime: 2h", "max_runtime: 7h"))
    text = invoke("diff", "old.yaml", "spec.yaml").stdout
    header = next(line for line in text.splitlines() if "$/hour" in line and "per month" in line)
    assert "per run (" not in header and "per run" in header
    this = next(line for line in text.splitlines() if line.strip().startswith("this plan"))
    base = next(line for line in text.splitlines() if line.strip().startswith("base "))
    assert "(2 h)" in this and "(7 h)" in base
    same = invoke("plan", "spec.yaml").stdout
    assert "per run (2 h)" in same


def test_data_loss_message_names_the_resource_once(project: Path) -> None:
    write(project / "old.yaml", BASE_SPEC + "  checkpoints:\n    dir: /c\n    bucket: results\n")
    write(project / "new.yaml", BASE_SPEC.replace("buckets:\n  results: {}\n", ""))
    run = invoke("diff", "old.yaml", "new.yaml")
    [line] = [line for line in (run.stdout + run.stderr).splitlines() if "W0507" in line]
    assert line.endswith("buckets.results: the bucket is deleted and its data is lost")
