"""Shared pieces of the plan / diff / cost command tests: fixture specs and an invoker."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from typer.testing import CliRunner

from runctl_iac.cli import app
from runctl_iac.render.plan_json import load_schema

SECRET_VALUE = "hf_TOPSECRET_9f8e7d6c5b4a"

# One spot-free GPU node, a data volume and a bucket; a secret; a budget that passes.
BASE_SPEC = """\
version: 1
name: demo
region: us-east-1
ttl: 4h
budget:
  max_hourly_usd: 5
buckets:
  results: {}
volumes:
  data:
    size_gb: 100
    type: gp3
instances:
  gpu:
    type: g5.xlarge
    disk_gb: 100
    volumes:
      data: /data
training:
  group: gpu
  run: python train.py
  secrets: [HF_TOKEN]
  max_runtime: 2h
"""


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def invoke(*args: str) -> Run:
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"command raised {result.exception!r}") from result.exception
    assert "Traceback" not in result.output
    return Run(result.exit_code, result.stdout, result.stderr)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def validate_plan(doc: Any) -> None:
    jsonschema.Draft202012Validator(load_schema()).validate(doc)


def validate_cost(doc: Any) -> None:
    schema = load_schema()
    jsonschema.Draft202012Validator({"$ref": "#/$defs/cost_document", "$defs": schema["$defs"]}).validate(doc)
