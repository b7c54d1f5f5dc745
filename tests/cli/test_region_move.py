"""Issue 8 item 12: a region change re-creates a retained bucket under a name that is still taken."""

from __future__ import annotations

from pathlib import Path

from tests.cli.plan_helpers import BASE_SPEC, invoke, write

RETAINED = BASE_SPEC.replace("  results: {}\n", "  results:\n    retain: true\n")


def _findings(project: Path, old: str, new: str) -> list[dict[str, object]]:
    write(project / "old.yaml", old)
    write(project / "new.yaml", new)
    doc = invoke("diff", "old.yaml", "new.yaml", "-o", "json").json()
    return [f for f in doc["findings"] if f["code"] == "W0520"]


def test_region_change_of_a_retained_bucket_warns_at_plan_time(project: Path) -> None:
    moved = RETAINED.replace("region: us-east-1", "region: eu-west-1")
    (finding,) = _findings(project, RETAINED, moved)
    line = moved.splitlines().index("  results:") + 1
    assert (finding["file"], finding["line"], finding["column"], finding["path"]) == (
        "new.yaml",
        line,
        3,
        "buckets.results",
    )
    # the account suffix is fixed at the first apply (engine.apply.stack_config), so the name stays
    assert "'runctl-demo-dev-results-<account>'" in str(finding["message"])
    assert "us-east-1" in str(finding["message"]) and "apply will fail" in str(finding["message"])
    assert "delete the old bucket in us-east-1" in str(finding["hint"])
    text = invoke("diff", "old.yaml", "new.yaml").stdout
    assert f"new.yaml:{line}:3: warning[W0520] buckets.results:" in text


def test_no_region_move_warning_without_a_move_or_a_retained_bucket(project: Path) -> None:
    assert _findings(project, RETAINED, RETAINED.replace("max_runtime: 2h", "max_runtime: 3h")) == []
    scratch_moved = BASE_SPEC.replace("region: us-east-1", "region: eu-west-1")
    assert _findings(project, BASE_SPEC, scratch_moved) == []  # not retained: deleted (and flagged data loss)
