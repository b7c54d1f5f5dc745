"""The price catalog shipped in `runctl_iac/data/prices.json`, loaded once.

Prices are strings in the file and `Decimal` here, so money stays exact. Every
lookup returns `None` when the catalog has no figure (unknown region, type not
offered there, or a type with no published on-demand rate); callers turn that
into a W0509 warning and an incomplete estimate, never an exception.

Tables (each with `source` and `as_of`):
- `ec2_gpu`, `ec2_cpu`: on-demand $/instance-hour, Linux, shared tenancy,
  `prices[region][instance_type]`; `families` lists every size the table covers
  and `unpriced` names types that exist but have no on-demand price.
- `ebs`: $/GB-month per volume type, plus gp3 IOPS/throughput above the
  included baseline and io1/io2 $/provisioned-IOPS-month.
- `s3`: S3 Standard $/GB-month.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

INSTANCE_TABLES = ("ec2_gpu", "ec2_cpu")


@dataclass(frozen=True)
class EbsPrice:
    """EBS prices for one volume type in one region."""

    gb_month: Decimal
    iops_month: Decimal | None = None  # $/IOPS-month for IOPS above `iops_included`
    iops_included: int = 0
    throughput_month: Decimal | None = None  # $/(MiB/s)-month above `throughput_included`
    throughput_included: int = 0


@dataclass(frozen=True)
class TableInfo:
    name: str
    source: str
    as_of: str


@dataclass(frozen=True)
class Catalog:
    regions: tuple[str, ...]
    hours_per_month: Decimal
    instances: Mapping[str, Mapping[str, Decimal]]  # region -> type -> $/hour
    unpriced: Mapping[str, str]  # type -> why it has no on-demand price
    families: Mapping[str, tuple[str, ...]]  # family -> sizes covered
    ebs: Mapping[str, Mapping[str, EbsPrice]]  # region -> volume type -> prices
    s3_standard: Mapping[str, Decimal]  # region -> $/GB-month
    tables: tuple[TableInfo, ...]

    def has_region(self, region: str) -> bool:
        return region in self.regions

    def instance_hourly(self, region: str, instance_type: str) -> Decimal | None:
        return self.instances.get(region, {}).get(instance_type)

    def unpriced_reason(self, instance_type: str) -> str | None:
        return self.unpriced.get(instance_type)

    def instance_types(self) -> frozenset[str]:
        """Every instance type the catalog knows: each family's sizes, priced or not."""
        known = {f"{fam}.{size}" for fam, sizes in self.families.items() for size in sizes}
        known.update(self.unpriced)
        for prices in self.instances.values():
            known.update(prices)
        return frozenset(known)

    def family_sizes(self, family: str) -> tuple[str, ...] | None:
        """The sizes of an instance family the catalog covers (None: an unknown family)."""
        return self.families.get(family)

    def ebs_price(self, region: str, volume_type: str) -> EbsPrice | None:
        return self.ebs.get(region, {}).get(volume_type)

    def s3_standard_gb_month(self, region: str) -> Decimal | None:
        return self.s3_standard.get(region)

    def sources_note(self) -> str:
        return "; ".join(f"{t.name} as of {t.as_of}" for t in self.tables)


def _dec(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError(f"catalog price {value!r} must be a string")
    return Decimal(value)


def _opt_dec(value: Any) -> Decimal | None:
    return None if value is None else _dec(value)


def parse_catalog(data: Mapping[str, Any]) -> Catalog:
    """Build a `Catalog` from the JSON document (raises ValueError/KeyError on a malformed file)."""
    tables = data["tables"]
    instances: dict[str, dict[str, Decimal]] = {}
    unpriced: dict[str, str] = {}
    families: dict[str, tuple[str, ...]] = {}
    infos: list[TableInfo] = []
    for name in INSTANCE_TABLES:
        table = tables[name]
        infos.append(TableInfo(name, table["source"], table["as_of"]))
        for region, prices in table["prices"].items():
            bucket = instances.setdefault(region, {})
            for itype, price in prices.items():
                bucket[itype] = _dec(price)
        unpriced.update(table.get("unpriced", {}))
        families.update({fam: tuple(sizes) for fam, sizes in table["families"].items()})
    ebs: dict[str, dict[str, EbsPrice]] = {}
    infos.append(TableInfo("ebs", tables["ebs"]["source"], tables["ebs"]["as_of"]))
    for region, per_type in tables["ebs"]["prices"].items():
        ebs[region] = {
            vtype: EbsPrice(
                gb_month=_dec(p["gb_month"]),
                iops_month=_opt_dec(p.get("iops_month")),
                iops_included=int(p.get("iops_included", 0)),
                throughput_month=_opt_dec(p.get("throughput_mibps_month")),
                throughput_included=int(p.get("throughput_included_mibps", 0)),
            )
            for vtype, p in per_type.items()
        }
    s3 = tables["s3"]
    infos.append(TableInfo("s3", s3["source"], s3["as_of"]))
    return Catalog(
        regions=tuple(data["regions"]),
        hours_per_month=_dec(data["hours_per_month"]),
        instances=instances,
        unpriced=unpriced,
        families=families,
        ebs=ebs,
        s3_standard={region: _dec(p["standard_gb_month"]) for region, p in s3["prices"].items()},
        tables=tuple(infos),
    )


def load_catalog_json() -> dict[str, Any]:
    """The raw catalog document (tests read it to recompute figures independently)."""
    text = resources.files("runctl_iac").joinpath("data/prices.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def catalog() -> Catalog:
    """The shipped catalog, parsed once per process."""
    return parse_catalog(load_catalog_json())


def instance_hourly(region: str, instance_type: str) -> Decimal | None:
    return catalog().instance_hourly(region, instance_type)


def ebs_price(region: str, volume_type: str) -> EbsPrice | None:
    return catalog().ebs_price(region, volume_type)


def s3_standard_gb_month(region: str) -> Decimal | None:
    return catalog().s3_standard_gb_month(region)


# Spot instances are priced by one rule everywhere (plan, cost, status, job, gc): the live spot price
# when one was read, else on-demand less an assumed discount, else the spec's max price. The default
# discount is an assumption, not a published figure (spot savings vary by type, region and time;
# AWS quotes "up to 90%": https://aws.amazon.com/ec2/spot/pricing/); runctl.toml's spot_discount
# overrides it for plan and cost.
DEFAULT_SPOT_DISCOUNT = Decimal("0.60")


def instance_unit_price(
    region: str,
    instance_type: object,
    *,
    spot: bool,
    discount: Decimal | None = None,
    live: Mapping[str, Decimal] | None = None,
    max_price: Decimal | None = None,
) -> tuple[Decimal | None, str]:
    """($/hour of one instance or None, market label: "on-demand", "spot (estimate)", ...)."""
    on_demand = catalog().instance_hourly(region, instance_type) if isinstance(instance_type, str) else None
    if not spot:
        return on_demand, "on-demand"
    if isinstance(instance_type, str) and live and instance_type in live:
        return Decimal(live[instance_type]), "spot (live price)"
    if on_demand is not None:
        off = DEFAULT_SPOT_DISCOUNT if discount is None else Decimal(discount)
        return on_demand * (1 - off), "spot (estimate)"
    if max_price is not None:  # no catalog price: the max price pins what an instance-hour can cost
        return max_price, "spot (at its max price)"
    return None, "spot"
