"""Semantic checks of RunPod groups and network volumes (`provider: runpod`), on schema-clean parts.

- E0340: a group mounts a volume of the other provider (EBS on a pod, a network volume on EC2);
- E0341: a pod's `data_centers` leave out the data center of the network volume it mounts
  (RunPod attaches a network volume only to pods in its data center);
- E0342: a pod with both `volume_gb` and a network volume (RunPod allows one of them:
  https://docs.runpod.io/api-reference/pods/POST/pods, networkVolumeId replaces the pod volume).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runctl_iac.spec.parts import Emit, Parts


OTHER = {"aws": "a RunPod group", "runpod": "an EC2 group"}


def _provider(entry: Any) -> str:
    return entry.get("provider", "aws") if isinstance(entry, dict) else "aws"


def runpod_checks(parts: Parts, emit: Emit) -> None:
    volumes = parts.known("volumes") or {}
    for group, spec in parts.mapping("instances").items():
        if not isinstance(spec, dict) or not parts.clean("instances", group):
            continue
        provider = _provider(spec)
        for vol in spec.get("volumes", {}):
            entry = volumes.get(vol)
            if entry is None or not parts.clean("volumes", vol):
                continue  # undefined: E0303
            base = ("instances", group, "volumes", vol)
            if _provider(entry) != provider:
                kind = "a RunPod network volume" if provider == "aws" else "an EBS volume"
                emit(
                    "E0340",
                    base,
                    f'volume "{vol}" is {kind}; instance group "{group}" runs on {provider}',
                    f"set `provider: {provider}` on volumes.{vol}, or mount it from {OTHER[provider]}",
                    True,
                )
                continue
            if provider != "runpod":
                continue
            centers = spec.get("data_centers")
            if centers and entry["data_center"] not in centers:
                emit(
                    "E0341",
                    ("instances", group, "data_centers"),
                    f'volume "{vol}" lives in {entry["data_center"]}, which data_centers leaves out',
                    f"add {entry['data_center']} to data_centers, or leave data_centers out",
                )
            if spec.get("volume_gb", 0):
                emit(
                    "E0342",
                    ("instances", group, "volume_gb"),
                    f'a pod that mounts network volume "{vol}" has no pod volume',
                    "remove volume_gb: RunPod attaches either a pod volume or a network volume",
                )
