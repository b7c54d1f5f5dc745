"""Calling the stand-in aws provider's servicer directly, as the engine would (no CLI): shared by
the stand-in's unit tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import grpc
from pulumi.runtime.proto import provider_pb2

from tests.engine.standin.server import Provider
from tests.engine.standin.wire import from_struct, to_struct

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "tests" / "engine" / "standin" / "bin" / "pulumi-resource-aws"
DEFAULT_TAGS = {"runctl:managed-by": "runctl", "runctl:stack": "unit"}
Diff = provider_pb2.DiffResponse


class Aborted(Exception):
    pass


class Context:
    def abort(self, code: grpc.StatusCode, message: str) -> None:
        raise Aborted(message)


def urn(token: str, name: str) -> str:
    return f"urn:pulumi:unit::proj::{token}::{name}"


def provider_config(endpoint: str) -> dict[str, Any]:
    """The provider inputs as pulumi_aws sends them: nested and non-string values JSON-encoded."""
    return {
        "region": "us-east-1",
        "accessKey": "test",
        "secretKey": "test",
        "endpoints": json.dumps([{s: endpoint for s in ("ec2", "iam", "s3", "ssm", "sts")}]),
        "defaultTags": json.dumps({"tags": DEFAULT_TAGS}),
        "skipCredentialsValidation": "true",
    }


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


class Res:
    """Drives one resource through the servicer as the engine would (Check, then the CRUD calls)."""

    def __init__(self, p: Provider, token: str, name: str) -> None:
        self.p, self.token, self.name = p, token, name
        self.id = ""
        self.inputs: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}

    def check(self, news: dict[str, Any]) -> dict[str, Any]:
        req = provider_pb2.CheckRequest(
            urn=urn(self.token, self.name),
            news=to_struct(news),
            olds=to_struct(self.inputs),
            randomSeed=b"\x0a\xbc\xde\xf0\x12",
        )
        return from_struct(self.p.Check(req, Context()).inputs)

    def create(self, news: dict[str, Any]) -> dict[str, Any]:
        self.inputs = self.check(news)
        resp = self.p.Create(
            provider_pb2.CreateRequest(urn=urn(self.token, self.name), properties=to_struct(self.inputs)),
            Context(),
        )
        self.id, self.outputs = resp.id, from_struct(resp.properties)
        return self.outputs

    def diff(self, news: dict[str, Any]) -> Any:
        req = provider_pb2.DiffRequest(
            id=self.id,
            urn=urn(self.token, self.name),
            olds=to_struct(self.outputs),
            news=to_struct(self.check(news)),
            old_inputs=to_struct(self.inputs),
        )
        return self.p.Diff(req, Context())

    def update(self, news: dict[str, Any]) -> dict[str, Any]:
        checked = self.check(news)
        req = provider_pb2.UpdateRequest(
            id=self.id,
            urn=urn(self.token, self.name),
            olds=to_struct(self.outputs),
            news=to_struct(checked),
            old_inputs=to_struct(self.inputs),
        )
        self.outputs = from_struct(self.p.Update(req, Context()).properties)
        self.inputs = checked
        return self.outputs

    def read(self) -> provider_pb2.ReadResponse:
        req = provider_pb2.ReadRequest(
            id=self.id,
            urn=urn(self.token, self.name),
            properties=to_struct(self.outputs),
            inputs=to_struct(self.inputs),
        )
        return self.p.Read(req, Context())

    def delete(self) -> None:
        req = provider_pb2.DeleteRequest(
            id=self.id, urn=urn(self.token, self.name), properties=to_struct(self.outputs)
        )
        self.p.Delete(req, Context())
