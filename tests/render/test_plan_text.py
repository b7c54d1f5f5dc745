from __future__ import annotations

import dataclasses

import pytest

from runctl_iac.plan.model import Action, Change, Changes, PropertyChange
from runctl_iac.render.plan_text import format_value, render_plan_text, summary_line
from tests.render.golden import check_golden
from tests.render.plan_fixtures import PLANS, SECRET_VALUE, mixed_plan


@pytest.mark.parametrize("name", sorted(PLANS))
def test_golden_text(name: str) -> None:
    check_golden(f"{name}.txt", render_plan_text(PLANS[name]()))


def test_summary_line_exact() -> None:
    changes = Changes(
        (
            Change("a", "t", Action.CREATE),
            Change("b", "t", Action.CREATE),
            Change("c", "t", Action.UPDATE),
            Change("d", "t", Action.REPLACE),
            Change("e", "t", Action.NOOP),
        )
    )
    assert summary_line(changes) == "2 to create, 1 to update, 1 to replace, 0 to delete."


def test_symbols_and_markers() -> None:
    text = render_plan_text(mixed_plan())
    assert "    + instance.trainer.1 (aws:ec2/instance:Instance)" in text
    assert "    ~ instance.trainer.0 (aws:ec2/instance:Instance)  # stop/start of the instance" in text
    assert "  -/+ volume.data.trainer.0 (aws:ebs/volume:Volume)" in text
    assert "    - bucket.logs (aws:s3/bucket:Bucket)" in text
    assert 'availability_zone = "us-east-1a" → "us-east-1b"  # forces replacement' in text
    assert (
        "!! data loss: volume.data.trainer.0 will be replaced; its data is lost (set retain: true to keep it)"
        in text
    )
    assert "!! data loss: bucket.logs will be deleted" in text
    assert "bucket.ckpt will be" not in text  # retained: no data loss
    assert "retained: left in AWS" in text
    assert "Plan: 1 to create, 2 to update, 1 to replace, 2 to delete. (2 unchanged)" in text
    # no-ops are hidden
    assert "sg.trainer (" not in text
    assert "Plan blocked: 1 error(s)" in text


def test_secret_never_rendered() -> None:
    text = render_plan_text(mixed_plan())
    assert SECRET_VALUE not in text
    assert "value = (secret) → (secret)" in text
    colored = render_plan_text(mixed_plan(), color=True)
    assert SECRET_VALUE not in colored


def test_secret_placeholder_value_is_masked_even_without_flag() -> None:
    assert format_value({"$secret": "HF_TOKEN"}) == "(secret)"
    assert format_value("x", secret=True) == "(secret)"
    assert format_value({"$ref": "sg.a.id"}) == "ref(sg.a.id)"
    assert format_value("(known after apply)") == "(known after apply)"
    assert format_value("text") == '"text"'
    assert format_value({"b": 1, "a": [True, None]}) == "{a = [true, (none)], b = 1}"
    lookup = {"$invoke": "aws:ssm/getParameter:getParameter", "args": {"name": "/x"}, "attr": "value"}
    assert format_value(lookup) == 'lookup getParameter(name = "/x").value'


def test_plain_text_has_no_ansi_and_colour_has() -> None:
    plain = render_plan_text(mixed_plan())
    assert "\x1b[" not in plain
    assert "\x1b[" in render_plan_text(mixed_plan(), color=True)


def test_no_changes_message() -> None:
    text = render_plan_text(PLANS["unchanged"]())
    assert "No changes." in text
    assert "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete. (2 unchanged)" in text


def test_create_lists_new_values_only() -> None:
    plan = mixed_plan()
    only = Changes((Change("x.0", "t", Action.CREATE, (PropertyChange("size", None, 5),)),))
    text = render_plan_text(dataclasses.replace(plan, changes=only, findings=()))
    assert "size = 5" in text
    assert "→" not in text.split("Cost estimate")[0]


def test_engine_changes_are_labelled() -> None:
    from runctl_iac.render.plan_markdown import render_plan_markdown

    plan = mixed_plan()
    engine = dataclasses.replace(plan, changes=Changes(plan.changes.changes, source="engine"))
    assert "changes: engine preview" in render_plan_text(engine)
    assert "changes: offline diff (no engine)" in render_plan_text(plan)
    assert "Changes from the engine preview." in render_plan_markdown(engine)


def test_changed_script_shows_changed_lines_not_escaped_strings() -> None:
    from runctl_iac.plan.model import Action, Change, PropertyChange
    from runctl_iac.render.plan_text import change_lines

    prop = PropertyChange("run", "set -e\npython a.py\necho done\n", "set -e\npython b.py\necho done\n")
    change = Change("job", "runctl:training:Job", Action.UPDATE, (prop,))
    assert [text for text, _ in change_lines(change)][1:] == [
        "        run = (script, changed lines):",
        "            -python a.py",
        "            +python b.py",
    ]
    one_line = PropertyChange("run", "python a.py", "python b.py")
    text = [t for t, _ in change_lines(Change("job", "runctl:training:Job", Action.UPDATE, (one_line,)))]
    assert text[1] == '        run = "python a.py" → "python b.py"'
