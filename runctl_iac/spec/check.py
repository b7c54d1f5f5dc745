"""Checking in tiers, cheapest first: JSON Schema, then semantic checks, then the typed Spec.

Semantic checks run only on schema-valid data (so they can trust shapes and types); the Spec is built
only when no tier reported an error.
"""

from __future__ import annotations

from typing import Any

from runctl_iac.diagnostics import Diagnostic, has_errors
from runctl_iac.spec.build import build_spec
from runctl_iac.spec.model import SourceMap, Spec
from runctl_iac.spec.schema import schema_diagnostics
from runctl_iac.spec.semantic import semantic_diagnostics


def check(data: dict[str, Any], source: SourceMap, stack: str) -> tuple[Spec | None, list[Diagnostic]]:
    """Validate plain spec data (already a mapping); return the Spec when valid, and every diagnostic."""
    diagnostics = schema_diagnostics(data, source)
    if has_errors(diagnostics):
        return None, diagnostics
    diagnostics += semantic_diagnostics(data, source)
    if has_errors(diagnostics):
        return None, diagnostics
    return build_spec(data, source, stack), diagnostics
