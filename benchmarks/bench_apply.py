"""runctl's own time in `apply` besides the engine, for the examples, with the fake Pulumi CLI.

Runs the whole apply of each example in-process (load, compile, offline plan, open stack and
config, engine preview rendered as a plan, up with the plain progress view, snapshot, outputs)
against tests/engine/fake_pulumi.FakePulumi, and subtracts the time spent inside the fake CLI
(the engine's part). What is left is runctl plus the Automation SDK's own plumbing (its
language and event gRPC servers). The progress model handles each event while the CLI streams
it, so that part is inside the CLI's time here: bench_progress.py measures it on its own.
Target: <= 0.3 s per example.

Usage: python benchmarks/bench_apply.py [--runs N]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_S = 0.3
EXAMPLES = ("quickstart.yaml", "llama-finetune.yaml", "local.yaml")


def one_apply(example: str, folder: Path) -> tuple[float, float]:
    """(total seconds, seconds inside the fake CLI) of one first apply."""
    from runctl_iac.cli.engine_common import TerminalUI
    from runctl_iac.compiler import compile as compile_spec
    from runctl_iac.engine.apply import ApplyRequest, run_apply
    from runctl_iac.engine.workspace import Target
    from runctl_iac.plan.config import ProjectConfig
    from runctl_iac.spec import load_spec_or_raise
    from runctl_iac.stackref import Backend, Passphrase
    from tests.engine import fake_pulumi as fp

    spec_path = folder / example
    spec_path.write_text((ROOT / "examples" / example).read_text())
    code = ROOT / "examples" / example.removesuffix(".yaml")  # training.code must exist (E0320)
    if code.is_dir():
        shutil.copytree(code, folder / code.name, dirs_exist_ok=True)
    inside = 0.0

    class Timed(fp.FakePulumi):
        def run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal inside
            t = time.perf_counter()
            try:
                return super().run(*args, **kwargs)
            finally:
                inside += time.perf_counter() - t

    start = time.perf_counter()
    spec = load_spec_or_raise(spec_path)
    graph, launch = compile_spec(spec)
    fake = Timed()
    fake.project = graph.project
    fake.program = fp.program_from_graph(graph)
    state = folder / ".runctl" / "state"
    backend = Backend("file://" + str(state), "file", folder, True)
    target = Target(graph.project, graph.stack, backend, Passphrase("bench", "bench"), command=fake)
    req = ApplyRequest(
        spec_path,
        spec,
        graph,
        launch,
        target,
        ProjectConfig(),
        yes=True,
        no_launch=True,
        account_lookup=lambda: "123456789012",
        endpoint_url="http://127.0.0.1:5000" if spec.target == "local" else None,
    )
    with redirect_stdout(io.StringIO()):
        run_apply(req, TerminalUI())
    return time.perf_counter() - start, inside


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("HF_TOKEN", "bench-not-a-secret")
    os.environ.setdefault("WANDB_API_KEY", "bench-not-a-secret")
    for example in EXAMPLES:
        own = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                total, inside = one_apply(example, Path(tmp))
                own.append(total - inside)
        median = statistics.median(own[1:] if len(own) > 1 else own)  # the first run warms imports
        verdict = "ok" if median <= TARGET_S else "OVER TARGET"
        print(
            f"apply {example}: runctl's own time {median:.3f} s (median of {len(own)}, first excluded) "
            f"target <= {TARGET_S} s  {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
