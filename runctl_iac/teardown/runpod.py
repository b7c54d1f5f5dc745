"""runctl's RunPod pods and network volumes, found through RunPod's REST API for `resources` and `gc`.

RunPod has no tags, so runctl names every pod and network volume `runctl-<project>-<stack>-<name>` and
puts its tags in the pod's environment (compiler/runpod.py, TAG_ENV). A pod is runctl's when its name
has the prefix and its env says RUNCTL_MANAGED_BY=runctl; its env gives project, stack and expiry, and
its `costPerHr` the $/hour. A network volume carries only its name: it takes the tags of a runctl pod
that mounts it, else it is listed (priced) with the managed-by tag alone, so `gc` never deletes a volume
it cannot attribute. Needs RUNPOD_API_KEY; without it nothing is searched (and `resources` says so).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from runctl_iac.compiler.runpod import API_KEY_ENV, POD_NAME_PREFIX, TAG_ENV
from runctl_iac.engine.runpod_api import RunPodClient, RunPodError
from runctl_iac.plan.runpod_cost import HOURS_PER_MONTH, network_volume_month
from runctl_iac.teardown.model import MANAGED_BY, PROJECT, STACK, Kind, ManagedResource

REGION = "runpod"  # the `region` column of RunPod resources


def api_key() -> str | None:
    return os.environ.get(API_KEY_ENV) or None


def _tags(env: Mapping[str, Any]) -> dict[str, str]:
    return {tag: str(env[var]) for tag, var in TAG_ENV.items() if env.get(var)}


def _money(value: Any) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


def _text(value: Decimal | None) -> str | None:
    """Details are rendered as JSON: the price as a decimal string (teardown/prices.py reads it back)."""
    return None if value is None else str(value)


def _wanted(tags: Mapping[str, str], project: str | None, stack: str | None) -> bool:
    return (project is None or tags.get(PROJECT) == project) and (stack is None or tags.get(STACK) == stack)


def discover_runpod(
    project: str | None = None, stack: str | None = None, client: RunPodClient | None = None
) -> list[ManagedResource]:
    """runctl's pods and network volumes; RunPodError when the API refuses."""
    if client is None:
        key = api_key()
        if key is None:
            return []
        client = RunPodClient(key)
    found: list[ManagedResource] = []
    volume_tags: dict[str, dict[str, str]] = {}
    for pod in client.call("GET", "/pods") or []:
        env = pod.get("env") or {}
        tags = _tags(env)
        if not str(pod.get("name", "")).startswith(POD_NAME_PREFIX) or tags.get(MANAGED_BY) != "runctl":
            continue
        if pod.get("networkVolumeId"):
            volume_tags[str(pod["networkVolumeId"])] = tags
        if not _wanted(tags, project, stack):
            continue
        hourly = _money(pod.get("costPerHr"))
        if pod.get("desiredStatus") in ("EXITED", "TERMINATED"):
            hourly = Decimal(0)
        found.append(
            ManagedResource(
                Kind.RUNPOD_POD,
                str(pod["id"]),
                REGION,
                tags,
                details={
                    "name": pod.get("name"),
                    "state": pod.get("desiredStatus"),
                    "hourly_usd": _text(hourly),
                },
            )
        )
    for vol in client.call("GET", "/networkvolumes") or []:
        if not str(vol.get("name", "")).startswith(POD_NAME_PREFIX):
            continue
        tags = volume_tags.get(str(vol["id"]), {MANAGED_BY: "runctl"})
        if (project is not None or stack is not None) and not _wanted(tags, project, stack):
            continue
        size = vol.get("size")
        hourly = network_volume_month(size) / HOURS_PER_MONTH if isinstance(size, int) else None
        found.append(
            ManagedResource(
                Kind.RUNPOD_VOLUME,
                str(vol["id"]),
                REGION,
                tags,
                details={"name": vol.get("name"), "size_gb": size, "hourly_usd": _text(hourly)},
            )
        )
    return found


def delete(resource: ManagedResource, client: RunPodClient | None = None) -> None:
    """Terminate a pod or delete a network volume; one already gone is not an error."""
    key = api_key()
    if client is None and key is None:
        raise RunPodError(
            401, f"{API_KEY_ENV} is not set", f"export {API_KEY_ENV} to delete RunPod resources"
        )
    client = client or RunPodClient(key or "")
    path = "/pods/" if resource.kind is Kind.RUNPOD_POD else "/networkvolumes/"
    try:
        client.call("DELETE", path + resource.id)
    except RunPodError as err:
        if err.status != 404:
            raise
