"""Pulumi mocks that answer the way AWS would, and a runner for one program run.

`new_resource` returns ids shaped like the real ones (`i-…`, `vol-…`, `sg-…`),
the outputs Refs read (name, bucket, arn, private_ip, availability_zone), and
records every registration; `call` answers the data sources the compiler uses
and fails loudly on any other, so no reference can silently resolve to None.
Shared by the engine tests and benchmarks/bench_program.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime import settings as _settings
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

ACCOUNT = "123456789012"
AMI_ID = "ami-0a1b2c3d4e5f60718"

# type token -> (id prefix, service for the synthetic ARN)
_ID_PREFIX = {
    "aws:ec2/instance:Instance": "i-0",
    "aws:ebs/volume:Volume": "vol-0",
    "aws:ec2/securityGroup:SecurityGroup": "sg-0",
    "aws:ec2/volumeAttachment:VolumeAttachment": "vai-",
    "aws:ec2/placementGroup:PlacementGroup": "pg-0",
    "aws:iam/role:Role": "AROA",
    "aws:iam/instanceProfile:InstanceProfile": "AIPA",
}


def _hex(name: str, n: int = 17) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:n]


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    provider: str | None
    id: str
    outputs: dict[str, Any]


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    region: str = "us-east-1"
    zones: tuple[str, ...] = ("us-east-1c", "us-east-1a", "us-east-1b")
    resources: dict[str, Registered] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        typ, name, inputs = args.typ, args.name, dict(args.inputs)
        out = dict(inputs)
        physical = inputs.get("name") or inputs.get("bucket") or name
        if typ.startswith("pulumi:providers:"):
            rid = "provider-" + _hex(name, 8)
        elif typ in _ID_PREFIX:
            rid = _ID_PREFIX[typ] + _hex(name)
        else:
            rid = str(physical)
        service = typ.split(":")[1].split("/")[0]
        if typ == "aws:s3/bucket:Bucket":
            out.update(bucket=physical, arn=f"arn:aws:s3:::{physical}", bucketDomainName=f"{physical}.s3")
        elif typ == "aws:iam/role:Role":
            out.update(name=physical, arn=f"arn:aws:iam::{ACCOUNT}:role/{physical}", uniqueId=rid)
        elif typ == "aws:iam/instanceProfile:InstanceProfile":
            out.update(name=physical, arn=f"arn:aws:iam::{ACCOUNT}:instance-profile/{physical}")
        elif typ == "aws:ec2/instance:Instance":
            n = int(_hex(name, 4), 16)
            out.update(
                privateIp=f"10.0.{n % 250}.{n // 250 % 250 + 2}",
                availabilityZone=inputs.get("availabilityZone") or self.zones[0],
                arn=f"arn:aws:ec2:{self.region}:{ACCOUNT}:instance/{rid}",
            )
        elif not typ.startswith("pulumi:"):
            out.setdefault("name", physical)
            out["arn"] = f"arn:aws:{service}:{self.region}:{ACCOUNT}:{typ.rsplit(':', 1)[1].lower()}/{rid}"
        self.resources[name] = Registered(typ, name, inputs, args.provider, rid, out)
        return rid, out

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        token, a = args.token, dict(args.args)
        self.calls.append((token, a, args.provider))
        if token == "aws:ssm/getParameter:getParameter":
            name = a["name"]
            return {
                "id": name,
                "name": name,
                "value": AMI_ID,
                "insecureValue": AMI_ID,
                "type": "String",
                "arn": f"arn:aws:ssm:{self.region}:{ACCOUNT}:parameter{name}",
                "version": 1,
            }
        if token == "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings":
            types = [v for f in a.get("filters") or [] if f["name"] == "instance-type" for v in f["values"]]
            return {
                "id": self.region,
                "locations": list(self.zones),
                "instanceTypes": types[:1] * len(self.zones),
                "locationTypes": [a.get("locationType") or "availability-zone"] * len(self.zones),
            }
        if token == "aws:ec2/getSubnet:getSubnet":
            subnet = a.get("id") or "subnet-0" + _hex(a.get("availabilityZone") or self.zones[0])
            zone = a.get("availabilityZone") or self.zones[int(_hex(subnet, 4), 16) % len(self.zones)]
            return {
                "id": subnet,
                "availabilityZone": zone,
                "vpcId": "vpc-0" + _hex("vpc"),
                "arn": f"arn:aws:ec2:{self.region}:{ACCOUNT}:subnet/{subnet}",
            }
        if token == "aws:ec2/getVpc:getVpc":
            return {"id": "vpc-0" + _hex("vpc"), "cidrBlock": "172.31.0.0/16", "default": True}
        if token == "aws:ec2/getSubnets:getSubnets":
            return {"id": self.region, "ids": ["subnet-0" + _hex(z) for z in self.zones]}
        raise NotImplementedError(f"the engine mocks do not answer {token}")

    def by_type(self, typ: str) -> dict[str, Registered]:
        return {n: r for n, r in self.resources.items() if r.type == typ}


@dataclass(frozen=True)
class Registration:
    """What the monitor saw besides the inputs: the resource options."""

    protect: bool
    retain_on_delete: bool
    dependencies: tuple[str, ...]  # URNs
    provider: str


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, also recording each registration's options by resource name."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.options: dict[str, Registration] = {}

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            self.options[request.name] = Registration(
                bool(request.protect),
                bool(request.retainOnDelete),
                tuple(request.dependencies),
                request.provider,
            )
        return super().RegisterResource(request)


@dataclass
class Run:
    mocks: RecordingMocks
    monitor: RecordingMonitor
    outputs: dict[str, Any]  # stack exports, resolved
    secret_outputs: set[str]


def _resolve(value: Any) -> tuple[Any, bool]:
    out = pulumi.Output.from_input(value)
    return _sync_await(out.future()), bool(_sync_await(out.is_secret()))


def run_program(
    program: Callable[[], None],
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    mocks: RecordingMocks | None = None,
    preview: bool = False,
) -> Run:
    """One program run under fresh mocks: new root stack, new RPC manager, new config."""
    mocks = mocks or RecordingMocks()
    _settings.ROOT.set(None)
    _settings.SETTINGS.outputs.clear()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    # the account suffix of bucket names is stack configuration the driver sets at apply
    pulumi.runtime.set_all_config({"runctl:accountSuffix": "0a1b2c3d", **(config or {})})
    root = _settings.get_root_resource()
    _sync_await(run_pulumi_func(program))
    outputs: dict[str, Any] = {}
    secret: set[str] = set()
    for key, value in getattr(root, "outputs", {}).items():
        outputs[key], is_secret = _resolve(value)
        if is_secret:
            secret.add(key)
    return Run(mocks, monitor, outputs, secret)
