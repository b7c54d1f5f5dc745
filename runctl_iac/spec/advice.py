"""Findings about a spec that the schema accepts but that deserve a word: pinned Deep Learning AMI lines
(unknown, not published for the architecture, or past AWS's end of patch) and a ttl that ends the
environment before the job's max_runtime. Runs on the parts that passed the schema, like `semantic`."""

from __future__ import annotations

from datetime import date
from typing import Any

from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.spec import dlami
from runctl_iac.spec.durations import MAX_DURATION_SECONDS, format_seconds, parse_duration
from runctl_iac.spec.model import SourceMap
from runctl_iac.spec.parts import Parts
from runctl_iac.spec.schema import sort_key


def advice_diagnostics(
    data: dict[str, Any], source: SourceMap, parts: Parts, today: date | None = None
) -> list[Diagnostic]:
    out = [*_images(parts, source, today or dlami.today()), *_ttl(parts, source)]
    return sorted(out, key=sort_key)


def _images(parts: Parts, source: SourceMap, today: date) -> list[Diagnostic]:
    out = []
    for group, spec in parts.mapping("instances").items():
        if not (parts.clean("instances", group, "image") and parts.clean("instances", group, "type")):
            continue
        image = spec.get("image")
        version = dlami.pinned_version(image) if isinstance(image, str) else None
        if version is None:
            continue
        path = ("instances", group, "image")
        arch = dlami.architecture(spec["type"])
        line = dlami.line_for(image, arch)
        if line is None:
            patched = [v for v in dlami.versions_for(arch) if dlami.lines()[v].end_of_patch >= today]
            known = ", ".join(f"dlami-pytorch-{v}" for v in patched)
            if version in dlami.lines():
                message = f"AWS publishes no PyTorch {version} Deep Learning AMI for {arch} ({spec['type']})"
            else:
                message = f"no PyTorch {version} Deep Learning AMI line is known to runctl"
            hint = f"use dlami-pytorch (the newest line for {arch})" + (
                f" or one of: {known}" if known else ""
            )
            out.append(source.diagnostic(Severity.ERROR, "E0316", message, path, hint))
        elif line.end_of_patch < today:
            newest = dlami.versions_for(arch)[0]
            message = (
                f"{line.label} Deep Learning AMIs are past AWS's end of patch "
                f"({line.end_of_patch.isoformat()}): new nodes boot an image without security patches"
            )
            hint = f"use dlami-pytorch or dlami-pytorch-{newest} (support policy: {line.source})"
            out.append(source.diagnostic(Severity.WARNING, "W0315", message, path, hint))
    return out


def _ttl(parts: Parts, source: SourceMap) -> list[Diagnostic]:
    training = parts.data.get("training")
    if not isinstance(training, dict) or not (parts.clean("ttl") and parts.clean("training", "max_runtime")):
        return []
    ttl, runtime = parts.data.get("ttl"), training.get("max_runtime")
    if ttl is None or runtime is None:
        return []
    try:
        ttl_s, run_s = parse_duration(ttl).seconds, parse_duration(runtime).seconds
    except ValueError:
        return []  # E0308 already
    if ttl_s >= run_s or max(ttl_s, run_s) > MAX_DURATION_SECONDS:  # too long: E0308 already
        return []
    message = (
        f"ttl {ttl} is shorter than training.max_runtime {runtime}: the environment expires "
        f"{format_seconds(run_s - ttl_s)} before the job's time is up"
    )
    hint = f"raise ttl to at least {runtime}, or lower max_runtime"
    return [source.diagnostic(Severity.WARNING, "W0317", message, ("ttl",), hint)]
