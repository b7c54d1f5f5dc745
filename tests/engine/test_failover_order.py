"""Failover decisions without the engine: try order, --candidate, retained-volume zones, the table,
and which AWS errors fail over (engine/failover.py, engine/errors.py)."""

from __future__ import annotations

import pytest

from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.engine.errors import CapacityError, capacity_reason, engine_error
from runctl_iac.engine.failover import Try, failover_group, retained_zones, tries_table, try_order
from runctl_iac.spec import load_spec_bytes
from runctl_iac.spec.capacity import candidates
from runctl_iac.spec.model import Spec
from tests.engine.standin.faults import MESSAGES

SPEC = """\
version: 1
name: demo
volumes:
  data: {size_gb: 10, retain: true}
  scratch: {size_gb: 10}
instances:
  helper:
    capacity: {types: [t3.large, m5.large]}
  worker:
    capacity: {types: [t3.medium, t3.large], zones: [us-east-1a, us-east-1b]}
    volumes: {data: /data, scratch: /scratch}
training:
  group: worker
  run: python train.py
"""


def spec() -> Spec:
    result = load_spec_bytes(SPEC.encode(), "spec.yaml")
    assert result.spec is not None, result.diagnostics
    return result.spec


def test_the_training_group_fails_over_and_the_order_starts_at_the_recorded_candidate() -> None:
    group = failover_group(spec())
    assert group is not None and group.name == "worker"
    assert [c.index for c in try_order(group, None, None)] == [1, 2, 3, 4]
    assert [c.index for c in try_order(group, "t3.large/on-demand/us-east-1a", None)] == [3, 4, 1, 2]
    assert [c.index for c in try_order(group, "gone.type/spot/any", None)] == [1, 2, 3, 4]
    assert [c.index for c in try_order(group, None, 2)] == [2]


def test_candidate_out_of_range_is_e0721() -> None:
    group = spec().instances["worker"]
    with pytest.raises(DiagnosticError) as err:
        try_order(group, None, 5)
    [d] = err.value.diagnostics
    assert (d.code, d.message) == ("E0724", "--candidate 5: worker has 4 candidate(s)")


def test_retained_zones_reads_only_the_groups_retained_volumes_from_state() -> None:
    s = spec()
    resources = [
        {
            "urn": "urn:pulumi:dev::demo::aws:ebs/volume:Volume::volume.data.worker.0",
            "outputs": {"availabilityZone": "us-east-1b"},
        },
        {
            "urn": "urn:pulumi:dev::demo::aws:ebs/volume:Volume::volume.scratch.worker.0",
            "outputs": {"availabilityZone": "us-east-1a"},
        },
        {
            "urn": "urn:pulumi:dev::demo::aws:ec2/instance:Instance::instance.worker.0",
            "outputs": {"availabilityZone": "us-east-1b"},
        },
    ]
    assert retained_zones(s, s.instances["worker"], resources) == {"volume.data.worker.0": "us-east-1b"}
    assert retained_zones(s, s.instances["helper"], resources) == {}


def test_the_table_of_tries() -> None:
    cands = candidates(spec().instances["worker"])
    tries = [
        Try(cands[0], "InsufficientInstanceCapacity"),
        Try(cands[1], "skipped: over budget"),
        Try(cands[2], "placed"),
    ]
    assert tries_table("worker", tries, 4) == [
        "worker: placed: t3.large on-demand in us-east-1a, candidate 3 of 4",
        "  1  t3.medium on-demand in us-east-1a  InsufficientInstanceCapacity",
        "  2  t3.medium on-demand in us-east-1b  skipped: over budget",
        "  3  t3.large on-demand in us-east-1a   placed",
    ]


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_capacity_errors_fail_over_and_a_quota_error_does_not(code: str) -> None:
    text = (
        "  aws:ec2/instance:Instance (instance.worker.0):\n"
        f"    error: CapacityFault: api error {code}: "
        + MESSAGES[code].format(type="p5.48xlarge", zone="us-east-1a")
    )
    err = engine_error(RuntimeError(text))
    [d] = err.diagnostics
    assert d.code == "E0706"
    if code == "VcpuLimitExceeded":
        assert capacity_reason(text) is None and not isinstance(err, CapacityError)
        assert "Running On-Demand P instances (L-417A185B)" in d.message
    else:
        assert isinstance(err, CapacityError)
        assert (err.reason, err.resource) == (code, "instance.worker.0")


@pytest.mark.parametrize(
    ("itype", "quota"),
    [
        ("t3.medium", "L-1216C47A"),
        ("i4i.large", "L-1216C47A"),
        ("trn1.32xlarge", "L-2C3B7624"),
        ("inf2.xlarge", "L-1945791B"),
        ("g6e.12xlarge", "L-DB2E81BA"),
    ],
)
def test_the_quota_named_is_the_families(itype: str, quota: str) -> None:
    text = "error: api error VcpuLimitExceeded: " + MESSAGES["VcpuLimitExceeded"].format(type=itype)
    [d] = engine_error(RuntimeError(text)).diagnostics
    assert f"({quota})" in d.message
