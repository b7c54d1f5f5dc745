"""Instance types checked against the price catalog at validate time (W0311, E0312).

- A type whose family the catalog knows but whose size it does not (`g5.xlarg`)
  is an error (E0312): the family's sizes are listed, with "did you mean".
- A type of a family the catalog does not know is a warning (W0311) with
  "did you mean" against every type the catalog knows: the type may be new or
  outside the catalog (it then has no price), or misspelt (`g5e.xlarge`).

The catalog is read through `runctl_iac.prices` (a JSON file shipped in the package,
parsed once): no cloud SDK, no network, so `validate` stays fast and offline.
Runs on schema-valid data, but reads defensively so that it can run on any part
of a spec that passed the schema.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.spec.model import SourceMap


def _close(name: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.75)
    return close[0] if close else None


def suggest_instance_type(instance_type: str) -> str | None:
    """The catalog type closest to `instance_type` (None when nothing is close)."""
    from runctl_iac.prices import catalog

    return _close(instance_type, catalog().instance_types())


def instance_type_diagnostics(
    data: Mapping[str, Any], source: SourceMap, clean: Callable[..., bool] = lambda *path: True
) -> list[Diagnostic]:
    """W0311 / E0312 for every group whose `type` passed the schema (`clean(*path)`)."""
    from runctl_iac.prices import catalog

    instances = data.get("instances")
    if not isinstance(instances, Mapping):
        return []
    cat = catalog()
    known = cat.instance_types()
    out: list[Diagnostic] = []
    for group, spec in instances.items():
        itype = spec.get("type") if isinstance(spec, Mapping) else None
        if not isinstance(itype, str) or itype in known or not clean("instances", group, "type"):
            continue
        path = ("instances", group, "type")
        family, _, size = itype.partition(".")
        sizes = cat.family_sizes(family)
        if sizes is not None:
            close = _close(itype, (f"{family}.{s}" for s in sizes))
            hint = (f"did you mean {close}? " if close else "") + f"{family} sizes: " + ", ".join(sizes)
            out.append(
                source.diagnostic(
                    Severity.ERROR, "E0312", f"{family} has no size {size!r} ({itype})", path, hint
                )
            )
            continue
        close = _close(itype, known)
        hint = f"did you mean {close}?" if close else "check the type; runctl has no price for it"
        out.append(
            source.diagnostic(
                Severity.WARNING,
                "W0311",
                f"instance type {itype} is not in runctl's price catalog: its cost is unknown",
                path,
                hint,
            )
        )
    return out
