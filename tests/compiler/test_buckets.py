from __future__ import annotations

from runctl_iac.compiler import compile
from runctl_iac.compiler.buckets import (
    BUCKET,
    ENCRYPTION,
    LIFECYCLE,
    PUBLIC_ACCESS_BLOCK,
    VERSIONING,
)
from runctl_iac.compiler.graph import Ref
from runctl_iac.compiler.names import is_valid_bucket_name, resolve_account
from runctl_iac.spec.model import Bucket, LifecycleRule
from tests.compiler.helpers import of_type
from tests.compiler.specs import multi_node, single_node


def test_every_bucket_blocks_all_public_access_and_is_encrypted() -> None:
    graph, _ = compile(multi_node())
    buckets = of_type(graph, BUCKET)
    assert [b.id for b in buckets] == ["bucket.checkpoints", "bucket.scratch"]
    for b in buckets:
        pab = graph.resources[f"{b.id}.public-access-block"]
        assert pab.type == PUBLIC_ACCESS_BLOCK
        assert pab.properties == {
            "bucket": Ref(b.id, "bucket"),
            "block_public_acls": True,
            "block_public_policy": True,
            "ignore_public_acls": True,
            "restrict_public_buckets": True,
        }
        enc = graph.resources[f"{b.id}.encryption"]
        assert enc.type == ENCRYPTION
        assert enc.properties["bucket"] == Ref(b.id, "bucket")
        [rule] = enc.properties["rules"]
        assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"
        assert is_valid_bucket_name(resolve_account(b.properties["bucket"], "0a1b2c3d"))
    assert len(of_type(graph, PUBLIC_ACCESS_BLOCK)) == len(of_type(graph, ENCRYPTION)) == 2


def test_versioning_status_follows_the_spec() -> None:
    graph, _ = compile(multi_node())
    assert of_type(graph, VERSIONING)[0].properties["versioning_configuration"] == {"status": "Enabled"}
    scratch = graph.resources["bucket.scratch.versioning"]
    assert scratch.properties["versioning_configuration"] == {"status": "Suspended"}


def test_retained_bucket_and_its_configuration_survive_destroy() -> None:
    graph, _ = compile(multi_node())
    kept = [r for rid, r in graph.resources.items() if rid.startswith("bucket.checkpoints")]
    assert len(kept) == 5
    assert all(r.options.retain_on_delete for r in kept)
    assert graph.resources["bucket.checkpoints"].properties["force_destroy"] is False
    scratch = [r for rid, r in graph.resources.items() if rid.startswith("bucket.scratch")]
    assert not any(r.options.retain_on_delete for r in scratch)
    assert graph.resources["bucket.scratch"].properties["force_destroy"] is True


def test_lifecycle_rules_expire_and_abort_incomplete_uploads() -> None:
    graph, _ = compile(multi_node())
    lifecycle = graph.resources["bucket.checkpoints.lifecycle"]
    assert lifecycle.type == LIFECYCLE
    assert lifecycle.options.depends_on == ("bucket.checkpoints.versioning",)
    rules = lifecycle.properties["rules"]
    assert [r["filter"] for r in rules] == [{"prefix": "tmp/"}, {"prefix": ""}, {"prefix": ""}]
    assert [r.get("expiration") for r in rules] == [{"days": 7}, {"days": 90}, None]
    # versioned bucket: the noncurrent versions left by expiry go too
    assert rules[0]["noncurrent_version_expiration"] == {"noncurrent_days": 7}
    assert rules[-1]["abort_incomplete_multipart_upload"] == {"days_after_initiation": 7}
    assert len({r["id"] for r in rules}) == len(rules)
    assert all(r["status"] == "Enabled" for r in rules)


def test_no_lifecycle_resource_without_rules_and_unique_ids_for_repeated_prefixes() -> None:
    graph, _ = compile(multi_node())
    assert "bucket.scratch.lifecycle" not in graph.resources
    spec = single_node(
        buckets={"out": Bucket("out", lifecycle=(LifecycleRule("a/", 1), LifecycleRule("a/", 2)))}
    )
    rules = compile(spec)[0].resources["bucket.out.lifecycle"].properties["rules"]
    assert len({r["id"] for r in rules}) == 3
    assert "noncurrent_version_expiration" not in rules[0]  # not versioned


def test_bucket_outputs_reference_the_bucket_names() -> None:
    graph, _ = compile(multi_node())
    assert graph.outputs["buckets"] == {
        "checkpoints": Ref("bucket.checkpoints", "bucket"),
        "scratch": Ref("bucket.scratch", "bucket"),
    }
