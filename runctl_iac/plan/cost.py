"""Cost estimate of a Graph from the shipped price catalog.

Reads the Graph (one IR, many consumers): instances (`aws:ec2/instance:Instance`,
grouped by instance group), their root disks, EBS volumes and S3 buckets.

- On-demand instances: catalog $/hour × count.
- Spot instances: the live spot price when `live_prices` has one, otherwise
  on-demand × (1 − spot discount), `DEFAULT_SPOT_DISCOUNT` (60 % off) unless the
  project config says otherwise. A max price below that expected price does not
  lower the estimate: such a request is probably not fulfilled (W0514 says so).
  With no price at all, a max price pins the price (an instance-hour costs at
  most that). Always marked `estimate=True`: spot prices move.
- EBS (root disks and volumes): $/GB-month × size, plus gp3 IOPS / throughput
  above the included baseline and io1/io2 provisioned IOPS, ÷ 730 h.
- S3: billed by usage, which the spec does not know: a line with hourly 0 and
  the $/GB-month rate in its description and in the notes.
- Run hours: `training.max_runtime`, else `ttl`, else unknown (no per-run figure).
  Per run = hourly × run hours (instances of every node and the storage for
  that time). Monthly = hourly × 730.
- Unknown instance type or region: the line's hourly is None, the estimate is
  `incomplete`, and `cost_warnings` reports W0509, or E0513 when the spec has a
  budget (fail closed: a budget is only checked against a complete estimate).
  Never an exception.

Money is `Decimal` throughout. Catalog prices, counts, sizes and spot discounts
multiply exactly; the one inexact step, ÷ 730 h (and ÷ 3600 s for a run), is
done once on the exact monthly sum, so every figure in the model is the exact
value correctly rounded to Decimal's 28 significant digits (monthly is exact).
Rounding to cents is for display and budget comparison only: `round_usd`,
ROUND_HALF_UP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from runctl_iac.compiler.graph import Graph, Resource
from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.plan.autostop import autostop_summary
from runctl_iac.plan.model import CostEstimate, CostKind, CostLine
from runctl_iac.plan.runpod_cost import has_runpod, runpod_catalog, runpod_lines, sources_note
from runctl_iac.prices import DEFAULT_SPOT_DISCOUNT, EbsPrice, catalog, instance_unit_price
from runctl_iac.spec.instance_types import suggest_instance_type
from runctl_iac.spec.model import PathT, Spec

HOURS_PER_MONTH = Decimal(730)
SECONDS_PER_HOUR = Decimal(3600)
CENT = Decimal("0.01")

INSTANCE = "aws:ec2/instance:Instance"
VOLUME = "aws:ebs/volume:Volume"
BUCKET = "aws:s3/bucket:Bucket"


def round_usd(value: Decimal) -> Decimal:
    """Round to cents, half up: how every figure is shown and compared with a budget."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def total_usd(values: Iterable[Decimal | None]) -> Decimal | None:
    """The sum, or None when any figure is unknown (a partial sum would understate the cost)."""
    found = list(values)
    return None if any(v is None for v in found) else sum((v for v in found if v is not None), Decimal(0))


def format_usd(value: Decimal | None) -> str:
    """`$1,234.57`, or `unknown` for None."""
    return "unknown" if value is None else f"${round_usd(value):,}"


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def run_seconds(spec: Spec | None) -> tuple[int | None, str | None]:
    """(seconds, where they come from): training.max_runtime, else ttl, else (None, None)."""
    if spec is None:
        return None, None
    if spec.training is not None and spec.training.max_runtime is not None:
        return spec.training.max_runtime.seconds, f"training.max_runtime {spec.training.max_runtime.text}"
    if spec.ttl is not None:
        return spec.ttl.seconds, f"ttl {spec.ttl.text}"
    return None, None


def _group_label(res: Resource) -> str:
    """`instance.trainer.1` -> `instance.trainer`; `volume.data.trainer.0` -> `volume.data.trainer`."""
    head, _, last = res.id.rpartition(".")
    return head if head and last.isdigit() else res.id


