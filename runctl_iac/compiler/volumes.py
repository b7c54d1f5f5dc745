"""EBS volumes: one per instance per mounted volume, encrypted, in the instance's zone, attached.

Device names follow the group's `volumes:` order: /dev/sdf, /dev/sdg, … (the
range AWS recommends for EBS data volumes). `retain: true` gives the volume
`retain_on_delete` and `protect`, and the tag `runctl:retain=true` (which `runctl gc`
reads when the state is gone); attachments are never retained.
"""

from __future__ import annotations

import string
from typing import Any

from runctl_iac.compiler.context import CompileError, Context
from runctl_iac.compiler.graph import NodeMount, Ref
from runctl_iac.compiler.instances import instance_id
from runctl_iac.compiler.provider import RETAIN_TAG

VOLUME = "aws:ebs/volume:Volume"
ATTACHMENT = "aws:ec2/volumeAttachment:VolumeAttachment"
DEVICE_LETTERS = string.ascii_lowercase[string.ascii_lowercase.index("f") :]  # f..z


def device_name(position: int) -> str:
    if not 0 <= position < len(DEVICE_LETTERS):
        raise CompileError(f"no device name for volume #{position + 1} (at most {len(DEVICE_LETTERS)})")
    return f"/dev/sd{DEVICE_LETTERS[position]}"


def volume_id(volume: str, group: str, index: int) -> str:
    return f"volume.{volume}.{group}.{index}"


def attachment_id(volume: str, group: str, index: int) -> str:
    return f"attachment.{volume}.{group}.{index}"


def compile_volumes(ctx: Context) -> dict[str, tuple[NodeMount, ...]]:
    """Emit volumes and attachments; returns each instance's mounts (instance id -> mounts)."""
    mounts: dict[str, tuple[NodeMount, ...]] = {}
    for g in sorted(ctx.spec.instances):
        group = ctx.spec.instances[g]
        for i in range(group.count):
            inst = instance_id(g, i)
            node_mounts: list[NodeMount] = []
            for position, mount in enumerate(group.mounts):
                vol = ctx.spec.volumes.get(mount.volume)
                if vol is None:
                    raise CompileError(f"instances.{g} mounts unknown volume {mount.volume}")
                vid = volume_id(vol.name, g, i)
                props: dict[str, Any] = {
                    "availability_zone": Ref(inst, "availability_zone"),
                    "size": vol.size_gb,
                    "type": vol.type,
                    "iops": vol.iops,
                    "throughput": vol.throughput_mbps,
                    "snapshot_id": vol.from_snapshot,
                    "encrypted": True,
                    "tags": {"Name": ctx.display_name(vol.name, g, i)}
                    | ({RETAIN_TAG: "true"} if vol.retain else {}),
                }
                ctx.add(vid, VOLUME, props, protect=vol.retain, retain_on_delete=vol.retain)
                device = device_name(position)
                ctx.add(
                    attachment_id(vol.name, g, i),
                    ATTACHMENT,
                    {"device_name": device, "instance_id": Ref(inst, "id"), "volume_id": Ref(vid, "id")},
                )
                node_mounts.append(NodeMount(volume_resource=vid, device=device, path=mount.path))
                ctx.output("volumes", vid, Ref(vid, "id"))
            mounts[inst] = tuple(node_mounts)
    return mounts
