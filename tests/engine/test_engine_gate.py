"""Without a Pulumi CLI the engine tests skip in `make test`, but fail `make test-engine`
(RUNCTL_REQUIRE_ENGINE=1), so CI never skips them silently."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(require: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RUNCTL_REQUIRE_ENGINE"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"])
    if require:
        env["RUNCTL_REQUIRE_ENGINE"] = "1"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/engine/test_engine_preview.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_engine_tests_skip_with_the_reason_without_a_cli() -> None:
    run = _run(require=False)
    assert run.returncode == 0, run.stdout
    assert "1 skipped" in run.stdout and "pulumi CLI not on PATH" in run.stdout


def test_engine_tests_fail_when_required_and_no_cli() -> None:
    run = _run(require=True)
    assert run.returncode != 0
    assert "RUNCTL_REQUIRE_ENGINE=1" in run.stdout + run.stderr
