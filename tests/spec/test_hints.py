"""Hints a careful user reads (issue 8 items 10 and 13): short, specific, never beside the point."""

from __future__ import annotations

from runctl_iac.diagnostics import Diagnostic
from runctl_iac.spec.check import check
from runctl_iac.spec.model import SourceMap
from runctl_iac.spec.yamlload import load_yaml

GROUP = "instances:\n  trainer:\n    type: g5.xlarge\n"
TRAINING = "training:\n  group: trainer\n  run: python train.py\n"


def run(text: str) -> list[Diagnostic]:
    doc = load_yaml(text.encode(), "spec.yaml")
    assert doc.data is not None, doc.diagnostics
    return check(doc.data, SourceMap(doc.positions, doc.keys, doc.file), "dev")[1]


def test_quoted_version_hint_says_drop_the_quotes() -> None:
    [diag] = run('version: "1"\nname: demo\n')
    assert diag.code == "E0205"
    assert diag.hint == "write 1 without quotes: it is the number 1, not a string"


def test_missing_version_hint_says_add_version_1() -> None:
    [diag] = run("name: demo\n")
    assert (diag.code, diag.path, diag.hint) == (
        "E0203",
        "version",
        "add `version: 1` as the first line of the spec",
    )


def test_io1_without_iops_hint_is_short() -> None:
    [diag] = run("version: 1\nname: demo\nvolumes:\n  v:\n    size_gb: 100\n    type: io1\n")
    assert diag.code == "E0203" and diag.hint is not None
    assert diag.hint.startswith("set iops") and "Sources" not in diag.hint and len(diag.hint) < 110


def test_checkpoints_without_bucket_is_an_error_with_a_hint() -> None:
    text = (
        "version: 1\nname: demo\nbuckets:\n  ckpt: {}\n" + GROUP + TRAINING + "  checkpoints:\n    dir: /c\n"
    )
    [diag] = run(text)
    assert (diag.code, diag.path, diag.line) == ("E0203", "training.checkpoints.bucket", 11)
    assert diag.hint and "nothing would ever be uploaded" in diag.hint
    assert run(text + "    bucket: ckpt\n") == []


def test_e0304_suggests_no_unrelated_bucket() -> None:
    buckets = "buckets:\n  llama-datasets: {{}}\n  llama-results: {{}}\n"
    text = (
        "version: 1\nname: demo\n"
        + buckets
        + GROUP
        + TRAINING
        + "  checkpoints:\n    dir: /c\n    bucket: {b}\n"
    )
    [far] = run(text.format(b="checkpoints"))
    assert far.code == "E0304" and far.hint is not None and "did you mean" not in far.hint
    assert far.hint.startswith("define it: add `checkpoints: {}` under `buckets:`")
    [near] = run(text.format(b="llama-result"))
    assert near.hint == 'did you mean "llama-results"?'
