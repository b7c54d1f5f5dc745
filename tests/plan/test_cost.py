"""Cost estimate: exact figures recomputed here from the catalog file, unknown prices, catalog coverage."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import pytest

from runctl_iac.diagnostics import Severity
from runctl_iac.plan.cost import DEFAULT_SPOT_DISCOUNT, cost_warnings, estimate_cost, round_usd
from runctl_iac.plan.model import CostEstimate, CostLine
from runctl_iac.spec.model import Spot
from tests.plan.cost_fixtures import ebs_raw, make_graph, make_spec, od_price, raw_catalog

H730 = Decimal(730)


def _line(est: CostEstimate, resource: str, kind: str) -> CostLine:
    matches = [line for line in est.lines if line.resource == resource and line.kind == kind]
    assert len(matches) == 1, est.lines
    return matches[0]


def _volume_month(size: int, vtype: str, iops: int | None = None, tput: int | None = None) -> Fraction:
    """Independent recomputation of one volume's $/month from the raw catalog, as an exact fraction."""
    p = ebs_raw(vtype)
    month = Fraction(p["gb_month"]) * size
    if iops and "iops_month" in p:
        month += Fraction(p["iops_month"]) * max(0, iops - p.get("iops_included", 0))
    if tput and "throughput_mibps_month" in p:
        month += Fraction(p["throughput_mibps_month"]) * max(0, tput - p["throughput_included_mibps"])
    return month


def _dec(value: Fraction) -> Decimal:
    """The exact value correctly rounded to Decimal's precision (what the model promises to hold)."""
    return Decimal(value.numerator) / Decimal(value.denominator)


def _od(itype: str, region: str = "us-east-1") -> Fraction:
    return Fraction(od_price(itype, region))


def test_spot_gpu_group_with_volumes_and_root_disks_exact() -> None:
    spec = make_spec()  # 2 × g5.12xlarge spot, 2 × 500 GB gp3 (6000 IOPS, 250 MiB/s), 1 × m6i.xlarge, 6 h
    est = estimate_cost(make_graph(spec), spec)

    trainer = 2 * _od("g5.12xlarge") * (1 - Fraction("0.60"))  # $/hour
    prep = _od("m6i.xlarge")
    trainer_root = 2 * _volume_month(200, "gp3")  # $/month
    prep_root = _volume_month(50, "gp3")
    volumes = 2 * _volume_month(500, "gp3", 6000, 250)
    hourly = trainer + prep + (trainer_root + prep_root + volumes) / 730

    assert _line(est, "instance.trainer", "instance").hourly_usd == _dec(trainer)
    assert _line(est, "instance.trainer", "instance").estimate is True
    assert (
        _line(est, "instance.trainer", "instance").description
        == "2 × g5.12xlarge spot (estimate), 4 × NVIDIA A10G each"
    )
    assert _line(est, "instance.prep", "instance").hourly_usd == _dec(prep)
    assert _line(est, "instance.prep", "instance").estimate is False
    assert _line(est, "instance.trainer", "root-disk").hourly_usd == _dec(trainer_root / 730)
    assert _line(est, "instance.prep", "root-disk").hourly_usd == _dec(prep_root / 730)
    assert _line(est, "volume.data.trainer", "volume").hourly_usd == _dec(volumes / 730)
    assert _line(est, "volume.data.trainer", "volume").description == (
        "2 × 500 GB gp3, 6000 IOPS, 250 MiB/s volume"
    )
    assert est.hourly_usd == _dec(hourly)
    assert est.run_hours == Decimal(6)
    assert est.per_run_usd == _dec(hourly * 6)
    assert est.monthly_usd == _dec(hourly * 730)
    assert est.incomplete is False
    assert est.region == "us-east-1"
    assert all(isinstance(line.hourly_usd, Decimal) for line in est.lines)


