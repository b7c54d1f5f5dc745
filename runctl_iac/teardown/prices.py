"""$/hour of a found resource, from the price catalog shipped with runctl (`runctl_iac/prices.py`).

Instances: by the rule `runctl plan` prices them (`runctl_iac.prices.instance_unit_price`): the
on-demand rate of their type in their region, a spot instance at the spot estimate (on-demand less
the assumed spot discount; its live price is not looked up).
Volumes: storage plus provisioned IOPS and throughput, per month over the
catalog's hours per month (`runctl_iac.plan.cost.disk_monthly`, the one EBS rule; prices from the
catalog's `ebs` table, whose source and date `runctl_iac/data/prices.json` names). A stopped
instance costs nothing by the hour but keeps billing its EBS volumes (root disk and data volumes):
`stopped_monthly_usd` is that $/month, from the volumes discovery found attached to it.
Buckets, roles, groups and parameters cost nothing by the hour (a bucket's storage depends on its
content, which is not measured), so they are `0`; a resource whose type or region the catalog
does not know is `None`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from runctl_iac.plan.cost import disk_monthly, total_usd
from runctl_iac.prices import catalog, instance_unit_price
from runctl_iac.teardown.model import Kind, ManagedResource

FREE = (
    Kind.SECURITY_GROUP,
    Kind.PLACEMENT_GROUP,
    Kind.ROLE,
    Kind.INSTANCE_PROFILE,
    Kind.PARAMETER,
    Kind.BUCKET,
)


def is_spot(resource: ManagedResource) -> bool:
    """A spot instance (priced at the spot estimate: say so where its price is shown)."""
    return resource.kind is Kind.INSTANCE and resource.details.get("spot") is True


def hourly_usd(resource: ManagedResource) -> Decimal | None:
    cat = catalog()
    if resource.kind is Kind.INSTANCE:
        itype = resource.details.get("type")
        if resource.stopped:
            return Decimal(0)  # a stopped instance bills its volumes only, which are listed on their own
        spot = resource.details.get("spot") is True
        return instance_unit_price(resource.region, itype, spot=spot)[0]
    if resource.kind is Kind.VOLUME:
        month = _volume_monthly(resource.region, resource.details)
        return None if month is None else month / cat.hours_per_month
    if resource.kind in (Kind.RUNPOD_POD, Kind.RUNPOD_VOLUME):
        hourly = resource.details.get("hourly_usd")  # a decimal string (teardown/runpod.py)
        return Decimal(hourly) if isinstance(hourly, str) else None
    if resource.kind in FREE:
        return Decimal(0)
    return None


def _volume_monthly(region: str, details: Mapping[str, Any]) -> Decimal | None:
    return disk_monthly(
        region, details.get("size_gb"), details.get("type"), details.get("iops"), details.get("throughput")
    )


def stopped_monthly_usd(resource: ManagedResource) -> Decimal | None:
    """What a stopped instance still costs a month: its attached EBS volumes (None: not a stopped
    instance, or a volume the catalog cannot price)."""
    if not resource.stopped:
        return None
    volumes = resource.details.get("volumes")
    if not isinstance(volumes, (list, tuple)):
        return None  # discovery did not look
    return total_usd(_volume_monthly(resource.region, v) for v in volumes if isinstance(v, Mapping))
