from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from runctl_iac.render.cost import cost_document
from runctl_iac.render.plan_json import load_schema, plan_document, render_plan_json
from tests.render.golden import check_golden
from tests.render.plan_fixtures import PLANS, SECRET_VALUE, mixed_plan

REPO = Path(__file__).resolve().parents[2]


def _validator() -> jsonschema.Draft202012Validator:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_golden_json_and_schema(name: str) -> None:
    text = render_plan_json(PLANS[name]())
    check_golden(f"{name}.json", text)
    _validator().validate(json.loads(text))


def test_schema_symlink_points_at_package_copy() -> None:
    link = REPO / "schemas" / "plan.schema.json"
    assert link.is_symlink()
    assert json.loads(link.read_text()) == load_schema()


def test_document_shape() -> None:
    doc = plan_document(mixed_plan())
    assert doc["format_version"] == 2
    assert doc["summary"] == {
        "create": 1,
        "update": 2,
        "replace": 1,
        "delete": 2,
        "unchanged": 2,
        "data_loss": 2,
    }
    assert [c["id"] for c in doc["changes"]][:3] == [
        "instance.trainer.1",
        "instance.trainer.0",
        "volume.data.trainer.0",
    ]
    assert all(c["action"] != "no-op" for c in doc["changes"])
    assert doc["blocked"] is True
    assert doc["cost"]["hourly"] == "11.4138"
    assert doc["cost"]["delta"]["hourly"] == str(Decimal("11.4138") - Decimal("5.7377"))
    assert doc["cost"]["lines"][3]["hourly"] is None
    assert doc["cost"]["incomplete"] is True


def test_secret_masked_in_json() -> None:
    text = render_plan_json(mixed_plan())
    assert SECRET_VALUE not in text
    secret = next(c for c in json.loads(text)["changes"] if c["id"] == "secret.HF_TOKEN")
    assert secret["properties"][0] == {
        "path": "value",
        "old": "(secret)",
        "new": "(secret)",
        "replaces": False,
        "secret": True,
    }


def test_schema_rejects_leaked_secret_and_float_money() -> None:
    validator = _validator()
    doc = plan_document(mixed_plan())
    leaked = json.loads(json.dumps(doc))
    next(c for c in leaked["changes"] if c["id"] == "secret.HF_TOKEN")["properties"][0]["new"] = "x"
    assert not validator.is_valid(leaked)
    floaty = json.loads(json.dumps(doc))
    floaty["cost"]["hourly"] = 11.41
    assert not validator.is_valid(floaty)


def test_cost_document_validates_against_defs() -> None:
    schema = load_schema()
    sub = {"$ref": "#/$defs/cost_document", "$defs": schema["$defs"]}
    doc = cost_document("llama", "dev", mixed_plan().cost)
    jsonschema.Draft202012Validator(sub).validate(doc)
    assert doc["cost"]["per_run"] == "91.31"