def test_figures_pinned_to_the_shipped_catalog() -> None:
    # By hand from the catalog (ec2_gpu/ec2_cpu us-east-1; ebs gp3 $0.08/GB, $0.005/IOPS, $0.04/MiB/s):
    # g5.12xlarge 5.672 × 0.4 × 2 = 4.5376; m6i.xlarge 0.192;
    # storage (2×200×0.08 + 50×0.08 + 2×(500×0.08 + 3000×0.005 + 125×0.04)) / 730 = 156 / 730.
    spec = make_spec()
    est = estimate_cost(make_graph(spec), spec)
    assert est.hourly_usd == Decimal("4.7296") + Decimal(156) / H730
    assert round_usd(est.hourly_usd) == Decimal("4.94")
    assert round_usd(est.per_run_usd or Decimal(0)) == Decimal("29.66")
    assert est.monthly_usd == Decimal("3608.608")


def test_spot_discount_override() -> None:
    spec = make_spec()
    est = estimate_cost(make_graph(spec), spec, spot_discount=Decimal("0.7"))
    assert _line(est, "instance.trainer", "instance").hourly_usd == 2 * od_price("g5.12xlarge") * Decimal(
        "0.3"
    )
    assert any("70%" in note for note in est.notes)


def test_spot_max_price_below_expected_warns_and_estimates_the_expected_price() -> None:
    spec = make_spec(spot=Spot(max_price_usd=Decimal("1.5")))
    est = estimate_cost(make_graph(spec, max_price="1.5"), spec)
    line = _line(est, "instance.trainer", "instance")
    expected = od_price("g5.12xlarge") * Decimal("0.4")  # 60 % off on-demand, above the 1.5 max price
    assert line.hourly_usd == 2 * expected
    assert line.description == "2 × g5.12xlarge spot (estimate), 4 × NVIDIA A10G each"
    (warning,) = [d for d in cost_warnings(est, spec) if d.code == "W0514"]
    assert warning.severity is Severity.WARNING and warning.path == "instances.trainer.spot.max_price_usd"
    assert "will probably not be fulfilled" in warning.message and "$1.5000/hour" in warning.message
    assert f"${expected.quantize(Decimal('0.0001'))}" in (warning.hint or "")
    high = make_spec(spot=Spot(max_price_usd=Decimal(5)))
    assert not [d for d in cost_warnings(estimate_cost(make_graph(high, max_price="5"), high), high)]


def test_spot_max_price_pins_an_unknown_price() -> None:
    spec = make_spec(trainer_type="zz9.huge", spot=Spot(max_price_usd=Decimal("2.5")))
    est = estimate_cost(make_graph(spec, max_price="2.5"), spec)
    line = _line(est, "instance.trainer", "instance")
    assert line.hourly_usd == Decimal(5) and line.description == "2 × zz9.huge spot (at its max price)"
    assert not est.incomplete and cost_warnings(est, spec) == []


def test_on_demand_group_is_not_an_estimate() -> None:
    spec = make_spec(spot=None, prep_count=0)
    est = estimate_cost(make_graph(spec), spec)
    line = _line(est, "instance.trainer", "instance")
    assert line.hourly_usd == 2 * od_price("g5.12xlarge")
    assert line.description == "2 × g5.12xlarge on-demand, 4 × NVIDIA A10G each"
    assert line.estimate is False
    assert not any("spot prices are estimates" in n for n in est.notes)


def test_live_prices_replace_the_assumed_discount() -> None:
    spec = make_spec()
    est = estimate_cost(make_graph(spec), spec, live_prices={"g5.12xlarge": Decimal("1.9")})
    line = _line(est, "instance.trainer", "instance")
    assert line.hourly_usd == Decimal("3.8")
    assert line.description == "2 × g5.12xlarge spot (live price), 4 × NVIDIA A10G each"
    assert line.estimate is True
    assert _line(est, "instance.prep", "instance").hourly_usd == od_price("m6i.xlarge")  # on-demand untouched


