"""The stand-in's AWS side: boto3 clients built from the provider's configuration, and the invokes.

The configuration is what runctl's compiler gives `pulumi:providers:aws` for `target: local`
(runctl_iac/compiler/provider.py): region, fake credentials, and `endpoints`, one URL per
service; for an AWS target (no `endpoints`) the AWS_ENDPOINT_URL variable, which the real
provider honours as well (the AWS SDK's endpoint setting). pulumi_aws sends non-string provider
inputs JSON-encoded (its Provider class passes them through `pulumi.runtime.to_json`), so values
are decoded here. The stand-in refuses any endpoint that is not on this machine: it can never
reach real AWS.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from tests.engine.standin.wire import reveal

SERVICES = ("ec2", "iam", "s3", "ssm", "sts")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class ConfigError(ValueError):
    pass


def decode_config(args: Mapping[str, Any]) -> dict[str, Any]:
    """Provider inputs as sent by pulumi_aws -> plain values (JSON strings parsed)."""
    out: dict[str, Any] = {}
    for key, value in reveal(args).items():
        if (isinstance(value, str) and value[:1] in "{[") or value in ("true", "false"):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[key] = value
    return out


@dataclass
class Aws:
    """Clients for one configured provider, created once (boto3 clients are thread-safe,
    creating them is not)."""

    region: str
    endpoint: str
    default_tags: dict[str, str] = field(default_factory=dict)
    access_key: str = "test"
    secret_key: str = "test"
    account: str = ""
    _clients: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Aws:
        cfg = decode_config(config)
        # no endpoints (an AWS target): AWS_ENDPOINT_URL, which the real provider honours too
        endpoints = cfg.get("endpoints") or [{"all": os.environ.get("AWS_ENDPOINT_URL", "")}]
        urls = {url for entry in endpoints for url in entry.values() if url}
        if len(urls) != 1:
            raise ConfigError(f"stand-in aws provider: expected one local endpoint URL, got {sorted(urls)}")
        endpoint = urls.pop()
        if urlparse(endpoint).hostname not in LOCAL_HOSTS:
            raise ConfigError(
                f"stand-in aws provider: endpoint {endpoint} is not local; it only talks to moto"
            )
        tags = (cfg.get("defaultTags") or {}).get("tags") or {}
        return cls(
            region=cfg.get("region") or "us-east-1",
            endpoint=endpoint,
            default_tags=dict(tags),
            access_key=cfg.get("accessKey") or "test",
            secret_key=cfg.get("secretKey") or "test",
        )

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                import boto3
                from botocore.config import Config

                self._clients[service] = boto3.session.Session().client(
                    service,
                    region_name=self.region,
                    endpoint_url=self.endpoint,
                    aws_access_key_id=self.access_key,
                    aws_secret_access_key=self.secret_key,
                    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
                )
            return self._clients[service]

    def account_id(self) -> str:
        if not self.account:
            self.account = self.client("sts").get_caller_identity()["Account"]
        return self.account


# A public AMI parameter moto ships, naming an image moto knows.
DEFAULT_IMAGE_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def _default_image(aws: Aws) -> str:
    """An image moto knows, for AMI parameters the emulator does not hold (e.g. deep learning AMIs)."""
    value: str = aws.client("ssm").get_parameter(Name=DEFAULT_IMAGE_PARAMETER)["Parameter"]["Value"]
    return value


def invoke(aws: Aws, token: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """The data sources runctl's program calls, answered from moto."""
    args = reveal(args)
    if token == "aws:ssm/getParameter:getParameter":
        name = args["name"]
        ssm = aws.client("ssm")
        try:
            p = ssm.get_parameter(Name=name, WithDecryption=args.get("withDecryption", True))["Parameter"]
            value, typ, version = p["Value"], p["Type"], p["Version"]
        except ssm.exceptions.ParameterNotFound:
            if not name.startswith("/aws/service/"):
                raise
            # AWS's public AMI parameters that moto does not ship (e.g. deep learning AMIs)
            value, typ, version = _default_image(aws), "String", 1
        arn = f"arn:aws:ssm:{aws.region}:{aws.account_id()}:parameter{name}"
        return {
            "arn": arn,
            "id": name,
            "name": name,
            "type": typ,
            "value": value,
            "insecureValue": value,
            "version": version,
            "withDecryption": True,
        }
    if token == "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings":
        filters = [{"Name": f["name"], "Values": f["values"]} for f in args.get("filters", [])]
        location_type = args.get("locationType", "region")
        pages = (
            aws.client("ec2")
            .get_paginator("describe_instance_type_offerings")
            .paginate(LocationType=location_type, Filters=filters)
        )
        offers = [o for page in pages for o in page["InstanceTypeOfferings"]]
        return {
            "id": aws.region,
            "instanceTypes": [o["InstanceType"] for o in offers],
            "locations": [o["Location"] for o in offers],
            "locationTypes": [o["LocationType"] for o in offers],
            "filters": args.get("filters"),
            "locationType": location_type,
        }
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        ident = aws.client("sts").get_caller_identity()
        return {
            "accountId": ident["Account"],
            "arn": ident["Arn"],
            "userId": ident["UserId"],
            "id": ident["Account"],
        }
    if token == "aws:index/getRegion:getRegion":
        return {
            "name": aws.region,
            "region": aws.region,
            "id": aws.region,
            "endpoint": f"ec2.{aws.region}.amazonaws.com",
            "description": aws.region,
        }
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        zones = aws.client("ec2").describe_availability_zones()["AvailabilityZones"]
        return {
            "id": aws.region,
            "names": sorted(z["ZoneName"] for z in zones),
            "zoneIds": sorted(z["ZoneId"] for z in zones),
            "groupNames": [aws.region],
        }
    raise NotImplementedError(f"stand-in aws provider: no invoke {token}")
