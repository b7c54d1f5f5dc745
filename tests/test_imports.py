"""`runctl validate` is an offline path: it must not import the cloud SDKs (they cost seconds)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("pulumi", "pulumi_aws", "boto3", "botocore")

PROBE = """
import sys
from runctl_iac.cli import app
try:
    app(["validate", sys.argv[1]])
except SystemExit as exc:
    code = exc.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2].split(",")))
print("exit", code, "heavy", ",".join(heavy) or "-")
"""


def test_validate_imports_no_cloud_sdk(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nname: demo\nregion: us-east-1\ninstances:\n  t: {type: g5.xlarge}\n")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(spec), ",".join(HEAVY)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )
    assert proc.stderr == ""
    assert proc.stdout.splitlines()[-1] == "exit 0 heavy -"


def test_probe_detects_heavy_imports() -> None:
    # the probe itself works: importing boto3 first is noticed
    proc = subprocess.run(
        [sys.executable, "-c", "import boto3\n" + PROBE, "/nonexistent.yaml", ",".join(HEAVY)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout.splitlines()[-1] == "exit 1 heavy boto3,botocore"
