"""Exact text of `runctl resources` and `runctl gc` output, from hand-made results (no AWS)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from runctl_iac.render.teardown import (
    render_gc_json,
    render_gc_text,
    render_resources_json,
    render_resources_text,
)
from runctl_iac.teardown.gc import Deletion, GcOptions, GcPlan, Kept, StackDestroy
from runctl_iac.teardown.model import GLOBAL_REGION, Kind, ManagedResource, PricedResource
from runctl_iac.teardown.service import ResourceList
from runctl_iac.teardown.sweep import GcResult, Outcome

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
TAGS = {
    "runctl:managed-by": "runctl",
    "runctl:project": "llama",
    "runctl:stack": "dev",
    "runctl:expires-at": "2026-11-27T10:00:00Z",
}
INSTANCE = ManagedResource(Kind.INSTANCE, "i-0abc", "us-east-1", TAGS, NOW - dt.timedelta(hours=3))
ROLE = ManagedResource(Kind.ROLE, "role.trainer-1", GLOBAL_REGION, {**TAGS, "runctl:stack": "ci"}, None)
KEPT = ManagedResource(
    Kind.BUCKET,
    "runctl-llama-dev-data",
    "us-east-1",
    {**TAGS, "runctl:retain": "true"},
    NOW - dt.timedelta(days=3),
)


def test_resources_text() -> None:
    listing = ResourceList(
        NOW,
        ("us-east-1",),
        [
            PricedResource(INSTANCE, Decimal("21.9576")),
            PricedResource(KEPT, Decimal(0)),
            PricedResource(ROLE, None),
        ],
    )
    assert render_resources_text(listing) == (
        "3 runctl-managed resources in us-east-1\n"
        "\n"
        "PROJECT  STACK  TYPE      ID                     REGION     AGE  EXPIRES (UTC)             RETAIN    $/HOUR\n"  # noqa: E501
        "llama    dev    instance  i-0abc                 us-east-1  3h   2026-11-27 10:00 EXPIRED          $21.9576\n"  # noqa: E501
        "llama    dev    bucket    runctl-llama-dev-data  us-east-1  3d   2026-11-27 10:00 EXPIRED  yes      $0.0000\n"  # noqa: E501
        "llama    ci     role      role.trainer-1         global     -    2026-11-27 10:00 EXPIRED                 ?\n"  # noqa: E501
        "\n"
        "Per stack:\n"
        "  llama/dev  $21.9576/h\n"
        "  llama/ci    $0.0000/h\n"
        "\n"
        "Total: $21.9576/h (catalog on-demand prices; ? = no catalog price)\n"
    )
    doc = json.loads(render_resources_json(listing))
    assert doc["resources"][0]["hourly_usd"] == "21.9576" and doc["resources"][2]["hourly_usd"] is None
    assert doc["resources"][0]["expired"] is True and doc["resources"][1]["retained"] is True
    assert render_resources_text(ResourceList(NOW, ("a", "b"))) == "No runctl-managed resources in a, b.\n"


def _plan() -> GcPlan:
    return GcPlan(
        now=NOW,
        options=GcOptions(),
        destroys=[StackDestroy("llama", "old", "expired: stack llama/old expired", (), 7)],
        deletions=[Deletion(ROLE, "orphan", Decimal(0)), Deletion(INSTANCE, "orphan", Decimal("21.9576"))],
        kept=[Kept("llama", "dev", KEPT.label, "retained (runctl:retain=true)", Decimal(0), KEPT)],
    )


def test_gc_dry_run_text() -> None:
    assert render_gc_text(_plan(), None, [], None) == (
        "runctl gc (dry run): would remove 3 item(s), saving $21.9576/h; nothing was deleted\n"
        "\n"
        "Would destroy through the engine:\n"
        "  llama/old  7 in state  $0.0000/h  expired: stack llama/old expired\n"
        "\n"
        "Would delete, in this order:\n"
        "  terminate  instance i-0abc (us-east-1)  llama/dev  $21.9576/h  orphan\n"
        "  delete     role role.trainer-1          llama/ci   $0.0000/h   orphan\n"
        "\n"
        "Kept:\n"
        "  llama/dev  bucket runctl-llama-dev-data (us-east-1)  retained (runctl:retain=true)\n"
        "\n"
        "Run again with --yes to remove them.\n"
    )


def test_gc_result_text_and_json() -> None:
    plan = _plan()
    result = GcResult(
        plan,
        [
            Outcome("llama", "dev", INSTANCE.label, "terminate", "ok", "orphan", Decimal("21.9576")),
            Outcome(
                "llama", "ci", ROLE.label, "delete", "failed", "orphan", Decimal(0), "DeleteConflict: in use"
            ),
        ],
    )
    text = render_gc_text(plan, result, [], ".runctl/audit.jsonl")
    assert text.startswith("runctl gc: removed 1 of 2, saving $21.9576/h; 1 failed\n\nActions:\n")
    assert "  delete     role role.trainer-1          llama/ci   failed  DeleteConflict: in use\n" in text
    assert text.endswith("Audit log: .runctl/audit.jsonl\n")
    doc = json.loads(render_gc_json(plan, result, [], ".runctl/audit.jsonl"))
    assert doc["dry_run"] is False and doc["hourly_usd_saved"] == "21.9576"
    assert [d["type"] for d in doc["delete"]] == ["instance", "role"]  # in deletion order
    assert doc["outcomes"][1]["error"] == "DeleteConflict: in use"


def test_gc_prices_a_spot_instance_as_plan_does_and_says_so() -> None:
    from runctl_iac.prices import instance_unit_price
    from runctl_iac.teardown.prices import hourly_usd

    spot = ManagedResource(
        Kind.INSTANCE, "i-0spot", "us-east-1", TAGS, NOW, details={"type": "g5.xlarge", "spot": True}
    )
    price = hourly_usd(spot)
    assert price == instance_unit_price("us-east-1", "g5.xlarge", spot=True)[0]  # the plan's rule
    on_demand = hourly_usd(
        ManagedResource(Kind.INSTANCE, "i-1", "us-east-1", TAGS, NOW, details={"type": "g5.xlarge"})
    )
    assert price is not None and on_demand is not None and price < on_demand
    plan = GcPlan(now=NOW, options=GcOptions(), deletions=[Deletion(spot, "orphan", price)])
    first = render_gc_text(plan, None, [], None).splitlines()[0]
    assert first == (
        f"runctl gc (dry run): would remove 1 item(s), saving ${price:.4f}/h"
        " (spot instances at the spot estimate, as in `runctl plan`); nothing was deleted"
    )
