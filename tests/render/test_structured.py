"""Tag maps and IAM policy documents shown key by key (render.structured); the plan goldens
(tests/fixtures/plans/drift.*) show them in the text and Markdown renderers."""

from __future__ import annotations

import json

from runctl_iac.plan.model import PropertyChange
from runctl_iac.render.structured import structured_lines


def _doc(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_statements_without_sid_are_matched_by_position() -> None:
    trust = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    other = {**trust, "Principal": {"Service": "ecs-tasks.amazonaws.com"}}
    lines = structured_lines(PropertyChange("assume_role_policy", _doc(trust), _doc(other)))
    assert lines == [
        "~ statement #1",
        '    ~ Principal = {"Service": "ec2.amazonaws.com"} → {"Service": "ecs-tasks.amazonaws.com"}',
    ]


def test_a_removed_statement_and_a_version_change_are_shown() -> None:
    read = {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    old = _doc(read)
    new = json.dumps({"Version": "2008-10-17", "Statement": []})
    assert structured_lines(PropertyChange("policy", old, new)) == [
        '~ Version = "2012-10-17" → "2008-10-17"',
        "- statement Read",
        '    Action = "s3:GetObject"',
        '    Effect = "Allow"',
        '    Resource = "*"',
    ]


def test_tags_removed_entirely_and_other_values_are_not_structured() -> None:
    assert structured_lines(PropertyChange("tags", {"team": "ml"}, {})) == ['- team = "ml"']
    assert structured_lines(PropertyChange("name", "a", "b")) is None
    assert structured_lines(PropertyChange("user_data", '{"not": "a policy"}', "{}")) is None
    assert structured_lines(PropertyChange("policy", _doc(), _doc({"Sid": "X"}), secret=True)) is None
    assert structured_lines(PropertyChange("ids", {"$ref": "sg.id"}, {"$ref": "sg2.id"})) is None
