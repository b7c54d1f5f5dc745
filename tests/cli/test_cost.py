"""`runctl cost`: exact figures from the catalog, formats, budget exit code."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from runctl_iac.prices import catalog
from tests.cli.plan_helpers import BASE_SPEC, SECRET_VALUE, invoke, validate_cost, write


def _expected() -> tuple[Decimal, Decimal, Decimal]:
    """(hourly, per run, monthly) by hand: g5.xlarge on demand + 100 GB gp3 root + 100 GB gp3 volume."""
    cat = catalog()
    on_demand = cat.instance_hourly("us-east-1", "g5.xlarge")
    gp3 = cat.ebs_price("us-east-1", "gp3")
    assert on_demand is not None and gp3 is not None
    monthly = on_demand * 730 + gp3.gb_month * 100 + gp3.gb_month * 100
    return monthly / 730, monthly * 2 / 730, monthly


def test_json_figures_exact(project: Path) -> None:
    run = invoke("cost", "spec.yaml", "-o", "json")
    assert run.code == 0, run.stderr
    doc = run.json()
    validate_cost(doc)
    hourly, per_run, monthly = _expected()
    six = Decimal("0.000001")  # plan.schema.json $defs/money: every amount to 6 places, half-up
    assert Decimal(doc["cost"]["hourly"]) == hourly.quantize(six, rounding=ROUND_HALF_UP)
    assert Decimal(doc["cost"]["per_run"]) == per_run.quantize(six, rounding=ROUND_HALF_UP)
    assert Decimal(doc["cost"]["monthly"]) == monthly.quantize(six, rounding=ROUND_HALF_UP)
    assert doc["cost"]["run_hours"] == "2"
    assert (doc["project"], doc["stack"], doc["kind"]) == ("demo", "dev", "cost")
    assert doc["findings"] == []


def test_text_and_markdown(project: Path) -> None:
    hourly, per_run, monthly = _expected()
    text = invoke("cost", "spec.yaml")
    assert text.code == 0
    assert text.stdout.startswith("runctl cost · project demo · stack dev\n")
    row = text.stdout.split("this plan", 1)[1].splitlines()[0].split()
    assert row == [f"${hourly:.4f}", f"${per_run:.2f}", f"${monthly:,.2f}"]
    md = invoke("cost", "spec.yaml", "-o", "markdown")
    assert md.code == 0
    assert md.stdout.startswith("<!-- runctl-cost: demo/dev -->\n")
    assert f"| this plan | ${hourly:.4f} | ${per_run:.2f} | ${monthly:,.2f} |" in md.stdout


def test_spot_is_marked_estimate(project: Path) -> None:
    write(project / "spot.yaml", BASE_SPEC.replace("disk_gb: 100", "disk_gb: 100\n    spot: true"))
    run = invoke("cost", "spot.yaml")
    assert run.code == 0
    assert "spot (estimate)" in run.stdout and " *\n" in run.stdout
    doc = invoke("cost", "spot.yaml", "-o", "json").json()
    assert [line["estimate"] for line in doc["cost"]["lines"] if line["kind"] == "instance"] == [True]


def test_over_budget_exits_1(project: Path) -> None:
    write(project / "spec.yaml", BASE_SPEC.replace("max_hourly_usd: 5", "max_hourly_usd: 0.5"))
    run = invoke("cost", "spec.yaml", "-o", "json")
    assert run.code == 1
    doc = run.json()
    validate_cost(doc)
    assert [f["code"] for f in doc["findings"]] == ["E0501"]


def test_unknown_instance_type_is_incomplete_not_a_crash(project: Path) -> None:
    no_budget = BASE_SPEC.replace("budget:\n  max_hourly_usd: 5\n", "")
    write(project / "odd.yaml", no_budget.replace("type: g5.xlarge", "type: zz9.huge"))
    run = invoke("cost", "odd.yaml")
    assert run.code == 0, run.stderr
    assert "! incomplete estimate" in run.stdout
    assert "warning[W0509]" in run.stdout


def test_budget_with_an_unknown_price_blocks(project: Path) -> None:
    write(project / "odd.yaml", BASE_SPEC.replace("type: g5.xlarge", "type: zz9.huge"))
    for command in ("cost", "plan"):
        run = invoke(command, "odd.yaml")
        assert run.code == 1, run.stdout
        assert "error[E0513] instances.gpu.type: no on-demand price for zz9.huge" in run.stdout


def test_secret_and_errors(project: Path) -> None:
    for fmt in ("text", "json", "markdown"):
        assert SECRET_VALUE not in invoke("cost", "spec.yaml", "-o", fmt).stdout
    missing = invoke("cost", "missing.yaml")
    assert missing.code == 1 and "E0101" in missing.stderr


def test_live_prices_feed_the_estimate(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runctl_iac.plan import live_prices

    seen = []

    def fake(graph: object, **_: object) -> dict[str, Decimal]:
        seen.append(graph)
        return {"g5.xlarge": Decimal("0.3456")}

    monkeypatch.setattr(live_prices, "fetch_graph_spot_prices", fake)
    write(project / "spot.yaml", BASE_SPEC.replace("disk_gb: 100", "disk_gb: 100\n    spot: true"))
    run = invoke("cost", "spot.yaml", "--live-prices", "-o", "json")
    assert run.code == 0, run.stderr
    line = next(x for x in run.json()["cost"]["lines"] if x["kind"] == "instance")
    assert Decimal(line["hourly"]) == Decimal("0.3456")
    assert "live price" in line["description"]
    assert len(seen) == 1
    plan = invoke("plan", "spot.yaml", "--live-prices", "-o", "json")
    assert plan.code == 0
    assert Decimal(
        next(x for x in plan.json()["cost"]["lines"] if x["kind"] == "instance")["hourly"]
    ) == Decimal("0.3456")


def test_live_prices_failure_is_a_diagnostic(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
    from runctl_iac.plan import live_prices

    def failing(graph: object, **_: object) -> dict[str, Decimal]:
        raise DiagnosticError(
            [Diagnostic(Severity.ERROR, "E0512", "no AWS credentials", hint="aws configure")]
        )

    monkeypatch.setattr(live_prices, "fetch_graph_spot_prices", failing)
    for command in ("cost", "plan"):
        run = invoke(command, "spec.yaml", "--live-prices")
        assert run.code == 1
        assert "error[E0512]" in run.stderr and "hint: aws configure" in run.stderr


def test_p5en_spec_in_us_east_1_is_priced_without_w0509(cli_env: Path) -> None:
    """Issue 7's acceptance check: the current H200 family has an on-demand price in the catalog."""
    spec = "version: 1\nname: h200\nregion: us-east-1\n"
    spec += "instances:\n  trainer: {type: p5en.48xlarge, disk_gb: 100}\n"
    write(cli_env / "spec.yaml", spec)
    run = invoke("cost", "spec.yaml", "-o", "json")
    assert run.code == 0, run.stderr
    doc = run.json()
    assert "W0509" not in run.stdout + run.stderr
    assert doc["findings"] == []
    gp3 = catalog().ebs_price("us-east-1", "gp3")
    assert gp3 is not None
    expected = Decimal("63.296") + gp3.gb_month * 100 / 730
    assert Decimal(doc["cost"]["hourly"]) == expected.quantize(Decimal("0.000001"))  # JSON money: 6 places
