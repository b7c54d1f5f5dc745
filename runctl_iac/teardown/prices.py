"""$/hour of a found resource, from the price catalog shipped with runctl (`runctl_iac/prices.py`).

Instances: by the rule `runctl plan` prices them (`runctl_iac.prices.instance_unit_price`): the
on-demand rate of their type in their region, a spot instance at the spot estimate (on-demand less
the assumed spot discount; its live price is not looked up).
Volumes: storage plus provisioned IOPS and throughput, per month over the
catalog's hours per month. Buckets, roles, groups and parameters cost nothing by
the hour (a bucket's storage depends on its content, which is not measured), so
they are `0`; a resource whose type or region the catalog does not know is `None`.
"""

from __future__ import annotations

from decimal import Decimal

from runctl_iac.plan.cost import ebs_monthly
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
        if resource.details.get("state") == "stopped":
            return Decimal(0)  # a stopped instance bills its volumes only, which are listed on their own
        spot = resource.details.get("spot") is True
        return instance_unit_price(resource.region, itype, spot=spot)[0]
    if resource.kind is Kind.VOLUME:
        vtype, size = resource.details.get("type"), resource.details.get("size_gb")
        price = cat.ebs_price(resource.region, vtype) if isinstance(vtype, str) else None
        if price is None or not isinstance(size, int):
            return None
        iops, throughput = resource.details.get("iops"), resource.details.get("throughput")
        month = ebs_monthly(
            price,
            size,
            iops if isinstance(iops, int) else None,
            throughput if isinstance(throughput, int) else None,
        )
        return month / cat.hours_per_month
    if resource.kind in (Kind.RUNPOD_POD, Kind.RUNPOD_VOLUME):
        hourly = resource.details.get("hourly_usd")  # a decimal string (teardown/runpod.py)
        return Decimal(hourly) if isinstance(hourly, str) else None
    if resource.kind in FREE:
        return Decimal(0)
    return None
