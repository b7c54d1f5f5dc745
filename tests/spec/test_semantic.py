"""Semantic checks (E03xx): each rule, its edges, and where the finding points."""

from __future__ import annotations

import pytest

from runctl_iac.diagnostics import Diagnostic
from runctl_iac.spec.check import check
from runctl_iac.spec.model import SourceMap
from runctl_iac.spec.yamlload import load_yaml

BASE = "version: 1\nname: demo\n"
GROUP = "instances:\n  trainer:\n    type: g5.xlarge\n"
TRAINING = "training:\n  group: trainer\n  run: python train.py\n"


def run(text: str) -> list[Diagnostic]:
    doc = load_yaml(text.encode(), "spec.yaml")
    assert doc.data is not None, doc.diagnostics
    spec, diags = check(doc.data, SourceMap(doc.positions, doc.keys, doc.file), "dev")
    assert (spec is None) == bool(diags)
    return diags


def codes(text: str) -> list[tuple[str, str, int | None, int | None]]:
    return [(d.code, d.path, d.line, d.column) for d in run(text)]


def volume(size: int, kind: str, **extra: int) -> str:
    lines = [f"volumes:\n  v:\n    size_gb: {size}\n    type: {kind}\n"]
    lines += [f"    {k}: {v}\n" for k, v in extra.items()]
    return BASE + "".join(lines)


@pytest.mark.parametrize(
    ("size", "kind", "iops", "ok"),
    [
        (8, "gp3", 4000, True),  # exactly 500 per GiB
        (8, "gp3", 4001, False),
        (1, "gp3", 3000, True),  # the 3000 baseline is allowed at any size
        (6, "gp3", 3001, False),
        (100, "io1", 5000, True),  # 50 per GiB
        (100, "io1", 5001, False),
        (100, "io2", 100000, True),  # 1000 per GiB
        (100, "io2", 100001, False),
    ],
)
def test_iops_per_gib_limits(size: int, kind: str, iops: int, ok: bool) -> None:
    diags = run(volume(size, kind, iops=iops))
    assert [(d.code, d.path) for d in diags] == ([] if ok else [("E0301", "volumes.v.iops")])
    if not ok:
        assert diags[0].line == 7 and diags[0].column == 11
        assert diags[0].hint and "raise size_gb to at least" in diags[0].hint


@pytest.mark.parametrize(
    ("iops", "throughput", "ok"),
    [(None, 750, True), (None, 751, False), (4000, 1000, True), (3996, 1000, False), (None, 125, True)],
)
def test_gp3_throughput_per_iops(iops: int | None, throughput: int, ok: bool) -> None:
    extra = {"throughput_mbps": throughput} | ({"iops": iops} if iops else {})
    diags = run(volume(1000, "gp3", **extra))
    assert [(d.code, d.path) for d in diags] == ([] if ok else [("E0301", "volumes.v.throughput_mbps")])


def test_training_group_unknown_points_at_the_value() -> None:
    text = BASE + GROUP + "training:\n  group: trainr\n  run: x\n"
    diags = run(text)
    assert [(d.code, d.path, d.line, d.column) for d in diags] == [("E0302", "training.group", 7, 10)]
    assert diags[0].hint == 'did you mean "trainer"?'


def test_training_without_any_group() -> None:
    [diag] = run(BASE + TRAINING)
    assert diag.code == "E0302" and diag.hint == "no instance groups are defined"


def test_mounted_volume_must_exist() -> None:
    text = BASE + "volumes:\n  data: {size_gb: 10}\n" + GROUP + "    volumes:\n      scratch: /scratch\n"
    diags = run(text)
    assert [(d.code, d.path, d.line, d.column) for d in diags] == [
        ("E0303", "instances.trainer.volumes.scratch", 9, 7)
    ]
    assert diags[0].hint == "defined volumes: data"


def test_checkpoint_bucket_must_exist() -> None:
    text = (
        BASE
        + "buckets:\n  ckpt: {}\n"
        + GROUP
        + TRAINING
        + "  checkpoints:\n    dir: /c\n    bucket: ckpts\n"
    )
    assert codes(text) == [("E0304", "training.checkpoints.bucket", 13, 13)]
    assert codes(text.replace("bucket: ckpts", "bucket: ckpt")) == []


@pytest.mark.parametrize(("path", "ok"), [("/data", True), ("data", False), ("./data", False), ("/", False)])
def test_mount_path_is_an_absolute_directory(path: str, ok: bool) -> None:
    text = BASE + "volumes:\n  data: {size_gb: 10}\n" + GROUP + f"    volumes:\n      data: '{path}'\n"
    assert codes(text) == ([] if ok else [("E0305", "instances.trainer.volumes.data", 9, 13)])


