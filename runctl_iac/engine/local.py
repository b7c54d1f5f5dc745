"""The local target: a moto server on a free loopback port, started and stopped by runctl.

`runctl local start` runs `python -m moto.server -H 127.0.0.1 -p PORT` detached, with
`MOTO_IAM_LOAD_MANAGED_POLICIES=true` (so AmazonSSMManagedInstanceCore exists), and records
`{pid, port}` in `<root>/.runctl/local/server.json`. Local stacks keep their state, snapshots and
work dirs under `<root>/.runctl/local/`, apart from real stacks, with a fixed passphrase (nothing
real is stored) and fake credentials; `runctl local stop` stops the server and removes that
folder, so nothing dangles. moto is a development dependency: without it, E0712 says how to get it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.engine.workspace import Target
from runctl_iac.stackref import (
    ensure_runctl_dir,
    ensure_state,
    local_backend,
    local_dir,
    project_root,
    resolve_passphrase,
)

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test"}
START_TIMEOUT_S = 30.0
INSTALL_HINT = "pip install 'moto[server]' (a development dependency of runctl: `make test` installs it)"


@dataclass(frozen=True)
class Server:
    pid: int
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _state_file(root: Path) -> Path:
    return local_dir(root) / "server.json"


def _error(message: str, hint: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic(Severity.ERROR, "E0712", message, hint=hint)])


def moto_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("moto", "flask", "werkzeug"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def status(root: Path) -> Server | None:
    """The running server of this project, or None (a stale pidfile is ignored)."""
    try:
        data = json.loads(_state_file(root).read_text(encoding="utf-8"))
        server = Server(int(data["pid"]), int(data["port"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return server if _alive(server.pid) and _listening(server.port) else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(root: Path, port: int | None = None) -> tuple[Server, bool]:
    """(server, started now); an already running server is reused."""
    running = status(root)
    if running is not None:
        return running, False
    if not moto_installed():
        raise _error("the local emulator (moto server) is not installed", INSTALL_HINT)
    ensure_runctl_dir(root)
    folder = local_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    port = port or _free_port()
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    with open(folder / "server.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise _error(
                f"the moto server exited at start (code {proc.returncode})", f"see {folder / 'server.log'}"
            )
        if _listening(port):
            server = Server(proc.pid, port)
            _state_file(root).write_text(json.dumps({"pid": proc.pid, "port": port}) + "\n", encoding="utf-8")
            return server, True
        time.sleep(0.1)
    proc.terminate()
    raise _error(
        f"the moto server did not listen on port {port} within {START_TIMEOUT_S:.0f} s",
        f"see {folder / 'server.log'}; try `runctl local start --port N`",
    )


def stop(root: Path) -> bool:
    """Stop the server and remove the local stacks' state; True when a server was running."""
    server = status(root)
    if server is not None:
        os.kill(server.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _alive(server.pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):  # reap it when runctl started it
                os.waitpid(server.pid, os.WNOHANG)
            time.sleep(0.1)
        if _alive(server.pid):
            os.kill(server.pid, signal.SIGKILL)
    shutil.rmtree(local_dir(root), ignore_errors=True)
    return server is not None


def emulator_url(root: Path) -> str:
    """The running emulator's URL for the project at `root`; E0712 when none runs."""
    server = status(root)
    if server is None:
        hint = "run `runctl local start` first" if moto_installed() else INSTALL_HINT
        raise _error("the local emulator is not running", hint)
    return server.url


def local_target(start_at: Path, project: str, stack: str) -> tuple[Target, str]:
    """(Target, endpoint URL) for a stack on the running local emulator; E0712 when none runs."""
    root = project_root(start_at)
    url = emulator_url(root)
    backend = local_backend(root)
    ensure_state(backend)
    env = {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": url}
    phrase = resolve_passphrase(backend)
    return Target(project, stack, backend, phrase, extra_env=env, work_root=local_dir(root)), url