def _groups(graph: Graph, rtype: str) -> dict[str, list[Resource]]:
    groups: dict[str, list[Resource]] = {}
    for rid in sorted(graph.resources):
        res = graph.resources[rid]
        if res.type == rtype:
            groups.setdefault(_group_label(res), []).append(res)
    return groups


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def ebs_monthly(price: EbsPrice, size_gb: int, iops: int | None, throughput: int | None) -> Decimal:
    """$/month of one volume: storage, plus IOPS and throughput above what the type includes."""
    month = price.gb_month * size_gb
    if price.iops_month is not None and iops:
        month += price.iops_month * max(0, iops - price.iops_included)
    if price.throughput_month is not None and throughput:
        month += price.throughput_month * max(0, throughput - price.throughput_included)
    return month


def _disk_args(props: Mapping[str, Any], size_key: str, type_key: str) -> tuple[Any, Any, Any, Any]:
    """(size, type, iops, throughput) of a root block device or a volume; the type defaults to gp3."""
    return props.get(size_key), props.get(type_key, "gp3"), props.get("iops"), props.get("throughput")


def disk_monthly(region: str, size: Any, vtype: Any, iops: Any, throughput: Any) -> Decimal | None:
    """$/month of one EBS disk (root disk or volume) from the price catalog's `ebs` table: the one EBS
    rule of plan, cost, `runctl job`, `status` and `resources` (a stopped instance bills only these).
    None: the catalog has no price for the type in the region, or the size is unknown."""
    price = catalog().ebs_price(region, vtype) if isinstance(vtype, str) else None
    size_gb = _int(size)
    if price is None or size_gb is None:
        return None
    return ebs_monthly(price, size_gb, _int(iops), _int(throughput))


def _disk_text(size: Any, vtype: Any, iops: Any, throughput: Any) -> str:
    text = f"{size} GB {vtype}"
    if _int(iops):
        text += f", {iops} IOPS"
    if _int(throughput):
        text += f", {throughput} MiB/s"
    return text


def _spot_max_price(props: Mapping[str, Any]) -> Decimal | None:
    market = props.get("instance_market_options")
    if not isinstance(market, Mapping):
        return None
    raw = (market.get("spot_options") or {}).get("max_price")
    try:
        return None if raw is None else Decimal(str(raw))
    except ArithmeticError:
        return None


def _accelerator_text(itype: Any) -> str:
    """`, 4 × NVIDIA A10G each` for a type with accelerators (runctl_iac/data/accelerators.json)."""
    from runctl_iac.accelerators import lookup

    accel = lookup(itype) if isinstance(itype, str) else None
    return "" if accel is None else f", {accel.describe()} each"


def _is_spot(props: Mapping[str, Any]) -> bool:
    market = props.get("instance_market_options")
    return isinstance(market, Mapping) and market.get("market_type") == "spot"


class _Estimator:
    def __init__(self, region: str, discount: Decimal, live: Mapping[str, Decimal]) -> None:
        self.region = region
        self.discount = discount
        self.live = live
        self.used_estimate = False
        self.used_live = False

    def instance_unit(self, itype: Any, props: Mapping[str, Any]) -> tuple[Decimal | None, str]:
        """(per-instance $/hour or None, market text): `runctl_iac.prices.instance_unit_price`."""
        unit, market = instance_unit_price(
            self.region,
            itype,
            spot=_is_spot(props),
            discount=self.discount,
            live=self.live,
            max_price=_spot_max_price(props),
        )
        self.used_live = self.used_live or market == "spot (live price)"
        self.used_estimate = self.used_estimate or market == "spot (estimate)"
        return unit, market


