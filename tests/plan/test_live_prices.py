"""`--live-prices`: DescribeSpotPriceHistory against a local moto server, zone choice, and failures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.plan.cost import estimate_cost
from runctl_iac.plan.live_prices import fetch_graph_spot_prices, fetch_spot_prices, spot_groups
from tests.conftest import free_port
from tests.plan.cost_fixtures import make_graph, make_spec

MOTO_SPOT_PRICE = Decimal("0.00001")  # moto answers every offering with this synthetic price


@pytest.mark.usefixtures("fake_aws_credentials")
def test_reads_spot_prices_from_the_server(moto_server: str) -> None:
    prices = fetch_spot_prices("us-east-1", ["g5.12xlarge", "m6i.xlarge"], endpoint_url=moto_server)
    assert prices == {"g5.12xlarge": MOTO_SPOT_PRICE, "m6i.xlarge": MOTO_SPOT_PRICE}
    assert all(isinstance(p, Decimal) for p in prices.values())
    assert fetch_spot_prices("us-east-1", ["g99.huge"], endpoint_url=moto_server) == {}
    assert fetch_spot_prices("us-east-1", [], endpoint_url=moto_server) == {}


@pytest.mark.usefixtures("fake_aws_credentials")
def test_the_estimate_uses_the_live_prices(moto_server: str) -> None:
    spec = make_spec()
    graph = make_graph(spec)
    assert spot_groups(graph) == (["g5.12xlarge"], {"g5.12xlarge": "us-east-1a"})  # on-demand prep left out
    live = fetch_graph_spot_prices(graph, endpoint_url=moto_server)
    assert live == {"g5.12xlarge": MOTO_SPOT_PRICE}
    est = estimate_cost(graph, spec, live_prices=live)
    (trainer,) = [x for x in est.lines if x.resource == "instance.trainer" and x.kind == "instance"]
    assert trainer.hourly_usd == 2 * MOTO_SPOT_PRICE
    assert trainer.description == "2 × g5.12xlarge spot (live price), 4 × NVIDIA A10G each"
    assert any("DescribeSpotPriceHistory" in n for n in est.notes)


class _FakePaginator:
    def __init__(self, pages: list[dict[str, Any]], error: Exception | None) -> None:
        self.pages, self.error = pages, error
        self.kwargs: dict[str, Any] = {}

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.kwargs = kwargs
        if self.error is not None:
            raise self.error
        yield from self.pages


class _FakeClient:
    def __init__(self, pages: list[dict[str, Any]], error: Exception | None = None) -> None:
        self.paginator = _FakePaginator(pages, error)

    def get_paginator(self, name: str) -> _FakePaginator:
        assert name == "describe_spot_price_history"
        return self.paginator


def _item(itype: str, zone: str, price: str, minute: int) -> dict[str, Any]:
    stamp = dt.datetime(2026, 11, 21, 12, minute, tzinfo=dt.UTC)
    return {"InstanceType": itype, "AvailabilityZone": zone, "SpotPrice": price, "Timestamp": stamp}


def test_latest_price_per_zone_then_pinned_zone_or_the_highest() -> None:
    pages = [
        {
            "SpotPriceHistory": [
                _item("g5.xlarge", "us-east-1a", "0.50", 1),
                _item("g5.xlarge", "us-east-1a", "0.40", 5),
            ]
        },
        {
            "SpotPriceHistory": [
                _item("g5.xlarge", "us-east-1b", "0.45", 3),
                _item("g5.xlarge", "us-east-1b", "0.90", 0),
            ]
        },
    ]
    client = _FakeClient(pages)
    # latest: 1a -> 0.40 (minute 5), 1b -> 0.45 (minute 3); unpinned: the highest of the two
    assert fetch_spot_prices("us-east-1", ["g5.xlarge"], client=client) == {"g5.xlarge": Decimal("0.45")}
    kwargs = client.paginator.kwargs
    assert kwargs["InstanceTypes"] == ["g5.xlarge"] and kwargs["ProductDescriptions"] == ["Linux/UNIX"]
    assert isinstance(kwargs["StartTime"], dt.datetime)
    pinned = fetch_spot_prices(
        "us-east-1", ["g5.xlarge"], zones={"g5.xlarge": "us-east-1a"}, client=_FakeClient(pages)
    )
    assert pinned == {"g5.xlarge": Decimal("0.40")}


def _client_error(code: str, message: str) -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message}}, "DescribeSpotPriceHistory")


@pytest.mark.parametrize(
    ("code", "hint_word"),
    [("RequestLimitExceeded", "throttling"), ("UnauthorizedOperation", "ec2:DescribeSpotPriceHistory")],
)
def test_aws_errors_become_diagnostics(code: str, hint_word: str) -> None:
    client = _FakeClient([], _client_error(code, "Request limit exceeded."))
    with pytest.raises(DiagnosticError) as info:
        fetch_spot_prices("us-east-1", ["g5.xlarge"], client=client)
    (d,) = info.value.diagnostics
    assert d.code == "E0512" and d.is_error and code in d.message
    assert hint_word in (d.hint or "")


@pytest.mark.usefixtures("no_aws_credentials")
def test_no_credentials_is_a_diagnostic_with_a_hint(moto_server: str) -> None:
    with pytest.raises(DiagnosticError) as info:
        fetch_spot_prices("us-east-1", ["g5.xlarge"], endpoint_url=moto_server)
    (d,) = info.value.diagnostics
    assert d.code == "E0512" and "credentials" in d.message
    assert "aws configure" in (d.hint or "")


@pytest.mark.usefixtures("fake_aws_credentials")
def test_unreachable_endpoint_is_a_diagnostic() -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(DiagnosticError) as info:
        fetch_spot_prices("us-east-1", ["g5.xlarge"], endpoint_url=closed)
    (d,) = info.value.diagnostics
    assert d.code == "E0512" and "network" in (d.hint or "")
    assert "testing" not in d.message  # never the credentials
