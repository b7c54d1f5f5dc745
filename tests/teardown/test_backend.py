"""The backend reader: DIY file and S3 layouts, tags, locks, legacy and unreadable stacks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import boto3
import pytest

from runctl_iac.stackstate import BackendError, StackInfo, default_backend_url, list_stacks
from tests.teardown.seed import checkpoint, write_stack

PAST = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
FUTURE = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 27, 7, 0, tzinfo=dt.UTC)


def test_file_backend_lists_project_scoped_stacks(tmp_path: Path) -> None:
    write_stack(tmp_path, "llama", "dev", expires=PAST, resources=4)
    write_stack(tmp_path, "llama", "prod", resources=2)
    write_stack(tmp_path, "demo", "pr-12", expires=FUTURE, locked=True, gz=True)
    stacks = list_stacks(tmp_path.as_uri())
    assert [s.key for s in stacks] == [("demo", "pr-12"), ("llama", "dev"), ("llama", "prod")]
    pr, dev, prod = stacks
    assert dev == StackInfo(
        "llama", "dev", PAST, False, 4, dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), 0, True
    )
    assert dev.expired(NOW) and not pr.expired(NOW) and not prod.expired(NOW)
    assert prod.expires_at is None and prod.resource_count == 2
    assert pr.update_in_progress and pr.expires_at == FUTURE  # gzip state and a lock


def test_expiry_sources_in_order(tmp_path: Path) -> None:
    # no tags file: the resources' runctl:expires-at tag recorded in the state
    write_stack(tmp_path, "p", "tagless", expires=PAST, tag_expiry=False)
    # the stack tag wins over the resource tags
    write_stack(tmp_path, "p", "tagged", expires=PAST)
    tags = tmp_path / ".pulumi/stacks/p/tagged.pulumi-tags"
    tags.write_text(json.dumps({"version": 1, "tags": {"runctl:expiresAt": "2031-01-01T00:00:00Z"}}))
    # a stack output
    doc = checkpoint("p", "output", resources=1)
    doc["checkpoint"]["latest"]["resources"][0]["outputs"]["runctl:expiresAt"] = "2026-01-02T03:04:05Z"
    (tmp_path / ".pulumi/stacks/p/output.json").write_text(json.dumps(doc))
    by = {s.stack: s for s in list_stacks(str(tmp_path))}
    assert by["tagless"].expires_at == PAST
    assert by["tagged"].expires_at == dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    assert by["output"].expires_at == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_tolerant_of_legacy_empty_and_unreadable_stacks(tmp_path: Path) -> None:
    stacks_dir = tmp_path / ".pulumi" / "stacks"
    stacks_dir.mkdir(parents=True)
    (stacks_dir / "old.json").write_text(json.dumps(checkpoint("legacyproj", "old", resources=1)))
    (tmp_path / ".pulumi/locks/old").mkdir(parents=True)
    (tmp_path / ".pulumi/locks/old/1.json").write_text("{}")
    (stacks_dir / "p").mkdir()
    (stacks_dir / "p" / "fresh.json").write_text(
        json.dumps({"version": 3, "checkpoint": {"stack": "p/fresh"}})
    )
    (stacks_dir / "p" / "broken.json").write_text("{not json")
    (stacks_dir / "p" / "squeezed.json.zst").write_bytes(b"\x28\xb5\x2f\xfd")
    by = {s.stack: s for s in list_stacks(tmp_path.as_uri())}
    assert by["old"].project == "legacyproj" and by["old"].update_in_progress
    assert by["fresh"].resource_count == 0 and by["fresh"].readable and by["fresh"].last_update is None
    assert not by["broken"].readable and by["broken"].project == "p"
    assert not by["squeezed"].readable  # listed anyway: an unreadable stack still exists


def test_pending_operations_are_counted(tmp_path: Path) -> None:
    root = tmp_path / ".pulumi" / "stacks" / "p"
    root.mkdir(parents=True)
    (root / "s.json").write_text(json.dumps(checkpoint("p", "s", pending=2)))
    assert list_stacks(str(tmp_path))[0].pending_operations == 2


def test_missing_and_unsupported_backends_are_errors(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="does not exist") as exc:
        list_stacks((tmp_path / "nothing").as_uri())
    assert "--backend" in exc.value.hint
    with pytest.raises(BackendError, match="https://"):
        list_stacks("https://api.pulumi.com")
    with pytest.raises(BackendError, match="no bucket"):
        list_stacks("s3://")
    assert default_backend_url(tmp_path) == (tmp_path / ".runctl" / "state").resolve().as_uri()


def test_s3_backend(aws: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="team-state")
    doc = checkpoint("llama", "ci", resources=2, expires=PAST)
    s3.put_object(
        Bucket="team-state", Key="runctl/.pulumi/stacks/llama/ci.json", Body=json.dumps(doc).encode()
    )
    s3.put_object(Bucket="team-state", Key="runctl/.pulumi/stacks/llama/ci.json.bak", Body=b"{}")
    s3.put_object(Bucket="team-state", Key="runctl/.pulumi/locks/organization/llama/ci/x.json", Body=b"{}")
    s3.put_object(Bucket="team-state", Key="other/.pulumi/stacks/llama/elsewhere.json", Body=b"{}")
    stacks = list_stacks("s3://team-state/runctl?region=us-east-1")
    assert [(s.key, s.resource_count, s.expires_at, s.update_in_progress) for s in stacks] == [
        (("llama", "ci"), 2, PAST, True)
    ]
    with pytest.raises(BackendError, match="cannot list"):
        list_stacks("s3://no-such-bucket/x")
