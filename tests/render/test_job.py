"""`runctl job`'s line for the capacity candidate in use (text and JSON)."""

from __future__ import annotations

from decimal import Decimal

from runctl_iac.render.job import candidate_in_use, candidate_line
from runctl_iac.spec import load_spec_bytes
from runctl_iac.spec.capacity import CAPACITY_CONFIG, recorded

SPEC = """\
version: 1
name: demo
instances:
  worker:
    capacity: {types: [t3.medium, t3.large, m5.large], zones: [us-east-1a]}
"""


def test_the_candidate_in_use_with_its_price() -> None:
    spec = load_spec_bytes(SPEC.encode(), "spec.yaml").spec
    assert spec is not None
    placed = recorded(spec, {CAPACITY_CONFIG + "worker": "m5.large/on-demand/us-east-1a"})
    doc = candidate_in_use(placed.instances["worker"], Decimal("0.0981917808"))
    assert doc == {
        "index": 3,
        "total": 3,
        "label": "m5.large on-demand in us-east-1a",
        "hourly_usd": "0.0981917808",
    }
    assert candidate_line(doc) == (
        "candidate in use: m5.large on-demand in us-east-1a (3 of 3) · $0.0982/hour per node"
    )
    assert candidate_line({**doc, "hourly_usd": None}) == (
        "candidate in use: m5.large on-demand in us-east-1a (3 of 3)"
    )


def test_a_single_type_group_has_no_candidate_line() -> None:
    spec = load_spec_bytes(b"version: 1\nname: demo\ninstances:\n  w: {type: t3.medium}\n", "spec.yaml").spec
    assert spec is not None
    assert candidate_in_use(spec.instances["w"], Decimal(1)) is None
