"""Capacity candidates: expansion order, placement, the single-type spec unchanged, E0330-E0333."""

from __future__ import annotations

import dataclasses

from runctl_iac.spec import load_spec_bytes
from runctl_iac.spec.capacity import Candidate, candidates, find, place, placement_of
from runctl_iac.spec.model import Spec, Spot

HEAD = "version: 1\nname: demo\nregion: us-east-1\n"


def load(text: str) -> Spec:
    result = load_spec_bytes((HEAD + text).encode(), "spec.yaml")
    assert result.spec is not None, result.diagnostics
    return result.spec


def problems(text: str) -> list[tuple[str, str, int | None, int | None, str | None]]:
    result = load_spec_bytes((HEAD + text).encode(), "spec.yaml")
    assert result.spec is None
    return [(d.code, d.path, d.line, d.column, d.hint) for d in result.diagnostics]


def test_single_type_is_one_candidate_and_unchanged_in_meaning() -> None:
    spec = load("instances:\n  g:\n    type: g5.xlarge\n    spot: true\n")
    group = spec.instances["g"]
    assert (group.type, group.spot, group.zone, group.capacity) == ("g5.xlarge", Spot(), None, None)
    assert candidates(group) == (Candidate(1, "g5.xlarge", "spot", None),)
    assert placement_of(group) == candidates(group)[0]


def test_candidates_are_types_then_markets_then_zones_and_candidate_1_is_placed() -> None:
    spec = load(
        "instances:\n  g:\n    capacity:\n      types: [g6e.12xlarge, g6.12xlarge]\n"
        "      zones: [us-east-1b, any]\n      market: [spot, on-demand]\n"
    )
    group = spec.instances["g"]
    labels = [c.label() for c in candidates(group)]
    assert labels == [
        "g6e.12xlarge spot in us-east-1b",
        "g6e.12xlarge spot in any zone",
        "g6e.12xlarge on-demand in us-east-1b",
        "g6e.12xlarge on-demand in any zone",
        "g6.12xlarge spot in us-east-1b",
        "g6.12xlarge spot in any zone",
        "g6.12xlarge on-demand in us-east-1b",
        "g6.12xlarge on-demand in any zone",
    ]
    assert (group.type, group.spot, group.zone) == ("g6e.12xlarge", Spot(), "us-east-1b")
    assert placement_of(group) == candidates(group)[0]


def test_place_moves_a_group_and_keeps_a_spot_price_cap() -> None:
    spec = load(
        "instances:\n  g:\n    spot: {max_price_usd: 3}\n    capacity:\n"
        "      types: [g6e.12xlarge, g6.12xlarge]\n      market: [spot, on-demand]\n"
    )
    third = find(spec.instances["g"], "g6.12xlarge/spot/any")
    assert third is not None and third.index == 3
    moved = place(spec, {"g": third}).instances["g"]
    assert (moved.type, moved.spot, moved.zone) == (
        "g6.12xlarge",
        dataclasses.replace(Spot(), max_price_usd=3),
        None,
    )
    on_demand = place(spec, {"g": candidates(spec.instances["g"])[1]}).instances["g"]
    assert (on_demand.type, on_demand.spot) == ("g6e.12xlarge", None)
    assert placement_of(moved) == third


def test_type_beside_capacity_keeps_the_type_and_adds_zones() -> None:
    spec = load(
        "instances:\n  g:\n    type: g5.xlarge\n    capacity:\n      zones: [us-east-1c, us-east-1d]\n"
    )
    assert [c.key() for c in candidates(spec.instances["g"])] == [
        "g5.xlarge/on-demand/us-east-1c",
        "g5.xlarge/on-demand/us-east-1d",
    ]


def test_conflicts_and_missing_type_are_located() -> None:
    text = (
        "network:\n  subnet: subnet-0123456789abcdef0\n"
        "instances:\n  g:\n    type: g5.xlarge\n    spot: true\n    capacity:\n"
        "      types: [g5.2xlarge]\n      market: [spot]\n      zones: [us-east-1a]\n"
        "  h:\n    count: 2\n"
    )
    assert problems(text) == [
        (
            "E0330",
            "instances.g.type",
            8,
            11,
            "list every type, the preferred first, in capacity.types and remove `type`",
        ),
        (
            "E0330",
            "instances.g.spot",
            9,
            11,
            "remove `spot` (keep `spot: {max_price_usd: N}` only to cap the spot candidates' price)",
        ),
        (
            "E0330",
            "instances.g.capacity.zones",
            13,
            14,
            "remove capacity.zones, or network.subnet to let runctl use the default VPC's zones",
        ),
        (
            "E0203",
            "instances.h.type",
            14,
            3,
            "type: EC2 instance type (or list the candidates in capacity.types)",
        ),
    ]


def test_unknown_and_unoffered_types_zones_and_accelerator_mismatch() -> None:
    text = (
        "region: eu-west-1\n"
        "instances:\n  g:\n    capacity:\n"
        "      types: [g5.12xlarge, g5.12xlarg, g6e.12xlarge, p4d.24xlarge]\n"
        "      zones: [eu-west-1a, eu-west-2b, eu-west-1z]\n"
    )
    result = load_spec_bytes(("version: 1\nname: demo\n" + text).encode(), "spec.yaml")
    found = [(d.code, d.path, d.message, d.hint) for d in result.diagnostics]
    assert found == [
        (
            "E0331",
            "instances.g.capacity.types[1]",
            "instance type g5.12xlarg is not in runctl's price catalog",
            "did you mean g5.12xlarge?",
        ),
        (
            "E0331",
            "instances.g.capacity.types[2]",
            "g6e.12xlarge is not offered in eu-west-1 (runctl's price catalog has no price there)",
            "remove it, or choose a region that offers it",
        ),
        (
            "E0333",
            "instances.g.capacity.types[3]",
            "p4d.24xlarge has 8 nvidia accelerator(s) per node, the first candidate g5.12xlarge has 4 nvidia "
            "accelerator(s)",
            "the job sees a different number of accelerators on it; list only types with the same "
            "count and kind",
        ),
        (
            "E0332",
            "instances.g.capacity.zones[1]",
            "zone eu-west-2b is not in the spec's region eu-west-1",
            "did you mean eu-west-1b?",
        ),
        (
            "E0332",
            "instances.g.capacity.zones[2]",
            "zone eu-west-1z is not in the spec's region eu-west-1",
            "zones of eu-west-1: eu-west-1a … eu-west-1f",
        ),
    ]


def test_schema_rejects_a_bad_market_and_an_unknown_capacity_key() -> None:
    found = problems(
        "instances:\n  g:\n    capacity:\n      types: [g5.xlarge]\n"
        "      market: [reserved]\n      zone: [a]\n"
    )
    assert [c for c, *_ in found] == ["E0205", "E0201"]  # sorted by position: market before zone
    assert found[1][4] == 'did you mean "zones"?'
