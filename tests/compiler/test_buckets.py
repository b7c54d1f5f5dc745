from __future__ import annotations

from runctl_iac.compiler import compile
from runctl_iac.compiler.buckets import (
    BUCKET,
    ENCRYPTION,
    LIFECYCLE,
    PUBLIC_ACCESS_BLOCK,
    VERSIONING,
    graph_staging_key,
)
from runctl_iac.compiler.graph import Ref
from runctl_iac.compiler.names import is_valid_bucket_name, resolve_account
from runctl_iac.spec.model import Bucket, LifecycleRule
from tests.compiler.helpers import of_type
from tests.compiler.specs import multi_node, single_node


def test_every_bucket_blocks_all_public_access_and_is_encrypted() -> None:
    graph, _ = compile(multi_node())
    buckets = of_type(graph, BUCKET)
    assert [b.id for b in buckets] == ["bucket._staging", "bucket.checkpoints", "bucket.scratch"]
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
    assert len(of_type(graph, PUBLIC_ACCESS_BLOCK)) == len(of_type(graph, ENCRYPTION)) == 3


def test_versioning_status_follows_the_spec() -> None:
    graph, _ = compile(multi_node())
    checkpoints = graph.resources["bucket.checkpoints.versioning"]
    assert checkpoints.type == VERSIONING
    assert checkpoints.properties["versioning_configuration"] == {"status": "Enabled"}
    scratch = graph.resources["bucket.scratch.versioning"]
    assert scratch.properties["versioning_configuration"] == {"status": "Suspended"}


def test_retained_bucket_and_its_configuration_survive_destroy() -> None:
    graph, _ = compile(multi_node())
    kept = [r for rid, r in graph.resources.items() if rid.startswith("bucket.checkpoints")]
    assert len(kept) == 5
    assert all(r.options.retain_on_delete for r in kept)
    assert graph.resources["bucket.checkpoints"].properties["force_destroy"] is False
    assert graph.resources["bucket.checkpoints"].properties["tags"] == {"runctl:retain": "true"}
    assert "tags" not in graph.resources["bucket.scratch"].properties
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
        "_staging": Ref("bucket._staging", "bucket"),
        "checkpoints": Ref("bucket.checkpoints", "bucket"),
        "scratch": Ref("bucket.scratch", "bucket"),
    }


def test_training_gets_a_staging_bucket_that_is_scratch_space() -> None:
    graph, launch = compile(multi_node())
    staging = graph.resources["bucket._staging"]
    assert staging.properties == {
        "bucket": "runctl-llama-dev-staging-705ed7c9-<account>",
        "force_destroy": True,
        "tags": {"runctl:role": "staging"},
    }
    assert not staging.options.retain_on_delete and not staging.options.protect
    assert is_valid_bucket_name(resolve_account(staging.properties["bucket"], "0a1b2c3d"))
    assert launch.staging_bucket == "runctl-llama-dev-staging-705ed7c9-<account>"
    rules = graph.resources["bucket._staging.lifecycle"].properties["rules"]
    assert rules[0]["filter"] == {"prefix": "runs/"} and rules[0]["expiration"] == {"days": 30}
    assert graph.resources["bucket._staging.versioning"].properties["versioning_configuration"] == {
        "status": "Suspended"
    }


def test_a_spec_bucket_named_staging_never_shares_the_staging_bucket_name() -> None:
    graph, _ = compile(single_node(buckets={"staging": Bucket("staging")}))
    names = {graph.resources[r].properties["bucket"] for r in ("bucket.staging", "bucket._staging")}
    assert len(names) == 2


def test_no_staging_bucket_without_training() -> None:
    graph, launch = compile(single_node(training=None))
    assert "bucket._staging" not in graph.resources
    assert launch.staging_bucket is None


def test_a_spec_can_name_its_own_staging_bucket() -> None:
    """`training.staging_bucket: results`: no runctl staging bucket; the named one is tagged as the
    staging area (teardown finds running jobs by that tag) and keeps its spec settings."""
    from runctl_iac.spec.model import Training

    spec = single_node(
        buckets={"results": Bucket("results", retain=True)},
        training=Training(group="box", run="x", staging_bucket="results"),
    )
    graph, launch = compile(spec)
    assert "bucket._staging" not in graph.resources
    results = graph.resources["bucket.results"]
    assert results.properties["tags"] == {"runctl:retain": "true", "runctl:role": "staging"}
    assert results.options.retain_on_delete  # the spec's own setting, untouched
    assert "bucket.results.lifecycle" not in graph.resources  # no expiry imposed on the user's bucket
    assert (launch.staging_key, launch.staging_bucket) == ("results", results.properties["bucket"])
    default_graph, default = compile(single_node())
    assert default.staging_key == "_staging"
    # read back from an applied Graph (status with --project, no spec): the same key as the launch's
    assert graph_staging_key(graph) == "results" and graph_staging_key(default_graph) == "_staging"
    assert graph_staging_key(compile(single_node(training=None))[0]) is None
