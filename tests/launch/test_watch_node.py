"""The node script under bash through an interruption and a relaunch (what `runctl watch` does):
the spot notice makes it sync its checkpoint and end `interrupted`; the relaunch of the same run on
a fresh node (restart 1) restores that checkpoint, reports restart 1 and succeeds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from runctl_iac import staging
from runctl_iac.launch.script import Runtime, render_script
from tests.launch import nodehost
from tests.launch.plans import compiled, full_training, spec
from tests.launch.test_node_exec import SECRET, STATE, _wait_for

pytestmark = pytest.mark.usefixtures("fake_aws_credentials")

JOB = """set -e
if [ -f "$RUNCTL_CHECKPOINT_DIR/step.pt" ]; then
  echo "restored $(cat "$RUNCTL_CHECKPOINT_DIR/step.pt") at restart $RUNCTL_RESTART"
  exit 0
fi
echo "step-100" > "$RUNCTL_CHECKPOINT_DIR/step.pt"
sleep 60
"""


def test_interruption_then_relaunch_restores_the_checkpoint_as_restart_1(
    tmp_path: Path, moto_server: str
) -> None:
    _graph, base = compiled(spec(training=full_training(setup=None)))
    aws, bucket, plan, code_uri = nodehost.stage(moto_server, replace(base, run=JOB), tmp_path, SECRET)
    run_id = staging.new_run_id()

    def script(restart: int) -> str:
        rt = Runtime(run_id, bucket, ("10.0.0.1",), code_uri, restart=restart)
        return render_script(plan, 0, project="demo", stack="dev", region="us-east-1", runtime=rt)

    first, second = tmp_path / "first-node", tmp_path / "second-node"
    with nodehost.fake_imds() as imds:
        try:
            env = nodehost.node_env(first, moto_server, f"{imds.url}/first")
            nodehost.start(script(0), first, env)
            _wait_for(first / "ckpt" / "step.pt")
            imds.notice("/first")
            interrupted = nodehost.wait_final(nodehost.status_path(first, STATE, run_id))
            # a fresh instance: nothing on its disk, the checkpoint comes back from S3
            env = nodehost.node_env(second, moto_server, f"{imds.url}/second")
            nodehost.start(script(1), second, env)
            relaunched = nodehost.wait_final(nodehost.status_path(second, STATE, run_id))
        finally:
            nodehost.kill_leftovers(first)
            nodehost.kill_leftovers(second)
    assert (interrupted["state"], interrupted["restart"]) == ("interrupted", 0)
    assert interrupted["checkpoint"]["bytes"] > 0  # the final sync ran after the notice
    assert (relaunched["state"], relaunched["restart"], relaunched["run_id"]) == ("succeeded", 1, run_id)
    assert aws.status(bucket, run_id, 0)["restart"] == 1
    log = aws.text(bucket, staging.log_key(run_id, 0))
    assert "restored step-100 at restart 1" in log
    assert f"restart 1 of run {run_id}: restoring the checkpoint" in log
