"""EBS volumes: one per instance per mounted volume, encrypted, in the instance's zone, attached.

Device names follow the group's `volumes:` order: /dev/sdf, /dev/sdg, … (the
range AWS recommends for EBS data volumes). `retain: true` gives the volume
`retain_on_delete` and `protect`, and the tag `runctl:retain=true` (which `runctl gc`
reads when the state is gone); attachments are never retained.

A group whose retained volumes moved zones (`move_volumes: snapshot`, `InstanceGroup.volume_zones`
Z0, Z1, …, Zn) keeps every generation: `volume.<v>.<g>.<i>` stays in Z0 (its zone now a literal, so
the group moving on never replaces it), `snapshot.<v>.<g>.<i>-mK` is an EBS snapshot of generation
K-1 and `volume.<v>.<g>.<i>-mK` a volume created from it in ZK; only the last one is attached. The
old volumes are kept (protected, retained): a move never deletes data, the user does once satisfied.
"""

from __future__ import annotations

import string
from typing import Any

from runctl_iac.compiler.context import CompileError, Context
from runctl_iac.compiler.graph import NodeMount, Ref
from runctl_iac.compiler.instances import instance_id
from runctl_iac.compiler.provider import RETAIN_TAG
from runctl_iac.spec.model import Volume

VOLUME = "aws:ebs/volume:Volume"
ATTACHMENT = "aws:ec2/volumeAttachment:VolumeAttachment"
SNAPSHOT = "aws:ebs/snapshot:Snapshot"
DEVICE_LETTERS = string.ascii_lowercase[string.ascii_lowercase.index("f") :]  # f..z


def device_name(position: int) -> str:
    if not 0 <= position < len(DEVICE_LETTERS):
        raise CompileError(f"no device name for volume #{position + 1} (at most {len(DEVICE_LETTERS)})")
    return f"/dev/sd{DEVICE_LETTERS[position]}"


def volume_id(volume: str, group: str, index: int) -> str:
    return f"volume.{volume}.{group}.{index}"


def moved_id(base: str, generation: int) -> str:
    """`volume.data.trainer.0` after its K-th move: `volume.data.trainer.0-mK` (same for snapshots)."""
    return base if generation == 0 else f"{base}-m{generation}"


def snapshot_id(volume: str, group: str, index: int, generation: int) -> str:
    return moved_id(f"snapshot.{volume}.{group}.{index}", generation)


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
                zones = group.volume_zones if vol.retain and len(group.volume_zones) > 1 else ("",)
                vid = ""
                for gen, zone in enumerate(zones):
                    previous, vid = vid, moved_id(volume_id(vol.name, g, i), gen)
                    source: Any = vol.from_snapshot
                    if gen:
                        sid = snapshot_id(vol.name, g, i, gen)
                        tags = {"Name": ctx.display_name(vol.name, g, i), RETAIN_TAG: "true"}
                        ctx.add(
                            sid,
                            SNAPSHOT,
                            {"volume_id": Ref(previous, "id"), "tags": tags},
                            retain_on_delete=True,
                        )
                        ctx.output("snapshots", sid, Ref(sid, "id"))
                        source = Ref(sid, "id")
                    last = gen == len(zones) - 1
                    # an old generation stays where it is: a literal zone, not the (moved) instance's
                    where: Any = Ref(inst, "availability_zone") if last else zone
                    _volume(ctx, vid, vol, where, source, ctx.display_name(vol.name, g, i))
                device = device_name(position)
                ctx.add(
                    attachment_id(vol.name, g, i),
                    ATTACHMENT,
                    {"device_name": device, "instance_id": Ref(inst, "id"), "volume_id": Ref(vid, "id")},
                )
                node_mounts.append(NodeMount(volume_resource=vid, device=device, path=mount.path))
            mounts[inst] = tuple(node_mounts)
    return mounts


def _volume(ctx: Context, vid: str, vol: Volume, zone: Any, source: Any, name: str) -> None:
    props: dict[str, Any] = {
        "availability_zone": zone,
        "size": vol.size_gb,
        "type": vol.type,
        "iops": vol.iops,
        "throughput": vol.throughput_mbps,
        "snapshot_id": source,
        "encrypted": True,
        "tags": {"Name": name} | ({RETAIN_TAG: "true"} if vol.retain else {}),
    }
    ctx.add(vid, VOLUME, props, protect=vol.retain, retain_on_delete=vol.retain)
    ctx.output("volumes", vid, Ref(vid, "id"))
