"""The offline commands (validate, schema, graph, plan, diff, cost) must not import the cloud SDKs:
they cost seconds, and reviewers run these commands in CI without credentials."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("pulumi", "pulumi_aws", "boto3", "botocore")

PROBE = """
import sys
from runctl_iac.cli import app
import json
try:
    app(json.loads(sys.argv[1]))
except SystemExit as exc:
    code = exc.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2].split(",")))
print("exit", code, "heavy", ",".join(heavy) or "-")
"""


def test_validate_imports_no_cloud_sdk(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nname: demo\nregion: us-east-1\ninstances:\n  t: {type: g5.xlarge}\n")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(["validate", str(spec)]), ",".join(HEAVY)],
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
        [
            sys.executable,
            "-c",
            "import boto3\n" + PROBE,
            '["validate", "/nonexistent.yaml"]',
            ",".join(HEAVY),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout.splitlines()[-1] == "exit 1 heavy boto3,botocore"


@pytest.mark.parametrize(
    "argv",
    [
        ["schema", "--markdown"],
        ["graph", "examples/llama-finetune.yaml", "--output", "json"],
        ["plan", "examples/llama-finetune.yaml", "--output", "json"],
        ["diff", "examples/quickstart.yaml", "examples/llama-finetune.yaml"],
        ["cost", "examples/llama-finetune.yaml"],
    ],
    ids=lambda argv: argv[0],
)
def test_offline_commands_import_no_cloud_sdk(argv: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), ",".join(HEAVY)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )
    assert proc.stdout.splitlines()[-1] == "exit 0 heavy -", proc.stderr[-2000:]
