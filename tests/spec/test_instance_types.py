"""Issue 8 item 3: instance types are checked against the price catalog at validate time."""

from __future__ import annotations

from pathlib import Path

from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.spec.check import check
from runctl_iac.spec.model import SourceMap
from runctl_iac.spec.yamlload import load_yaml
from tests.cli.plan_helpers import invoke

SPEC = "version: 1\nname: demo\ninstances:\n  trainer:\n    type: {itype}\n"


def run(itype: str) -> list[Diagnostic]:
    doc = load_yaml(SPEC.format(itype=itype).encode(), "spec.yaml")
    assert doc.data is not None
    _, diags = check(doc.data, SourceMap(doc.positions, doc.keys, doc.file), "dev")
    return diags


def test_known_instance_types_pass() -> None:
    for itype in ("g5.xlarge", "p4d.24xlarge", "m6i.large", "p5e.48xlarge"):  # p5e: known, unpriced
        assert run(itype) == [], itype


def test_unknown_size_of_a_known_family_is_an_error_with_did_you_mean() -> None:
    (d,) = run("g5.xlarg")
    assert (d.code, d.severity, d.path, d.line, d.column) == (
        "E0312",
        Severity.ERROR,
        "instances.trainer.type",
        5,
        11,
    )
    assert (d.hint or "").startswith("did you mean g5.xlarge?")
    assert "2xlarge" in (d.hint or "")


def test_unknown_family_is_a_warning_with_did_you_mean() -> None:
    (d,) = run("g5x.xlarge")
    assert (d.code, d.severity) == ("W0311", Severity.WARNING)
    assert d.hint == "did you mean g5.xlarge?"
    (far,) = run("qq.huge")
    assert far.code == "W0311" and "did you mean" not in (far.hint or "")


def test_validate_warns_and_passes_for_an_unknown_family(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(itype="g5x.xlarge"), encoding="utf-8")
    result = invoke("validate", str(spec))
    assert result.code == 0
    assert "warning[W0311] instances.trainer.type" in result.stdout + result.stderr
    spec.write_text(SPEC.format(itype="g5.xlarg"), encoding="utf-8")
    result = invoke("validate", str(spec))
    assert result.code == 1 and "did you mean g5.xlarge?" in result.stdout + result.stderr