def test_run_hours_from_ttl_then_unknown() -> None:
    spec = make_spec(max_runtime_s=None, ttl_s=3 * 86400)
    est = estimate_cost(make_graph(spec), spec)
    assert est.run_hours == Decimal(72)
    assert est.per_run_usd == _dec(Fraction(est.monthly_usd) * 72 / 730)
    assert any("ttl" in n for n in est.notes)

    spec = make_spec(max_runtime_s=None)
    est = estimate_cost(make_graph(spec), spec)
    assert est.run_hours is None and est.per_run_usd is None
    assert est.hourly_usd == _dec(Fraction(est.monthly_usd) / 730)
    assert est.incomplete is False

    base = estimate_cost(make_graph(spec), None)  # a base graph read from a snapshot has no spec
    assert base.per_run_usd is None and base.hourly_usd == est.hourly_usd


def test_local_target_says_the_figures_are_aws_prices() -> None:
    spec = dataclasses.replace(make_spec(), target="local")
    est = estimate_cost(make_graph(spec), spec)
    assert any(n.startswith("target local") for n in est.notes)
    assert not any(n.startswith("target local") for n in estimate_cost(make_graph(spec), make_spec()).notes)


def test_max_runtime_of_90_minutes() -> None:
    spec = make_spec(max_runtime_s=5400)
    est = estimate_cost(make_graph(spec), spec)
    assert est.run_hours == Decimal("1.5")
    assert est.per_run_usd == _dec(Fraction(est.monthly_usd) * Fraction(3, 2) / 730)


def test_unknown_instance_type_is_a_warning_and_incomplete() -> None:
    spec = make_spec(trainer_type="g99.huge")
    est = estimate_cost(make_graph(spec), spec)
    line = _line(est, "instance.trainer", "instance")
    assert line.hourly_usd is None
    assert "price unknown" in line.description
    assert est.incomplete is True
    known = [x.hourly_usd for x in est.lines if x.hourly_usd is not None]
    assert est.hourly_usd == sum(known, Decimal(0))
    warnings = cost_warnings(est, spec)
    assert [(w.code, w.severity, w.path, w.file, w.line, w.column) for w in warnings] == [
        ("W0509", Severity.WARNING, "instances.trainer.type", "spec.yaml", 14, 11)
    ]
    assert "g99.huge" in warnings[0].message and "us-east-1" in warnings[0].message


def test_type_not_offered_in_region_and_unpriced_type() -> None:
    spec = make_spec(region="eu-west-1", trainer_type="g6e.xlarge")  # g6e is not offered in eu-west-1
    est = estimate_cost(make_graph(spec), spec)
    assert est.incomplete and _line(est, "instance.trainer", "instance").hourly_usd is None
    assert _line(est, "instance.prep", "instance").hourly_usd == od_price("m6i.xlarge", "eu-west-1")

    spec = make_spec(trainer_type="p5e.48xlarge", trainer_count=1, spot=None)
    est = estimate_cost(make_graph(spec), spec)
    (warning,) = cost_warnings(est, spec)
    assert "Capacity Blocks" in warning.message


def test_unknown_region_never_crashes() -> None:
    spec = make_spec(region="mars-north-1")
    est = estimate_cost(make_graph(spec), spec)
    assert est.incomplete is True
    assert all(line.hourly_usd is None for line in est.lines if line.kind != "bucket")
    assert est.hourly_usd == Decimal(0)
    (warning,) = cost_warnings(est, spec)
    assert (warning.code, warning.path, warning.line) == ("W0509", "region", 3)
    assert "mars-north-1" in warning.message and "us-east-1" in (warning.hint or "")


def test_bucket_is_usage_billed_with_its_rate() -> None:
    spec = make_spec()
    est = estimate_cost(make_graph(spec), spec)
    line = _line(est, "bucket.ckpt", "bucket")
    rate = raw_catalog()["tables"]["s3"]["prices"]["us-east-1"]["standard_gb_month"]
    assert line.hourly_usd == Decimal(0)
    assert f"${rate}/GB-month" in line.description
    assert any(f"${rate}/GB-month" in n and "not included" in n for n in est.notes)
    assert [x.resource for x in est.lines if x.kind == "bucket"] == ["bucket.ckpt"]  # not its sub-resources