def estimate_cost(
    graph: Graph,
    spec: Spec | None,
    *,
    spot_discount: Decimal | None = None,
    live_prices: Mapping[str, Decimal] | None = None,
    run: tuple[int | None, str | None] | None = None,
) -> CostEstimate:
    """Estimate what `graph` costs while running, per run and per month (see the module doc).

    `spec` supplies the run hours (None, e.g. for a base read from a snapshot: no per-run figure).
    `run`: (seconds, where they come from) instead of the spec's run length (`run_seconds`).
    `spot_discount` is the assumed fraction off on-demand for spot (0 ≤ d < 1; default 0.60).
    `live_prices` maps instance type -> current spot $/hour (from `live_prices.fetch_spot_prices`).
    """
    discount = DEFAULT_SPOT_DISCOUNT if spot_discount is None else Decimal(spot_discount)
    if not Decimal(0) <= discount < Decimal(1):
        raise ValueError(f"spot discount must be at least 0 and below 1, not {discount}")
    region = graph.region
    cat = catalog()
    est = _Estimator(region, discount, live_prices or {})
    lines: list[CostLine] = []
    monthly: list[Decimal | None] = []  # exact $/month of each line, to sum before any division

    def add(line: CostLine, month: Decimal | None) -> None:
        lines.append(line)
        monthly.append(month)

    def add_monthly(resource: str, kind: CostKind, description: str, month: Decimal | None) -> None:
        """A line billed by the month (disks, buckets): its $/hour is the month's share."""
        hourly = None if month is None else month / HOURS_PER_MONTH
        add(CostLine(resource=resource, kind=kind, description=description, hourly_usd=hourly), month)

    for label, members in _groups(graph, INSTANCE).items():
        props = members[0].properties
        itype = props.get("instance_type")
        count = len(members)
        unit, market = est.instance_unit(itype, props)
        hourly = None if unit is None else unit * count
        add(
            CostLine(
                resource=label,
                kind="instance",
                description=f"{count} × {itype} {market}"
                + ("" if unit is not None else " (price unknown)")
                + _accelerator_text(itype),
                hourly_usd=hourly,
                estimate=market.startswith("spot"),
            ),
            None if hourly is None else hourly * HOURS_PER_MONTH,
        )
        root = props.get("root_block_device")
        if isinstance(root, Mapping):
            args = _disk_args(root, "volume_size", "volume_type")
            per_disk = disk_monthly(region, *args)
            month = None if per_disk is None else per_disk * count
            add_monthly(label, "root-disk", f"{count} × {_disk_text(*args)} root disk", month)

    for label, members in _groups(graph, VOLUME).items():
        args = _disk_args(members[0].properties, "size", "type")
        total: Decimal | None = Decimal(0)
        for member in members:
            one = disk_monthly(region, *_disk_args(member.properties, "size", "type"))
            total = None if one is None or total is None else total + one
        add_monthly(label, "volume", f"{len(members)} × {_disk_text(*args)} volume", total)

    for line, month in runpod_lines(graph):
        add(line, month)

    s3_rate = cat.s3_standard_gb_month(region)
    rate_text = "rate unknown" if s3_rate is None else f"${_plain(s3_rate)}/GB-month"
    for rid in sorted(graph.resources):
        if graph.resources[rid].type == BUCKET:
            add_monthly(rid, "bucket", f"S3 Standard, billed by usage ({rate_text})", Decimal(0))

    incomplete = any(m is None for m in monthly) or not cat.has_region(region)
    monthly_total = sum((m for m in monthly if m is not None), Decimal(0))
    run_divisor = HOURS_PER_MONTH * SECONDS_PER_HOUR
    seconds, hours_from = run if run is not None else run_seconds(spec)
    notes: list[str] = []
    if spec is not None and spec.target == "local":
        notes.append("target local: a local emulator, free to run; these are the figures on AWS")
    if not cat.has_region(region):
        notes.append(f"no prices for region {region} in the catalog: the estimate is incomplete")
    elif incomplete:
        notes.append("some prices are unknown: the estimate is incomplete (see the warnings)")
    if est.used_estimate:
        notes.append(
            f"spot prices are estimates: on-demand less an assumed {_plain(discount * 100)}% discount "
            "(spot_discount in runctl.toml; --live-prices reads current spot prices)"
        )
    if est.used_live:
        notes.append("spot prices from DescribeSpotPriceHistory (Linux/UNIX), read now; they change")
    notes.append(
        f"per run: {hours_from}" if hours_from else "per run: unknown (set training.max_runtime or ttl)"
    )
    stops = autostop_summary(spec) if spec is not None else None
    if stops is not None:
        notes.append(f"on the nodes: {stops}")
    notes.append(f"per month: if left running {_plain(HOURS_PER_MONTH)} h")
    if any(line.kind == "bucket" for line in lines):
        notes.append(f"S3 storage is billed by usage and not included: S3 Standard {rate_text} in {region}")
    notes.append(f"catalog prices, not live: {cat.sources_note()}")
    if has_runpod(graph):
        notes.append(sources_note())
    return CostEstimate(
        region=region,
        lines=tuple(lines),
        hourly_usd=monthly_total / HOURS_PER_MONTH,
        run_hours=None if seconds is None else Decimal(seconds) / SECONDS_PER_HOUR,
        per_run_usd=None if seconds is None else monthly_total * seconds / run_divisor,
        monthly_usd=monthly_total,
        incomplete=incomplete,
        notes=tuple(notes),
    )