def test_mount_paths_are_distinct_per_group_after_normalising() -> None:
    vols = "volumes:\n  a: {size_gb: 10}\n  b: {size_gb: 10}\n"
    mounts = "    volumes:\n      a: /mnt/x\n      b: /mnt//x/\n"
    diags = run(BASE + vols + GROUP + mounts)
    assert [(d.code, d.path, d.line) for d in diags] == [("E0306", "instances.trainer.volumes.b", 11)]
    assert 'already used by volume "a"' in diags[0].message


def test_same_path_in_two_groups_is_fine() -> None:
    vols = "volumes:\n  a: {size_gb: 10}\n  b: {size_gb: 10}\n"
    groups = (
        "instances:\n  one:\n    type: g5.xlarge\n    volumes: {a: /data}\n"
        "  two:\n    type: g5.xlarge\n    volumes: {b: /data}\n"
    )
    assert codes(BASE + vols + groups) == []


def test_a_volume_is_mounted_by_one_group_only() -> None:
    groups = (
        "instances:\n  one:\n    type: g5.xlarge\n    volumes: {a: /data}\n"
        "  two:\n    type: g5.xlarge\n    volumes: {a: /data}\n"
    )
    diags = run(BASE + "volumes:\n  a: {size_gb: 10}\n" + groups)
    assert [(d.code, d.path, d.line, d.column) for d in diags] == [
        ("E0307", "instances.two.volumes.a", 11, 15)
    ]
    assert 'already mounted by instance group "one"' in diags[0].message


@pytest.mark.parametrize(
    ("ttl", "ok"),
    [("90m", True), ("30d", True), ("29d24h", True), ("30d1m", False), ("0m", False), ("0d0h", False)],
)
def test_ttl_bounds(ttl: str, ok: bool) -> None:
    assert codes(BASE + f"ttl: {ttl}\n") == ([] if ok else [("E0308", "ttl", 3, 6)])


def test_training_durations_are_checked() -> None:
    text = (
        BASE
        + "buckets:\n  ckpt: {}\n"
        + GROUP
        + TRAINING
        + "  max_runtime: 31d\n  checkpoints:\n    dir: /c\n    bucket: ckpt\n    every: 0m\n"
    )
    assert codes(text) == [
        ("E0308", "training.max_runtime", 11, 16),
        ("E0308", "training.checkpoints.every", 15, 12),
    ]


@pytest.mark.parametrize(("price", "ok"), [("0.01", True), ("0", False), ("-2.5", False)])
def test_spot_price_must_be_positive(price: str, ok: bool) -> None:
    text = BASE + GROUP + f"    spot:\n      max_price_usd: {price}\n"
    assert codes(text) == ([] if ok else [("E0309", "instances.trainer.spot.max_price_usd", 7, 22)])


def test_a_name_cannot_be_both_env_and_secret() -> None:
    text = BASE + GROUP + TRAINING + "  env:\n    HF_TOKEN: x\n    OTHER: y\n  secrets: [WANDB, HF_TOKEN]\n"
    diags = run(text)
    assert [(d.code, d.path, d.line, d.column) for d in diags] == [("E0310", "training.secrets[1]", 12, 20)]
    assert "x" not in diags[0].message.split()  # the env value is not echoed


def test_semantic_checks_run_on_every_part_that_passed_the_schema() -> None:
    # the schema error in instances.trainer.type does not hide the unknown training group
    text = BASE + "instances:\n  trainer:\n    type: nope\n" + "training:\n  group: ghost\n  run: x\n"
    assert [d.code for d in run(text)] == ["E0204", "E0302"]
    # but a part with a schema error is not checked again (no E0301 for a volume with a bad size)
    text = BASE + "volumes:\n  v:\n    size_gb: big\n    iops: 90000\n"
    assert [d.code for d in run(text)] == ["E0202", "E0206"]


def test_findings_are_sorted_by_position() -> None:
    text = (
        BASE
        + "volumes:\n  v: {size_gb: 10, iops: 9000}\n"
        + GROUP
        + "    volumes: {v: data, w: /w}\n"
        + "training:\n  group: nobody\n  run: x\n"
    )
    found = codes(text)
    assert [c for c, *_ in found] == ["E0301", "E0305", "E0303", "E0302"]
    assert found == sorted(found, key=lambda f: (f[2], f[3]))


def test_staging_bucket_must_name_a_defined_bucket() -> None:
    training = "training:\n  group: trainer\n  run: x\n  staging_bucket: scratch\n"
    diags = [d for d in run(BASE + GROUP + "buckets:\n  results: {}\n" + training) if d.code.startswith("E")]
    assert [(d.code, d.path) for d in diags] == [("E0319", "training.staging_bucket")]
    assert "define it under `buckets:`" in (diags[0].hint or "")
