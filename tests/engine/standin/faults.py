"""Fault injection for the stand-in aws plugin: AWS refusing capacity, and spot interruptions.

`RUNCTL_STANDIN_FAULTS` names a JSON control file, read at every instance create (so a test may
change it between two applies):

    {"capacity": [{"type": "g6e.12xlarge", "zone": "us-east-1a", "market": "spot",
                   "code": "InsufficientInstanceCapacity"}]}

A rule without `type`, `zone` or `market` matches any; `code` defaults to InsufficientInstanceCapacity
and may be any EC2 error code (VcpuLimitExceeded for a quota). The messages are AWS's own wording
(EC2 API error codes reference), so runctl classifies them as it would a real refusal.

`interrupt(ec2, instance_id)` is what a spot interruption does to an instance: AWS terminates it
(instance_interruption_behavior: terminate), and its volumes stay.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

MESSAGES = {
    "InsufficientInstanceCapacity": "We currently do not have sufficient {type} capacity in the "
    "Availability Zone you requested ({zone}). Our system will be working on provisioning additional "
    "capacity.",
    "InsufficientCapacity": "There is not enough capacity to fulfill your request for {type} in {zone}.",
    "SpotMaxPriceTooLow": "Your Spot request price is lower than the minimum required Spot request "
    "fulfillment price for {type} in {zone}.",
    "MaxSpotInstanceCountExceeded": "Max spot instance count exceeded for {type}.",
    "Unsupported": "Your requested instance type ({type}) is not supported in your requested "
    "Availability Zone ({zone}).",
    "VcpuLimitExceeded": "You have requested more vCPU capacity than your current vCPU limit of 0 "
    "allows for the instance bucket that the specified instance type ({type}) belongs to.",
}


class CapacityFault(RuntimeError):
    """Raised by the stand-in's instance create; the engine shows `CODE: message` for the resource."""


def _rules() -> list[dict[str, Any]]:
    path = os.environ.get("RUNCTL_STANDIN_FAULTS")
    if not path or not Path(path).exists():
        return []
    rules = json.loads(Path(path).read_text(encoding="utf-8")).get("capacity", [])
    return list(rules)


def check_capacity(instance_type: str, zone: str, market: str) -> None:
    """Raise CapacityFault when a rule of the control file matches this launch."""
    for rule in _rules():
        wanted = {"type": instance_type, "zone": zone, "market": market}
        if all(rule.get(k) in (None, v) for k, v in wanted.items()):
            code = rule.get("code", "InsufficientInstanceCapacity")
            text = MESSAGES.get(code, "refused by the stand-in").format(type=instance_type, zone=zone)
            raise CapacityFault(f"api error {code}: {text}")


def interrupt(ec2: Any, instance_id: str) -> None:
    """A spot interruption: the instance is terminated by AWS."""
    ec2.terminate_instances(InstanceIds=[instance_id])
