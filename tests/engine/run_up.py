"""`python -m tests.engine.run_up SPEC WORK_DIR BACKEND PULUMI_HOME ENDPOINT`: one `up` of a spec's
stack through the Automation API, in its own process, so an engine test can interrupt it.
The engine's output goes to stdout line by line."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.engine.real import compile_spec, stack_for


def main(spec: str, work_dir: str, backend: str, home: str, endpoint: str) -> None:
    stack = stack_for(compile_spec(Path(spec)), Path(work_dir), endpoint, backend, Path(home))
    stack.up(on_output=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main(*sys.argv[1:6])
