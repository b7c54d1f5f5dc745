"""`--live-prices`: current spot prices from EC2 `DescribeSpotPriceHistory`.

Uses the user's own AWS credentials (the usual boto3 chain) and the spec's
region; boto3 is imported inside `fetch_spot_prices` so offline paths never load it.

Which figure per instance type: the latest price of each availability zone
(asked with `StartTime` = now, which returns the price in force in every zone),
for `Linux/UNIX`. When the plan pins the zone of a type (`zones`), that zone's
price is used; otherwise the highest of the zones' latest prices, so the
estimate does not understate what a launch in any zone of the region may cost.

Failures (no credentials, access denied, throttling, no connection) raise
`DiagnosticError` with E0512 and a hint, never a traceback. Messages carry the
AWS error code and text only, never credentials.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from runctl_iac.compiler.graph import Graph
from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity

PRODUCT = "Linux/UNIX"
THROTTLE_CODES = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
AUTH_CODES = {
    "AuthFailure",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
}


def _error(message: str, hint: str) -> DiagnosticError:
    return DiagnosticError(
        [Diagnostic(severity=Severity.ERROR, code="E0512", message=message, path="--live-prices", hint=hint)]
    )


def fetch_spot_prices(
    region: str,
    instance_types: Iterable[str],
    *,
    zones: Mapping[str, str] | None = None,
    endpoint_url: str | None = None,
    client: Any = None,
) -> dict[str, Decimal]:
    """{instance_type: current spot $/hour} for the given types in `region` (types with no price are absent).

    `zones` pins an instance type to the availability zone the plan uses. `endpoint_url`
    (e.g. a local emulator) and `client` (a ready boto3 EC2 client) are for tests and `target: local`.
    """
    types = sorted(set(instance_types))
    if not types:
        return {}
    try:
        import boto3
        import botocore.exceptions as bexc
        from botocore.config import Config
    except ImportError as exc:  # pragma: no cover - boto3 is a runtime dependency
        raise _error(
            f"boto3 is not installed ({exc})", "reinstall runctl-iac with its dependencies"
        ) from None

    try:
        if client is None:
            config = Config(
                retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=5, read_timeout=15
            )
            session = boto3.session.Session()  # fresh: reads the credentials in force now
            client = session.client("ec2", region_name=region, endpoint_url=endpoint_url, config=config)
        latest: dict[tuple[str, str], tuple[dt.datetime, Decimal]] = {}
        paginator = client.get_paginator("describe_spot_price_history")
        pages = paginator.paginate(
            InstanceTypes=types,
            ProductDescriptions=[PRODUCT],
            StartTime=dt.datetime.now(dt.UTC),
        )
        for page in pages:
            for item in page.get("SpotPriceHistory", []):
                _keep_latest(latest, item)
    except bexc.NoCredentialsError:
        raise _error(
            "no AWS credentials found for --live-prices",
            "configure credentials (aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), "
            "or drop --live-prices to use the catalog's spot estimate",
        ) from None
    except bexc.ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
        text = str(exc.response.get("Error", {}).get("Message", ""))
        if code in THROTTLE_CODES:
            hint = "AWS is throttling the requests; wait a little and retry, or drop --live-prices"
        elif code in AUTH_CODES:
            hint = (
                "the credentials were refused or lack ec2:DescribeSpotPriceHistory; "
                "check them or drop --live-prices"
            )
        else:
            hint = "drop --live-prices to use the catalog's spot estimate"
        raise _error(
            f"DescribeSpotPriceHistory failed in {region}: {code}: {text}".rstrip(": "), hint
        ) from None
    except bexc.BotoCoreError as exc:
        raise _error(
            f"DescribeSpotPriceHistory failed in {region}: {type(exc).__name__}",
            "check the network and the region name, or drop --live-prices",
        ) from None

    per_zone: dict[str, dict[str, Decimal]] = {}
    for (itype, zone), (_, price) in latest.items():
        per_zone.setdefault(itype, {})[zone] = price
    out: dict[str, Decimal] = {}
    for itype, prices in per_zone.items():
        pinned = (zones or {}).get(itype)
        out[itype] = prices[pinned] if pinned in prices else max(prices.values())
    return out


def _keep_latest(latest: dict[tuple[str, str], tuple[dt.datetime, Decimal]], item: Mapping[str, Any]) -> None:
    itype, zone = item.get("InstanceType"), item.get("AvailabilityZone")
    if not isinstance(itype, str) or not isinstance(zone, str):
        return
    try:
        price = Decimal(str(item.get("SpotPrice")))
    except InvalidOperation:
        return
    stamp = item.get("Timestamp")
    if not isinstance(stamp, dt.datetime):
        stamp = dt.datetime.min.replace(tzinfo=dt.UTC)
    elif stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    key = (itype, zone)
    if key not in latest or stamp >= latest[key][0]:
        latest[key] = (stamp, price)


def spot_groups(graph: Graph) -> tuple[list[str], dict[str, str]]:
    """(spot instance types, {type: pinned zone}) of a Graph, to feed `fetch_spot_prices`."""
    types: set[str] = set()
    zones: dict[str, str] = {}
    for res in graph.resources.values():
        if res.type != "aws:ec2/instance:Instance":
            continue
        props = res.properties
        market = props.get("instance_market_options")
        itype = props.get("instance_type")
        if isinstance(market, Mapping) and market.get("market_type") == "spot" and isinstance(itype, str):
            types.add(itype)
            zone = props.get("availability_zone")
            if isinstance(zone, str):
                zones[itype] = zone
    return sorted(types), zones


def fetch_graph_spot_prices(
    graph: Graph, *, endpoint_url: str | None = None, client: Any = None
) -> dict[str, Decimal]:
    """Live spot prices for the spot instance types of `graph`, in its region ({} when it has none)."""
    types, zones = spot_groups(graph)
    return fetch_spot_prices(graph.region, types, zones=zones, endpoint_url=endpoint_url, client=client)
