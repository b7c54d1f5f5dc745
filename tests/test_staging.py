"""The staging bucket's key layout is one contract: the keys the node script writes (status, log) and
reads (stop) are the keys the launch layer reads and writes and the teardown layer looks for."""

from __future__ import annotations

import subprocess

from runctl_iac import staging
from runctl_iac.compiler.names import resolve_account
from runctl_iac.launch.core import with_account
from runctl_iac.launch.script import Runtime, render_script
from tests.launch.plans import compiled, full_training, spec

RUN_ID = "20260101T000000Z-abcdef"


def test_node_script_launch_and_teardown_share_the_keys() -> None:
    _graph, plan = compiled(spec(count=2, training=full_training(), volumes=True))
    plan = with_account(plan, resolve_account(plan.staging_bucket or "", "123456789012"))
    ids = {m.volume_resource: f"vol-{n.rank}" for n in plan.nodes for m in n.mounts}
    rt = Runtime(RUN_ID, "bucket-x", ("10.0.0.1", "10.0.0.2"), volume_ids=ids)
    text = render_script(plan, None, project="demo", stack="dev", region="us-east-1", runtime=rt)
    start = text.index("# ---- RENDERED VALUES")
    end = text.index('\nIMDS="${RUNCTL_IMDS_URL')
    probe = 'printf "%s\\n" "$NODE_KEY/$S3_STATUS_NAME" "$NODE_KEY/$S3_LOG_NAME" "$NODE_KEY/$S3_STOP_NAME"'
    out = subprocess.run(
        ["bash", "-c", text[start:end] + "\n" + probe, "node.sh", "start", "1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    expected = [staging.status_key(RUN_ID, 1), staging.log_key(RUN_ID, 1), staging.stop_key(RUN_ID, 1)]
    assert out == expected  # keys in the staging bucket (s3_put / s3_exists add the bucket)
    found = staging.STATUS_KEY.match(staging.status_key(RUN_ID, 1))  # what gc looks for
    assert found is not None and (found["run_id"], found["rank"]) == (RUN_ID, "1")
    assert staging.script_key(RUN_ID).startswith(staging.RUNS) and staging.code_key("ab") == "code/ab.tar.gz"
