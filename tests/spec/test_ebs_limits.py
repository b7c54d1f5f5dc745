"""Current EBS limits (issue 8 item 5): gp3 up to 64 TiB, 80,000 IOPS and 2,000 MiB/s; hints never send a
user to io2 when gp3 would do. Sources: the CreateVolume / ModifyVolume API reference and the EBS volume
types page, cited in the schema's `volume` descriptions."""

from __future__ import annotations

import pytest

from runctl_iac.diagnostics import Diagnostic
from runctl_iac.spec.check import check
from runctl_iac.spec.model import SourceMap
from runctl_iac.spec.schema import load_schema
from runctl_iac.spec.yamlload import load_yaml

BASE = "version: 1\nname: demo\n"


def run(size: int, kind: str, **extra: int) -> list[Diagnostic]:
    text = BASE + f"volumes:\n  v:\n    size_gb: {size}\n    type: {kind}\n"
    text += "".join(f"    {k}: {v}\n" for k, v in extra.items())
    doc = load_yaml(text.encode(), "spec.yaml")
    assert doc.data is not None
    _, diags = check(doc.data, SourceMap(doc.positions, doc.keys, doc.file), "dev")
    return diags


def test_gp3_accepts_64_tib_80000_iops_and_2000_mibps() -> None:
    assert run(65536, "gp3", iops=80000, throughput_mbps=2000) == []


@pytest.mark.parametrize(
    ("size", "kind", "extra", "path"),
    [
        (65537, "gp3", {}, "volumes.v.size_gb"),
        (1000, "gp3", {"iops": 80001}, "volumes.v.iops"),
        (1000, "gp3", {"iops": 80000, "throughput_mbps": 2001}, "volumes.v.throughput_mbps"),
        (16385, "gp2", {}, "volumes.v.size_gb"),
        (16385, "io1", {"iops": 1000}, "volumes.v.size_gb"),
        (2000, "io1", {"iops": 64001}, "volumes.v.iops"),
        (65537, "io2", {"iops": 1000}, "volumes.v.size_gb"),
        (1000, "io2", {"iops": 256001}, "volumes.v.iops"),
        (124, "st1", {}, "volumes.v.size_gb"),
        (16385, "sc1", {}, "volumes.v.size_gb"),
    ],
)
def test_every_type_is_held_to_its_current_aws_range(
    size: int, kind: str, extra: dict[str, int], path: str
) -> None:
    diags = run(size, kind, **extra)
    assert [(d.code, d.path) for d in diags] == [("E0206", path)]


def test_gp3_ratios_at_the_new_maximums() -> None:
    assert run(160, "gp3", iops=80000) == []  # 500 IOPS per GiB x 160 GiB
    [diag] = run(159, "gp3", iops=80000)
    assert (diag.code, diag.hint) == ("E0301", "raise size_gb to at least 160, or lower iops to 79500")
    assert run(16, "gp3", iops=8000, throughput_mbps=2000) == []  # 0.25 MiB/s per IOPS
    [diag] = run(100, "gp3", iops=7999, throughput_mbps=2000)
    assert diag.code == "E0301" and diag.path == "volumes.v.throughput_mbps"


def test_no_hint_sends_users_to_io2_when_gp3_suffices() -> None:
    [io1] = run(2000, "io1", iops=70000)
    assert io1.hint == "use type gp3 for up to 80000 IOPS, or io2 for up to 256000"
    [gp3] = run(1000, "gp3", iops=90000)
    assert gp3.hint == "use type io2 for more than 80000 IOPS (up to 256000)"
    [gp2] = run(20000, "gp2")
    assert gp2.hint is not None and "gp3" in gp2.hint


def test_volume_limits_cite_their_sources() -> None:
    volume = load_schema()["$defs"]["volume"]["properties"]
    assert "API_CreateVolume.html" in volume["type"]["description"]
    assert "ebs-volume-types.html" in volume["type"]["description"]
    for field in ("size_gb", "iops", "throughput_mbps"):
        assert "CreateVolume" in volume[field]["description"], field
