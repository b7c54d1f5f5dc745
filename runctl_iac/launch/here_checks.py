"""Preflight of a local run (`runctl run --here`) on this machine: GPUs, free disk, the framework.

The node script's own preflight expects the spec's accelerators; a local run checks what this
machine has instead and says so: no GPU is a warning (the job runs on CPU) or, with
`--require-gpu`, an error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from runctl_iac.accelerators import lookup
from runctl_iac.compiler.graph import LaunchPlan
from runctl_iac.diagnostics import Diagnostic, Severity

MIN_FREE_MB = 1024  # a local run keeps logs and checkpoints only; RUNCTL_MIN_FREE_MB overrides


def count_gpus() -> int | None:
    """NVIDIA GPUs nvidia-smi lists; None when there is no nvidia-smi."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        done = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return len([line for line in done.stdout.splitlines() if line.strip()]) if done.returncode == 0 else 0


def min_free_mb() -> int:
    raw = os.environ.get("RUNCTL_MIN_FREE_MB", "")
    return int(raw) if raw.isdigit() else MIN_FREE_MB


def preflight(
    plan: LaunchPlan,
    image: str,
    root: Path,
    *,
    require_gpu: bool,
    gpus: Callable[[], int | None] = count_gpus,
) -> tuple[list[Diagnostic], list[str]]:
    """Diagnostics (an error stops the run) and notes on this machine: GPUs, free disk, framework."""
    found: list[Diagnostic] = []
    notes: list[str] = []
    accel = lookup(plan.instance_type)
    have = gpus()
    want = f"{plan.instance_type} has {accel.describe()}" if accel else f"{plan.instance_type} has no GPU"
    if not have:
        why = "no nvidia-smi on PATH" if have is None else "nvidia-smi lists no GPU"
        if require_gpu:
            found.append(
                Diagnostic(
                    Severity.ERROR,
                    "E0820",
                    f"no GPU on this machine ({why})",
                    path="training",
                    hint="run it on a machine with an NVIDIA GPU and driver, "
                    "or leave out --require-gpu to try the job on CPU",
                )
            )
        elif accel is not None:
            found.append(
                Diagnostic(
                    Severity.WARNING,
                    "W0821",
                    f"no GPU on this machine ({why}): the job runs on CPU ({want})",
                    path="training",
                    hint="fine for checking setup and run; --require-gpu makes this an error",
                )
            )
    else:
        notes.append(f"{have} GPU(s) on this machine ({want})")
    root.mkdir(parents=True, exist_ok=True)
    free_mb = shutil.disk_usage(root).free // (1024 * 1024)
    if free_mb < min_free_mb():
        found.append(
            Diagnostic(
                Severity.ERROR,
                "E0822",
                f"only {free_mb} MiB free in {root}, at least {min_free_mb()} MiB needed",
                path="training",
                hint="free some space, or set RUNCTL_MIN_FREE_MB to a smaller value",
            )
        )
    venv = os.environ.get("VIRTUAL_ENV")
    python = f"the virtualenv {venv}" if venv else "the python on PATH (no virtualenv is active)"
    found.append(
        Diagnostic(
            Severity.WARNING,
            "W0823",
            f"the spec's image {image} is not used here: the job runs with {python}",
            path=f"instances.{plan.group}.{'container_image' if plan.provider == 'runpod' else 'image'}",
            hint="activate the virtualenv the job needs before `runctl run --here`",
        )
    )
    return found, notes
