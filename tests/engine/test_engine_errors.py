"""Engine failure texts -> one diagnostic: the failed resource's own error, once and whole."""

from __future__ import annotations

from runctl_iac.engine.errors import classify, failure_detail, resource_errors
from tests.engine.cli_texts import INVALID_SNAPSHOT, UPDATE_FAILED

CAUSE = (
    "creating EBS Volume: operation error EC2: CreateVolume, https response error StatusCode: 400, "
    "RequestID: 5c1e, api error InvalidSnapshot.NotFound: "
    "The snapshot 'snap-0123456789abcdef0' does not exist."
)


def test_a_failed_resource_is_one_cause_whole_and_named() -> None:
    diag = classify(INVALID_SNAPSHOT)
    assert diag.code == "E0707"
    assert diag.message == f"the engine update failed: volume.data.w.0: {CAUSE}"


def test_the_diagnostics_section_gives_each_error_once() -> None:
    assert resource_errors(INVALID_SNAPSHOT) == [(None, "update failed"), ("volume.data.w.0", CAUSE)]


def test_only_the_stacks_generic_error_is_still_said() -> None:
    assert failure_detail(UPDATE_FAILED) == "update failed"
    assert classify(UPDATE_FAILED).message == "the engine update failed: update failed"


def test_several_failed_resources_are_named_each() -> None:
    text = INVALID_SNAPSHOT.replace(
        "\nResources:",
        "  aws:ec2:Instance (instance.w.0):\n"
        "    error: creating EC2 Instance: InsufficientCapacity\n\nResources:",
    )
    assert failure_detail(text) == (
        f"volume.data.w.0: {CAUSE}; instance.w.0: creating EC2 Instance: InsufficientCapacity"
    )