PIN_HINT = "or pin the price: with `spot: {max_price_usd: N}` the budget counts N per instance-hour"


def _diag(spec: Spec, path: PathT, message: str, hint: str | None = None) -> Diagnostic:
    return spec.source.diagnostic(Severity.WARNING, "W0509", message, path, hint)


def _unknown(spec: Spec, path: PathT, message: str, hint: str | None = None) -> Diagnostic:
    """W0509 for an unknown price; E0513 when the spec has a budget, which then cannot be checked."""
    budget = spec.budget
    if budget.max_hourly_usd is None and budget.max_run_usd is None:
        return _diag(spec, path, message + "; the cost estimate leaves it out", hint)
    return spec.source.diagnostic(
        Severity.ERROR,
        "E0513",
        message + "; the spec has a budget, which cannot be checked without it: the plan is blocked",
        path,
        hint,
    )


def _usd4(value: Decimal) -> str:
    return f"${value.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP)}"


def spot_price_warnings(estimate: CostEstimate, spec: Spec) -> list[Diagnostic]:
    """W0514 for every spot group whose max price is below the price it is expected to pay."""
    out: list[Diagnostic] = []
    for line in estimate.lines:
        parts = line.resource.split(".")
        if line.kind != "instance" or line.hourly_usd is None or len(parts) < 2:
            continue
        group = spec.instances.get(parts[1])
        if group is None or group.spot is None or group.spot.max_price_usd is None:
            continue
        cap = group.spot.max_price_usd
        if cap * group.count < line.hourly_usd:
            expected = line.hourly_usd / group.count
            out.append(
                spec.source.diagnostic(
                    Severity.WARNING,
                    "W0514",
                    f"max price {_usd4(cap)}/hour is below the expected spot price of {_usd4(expected)}/hour "
                    f"for {group.type}: the spot request will probably not be fulfilled; "
                    "the estimate uses the expected price",
                    ("instances", group.name, "spot", "max_price_usd"),
                    f"raise max_price_usd to at least {_usd4(expected)}, or use `spot: true` "
                    "(pay at most the on-demand price)",
                )
            )
    return out


def cost_warnings(estimate: CostEstimate, spec: Spec) -> list[Diagnostic]:
    """W0509 (E0513 with a budget) for every price the estimate could not find, and W0514 for spot
    max prices below the expected price, at the spec line responsible."""
    cat = catalog()
    region = estimate.region
    if not cat.has_region(region):
        return [
            _unknown(
                spec,
                ("region",),
                f"no prices for region {region} in the catalog",
                "the catalog covers " + ", ".join(cat.regions),
            )
        ]
    out: list[Diagnostic] = []
    for line in estimate.lines:
        if line.hourly_usd is not None:
            continue
        parts = line.resource.split(".")
        if line.kind == "instance" and len(parts) >= 2 and parts[1] in spec.instances:
            group = spec.instances[parts[1]]
            reason = cat.unpriced_reason(group.type)
            close = suggest_instance_type(group.type) if reason is None else None
            fix = f"fix the type (did you mean {close}?)" if close else "check the instance type and region"
            live = "; for spot groups --live-prices reads current prices" if group.spot is not None else ""
            out.append(
                _unknown(
                    spec,
                    ("instances", parts[1], "type"),
                    f"no on-demand price for {group.type} in {region} in the catalog"
                    + (f" ({reason})" if reason else ""),
                    f"{fix}, {PIN_HINT}{live}",
                )
            )
        elif line.kind == "root-disk" and len(parts) >= 2:
            out.append(_unknown(spec, ("instances", parts[1], "disk_gb"), f"no price for {line.description}"))
        elif line.kind == "instance" and len(parts) >= 2 and parts[1] in spec.runpod_groups:
            gpu = spec.runpod_groups[parts[1]].gpu
            known = ", ".join(sorted(runpod_catalog().gpus))
            out.append(
                _unknown(
                    spec,
                    ("instances", parts[1], "gpu"),
                    f"no RunPod price for GPU type {gpu} in the catalog",
                    f"check the GPU id (the catalog knows: {known})",
                )
            )
        elif line.kind == "volume" and len(parts) >= 2:
            out.append(_unknown(spec, ("volumes", parts[1], "type"), f"no price for {line.description}"))
    return [*out, *spot_price_warnings(estimate, spec)]
