"""Capacity candidates of an instance group: expansion, placement, and their semantic checks.

A group either names one `type` (and `spot`): one candidate, in the first zone that offers it, as
always; or lists `capacity: {types, zones, market, move_volumes}`. Candidates are tried in this order:
for each type, for each market, for each zone (the user's first type is worth more than a zone).

Checks (E0330-E0333), on schema-valid parts of the data only:
- E0203: neither `type` nor `capacity.types` (as when the schema required `type`);
- E0330: `type` and `capacity.types` both given; a boolean `spot` beside `capacity.market`;
  `capacity.zones` beside `network.subnet` (a subnet pins its zone);
- E0331: a candidate type unknown to the catalog (did-you-mean) or not offered in the spec's region;
- E0332: a zone outside the spec's region (did-you-mean among the region's zones);
- E0333: a candidate with other accelerators per node (count or kind) than the first: the job
  was written for the first one's GPUs.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.spec.model import InstanceGroup, Market, PathT, SourceMap, Spec, Spot

ZONE_LETTERS = "abcdef"  # AWS zone suffixes a region may have (us-east-1 has a-f)
# stack config keys apply records the placement in (copied into the applied snapshot's `config`)
CAPACITY_CONFIG = "runctl:capacity."  # + group: the candidate's key, type/market/zone
VOLUME_ZONES_CONFIG = "runctl:volume-zones."  # + group: zones its retained volumes moved through


@dataclass(frozen=True)
class Candidate:
    index: int  # 1-based, in try order
    type: str
    market: Market
    zone: str | None  # None: any zone offering the type

    @property
    def spot(self) -> bool:
        return self.market == "spot"

    def label(self) -> str:
        """`g6e.12xlarge spot in us-east-1b` (`in any zone` when unpinned)."""
        return f"{self.type} {self.market} in {self.zone or 'any zone'}"

    def key(self) -> str:
        """Stable identity of a candidate, kept in stack config (an index moves when the list changes)."""
        return f"{self.type}/{self.market}/{self.zone or 'any'}"


def candidates(group: InstanceGroup) -> tuple[Candidate, ...]:
    """The group's candidates in try order (one for a single-type group)."""
    cap = group.capacity
    if cap is None:
        market: Market = "spot" if group.spot is not None else "on-demand"
        return (Candidate(1, group.type, market, group.zone),)
    out: list[Candidate] = []
    for itype in cap.types:
        for market in cap.markets:
            for zone in cap.zones:
                out.append(Candidate(len(out) + 1, itype, market, zone))
    return tuple(out)


def find(group: InstanceGroup, key: str) -> Candidate | None:
    return next((c for c in candidates(group) if c.key() == key), None)


def placed_group(group: InstanceGroup, cand: Candidate) -> InstanceGroup:
    """The group running on `cand`: its type, market (a spot max price stays) and zone."""
    spot = (group.spot or Spot()) if cand.spot else None
    return dataclasses.replace(group, type=cand.type, spot=spot, zone=cand.zone)


def place(spec: Spec, choices: Mapping[str, Candidate]) -> Spec:
    """`spec` with the groups named in `choices` on those candidates."""
    if not choices:
        return spec
    groups = {n: placed_group(g, choices[n]) if n in choices else g for n, g in spec.instances.items()}
    return dataclasses.replace(spec, instances=groups)


def recorded(spec: Spec, config: Mapping[str, str]) -> Spec:
    """`spec` as the stack's config says it is placed: each group with `capacity` on its recorded
    candidate (candidate 1 when none is recorded) and with the zones its retained volumes moved
    through, so that what runs after a failover is compiled and priced as it is, not as candidate 1."""
    groups = {}
    for name, group in spec.instances.items():
        cand = find(group, config.get(CAPACITY_CONFIG + name, "")) if group.capacity else None
        placed = group if cand is None else placed_group(group, cand)
        zones = tuple(z for z in config.get(VOLUME_ZONES_CONFIG + name, "").split(",") if z)
        if len(zones) > 1:
            placed = dataclasses.replace(placed, zone=zones[-1], volume_zones=zones)
        groups[name] = placed
    return dataclasses.replace(spec, instances=groups)


def placement_of(group: InstanceGroup) -> Candidate | None:
    """The candidate a (placed) group is on, or None when none matches."""
    market = "spot" if group.spot is not None else "on-demand"
    return next(
        (c for c in candidates(group) if (c.type, c.market, c.zone) == (group.type, market, group.zone)),
        None,
    )


def in_use(group: InstanceGroup) -> Candidate | None:
    """The candidate a group with `capacity` runs on (None for a single-type group)."""
    return placement_of(group) if group.capacity is not None else None


# --- semantic checks -------------------------------------------------------------------------------

Clean = Callable[..., bool]