@pytest.mark.parametrize(
    ("vtype", "iops", "tput"),
    [("io2", 10000, None), ("io1", 4000, None), ("gp2", None, None), ("st1", None, None), ("gp3", 3000, 125)],
)
def test_volume_types(vtype: str, iops: int | None, tput: int | None) -> None:
    spec = make_spec()
    graph = make_graph(spec, volume_props={"type": vtype, "iops": iops, "throughput": tput})
    est = estimate_cost(graph, spec)
    expected = _dec(2 * _volume_month(500, vtype, iops, tput) / 730)
    assert _line(est, "volume.data.trainer", "volume").hourly_usd == expected


def test_io2_charges_every_provisioned_iops_at_the_first_tier() -> None:
    p = ebs_raw("io2")
    assert _volume_month(500, "io2", 10000) == 500 * Fraction(p["gb_month"]) + 10000 * Fraction(
        p["iops_month"]
    )
    spec = make_spec()
    est = estimate_cost(
        make_graph(spec, volume_props={"type": "io2", "iops": 40000, "throughput": None}), spec
    )
    month = 2 * (500 * Fraction(p["gb_month"]) + 40000 * Fraction(p["iops_month"]))
    assert _line(est, "volume.data.trainer", "volume").hourly_usd == _dec(month / 730)


def test_rounding_half_up_to_cents() -> None:
    assert round_usd(Decimal("0.005")) == Decimal("0.01")
    assert round_usd(Decimal("2.675")) == Decimal("2.68")
    assert round_usd(Decimal("2.6749999")) == Decimal("2.67")


def test_invalid_spot_discount_is_rejected() -> None:
    spec = make_spec()
    with pytest.raises(ValueError):
        estimate_cost(make_graph(spec), spec, spot_discount=Decimal("1"))
    assert Decimal("0.60") == DEFAULT_SPOT_DISCOUNT


# ---- the catalog itself ----

GPU_FAMILIES = [
    *["g4dn", "g5", "g6", "g6e", "g6f", "gr6", "gr6f", "g7e", "p3", "p4d", "p4de", "p5", "p5e", "p5en"],
    *["p6-b200", "p6-b300", "trn1", "trn1n", "inf2"],
]
CPU_FAMILIES = ["t3", "m5", "m6i", "m7i", "c5", "c6i", "c7i", "r5", "r6i"]
REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1"]


def test_catalog_covers_every_size_of_every_gpu_family_in_us_east_1() -> None:
    gpu = raw_catalog()["tables"]["ec2_gpu"]
    assert sorted(gpu["families"]) == sorted(GPU_FAMILIES)
    for family, sizes in gpu["families"].items():
        assert sizes, family
        for size in sizes:
            itype = f"{family}.{size}"
            # p6-b300 is offered in us-west-2 only (of the catalog's regions); g7e in us-east-1/2 only
            offered = [r for r, prices in gpu["prices"].items() if itype in prices]
            assert offered or gpu["unpriced"].get(itype), itype
            if family not in ("p6-b300",):
                assert itype in gpu["prices"]["us-east-1"] or gpu["unpriced"].get(itype), itype
    # the published size lists (AWS instance type docs): a dropped size fails here
    assert gpu["families"]["g5"] == [
        "xlarge",
        "2xlarge",
        "4xlarge",
        "8xlarge",
        "12xlarge",
        "16xlarge",
        "24xlarge",
        "48xlarge",
    ]
    assert gpu["families"]["g4dn"][-1] == "metal" and len(gpu["families"]["g4dn"]) == 7
    assert gpu["families"]["p5"] == ["4xlarge", "48xlarge"]
    assert gpu["families"]["inf2"] == ["xlarge", "8xlarge", "24xlarge", "48xlarge"]


