"""The DLAMI support table (issue 8 item 6): the default line is supported, a pinned line past AWS's end
of patch is a validate warning (the date is injectable), an unknown or wrong-architecture line an error."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from runctl_iac.cli import app
from runctl_iac.diagnostics import Diagnostic
from runctl_iac.spec import dlami
from runctl_iac.spec.check import check
from runctl_iac.spec.model import SourceMap
from runctl_iac.spec.yamlload import load_yaml

SPEC = "version: 1\nname: demo\ninstances:\n  trainer:\n    type: {type}\n    image: {image}\n"


def run(image: str, type_: str = "g5.xlarge", today: date = date(2026, 11, 27)) -> list[Diagnostic]:
    doc = load_yaml(SPEC.format(type=type_, image=image).encode(), "spec.yaml")
    assert doc.data is not None
    return check(doc.data, SourceMap(doc.positions, doc.keys, doc.file), "dev", today=today)[1]


def test_every_line_has_framework_end_of_patch_and_source() -> None:
    table = dlami.table()
    assert table["source"].startswith("https://docs.aws.amazon.com/dlami/")
    date.fromisoformat(table["as_of"])
    for line in dlami.lines().values():
        assert line.framework == "PyTorch" and line.source.startswith("https://")
        assert set(line.architectures) <= {"x86_64", "arm64"}


def test_default_line_is_within_its_end_of_patch_on_the_table_date() -> None:
    as_of = date.fromisoformat(dlami.table()["as_of"])
    for arch in ("x86_64", "arm64"):
        line = dlami.line_for("dlami-pytorch", arch)
        assert line is not None and line.os == "ubuntu-24.04"
        assert line.end_of_patch > as_of
        assert line.version == dlami.versions_for(arch)[0]  # the newest line published for it


def test_pinned_line_past_end_of_patch_warns_at_validate() -> None:
    [warning] = run("dlami-pytorch-2.9")
    assert (warning.code, warning.severity.value, warning.path) == (
        "W0315",
        "warning",
        "instances.trainer.image",
    )
    assert "2026-10-15" in warning.message and warning.line == 6
    assert warning.hint and "dlami-pytorch-2.12" in warning.hint
    assert run("dlami-pytorch-2.9", today=date(2026, 10, 15)) == []  # the last patched day
    assert run("dlami-pytorch-2.12") == [] and run("dlami-pytorch") == []


@pytest.mark.parametrize(
    ("image", "type_"), [("dlami-pytorch-3.0", "g5.xlarge"), ("dlami-pytorch-2.12", "g5g.xlarge")]
)
def test_unknown_or_wrong_architecture_line_is_an_error(image: str, type_: str) -> None:
    [error] = [d for d in run(image, type_) if d.code != "W0311"]  # g5g is not in the price catalog
    assert error.code == "E0316" and error.hint and "dlami-pytorch-" in error.hint


def test_validate_cli_warns_with_the_injected_date(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(type="g5.xlarge", image="dlami-pytorch-2.10"))
    monkeypatch.setenv("RUNCTL_TODAY", "2027-02-01")
    result = CliRunner().invoke(app, ["validate", str(spec)])
    assert result.exit_code == 0 and "warning[W0315]" in result.stdout
    monkeypatch.setenv("RUNCTL_TODAY", "2026-11-27")
    result = CliRunner().invoke(app, ["validate", str(spec)])
    assert result.exit_code == 0 and "W0315" not in result.stdout


def test_near_misses_of_the_alias_still_get_did_you_mean() -> None:
    [typo] = run("dlami-pytorh")
    assert typo.code == "E0204" and typo.hint == 'did you mean "dlami-pytorch"?'
    [pinned] = run("dlami-pytorch-2")
    assert pinned.code == "E0204" and "dlami-pytorch-X.Y" in pinned.message
