"""Hand-built Specs and Graphs for the cost, policy and live-price tests.

They follow the brief's Graph conventions (instance resources carry
`instance_type`, `instance_market_options`, `root_block_device`; volumes carry
`size`/`type`/`iops`/`throughput`; buckets are `aws:s3/bucket:Bucket`) and do not
depend on the compiler.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from importlib import resources
from typing import Any

from runctl_iac.compiler.graph import Graph, Ref, Resource
from runctl_iac.spec.model import (
    Bucket,
    Budget,
    Duration,
    InstanceGroup,
    Location,
    Mount,
    PathT,
    SourceMap,
    Spec,
    Spot,
    Training,
    Volume,
)

SPEC_FILE = "spec.yaml"

# Where each value sits in the hand-written "spec.yaml" (line, column).
POSITIONS: dict[PathT, tuple[int, int]] = {
    (): (1, 1),
    ("region",): (3, 9),
    ("tags",): (5, 3),
    ("budget", "max_hourly_usd"): (8, 19),
    ("budget", "max_run_usd"): (9, 16),
    ("instances", "trainer", "type"): (14, 11),
    ("instances", "trainer", "count"): (15, 12),
    ("instances", "prep", "type"): (20, 11),
    ("instances", "prep", "count"): (21, 12),
    ("volumes", "data", "type"): (25, 11),
}


def source_map(positions: Mapping[PathT, tuple[int, int]] = POSITIONS) -> SourceMap:
    return SourceMap(
        positions={p: Location(SPEC_FILE, line, col) for p, (line, col) in positions.items()},
        default_file=SPEC_FILE,
    )


def raw_catalog() -> dict[str, Any]:
    """The catalog file as JSON, read independently of runctl_iac.prices."""
    text = resources.files("runctl_iac").joinpath("data/prices.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def od_price(itype: str, region: str = "us-east-1") -> Decimal:
    tables = raw_catalog()["tables"]
    for name in ("ec2_gpu", "ec2_cpu"):
        price = tables[name]["prices"][region].get(itype)
        if price is not None:
            return Decimal(price)
    raise KeyError(itype)


def ebs_raw(vtype: str, region: str = "us-east-1") -> dict[str, Any]:
    data: dict[str, Any] = raw_catalog()["tables"]["ebs"]["prices"][region][vtype]
    return data


def make_spec(
    *,
    region: str = "us-east-1",
    trainer_type: str = "g5.12xlarge",
    trainer_count: int = 2,
    spot: Spot | None = Spot(),  # None: on-demand
    prep_count: int = 1,
    prep_type: str = "m6i.xlarge",
    max_runtime_s: int | None = 6 * 3600,
    ttl_s: int | None = None,
    budget: Budget | None = None,
    tags: Mapping[str, str] | None = None,
    positions: Mapping[PathT, tuple[int, int]] = POSITIONS,
) -> Spec:
    instances = {
        "trainer": InstanceGroup(
            name="trainer",
            type=trainer_type,
            count=trainer_count,
            spot=spot,
            disk_gb=200,
            mounts=(Mount("data", "/data"),),
        )
    }
    if prep_count:
        instances["prep"] = InstanceGroup(name="prep", type=prep_type, count=prep_count, disk_gb=50)
    return Spec(
        version=1,
        name="proj",
        region=region,
        tags=dict(tags or {}),
        ttl=Duration(f"{ttl_s}s", ttl_s) if ttl_s is not None else None,
        budget=budget or Budget(),
        buckets={"ckpt": Bucket("ckpt")},
        volumes={"data": Volume("data", size_gb=500, type="gp3", iops=6000, throughput_mbps=250)},
        instances=instances,
        training=Training(
            group="trainer",
            run="python train.py",
            max_runtime=Duration(f"{max_runtime_s}s", max_runtime_s) if max_runtime_s is not None else None,
        ),
        source=source_map(positions),
    )


def _instance(g: str, i: int, itype: str, *, spot: bool, disk: int, max_price: str | None = None) -> Resource:
    props: dict[str, Any] = {
        "instance_type": itype,
        "ami": "ami-0123456789abcdef0",
        "availability_zone": "us-east-1a",
        "vpc_security_group_ids": [Ref(f"sg.{g}", "id")],
        "metadata_options": {"http_tokens": "required"},
        "root_block_device": {"volume_size": disk, "volume_type": "gp3", "encrypted": True},
        "tags": {"Name": f"proj-dev-{g}-{i}"},
    }
    if spot:
        options: dict[str, Any] = {
            "spot_instance_type": "one-time",
            "instance_interruption_behavior": "terminate",
        }
        if max_price is not None:
            options["max_price"] = max_price
        props["instance_market_options"] = {"market_type": "spot", "spot_options": options}
    return Resource(f"instance.{g}.{i}", "aws:ec2/instance:Instance", props)


def make_graph(
    spec: Spec,
    *,
    max_price: str | None = None,
    volume_props: Mapping[str, Any] | None = None,
) -> Graph:
    """The Graph the compiler would make for `make_spec` (only what the cost reads matters)."""
    res: list[Resource] = [
        Resource("provider.aws", "pulumi:providers:aws", {"region": spec.region}),
        Resource("bucket.ckpt", "aws:s3/bucket:Bucket", {"bucket": "proj-dev-ckpt", "force_destroy": False}),
        Resource("bucket.ckpt.versioning", "aws:s3/bucketVersioning:BucketVersioning", {"bucket": "x"}),
    ]
    for name, group in spec.instances.items():
        res.append(Resource(f"sg.{name}", "aws:ec2/securityGroup:SecurityGroup", {"name": f"proj-{name}"}))
        for i in range(group.count):
            res.append(
                _instance(
                    name, i, group.type, spot=group.spot is not None, disk=group.disk_gb, max_price=max_price
                )
            )
            for mount in group.mounts:
                vol = spec.volumes[mount.volume]
                props: dict[str, Any] = {
                    "availability_zone": "us-east-1a",
                    "size": vol.size_gb,
                    "type": vol.type,
                    "iops": vol.iops,
                    "throughput": vol.throughput_mbps,
                    "encrypted": True,
                }
                props.update(volume_props or {})
                res.append(Resource(f"volume.{mount.volume}.{name}.{i}", "aws:ebs/volume:Volume", props))
    return Graph("proj", spec.stack, spec.region, {r.id: r for r in res})
