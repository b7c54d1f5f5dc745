"""Project configuration: guardrail settings from `runctl.toml` or `[tool.runctl]` in pyproject.toml.

Search: the project root's marker (`runctl_iac.project`): from the spec's directory upward,
stopping after the git root (a directory holding `.git`) or at the filesystem root. The nearest
directory that has a config wins; within one directory `runctl.toml` wins over pyproject.toml
(a pyproject.toml without `[tool.runctl]` is skipped). No file: the defaults.

Keys (all optional):
    max_instances = 16                      # cap on all instances in a spec
    allowed_regions = ["us-east-1"]         # region allowlist
    allowed_instance_types = ["g5.*"]       # instance type allowlist, glob patterns
    required_tags = ["team"]                # tag keys every spec must set
    spot_discount = 0.6                     # assumed spot discount off on-demand, 0 <= d < 1
    regions = ["us-east-1", "us-west-2"]    # where `runctl gc` and `runctl resources` look
    backend = "s3://bucket/prefix"          # state backend for the team (default: .runctl/state)
    secrets_provider = "awskms://alias/x"   # instead of the passphrase provider
    [gc]
    stopped_for = "7d"                      # `gc --expired` also destroys stacks autostopped this long

Invalid settings raise `DiagnosticError` with E0510 diagnostics. `tomllib` does not
report positions, so the line of an offending key is found by a text search for
`key =` (inside the `[tool.runctl]` table for pyproject.toml); when that finds
nothing (e.g. a key written in dotted or inline-table form) the diagnostic
points at line 1 of the file.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.project import config_file
from runctl_iac.spec.durations import parse_duration
from runctl_iac.spec.model import Duration

DEFAULT_MAX_INSTANCES = 16
KEYS = (
    "max_instances",
    "allowed_regions",
    "allowed_instance_types",
    "required_tags",
    "spot_discount",
    "regions",
    "backend",
    "secrets_provider",
    "gc",
)
STRING_KEYS = ("backend", "secrets_provider")


@dataclass(frozen=True)
class ProjectConfig:
    max_instances: int = DEFAULT_MAX_INSTANCES
    allowed_regions: tuple[str, ...] | None = None  # None: any region
    allowed_instance_types: tuple[str, ...] | None = None  # glob patterns; None: any type
    required_tags: tuple[str, ...] = ()
    spot_discount: Decimal | None = None  # None: the cost module's default
    regions: tuple[str, ...] | None = None  # searched by gc and resources; None: the AWS profile's region
    backend: str | None = None  # state backend URL (engine settings)
    secrets_provider: str | None = None  # e.g. awskms://...; None: passphrase
    gc_stopped_for: Duration | None = None  # [gc] stopped_for: destroy stacks autostopped this long
    source: str | None = field(default=None, compare=False)  # file it was read from, for hints

    def instance_type_allowed(self, instance_type: str) -> bool:
        if self.allowed_instance_types is None:
            return True
        return any(fnmatch.fnmatchcase(instance_type, pat) for pat in self.allowed_instance_types)


def find_config(start: str | Path) -> tuple[Path, bool] | None:
    """(path, is_pyproject) of the config that applies to specs in `start`, or None: the marker of
    the project root (`runctl_iac.project`, one rule for every command)."""
    return config_file(start)


def load_project_config(spec_path_or_dir: str | Path) -> ProjectConfig:
    """The project config for a spec (file or directory); defaults when there is none."""
    found = find_config(spec_path_or_dir)
    if found is None:
        return ProjectConfig()
    path, is_pyproject = found
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DiagnosticError([_error(str(path), 1, "", f"cannot read the file: {exc}")]) from None
    return parse_config(text, str(path), pyproject=is_pyproject)


def parse_config(text: str, file: str, *, pyproject: bool = False) -> ProjectConfig:
    """Validate the TOML text of runctl.toml (or the `[tool.runctl]` table of pyproject.toml)."""
    try:
        doc = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        if m:
            line, col = int(m.group(1)), int(m.group(2))
        else:  # "at end of document": just after the last character written
            lines = text.rstrip("\n").split("\n")
            line, col = len(lines), len(lines[-1]) + 1
        raise DiagnosticError([_error(file, line, "", f"TOML syntax error: {exc}", column=col)]) from None
    table: Any = doc.get("tool", {}).get("runctl", {}) if pyproject else doc
    prefix = "tool.runctl." if pyproject else ""
    finder = _KeyFinder(text, "tool.runctl" if pyproject else None)
    if not isinstance(table, Mapping):
        raise DiagnosticError([_error(file, finder.line(None), prefix.rstrip("."), "must be a table")])
    problems: list[Diagnostic] = []
    values: dict[str, Any] = {}

    def bad(key: str, message: str, hint: str | None = None) -> None:
        problems.append(_error(file, finder.line(key), prefix + key, message, hint=hint))

    for key, value in table.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "known keys: " + ", ".join(KEYS)
            bad(key, f"unknown key {key!r}", hint)
        elif key == "max_instances":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                bad(key, f"must be a whole number of at least 1, not {value!r}")
            else:
                values[key] = value
        elif key == "spot_discount":
            if isinstance(value, str):  # a quoted number: say exactly what to write instead
                number = value.strip() if re.fullmatch(r"\s*[0-9]*\.?[0-9]+\s*", value) else "0.6"
                bad(
                    key,
                    f'must be a number, not the string "{value}"',
                    f"write it without quotes: spot_discount = {number} (0.6: 60 % off on-demand)",
                )
            elif isinstance(value, bool) or not isinstance(value, (int, Decimal)):
                bad(key, f"must be a number, not {value!r}", "e.g. spot_discount = 0.6 (60 % off on-demand)")
            elif not Decimal(0) <= Decimal(value) < Decimal(1):
                bad(key, f"must be at least 0 and below 1, not {value}", "0.6: spot costs 40 % of on-demand")
            else:
                values[key] = Decimal(value)
        elif key == "gc":
            stopped = value.get("stopped_for") if isinstance(value, Mapping) else None
            if not isinstance(value, Mapping) or set(value) - {"stopped_for"}:
                bad(
                    key,
                    f"must be a table with the key stopped_for, not {value!r}",
                    'e.g. [gc] stopped_for = "7d"',
                )
            elif stopped is not None:
                try:
                    values["gc_stopped_for"] = parse_duration(str(stopped))
                except ValueError as exc:
                    bad(key, f"stopped_for: {exc}", 'e.g. stopped_for = "7d"')
        elif key in STRING_KEYS:
            if not isinstance(value, str) or not value:
                bad(key, f"must be a non-empty string, not {value!r}", f'e.g. {key} = "..."')
            else:
                values[key] = value
        elif not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            bad(key, f"must be a list of non-empty strings, not {value!r}", f'e.g. {key} = ["..."]')
        else:
            values[key] = tuple(value)
    if problems:
        raise DiagnosticError(problems)
    return ProjectConfig(
        max_instances=values.get("max_instances", DEFAULT_MAX_INSTANCES),
        allowed_regions=values.get("allowed_regions"),
        allowed_instance_types=values.get("allowed_instance_types"),
        required_tags=values.get("required_tags", ()),
        spot_discount=values.get("spot_discount"),
        regions=values.get("regions"),
        backend=values.get("backend"),
        secrets_provider=values.get("secrets_provider"),
        gc_stopped_for=values.get("gc_stopped_for"),
        source=file,
    )


class _KeyFinder:
    """Finds the line of `key =` in the relevant table by a plain text search (see the module doc)."""

    def __init__(self, text: str, table: str | None) -> None:
        self.lines = text.splitlines()
        self.table = table

    def _span(self) -> tuple[int, int]:
        """[start, end) line indexes of the table's body."""
        headers = [i for i, raw in enumerate(self.lines) if re.match(r"\s*\[", raw)]
        if self.table is None:  # runctl.toml: the top level ends at the first table header
            return 0, headers[0] if headers else len(self.lines)
        for n, i in enumerate(headers):
            m = re.match(r"\s*\[\s*([^\[\]]+?)\s*\]", self.lines[i])
            if m and m.group(1) == self.table:
                return i + 1, headers[n + 1] if n + 1 < len(headers) else len(self.lines)
        return 0, 0

    def line(self, key: str | None) -> int:
        start, end = self._span()
        if key is None:
            return max(start, 1)  # the table header's line
        pattern = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for i in range(start, end):
            if pattern.match(self.lines[i]):
                return i + 1
        return 1


def _error(
    file: str, line: int, path: str, message: str, *, column: int = 1, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(
        severity=Severity.ERROR,
        code="E0510",
        message=message,
        file=file,
        line=line,
        column=column,
        path=path,
        hint=hint,
    )
