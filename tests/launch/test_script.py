"""Rendering the node script: shellcheck-clean, values quoted and inert, offline values read at run time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runctl_iac.compiler.names import resolve_account
from runctl_iac.launch.core import with_account
from runctl_iac.launch.script import Runtime, fetch_and_run_command, render_script, render_values
from tests.launch.plans import HOSTILE, compiled, full_training, spec

SHELLCHECK = Path(sys.executable).parent / "shellcheck"


def _shellcheck(text: str, tmp_path: Path) -> None:
    path = tmp_path / "node.sh"
    path.write_text(text)
    out = subprocess.run([str(SHELLCHECK), "-x", str(path)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout


ACCOUNT = "0a1b2c3d"  # the account suffix of a pretend apply (compiler.names)


def _render(count: int = 1, hostile: bool = False, runtime: bool = True, rank: int = 0) -> str:
    training = full_training(run=HOSTILE, setup=HOSTILE) if hostile else full_training()
    graph, plan = compiled(spec(count=count, training=training, volumes=True))
    rt = None
    if runtime:  # after apply: bucket names carry the account suffix (launch.core.with_account)
        plan = with_account(plan, resolve_account(plan.staging_bucket or "", ACCOUNT))
        rt = Runtime(
            run_id="20260101T000000Z-abcdef",
            bucket="bucket-x",
            node_ips=tuple(f"10.0.0.{i + 1}" for i in range(count)),
            code_uri="s3://bucket-x/code/abc.tar.gz",
            volume_ids={m.volume_resource: f"vol-0{i}" for n in plan.nodes for i, m in enumerate(n.mounts)},
        )
    return render_script(
        plan, rank, project=graph.project, stack=graph.stack, region=graph.region, runtime=rt
    )


@pytest.mark.parametrize(
    ("count", "hostile", "runtime"),
    [(1, False, True), (3, False, True), (2, True, True), (2, False, False)],
    ids=["single-node", "multi-node", "hostile-values", "offline"],
)
def test_rendered_scripts_pass_shellcheck(tmp_path: Path, count: int, hostile: bool, runtime: bool) -> None:
    _shellcheck(_render(count, hostile, runtime, rank=count - 1), tmp_path)


def _values_as_bash_sees_them(text: str, *names: str) -> list[str]:
    """Source the rendered block in bash and print the named variables and arrays, NUL-separated."""
    start = text.index("# ---- RENDERED VALUES")
    end = text.index('\nR="${RUNCTL_ROOT:-}"')
    prints = "; ".join(f'printf "%s\\0" "${{{n}[@]}}"' for n in names)
    out = subprocess.run(
        ["bash", "-c", text[start:end] + "\n" + prints],
        capture_output=True,
        check=True,
        cwd="/",
        env={"PATH": "/usr/bin:/bin"},
    )
    return out.stdout.decode().split("\0")[:-1]


def test_hostile_values_are_inert_and_exact(tmp_path: Path) -> None:
    marker = Path("/tmp/runctl-pwned")
    marker.unlink(missing_ok=True)
    text = _render(2, hostile=True)
    got = _values_as_bash_sees_them(text, "ENV_VALUES", "RUN_TEXT", "SETUP_TEXT")
    assert got == ["hello", HOSTILE, HOSTILE, HOSTILE]
    assert not marker.exists()


def test_values_per_rank_and_no_secret_values() -> None:
    text = _render(2, rank=1)
    got = _values_as_bash_sees_them(
        text, "RUNCTL_NODE_RANK", "RUNCTL_NUM_NODES", "RUNCTL_NODE_IPS", "SECRET_NAMES", "SECRET_PARAMETERS"
    )
    assert got == ["1", "2", "10.0.0.1,10.0.0.2", "API_TOKEN", "/runctl/demo/dev/API_TOKEN"]
    assert "ACCEL_COUNT=1" in text and "ACCEL_MODEL='NVIDIA A10G'" in text
    assert f"CHECKPOINT_S3_BASE=s3://runctl-demo-dev-ckpt-{ACCOUNT}/runctl-checkpoints/" in text


def test_one_script_serves_every_node_with_the_rank_as_argument() -> None:
    _graph, plan = compiled(spec(count=3, training=full_training(), volumes=True))
    plan = with_account(plan, resolve_account(plan.staging_bucket or "", ACCOUNT))
    ids = {m.volume_resource: f"vol-{n.rank}" for n in plan.nodes for m in n.mounts}
    rt = Runtime("20260101T000000Z-abcdef", "b", ("10.0.0.1", "10.0.0.2", "10.0.0.3"), volume_ids=ids)
    text = render_script(plan, None, project="demo", stack="dev", region="us-east-1", runtime=rt)
    start = text.index("# ---- RENDERED VALUES")
    end = text.index('\nSTATE_DIR="$R/var/lib/runctl')
    probe = 'printf "%s|%s|%s" "$RUNCTL_NODE_RANK" "${VOLUME_IDS[*]}" "$CHECKPOINT_S3"'
    for rank in range(3):
        out = subprocess.run(
            ["bash", "-c", text[start:end] + "\n" + probe, "node.sh", "start", str(rank)],
            capture_output=True,
            text=True,
            check=True,
        )
        ckpt = f"s3://runctl-demo-dev-ckpt-{ACCOUNT}/runctl-checkpoints/node-{rank}/"
        assert out.stdout == f"{rank}|vol-{rank}|{ckpt}"


def test_offline_script_reads_launch_values_from_the_environment() -> None:
    text = _render(1, runtime=False)
    assert 'RUNCTL_RUN_ID="${RUNCTL_RUN_ID:?set by runctl launch at run time}"' in text
    assert 'ALL_VOLUME_IDS=("${RUNCTL_VOLUME_ID_0:?set by runctl launch at run time}")' in text


def test_unknown_rank_and_bad_env_names_are_refused() -> None:
    _graph, plan = compiled(spec())
    with pytest.raises(ValueError, match="node 3 does not exist"):
        render_values(plan, 3, "p", "s", "r", None)
    bad = compiled(spec(training=full_training(env={"A-B": "x"})))[1]
    with pytest.raises(ValueError, match="not a shell variable name"):
        render_values(bad, 0, "p", "s", "r", None)


def test_ssm_command_only_fetches_and_starts() -> None:
    cmd = fetch_and_run_command("b", "20260101T000000Z-abcdef", 3, "demo-dev", "us-east-1")
    assert cmd == (
        "set -e; mkdir -p /var/lib/runctl/demo-dev; aws s3 cp --quiet --region us-east-1 "
        "s3://b/runs/20260101T000000Z-abcdef/node.sh "
        "/var/lib/runctl/demo-dev/node-20260101T000000Z-abcdef.sh; "
        "bash /var/lib/runctl/demo-dev/node-20260101T000000Z-abcdef.sh start 3"
    )
