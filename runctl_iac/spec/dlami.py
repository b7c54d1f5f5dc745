"""The Deep Learning AMI support table (`runctl_iac/data/dlami.json`): which PyTorch DLAMI line an image
alias reads, per CPU architecture, and whether that line is still patched by AWS.

    line_for("dlami-pytorch", "arm64")       -> the default arm64 line (newest AWS publishes for arm64)
    line_for("dlami-pytorch-2.12", "x86_64") -> the pinned 2.12 line
    parameter(line, "x86_64")                -> its public SSM parameter

`today()` is the date end-of-patch checks compare with: `RUNCTL_TODAY` (YYYY-MM-DD) when set, so tests
and reproducible CI runs pin it, else the local date.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

ALIAS = "dlami-pytorch"
PINNED = re.compile(r"^dlami-pytorch-(\d+\.\d+)$")
TABLE_FILE = "dlami.json"


@dataclass(frozen=True)
class Line:
    framework: str
    version: str
    os: str  # SSM name part, e.g. "ubuntu-24.04"
    architectures: tuple[str, ...]
    end_of_patch: date
    source: str

    @property
    def label(self) -> str:
        return f"{self.framework} {self.version} ({self.os.replace('-', ' ').title()})"


@functools.cache
def table() -> dict[str, Any]:
    text = resources.files("runctl_iac").joinpath("data", TABLE_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def lines() -> dict[str, Line]:
    """Every known line, by version ("2.12")."""
    out = {}
    for row in table()["lines"]:
        out[row["version"]] = Line(
            row["framework"],
            row["version"],
            row["os"],
            tuple(row["architectures"]),
            date.fromisoformat(row["end_of_patch"]),
            row["source"],
        )
    return out


_FAMILY = re.compile(r"^([a-z]+)(\d+)([a-z-]*)")


def architecture(instance_type: str) -> str:
    """`x86_64` or `arm64`, from the instance family (Graviton families carry a `g` after the generation)."""
    family = instance_type.split(".", 1)[0]
    m = _FAMILY.match(family)
    if m is None:
        return "x86_64"
    suffix = m.group(3)
    if "gb" in suffix or "g" in suffix.split("-", 1)[0]:
        return "arm64"
    return "x86_64"


def is_dlami_pytorch(image: str) -> bool:
    return image == ALIAS or PINNED.match(image) is not None


def pinned_version(image: str) -> str | None:
    match = PINNED.match(image)
    return match.group(1) if match else None


def line_for(image: str, arch: str) -> Line | None:
    """The line `image` (`dlami-pytorch` or `dlami-pytorch-X.Y`) reads on `arch`; None when unknown or
    not published for that architecture."""
    version = pinned_version(image) if image != ALIAS else table()["default"].get(arch)
    line = lines().get(version or "")
    return line if line is not None and arch in line.architectures else None


def parameter(line: Line, arch: str) -> str:
    template: str = table()["parameter"]
    return template.format(arch=arch, version=line.version, os=line.os)


def versions_for(arch: str) -> list[str]:
    """Known versions published for `arch`, newest first."""
    known = [v for v, line in lines().items() if arch in line.architectures]
    return sorted(known, key=lambda v: tuple(int(p) for p in v.split(".")), reverse=True)


def today() -> date:
    pinned = os.environ.get("RUNCTL_TODAY")
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            pass
    return date.today()
