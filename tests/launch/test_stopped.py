"""launch.stopped on the moto server: which of a stack's instances are stopped, what their EBS
volumes still cost a month (the price catalog's EBS table), and starting them again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3

from runctl_iac.launch.stopped import stack_stopped_cost, start_instances, stopped_cost, stopped_instances
from runctl_iac.prices import load_catalog_json
from runctl_iac.render.job import stopped_cost_line

REGION = "us-west-2"
MOTO_AMI = "ami-12c6146b"  # one of moto's built-in images


def _ec2(endpoint: str) -> Any:
    return boto3.client(
        "ec2",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_stopped_instances_and_what_their_volumes_cost(moto_server: str, no_aws_credentials: None) -> None:
    ec2 = _ec2(moto_server)
    disk = [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 50, "VolumeType": "gp3"}}]
    made = ec2.run_instances(
        ImageId=MOTO_AMI, InstanceType="t3.medium", MinCount=2, MaxCount=2, BlockDeviceMappings=disk
    )["Instances"]
    ids = [i["InstanceId"] for i in made]
    zone = made[0]["Placement"]["AvailabilityZone"]
    data = ec2.create_volume(Size=200, VolumeType="io2", Iops=4000, AvailabilityZone=zone)["VolumeId"]
    ec2.attach_volume(VolumeId=data, InstanceId=ids[1], Device="/dev/sdf")
    outputs = {"instances": {f"instance.g.{n}": {"id": iid} for n, iid in enumerate(ids)}}
    env = {"AWS_ENDPOINT_URL": moto_server}
    assert stopped_instances(outputs, REGION, moto_server) == []
    assert stack_stopped_cost(outputs, REGION, env) is None  # nothing stopped: nothing to say

    ec2.stop_instances(InstanceIds=[ids[1]])
    assert stopped_instances(outputs, REGION, moto_server) == [ids[1]]
    cost = stopped_cost(outputs, REGION, moto_server)
    rates = load_catalog_json()["tables"]["ebs"]["prices"][REGION]
    io2 = rates["io2"]
    month = (
        50 * Decimal(rates["gp3"]["gb_month"])
        + 200 * Decimal(io2["gb_month"])
        + 4000 * Decimal(io2["iops_month"])
    )
    assert cost is not None and cost.instances == (ids[1],) and cost.monthly_usd == month
    assert cost.hourly_usd == Decimal(load_catalog_json()["tables"]["ec2_cpu"]["prices"][REGION]["t3.medium"])
    assert cost.to_json() == {"instances": [ids[1]], "monthly_usd": str(month.quantize(Decimal("0.01")))}
    assert stopped_cost_line(cost) == (
        f"stopped instances ({ids[1]}): still ${month:.2f}/month for their EBS volumes; "
        "`runctl apply` starts them\n"
    )
    assert stack_stopped_cost(outputs, None, env) is None  # never applied: no region

    start_instances([ids[1]], REGION, moto_server)
    assert stopped_instances(outputs, REGION, moto_server) == []
