"""Checking in tiers, cheapest first: JSON Schema, then semantic checks, then the typed Spec.

Semantic checks (and advice: warnings) run on every part of the data that passed the schema, so one run
reports every problem; the Spec is built only when no tier reported an error.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from runctl_iac.diagnostics import Diagnostic, has_errors
from runctl_iac.spec.advice import advice_diagnostics
from runctl_iac.spec.build import build_spec
from runctl_iac.spec.model import SourceMap, Spec
from runctl_iac.spec.parts import Parts
from runctl_iac.spec.schema import schema_check, sort_key
from runctl_iac.spec.semantic import local_path_diagnostics, semantic_diagnostics


def check(
    data: dict[str, Any],
    source: SourceMap,
    stack: str,
    today: date | None = None,
    spec_dir: Path | None = None,
) -> tuple[Spec | None, list[Diagnostic]]:
    """Validate plain spec data (already a mapping); return the Spec when valid, and every diagnostic.
    `today` is the date end-of-patch advice compares with (default `dlami.today()`); `spec_dir` is
    the folder of the spec file, where local paths (training.code) must exist (None: a spec read
    from elsewhere, e.g. a git ref, whose paths are not checked)."""
    diagnostics, invalid = schema_check(data, source)
    diagnostics += semantic_diagnostics(data, source, invalid)
    if spec_dir is not None:
        diagnostics += local_path_diagnostics(data, source, Parts(data, invalid), spec_dir)
    diagnostics += advice_diagnostics(data, source, Parts(data, invalid), today)
    diagnostics.sort(key=sort_key)
    if has_errors(diagnostics):
        return None, diagnostics
    return build_spec(data, source, stack), diagnostics
