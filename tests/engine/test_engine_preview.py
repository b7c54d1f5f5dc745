"""A real `pulumi preview` of the local example through the Automation API (marked `engine`).

Needs the Pulumi CLI and its aws plugin; skipped with a reason otherwise (see conftest.py).
The AWS side is a moto server on 127.0.0.1, the state a local file backend in tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runctl_iac.compiler import compile
from runctl_iac.engine import make_program
from runctl_iac.spec import load_spec_or_raise

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.engine
def test_preview_of_the_local_example(tmp_path: Path, moto_server: str) -> None:
    from pulumi import automation as auto

    spec = load_spec_or_raise(ROOT / "examples" / "local.yaml", stack="ci")
    graph = compile(spec)[0]
    state = tmp_path / "state"
    state.mkdir()
    opts = auto.LocalWorkspaceOptions(
        work_dir=str(tmp_path),
        env_vars={
            "PULUMI_BACKEND_URL": f"file://{state}",
            "PULUMI_CONFIG_PASSPHRASE": "engine-test-passphrase",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        },
        project_settings=auto.ProjectSettings(name=graph.project, runtime="python"),
    )
    stack = auto.create_or_select_stack(
        stack_name=graph.stack,
        project_name=graph.project,
        program=make_program(graph, endpoint_url=moto_server),
        opts=opts,
    )
    stack.set_config("runctl:expiresAt", auto.ConfigValue("2030-01-01T00:00:00Z"))
    result = stack.preview()
    creates = result.change_summary.get(auto.OpType.CREATE, 0)
    assert creates >= len(graph.resources)