def test_catalog_tables_have_source_and_date_and_exact_prices() -> None:
    data = raw_catalog()
    assert data["regions"] == REGIONS
    for name, table in data["tables"].items():
        assert "not fetched live" in table["source"], name
        dt.date.fromisoformat(table["as_of"])
        assert sorted(table["prices"]) == sorted(REGIONS), name
    cpu = data["tables"]["ec2_cpu"]
    assert sorted(cpu["families"]) == sorted(CPU_FAMILIES)
    for table in ("ec2_gpu", "ec2_cpu"):
        families = data["tables"][table]["families"]
        for region, prices in data["tables"][table]["prices"].items():
            for itype, price in prices.items():
                assert isinstance(price, str) and Decimal(price) > 0, (region, itype)
                family, size = itype.split(".")
                assert size in families[family], itype  # nothing outside the declared families
    for family, sizes in cpu["families"].items():
        for size in sizes:
            assert all(f"{family}.{size}" in cpu["prices"][r] for r in REGIONS), (family, size)
    for region in REGIONS:
        ebs = data["tables"]["ebs"]["prices"][region]
        assert sorted(ebs) == ["gp2", "gp3", "io1", "io2", "sc1", "st1"]
        assert ebs["gp3"]["iops_included"] == 3000 and ebs["gp3"]["throughput_included_mibps"] == 125
        assert Decimal(ebs["io1"]["iops_month"]) > 0 and Decimal(ebs["io2"]["iops_month"]) > 0
        assert Decimal(data["tables"]["s3"]["prices"][region]["standard_gb_month"]) > 0
    assert any("io2" in s for s in data["tables"]["ebs"]["simplifications"])


def test_offline_modules_do_not_import_cloud_sdks() -> None:
    code = (
        "import sys\n"
        "import runctl_iac.plan.cost, runctl_iac.plan.policy, runctl_iac.plan.config\n"
        "import runctl_iac.prices, runctl_iac.plan.live_prices\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'pulumi', 'pulumi_aws')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("itype", "region", "price"),
    [
        ("p5en.48xlarge", "us-east-1", "63.296"),
        ("p5en.48xlarge", "ap-northeast-1", "79.12"),
        ("p6-b200.48xlarge", "us-west-2", "113.9328"),
        ("p6-b300.48xlarge", "us-west-2", "142.416"),
        ("trn1n.32xlarge", "us-east-2", "24.78"),
        ("g6f.large", "eu-central-1", "0.25261"),
        ("gr6.8xlarge", "us-east-1", "2.4464"),
        ("g7e.48xlarge", "us-east-2", "33.14432"),
    ],
)
def test_current_training_families_are_priced(itype: str, region: str, price: str) -> None:
    """Figures copied from skypilot-org/skypilot-catalog catalogs/v8/aws/vms.csv @ 00148f2a (the source)."""
    spec = make_spec(region=region, trainer_type=itype, trainer_count=1, spot=None)
    est = estimate_cost(make_graph(spec), spec)
    assert _line(est, "instance.trainer", "instance").hourly_usd == Decimal(price)
    assert [w.code for w in cost_warnings(est, spec) if w.path == "instances.trainer.type"] == []


def test_the_gpu_table_cites_a_repository_and_commit() -> None:
    source = raw_catalog()["tables"]["ec2_gpu"]["source"]
    assert "skypilot-org/skypilot-catalog" in source and "00148f2af3672e2229b4f7bf8157d5a3f36e3c35" in source


@pytest.mark.parametrize("itype", ["m5.metal", "m7i.metal-24xl", "c7i.metal-48xl", "r6i.metal"])
def test_bare_metal_sizes_are_known_and_priced(itype: str) -> None:
    """The CPU families list every size AWS offers (validate's E0312 trusts the list), metal included."""
    from runctl_iac.prices import catalog

    family, size = itype.split(".", 1)
    assert size in (catalog().family_sizes(family) or ())
    assert catalog().instance_hourly("us-east-1", itype) is not None
