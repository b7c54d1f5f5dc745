"""A fake Pulumi CLI: a `PulumiCommand` whose `run` answers the CLI calls the SDK makes.

It keeps stacks (config, tags, resources, outputs, history, pending operations, lock) in memory,
answers with the JSON shapes the real CLI prints (`stack ls --json`, `stack output --json`,
`stack history --json`, `stack export`, `config --json`), writes engine events to `--event-log`
(a file for CLIs up to 3.205, the gRPC `tcp://` stream after that, as the SDK expects), and fails
with the real CLI's error text. The driver runs unpatched on top of it.

The fake does not run the inline program: a test says what the program would register
(`FakePulumi.program = [(type, name, inputs, outputs), ...]`, see `program_from_graph`) or replays a
recorded event stream (`FakePulumi.replay[op] = path`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulumi.automation import PulumiCommand
from pulumi.automation._cmd import CommandResult
from pulumi.automation.errors import create_command_error
from semver import VersionInfo

from runctl_iac.compiler.graph import Graph
from tests.engine.cli_texts import (
    ALREADY as ALREADY,
)
from tests.engine.cli_texts import (
    CANCELED as CANCELED,
)
from tests.engine.cli_texts import (
    CAPACITY as CAPACITY,
)
from tests.engine.cli_texts import (
    CLOUD_CONFLICT as CLOUD_CONFLICT,
)
from tests.engine.cli_texts import (
    EXPIRED as EXPIRED,
)
from tests.engine.cli_texts import (
    LOCKED as LOCKED,
)
from tests.engine.cli_texts import (
    NO_CREDENTIALS as NO_CREDENTIALS,
)
from tests.engine.cli_texts import (
    NOT_FOUND as NOT_FOUND,
)
from tests.engine.cli_texts import (
    PLUGIN_DOWNLOAD as PLUGIN_DOWNLOAD,
)
from tests.engine.cli_texts import (
    PLUGIN_MISSING as PLUGIN_MISSING,
)
from tests.engine.cli_texts import (
    PROTECTED as PROTECTED,
)
from tests.engine.cli_texts import (
    QUOTA as QUOTA,
)
from tests.engine.cli_texts import (
    SPOT_COUNT as SPOT_COUNT,
)
from tests.engine.cli_texts import (
    UNAUTHORIZED as UNAUTHORIZED,
)
from tests.engine.cli_texts import (
    UPDATE_FAILED as UPDATE_FAILED,
)
from tests.engine.fake_events import FakeStack, Resource, emit, operation_events


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def program_from_graph(graph: Graph) -> list[Resource]:
    """What the program registers for `graph`, with fake ids for the outputs the Graph exports."""
    out: list[Resource] = []
    for res in graph.topological_order():
        outputs: dict[str, Any] = {"id": f"id-{res.id}"}
        if res.type == "aws:s3/bucket:Bucket":
            outputs["bucket"] = str(res.properties.get("bucket", res.id)).replace("<account>", "0a1b2c3d")
        if res.type == "aws:ec2/instance:Instance":
            outputs.update(
                private_ip="10.0.0.10",
                availability_zone="us-east-1a",
                id=f"i-{abs(hash(res.id)) % 10**8:08d}",
            )
        out.append((res.type, res.id, {"name": res.id}, outputs))
    return out


def options_from_graph(graph: Graph) -> dict[str, dict[str, bool]]:
    """The resource options the program passes (protect, retain_on_delete), as the state records them."""
    return {
        rid: {"protect": r.options.protect, "retainOnDelete": r.options.retain_on_delete}
        for rid, r in graph.resources.items()
    }


class FakePulumi(PulumiCommand):
    def __init__(self, version: str = "3.274.1", project: str = "demo") -> None:
        self.command = "pulumi"
        self.version = VersionInfo.parse(version)
        self.project = project
        self.stacks: dict[str, FakeStack] = {}
        self.calls: list[list[str]] = []
        self.envs: list[dict[str, str]] = []
        self.program: list[Resource] = []
        self.program_outputs: dict[str, Any] = {}
        self.options: dict[str, dict[str, bool]] = {}
        self.replay: dict[str, Path] = {}
        self.fail: dict[str, str] = {}  # op -> stderr text of a failure
        self.block: threading.Event | None = None  # up/destroy wait on it, then cancel (Ctrl-C tests)
        self.started = threading.Event()
        self.blocked = threading.Event()  # set when an operation waits on `block`
        self.selected: str | None = None
        self.backend = ""

    # ---- PulumiCommand interface ----

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: Callable[[str], Any] | None = None,
        on_error: Callable[[str], Any] | None = None,
    ) -> CommandResult:
        if "--non-interactive" not in args:
            args.insert(0, "--non-interactive")
        self.calls.append(list(args))
        self.envs.append(dict(additional_env))
        argv = [a for a in args if a != "--non-interactive"]
        self.backend = dict(additional_env).get("PULUMI_BACKEND_URL", "")
        stdout, stderr, code = self._dispatch(argv, cwd)
        result = CommandResult(stdout=stdout, stderr=stderr, code=code)
        if code != 0:
            raise create_command_error(result)
        return result

    # ---- helpers ----

    def _state_file(self, stack: str, *, create: bool) -> None:
        """A file backend keeps `.pulumi/stacks/<project>/<stack>.json`, as the real DIY backend does."""
        if not self.backend.startswith("file://"):
            return
        path = (
            Path(self.backend.removeprefix("file://")) / ".pulumi" / "stacks" / self.project / f"{stack}.json"
        )
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"version": 3, "checkpoint": {"stack": stack}}))
        else:
            path.unlink(missing_ok=True)

    def _lock_file(self, stack: str) -> Path | None:
        if not self.backend.startswith("file://"):
            return None
        locks = Path(self.backend.removeprefix("file://")) / ".pulumi" / "locks" / "organization"
        return locks / self.project / stack / "5b1b2c2e.json"

    @staticmethod
    def _opt(argv: list[str], name: str) -> str | None:
        if name in argv:
            i = argv.index(name)
            return argv[i + 1] if i + 1 < len(argv) else None
        return None

    def _stack(self, argv: list[str]) -> tuple[str, FakeStack | None]:
        name = (self._opt(argv, "--stack") or self.selected or "").rsplit("/", 1)[-1]
        return name, self.stacks.get(name)

    def _failure(self, op: str, name: str) -> tuple[str, str, int] | None:
        text = self.fail.pop(op, None)
        if text is None:
            return None
        return "", text.format(project=self.project, stack=name), 255

    def _dispatch(self, argv: list[str], cwd: str) -> tuple[str, str, int]:
        head = argv[0]
        if head == "stack":
            return self._stack_cmd(argv[1:])
        if head == "config":
            return self._config_cmd(argv[1:])
        if head in ("preview", "up", "destroy", "refresh"):
            return self._operation(head, argv)
        if head == "state" and argv[1] == "unprotect":
            name, st = self._stack(argv)
            if st is None:
                return "", NOT_FOUND.format(stack=name), 255
            urns = argv[argv.index("--") + 1 :] if "--" in argv else []
            for res in st.resources.values():
                if res["urn"] in urns or "--all" in argv:
                    res.pop("protect", None)
            return "", "", 0
        if head == "cancel":
            name, st = self._stack(argv)
            if st is None:
                return "", NOT_FOUND.format(stack=name), 255
            if not st.locked:
                return "", "error: no update is currently running", 255
            st.locked = False
            return f"The currently running update for '{name}' has been canceled!", "", 0
        return "", f"error: unknown command {head!r} for 'pulumi'", 255

    def _stack_cmd(self, argv: list[str]) -> tuple[str, str, int]:
        sub = argv[0]
        name, st = self._stack(argv)
        if sub == "select":
            if st is None:
                return "", NOT_FOUND.format(stack=name), 255
            self.selected = name
            return "", "", 0
        if sub == "init":
            name = argv[1]
            if name in self.stacks:
                return "", ALREADY.format(stack=name), 255
            self.stacks[name] = FakeStack(lock_file=self._lock_file(name))
            self.selected = name
            self._state_file(name, create=True)
            return f"Created stack '{name}'", "", 0
        if sub == "ls":
            rows = []
            for sname, s in sorted(self.stacks.items()):
                row: dict[str, Any] = {
                    "name": f"organization/{self.project}/{sname}" if "--all" in argv else sname,
                    "current": sname == self.selected,
                    "updateInProgress": s.locked,
                }
                if s.history:
                    row["lastUpdate"] = s.history[0]["endTime"]
                    row["resourceCount"] = len(s.resources) + 1
                rows.append(row)
            return json.dumps(rows, indent=4), "", 0
        if st is None:
            return "", NOT_FOUND.format(stack=name), 255
        if sub == "rm":
            if st.resources and "--force" not in argv:
                return (
                    "",
                    (
                        f"error: '{argv[-1]}' still has resources; removal rejected. Possible "
                        "actions:\n- Make sure that '...' is the stack that you want to destroy"
                    ),
                    255,
                )
            del self.stacks[argv[-1]]
            self._state_file(argv[-1], create=False)
            return "Stack has been removed!", "", 0
        if sub == "tag":
            return self._tag_cmd(argv[1:], st)
        if sub == "output":
            secret = "--show-secrets" in argv
            shown = {
                k: (v if secret or not k.startswith("secret") else "[secret]") for k, v in st.outputs.items()
            }
            return json.dumps(shown, indent=2), "", 0
        if sub == "history":
            page = st.history[: int(self._opt(argv, "--page-size") or len(st.history) or 1)]
            return json.dumps(page, indent=4), "", 0
        if sub == "export":
            return json.dumps(self._export(st), indent=4), "", 0
        if sub == "import":
            data = json.loads(Path(self._opt(argv, "--file") or "").read_text())
            dep = data["deployment"]
            st.pending = list(dep.get("pending_operations") or [])
            st.resources = {
                r["urn"].rsplit("::", 1)[-1]: r
                for r in dep.get("resources", [])
                if r["type"] != "pulumi:pulumi:Stack"
            }
            return "Import complete.", "", 0
        return "", f"error: unknown command {sub!r} for 'pulumi stack'", 255

    def _tag_cmd(self, argv: list[str], st: FakeStack) -> tuple[str, str, int]:
        if argv[0] == "set":
            st.tags[argv[1]] = argv[2]
        elif argv[0] == "rm":
            st.tags.pop(argv[1], None)
        elif argv[0] == "get":
            if argv[1] not in st.tags:
                return "", f"error: stack tag '{argv[1]}' not found", 255
            return st.tags[argv[1]], "", 0
        elif argv[0] == "ls":
            return json.dumps(st.tags), "", 0
        return "", "", 0

    def _config_cmd(self, argv: list[str]) -> tuple[str, str, int]:
        name, st = self._stack(argv)
        if st is None:
            return "", NOT_FOUND.format(stack=name), 255
        if not argv or argv[0].startswith("--"):  # `config --show-secrets --json`
            shown = {
                k: {
                    "value": v["value"] if "--show-secrets" in argv or not v["secret"] else "[secret]",
                    "secret": v["secret"],
                    "objectValue": None,
                }
                for k, v in st.config.items()
            }
            return json.dumps(shown), "", 0
        if argv[0] == "set-all":
            i = 1
            while i < len(argv):
                if argv[i] in ("--plaintext", "--secret"):
                    key, _, value = argv[i + 1].partition("=")
                    st.config[key] = {"value": value, "secret": argv[i] == "--secret"}
                    i += 2
                else:
                    i += 1
            return "", "", 0
        if argv[0] == "rm-all":
            for key in argv[1:]:
                if not key.startswith("--") and key != name:
                    st.config.pop(key, None)
            return "", "", 0
        return "", f"error: unknown command {argv[0]!r} for 'pulumi config'", 255

    def _export(self, st: FakeStack) -> dict[str, Any]:
        stack_urn = f"urn:pulumi:dev::{self.project}::pulumi:pulumi:Stack::{self.project}-dev"
        return {
            "version": 3,
            "deployment": {
                "manifest": {"time": _now(), "magic": "", "version": "v3.274.1"},
                "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:abc"}},
                "resources": [
                    {"urn": stack_urn, "custom": False, "type": "pulumi:pulumi:Stack"},
                    *st.resources.values(),
                ],
                "pending_operations": list(st.pending),
            },
        }

    # ---- preview / up / destroy / refresh ----

    def _urn(self, stack: str, type_: str, name: str) -> str:
        return f"urn:pulumi:{stack}::{self.project}::{type_}::{name}"

    def _operation(self, op: str, argv: list[str]) -> tuple[str, str, int]:
        name, st = self._stack(argv)
        if st is None:
            return "", NOT_FOUND.format(stack=name), 255
        failure = self._failure(op, name)
        if failure is not None and ("locked" in failure[1] or "Conflict" in failure[1]):
            return failure
        if st.locked:
            return "", LOCKED.format(project=self.project, stack=name), 255
        preview = op == "preview" or "--preview-only" in argv
        if op == "destroy" and "--exclude-protected" not in argv:
            protected = [r["urn"] for r in st.resources.values() if r.get("protect")]
            if protected:
                return "", PROTECTED.format(urn=protected[0]), 255
        kind = "update" if op in ("up", "preview") else op
        if op in ("up", "destroy", "refresh") and not preview:
            st.locked = True
        try:
            self.started.set()
            if self.block is not None and not preview:
                self.blocked.set()
                if not self.block.wait(60):  # a bound, not a timing: the test releases it
                    return "", "error: the fake CLI was never released (no interrupt reached it)", 255
                return "", CANCELED, 255
            if op in self.replay:
                events = [json.loads(line) for line in self.replay[op].read_text().splitlines() if line]
            else:
                events = operation_events(
                    op,
                    name,
                    self.project,
                    st,
                    self.program,
                    self.program_outputs,
                    preview=preview,
                    argv=argv,
                    options=self.options,
                )
            emit(self._opt(argv, "--event-log"), events)
            if failure is not None:
                self._record(st, kind, "failed", {})
                return "Updating (dev)\n", failure[1], failure[2]
            if not preview:
                summary = next(
                    (e["summaryEvent"]["resourceChanges"] for e in events if "summaryEvent" in e), {}
                )
                self._record(st, kind, "succeeded", summary)
            return f"{'Previewing' if preview else 'Updating'} {op} ({name})\n", "", 0
        finally:
            if not preview:
                st.locked = False

    def _record(self, st: FakeStack, kind: str, result: str, changes: dict[str, int]) -> None:
        st.history.insert(
            0,
            {
                "version": len(st.history) + 1,
                "kind": kind,
                "startTime": _now(),
                "message": "",
                "environment": {"exec.kind": "auto.inline"},
                "config": {},
                "result": result,
                "endTime": _now(),
                "resourceChanges": changes,
            },
        )
