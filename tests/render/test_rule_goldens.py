"""Golden text for every replacement and in-place rule of issue 4, through the real diff and renderer.

One section per rule: the fixture pair differs in that one property, and the block shows the
symbol (`-/+` or `~`), the `# forces replacement` marker or the in-place note, and the data-loss
line where a volume or bucket is replaced. `UPDATE_GOLDEN=1` rewrites the files.
"""

from __future__ import annotations

from typing import Any

from runctl_iac.plan.diff import diff_graphs
from runctl_iac.render.plan_text import change_lines, data_loss_message, emit
from tests.plan.diff_graphs import base_graph, set_path
from tests.plan.test_replace_rules import IN_PLACE, REPLACING
from tests.render.golden import check_golden


def _sections(rules: list[tuple[str, str, Any]]) -> str:
    out = []
    old = base_graph()
    for rid, path, value in rules:
        changes = diff_graphs(old, set_path(old, rid, path, value))
        change = next(c for c in changes.changes if c.id == rid)
        lines = change_lines(change)
        if change.data_loss:
            lines.append((data_loss_message(change), ""))
        out.append(f"## {rid} {path}\n{emit(lines)}")
    return "\n".join(out)


def test_every_replacement_rule_golden() -> None:
    check_golden("rules-replace.txt", _sections(REPLACING))


def test_every_in_place_rule_golden() -> None:
    check_golden("rules-in-place.txt", _sections([(r, p, v) for r, p, v, _ in IN_PLACE]))