def capacity_diagnostics(data: Mapping[str, Any], source: SourceMap, clean: Clean) -> list[Diagnostic]:
    out: list[Diagnostic] = []

    def emit(code: str, path: PathT, message: str, hint: str) -> None:
        out.append(source.diagnostic(Severity.ERROR, code, message, path, hint))

    instances = data.get("instances")
    if not isinstance(instances, Mapping) or not clean("instances"):
        return out
    region = data.get("region", "us-east-1") if clean("region") else None
    network = data.get("network") if isinstance(data.get("network"), Mapping) else {}
    for group, spec in instances.items():
        if not isinstance(spec, Mapping) or not clean("instances", group) or spec.get("provider") == "runpod":
            continue
        base: PathT = ("instances", group)
        cap = spec.get("capacity")
        if "type" not in spec and not (isinstance(cap, Mapping) and "types" in cap):
            out.append(_missing_type(source, base))
        if not isinstance(cap, Mapping):
            continue
        _conflicts(spec, cap, network, base, emit)
        if isinstance(region, str):
            _types(cap.get("types", []), region, (*base, "capacity", "types"), emit)
            _zones(cap.get("zones", []), region, (*base, "capacity", "zones"), emit)
    return out


def _missing_type(source: SourceMap, base: PathT) -> Diagnostic:
    """As the schema said it when `type` was always required (E0203), at the group's key."""
    return source.diagnostic(
        Severity.ERROR,
        "E0203",
        'required key "type" is missing',
        (*base, "type"),
        "type: EC2 instance type (or list the candidates in capacity.types)",
        at_key=True,
        where=base,
    )


def _conflicts(spec: Mapping[str, Any], cap: Mapping[str, Any], network: Any, base: PathT, emit: Any) -> None:
    if "types" in cap and "type" in spec:
        emit(
            "E0330",
            (*base, "type"),
            "`type` and `capacity.types` both name instance types",
            "list every type, the preferred first, in capacity.types and remove `type`",
        )
    if "market" in cap and isinstance(spec.get("spot"), bool):
        emit(
            "E0330",
            (*base, "spot"),
            "`spot` and `capacity.market` both choose the market",
            "remove `spot` (keep `spot: {max_price_usd: N}` only to cap the spot candidates' price)",
        )
    if "zones" in cap and isinstance(network, Mapping) and network.get("subnet"):
        emit(
            "E0330",
            (*base, "capacity", "zones"),
            "network.subnet pins the zone, so capacity.zones cannot move the group",
            "remove capacity.zones, or network.subnet to let runctl use the default VPC's zones",
        )


def _types(types: Any, region: str, path: PathT, emit: Any) -> None:
    from runctl_iac.accelerators import lookup
    from runctl_iac.prices import catalog

    if not isinstance(types, list):
        return
    cat = catalog()
    known = cat.instance_types()
    first = None
    for index, itype in enumerate(types):
        where = (*path, index)
        if itype not in known:
            close = difflib.get_close_matches(itype, sorted(known), n=1, cutoff=0.75)
            emit(
                "E0331",
                where,
                f"instance type {itype} is not in runctl's price catalog",
                f"did you mean {close[0]}?"
                if close
                else "every candidate needs a known price for the budget",
            )
            continue
        if cat.has_region(region) and cat.instance_hourly(region, itype) is None:
            emit(
                "E0331",
                where,
                f"{itype} is not offered in {region} (runctl's price catalog has no price there)",
                "remove it, or choose a region that offers it",
            )
            continue
        gpus = lookup(itype)
        shape: tuple[str, float] | None = None if gpus is None else (gpus.kind, gpus.count)
        if first is None:
            first = (itype, shape)
        elif shape != first[1]:
            emit(
                "E0333",
                where,
                f"{itype} has {_shape(shape)} per node, "
                f"the first candidate {first[0]} has {_shape(first[1])}",
                "the job sees a different number of accelerators on it; list only types with the same "
                "count and kind",
            )


def _shape(shape: tuple[str, float] | None) -> str:
    return "no accelerators" if shape is None else f"{shape[1]:g} {shape[0]} accelerator(s)"


def _zones(zones: Any, region: str, path: PathT, emit: Any) -> None:
    if not isinstance(zones, list):
        return
    region_zones = [f"{region}{letter}" for letter in ZONE_LETTERS]
    for index, zone in enumerate(zones):
        if zone == "any" or zone in region_zones:
            continue
        close = difflib.get_close_matches(zone, region_zones, n=1, cutoff=0.8)
        emit(
            "E0332",
            (*path, index),
            f"zone {zone} is not in the spec's region {region}",
            f"did you mean {close[0]}?"
            if close and not zone.startswith(region)
            else f"zones of {region}: {region}a … {region}f",
        )
