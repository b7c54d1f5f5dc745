from __future__ import annotations

import pytest

from runctl_iac.render.plan_markdown import render_plan_markdown
from tests.render.golden import check_golden
from tests.render.plan_fixtures import PLANS, SECRET_VALUE, mixed_plan


@pytest.mark.parametrize("name", sorted(PLANS))
def test_golden_markdown(name: str) -> None:
    check_golden(f"{name}.md", render_plan_markdown(PLANS[name]()))


def test_marker_first_and_callouts_before_summary() -> None:
    md = render_plan_markdown(mixed_plan())
    lines = md.splitlines()
    assert lines[0] == "<!-- runctl-plan: llama/dev -->"
    caution = md.index("> [!CAUTION]")
    assert caution < md.index("| create | update |")
    assert "> - `volume.data.trainer.0` will be replaced; its data is lost" in md
    assert "> - `bucket.logs` will be deleted" in md
    assert "**Blocked**: 1 error(s)" in md
    assert "> [!WARNING]" in md and "W0509" in md
    assert "<details>" in md and "</details>" in md


def test_markdown_is_deterministic_and_secret_free() -> None:
    first = render_plan_markdown(mixed_plan())
    assert first == render_plan_markdown(mixed_plan())
    assert SECRET_VALUE not in first


def test_no_callouts_without_problems() -> None:
    md = render_plan_markdown(PLANS["unchanged"]())
    assert "[!CAUTION]" not in md and "[!WARNING]" not in md
    assert "(no changes)" in md.splitlines()[1]


def test_large_plans_are_capped_for_pr_comments() -> None:
    import dataclasses

    from runctl_iac.plan.model import Action, Change, Changes, PropertyChange
    from runctl_iac.render.plan_markdown import MAX_ROWS

    many = tuple(
        Change(
            f"volume.v{i:04d}.g.0", "aws:ebs/volume:Volume", Action.UPDATE, (PropertyChange("size", 1, 2),)
        )
        for i in range(MAX_ROWS + 50)
    )
    md = render_plan_markdown(dataclasses.replace(mixed_plan(), changes=Changes(many), findings=()))
    assert f"<summary>Changes ({MAX_ROWS + 50})</summary>" in md
    assert "… and 50 more" in md
    assert f"volume.v{MAX_ROWS - 1:04d}.g.0" in md and f"volume.v{MAX_ROWS:04d}.g.0" not in md
    assert len(md) < 65536
