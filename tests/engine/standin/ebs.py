"""Stand-in handler for EBS snapshots (`move_volumes: snapshot`), backed by moto's CreateSnapshot.

moto completes a snapshot at once; a real one is `pending` for minutes, and pulumi-aws waits for
`completed` before it reports the snapshot created (terraform-provider-aws ec2/ebs_snapshot.go),
so a volume created from it never sees a pending snapshot either way.
"""

from __future__ import annotations

from typing import Any

from tests.engine.standin.aws import Aws
from tests.engine.standin.base import (
    Handler,
    Props,
    Unsupported,
    tag_list,
    tag_map,
    unless_gone,
    user_tags,
)
from tests.engine.standin.ec2 import _sync_tags
from tests.engine.standin.wire import reveal

GONE = {"InvalidSnapshot.NotFound"}


class Snapshot(Handler, token="aws:ebs/snapshot:Snapshot", taggable=True):
    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        i = reveal(inputs)
        kw: dict[str, Any] = {"VolumeId": i["volumeId"]}
        if i.get("description"):
            kw["Description"] = i["description"]
        if i.get("tagsAll"):
            kw["TagSpecifications"] = [{"ResourceType": "snapshot", "Tags": tag_list(i["tagsAll"])}]
        snap = aws.client("ec2").create_snapshot(**kw)
        return snap["SnapshotId"], self._outputs(aws, snap)

    def _outputs(self, aws: Aws, snap: dict[str, Any]) -> Props:
        return {
            "arn": f"arn:aws:ec2:{aws.region}::snapshot/{snap['SnapshotId']}",
            "volumeSize": snap.get("VolumeSize"),
            "encrypted": snap.get("Encrypted", False),
        }

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        snap = unless_gone(
            lambda: aws.client("ec2").describe_snapshots(SnapshotIds=[rid])["Snapshots"][0], GONE
        )
        if snap is None:
            return None
        live = tag_map(snap.get("Tags"))
        return {**self._outputs(aws, snap), "tags": user_tags(aws, live), "tagsAll": live}

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        if set(changed) - {"tags", "tagsAll"}:
            raise Unsupported(f"stand-in aws provider: {self.token} changes only its tags in place")
        _sync_tags(aws, rid, reveal(olds).get("tagsAll") or {}, reveal(news).get("tagsAll") or {})
        return self._outputs(aws, aws.client("ec2").describe_snapshots(SnapshotIds=[rid])["Snapshots"][0])

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        unless_gone(lambda: aws.client("ec2").delete_snapshot(SnapshotId=rid), GONE)


HANDLERS: tuple[type[Handler], ...] = (Snapshot,)
