"""docs/architecture.md names every layer of the import-linter contract that `make lint` enforces, and
the README links to it."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_architecture_page_names_every_layer_and_is_linked() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    [layers] = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    names = [name.strip() for layer in layers["layers"] for name in layer.split("|")]
    assert len(names) >= 10
    for name in names:
        package = (REPO / "runctl_iac" / name).is_dir()
        assert (f"`{name}/`" if package else f"`{name}.py`") in text, name
    assert "(docs/architecture.md)" in (REPO / "README.md").read_text(encoding="utf-8")
