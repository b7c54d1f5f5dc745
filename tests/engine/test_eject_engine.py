"""`runctl eject` through the real engine (marked `engine`), as a journey from an empty folder: apply
the local example with runctl, eject it, and preview the ejected project on the same stack (same
backend, same passphrase): no changes.

The preview runs `pulumi preview --expect-no-changes` in the ejected folder where the Python
language plugin (`pulumi-language-python`) is on PATH. `make engine-cli` builds the CLI only, so
elsewhere the ejected `__main__.py` runs as the program of an Automation API workspace opened in
the ejected folder: its Pulumi.yaml and Pulumi.<stack>.yaml, the same CLI, backend and engine.
"""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.plan_helpers import invoke
from tests.engine.real import ROOT, STANDIN_BIN

pytestmark = pytest.mark.engine


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None) -> Iterator[Path]:
    """An empty folder (no git, no runctl.toml, an empty HOME) with the local example, and the local
    emulator running."""
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("PATH", f"{STANDIN_BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("RUNCTL_STANDIN_PYTHON", sys.executable)
    shutil.copy(ROOT / "examples" / "local.yaml", work / "local.yaml")
    started = invoke("local", "start")
    assert started.code == 0, started.stderr
    try:
        yield work
    finally:
        invoke("local", "stop")


def _preview_env() -> dict[str, str]:
    from runctl_iac.engine.local import FAKE_CREDENTIALS
    from runctl_iac.stackref import LOCAL_PASSPHRASE

    return {
        **FAKE_CREDENTIALS,
        "PULUMI_CONFIG_PASSPHRASE": LOCAL_PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
    }


def _preview_changes(folder: Path, stack: str) -> dict[str, int]:
    """The preview's change summary (operation -> count) of the ejected project on `stack`."""
    if shutil.which("pulumi-language-python"):
        (folder / "venv").symlink_to(Path(sys.executable).parents[1])
        done = subprocess.run(
            ["pulumi", "preview", "--stack", stack, "--expect-no-changes", "--non-interactive"],
            cwd=folder,
            env={**os.environ, **_preview_env()},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return {"same": 1}
    from pulumi import automation as auto

    program = folder / "__main__.py"
    ws = auto.LocalWorkspace(
        work_dir=str(folder), env_vars=_preview_env(), program=lambda: runpy.run_path(str(program))
    )
    summary = auto.Stack.select(stack, ws).preview(diff=True).change_summary
    return {str(k): v for k, v in summary.items()}


def test_eject_then_preview_on_the_same_stack_shows_no_changes(project: Path) -> None:
    applied = invoke("apply", "local.yaml", "--yes", "--no-launch")
    assert applied.code == 0, applied.stdout + applied.stderr

    ejected = invoke("eject", "local.yaml", "--out", "ejected")
    assert ejected.code == 0 and "W0722" not in ejected.stderr, ejected.stderr
    folder = project / "ejected"
    assert {"Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py", "requirements.txt", "README.md"} <= {
        p.name for p in folder.iterdir()
    }
    assert (folder / "training" / "node.sh").is_file()
    ruff = Path(sys.executable).parent / "ruff"
    assert subprocess.run([str(ruff), "check", "--isolated", str(folder)], check=False).returncode == 0

    changes = _preview_changes(folder, "dev")
    assert set(changes) == {"same"}, changes
    if not shutil.which("pulumi-language-python"):  # the same preview sees an edit: it is no rubber stamp
        main = folder / "__main__.py"
        main.write_text(
            main.read_text().replace('"runctl:managed-by": "runctl"', '"runctl:managed-by": "me"')
        )
        assert _preview_changes(folder, "dev").get("update"), "an edited tag must show as an update"
    assert invoke("eject", "local.yaml", "--out", "ejected").code == 1  # E0721: never overwrites
