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


OFFLINE_COMMANDS = [
    (["schema", "--markdown"], ("jsonschema",)),  # the reference is rendered without the validator
    (["graph", "examples/llama-finetune.yaml", "--output", "json"], ()),
    (["plan", "examples/llama-finetune.yaml", "--output", "json"], ()),
    (["plan", "examples/llama-finetune.yaml", "--offline", "--output", "markdown"], ()),
    (["diff", "examples/quickstart.yaml", "examples/llama-finetune.yaml"], ()),
    (["cost", "examples/llama-finetune.yaml"], ()),
    (["cost", "examples/llama-finetune.yaml", "--output", "markdown"], ()),
    (["launch", "examples/llama-finetune.yaml", "--print-script"], ()),
]


@pytest.mark.parametrize(
    ("argv", "also_heavy"), OFFLINE_COMMANDS, ids=lambda v: "-".join(v[:2]) if isinstance(v, list) else None
)
def test_offline_commands_import_no_cloud_sdk(argv: list[str], also_heavy: tuple[str, ...]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), ",".join(HEAVY + also_heavy)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )
    assert proc.stdout.splitlines()[-1] == "exit 0 heavy -", proc.stderr[-2000:]


def test_offline_modules_import_no_cloud_sdk() -> None:
    """The modules the offline paths are built from, imported alone."""
    modules = (
        "runctl_iac.plan.diff, runctl_iac.plan.base, runctl_iac.plan.replace_rules, runctl_iac.plan.cost, "
        "runctl_iac.plan.policy, runctl_iac.plan.config, runctl_iac.prices, runctl_iac.plan.live_prices, "
        "runctl_iac.compiler, runctl_iac.render.graph, runctl_iac.spec"
    )
    loaded = "{m.split('.')[0] for m in sys.modules}"
    code = f"import sys\nimport {modules}\nprint(sorted({loaded} & {set(HEAVY)!r}))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
