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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulumi.automation import PulumiCommand
from pulumi.automation._cmd import CommandResult
from pulumi.automation.errors import create_command_error
from semver import VersionInfo

from runctl_iac.compiler.graph import Graph

Resource = tuple[str, str, dict[str, Any], dict[str, Any]]  # type, name, inputs, outputs

NOT_FOUND = "error: no stack named '{stack}' found"
ALREADY = "error: stack '{stack}' already exists"
LOCKED = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
    "or delete the lock file with `pulumi cancel`.\n"
    "  file:///state/.pulumi/locks/organization/{project}/{stack}/5b1b2c2e.json: created by "
    "ci@runner-7 (pid 4242) at 2026-11-27T06:00:00Z"
)
CLOUD_CONFLICT = "error: [409] Conflict: Another update is currently in progress."
PLUGIN_MISSING = (
    "error: could not load plugin for aws provider 'urn:pulumi:dev::p::pulumi:providers:aws::provider.aws':"
    " no resource plugin 'pulumi-resource-aws' found in the workspace at version v7.51.0 or on your "
    "$PATH, install the plugin using `pulumi plugin install resource aws v7.51.0`"
)
NO_CREDENTIALS = (
    "    error: pulumi:providers:aws resource 'provider.aws' has a problem: No valid credential sources "
    "found.\n    Please see https://www.pulumi.com/registry/packages/aws/installation-configuration/\n"
    "    Error: failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: "
    "GetMetadata, request canceled, context deadline exceeded"
)
CAPACITY = (
    "  aws:ec2/instance:Instance (instance.trainer.0):\n"
    "    error: creating EC2 Instance: operation error EC2: RunInstances, https response error "
    "StatusCode: 500, RequestID: 3d0c, api error InsufficientInstanceCapacity: We currently do not "
    "have sufficient g5.12xlarge capacity in the Availability Zone you requested (us-east-1a). Our "
    "system will be working on provisioning additional capacity."
)
QUOTA = (
    "  aws:ec2/instance:Instance (instance.trainer.0):\n"
    "    error: creating EC2 Instance: operation error EC2: RunInstances, https response error "
    "StatusCode: 400, RequestID: 9a1f, api error VcpuLimitExceeded: You have requested more vCPU "
    "capacity than your current vCPU limit of 0 allows for the instance bucket that the specified "
    "instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request "
    "an adjustment to this limit. (g5.12xlarge)"
)
UNAUTHORIZED = (
    "  aws:ec2/instance:Instance (instance.trainer.0):\n"
    "    error: creating EC2 Instance: operation error EC2: RunInstances, https response error "
    "StatusCode: 403, RequestID: 77e2, api error UnauthorizedOperation: You are not authorized to "
    "perform this operation. User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "
    "ec2:RunInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance/*"
)
PLUGIN_DOWNLOAD = (
    "error: could not load plugin for aws provider 'urn:pulumi:dev::p::pulumi:providers:aws::provider.aws':"
    ' failed to download plugin: aws-7.51.1: Get "https://get.pulumi.com/releases/plugins/'
    'pulumi-resource-aws-v7.51.1-linux-amd64.tar.gz": dial tcp: lookup get.pulumi.com: no such host'
)
EXPIRED = (
    "    error: pulumi:providers:aws resource 'provider.aws' has a problem: validating provider credentials:"
    " retrieving caller identity from STS: operation error STS: GetCallerIdentity, https response error "
    "StatusCode: 403, RequestID: 5b1e, api error ExpiredToken: The security token included in the "
    "request is expired"
)
SPOT_COUNT = (
    "  aws:ec2/instance:Instance (instance.trainer.0):\n"
    "    error: creating EC2 Instance: operation error EC2: RunInstances, https response error "
    "StatusCode: 400, RequestID: 1c2d, api error MaxSpotInstanceCountExceeded: Max spot instance count "
    "exceeded (g5.12xlarge)"
)
CANCELED = "error: update canceled"
UPDATE_FAILED = "error: update failed"


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


@dataclass
class FakeStack:
    config: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> state resource
    outputs: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    locked: bool = False


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
        self.replay: dict[str, Path] = {}
        self.fail: dict[str, str] = {}  # op -> stderr text of a failure
        self.block: threading.Event | None = None  # up waits on it (Ctrl-C tests)
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
            self.stacks[name] = FakeStack()
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
        kind = "update" if op in ("up", "preview") else op
        if op in ("up", "destroy", "refresh") and not preview:
            st.locked = True
        try:
            self.started.set()
            if self.block is not None and not preview:
                self.blocked.set()
                self.block.wait(30)
                return "", CANCELED, 255
            if op in self.replay:
                events = [json.loads(line) for line in self.replay[op].read_text().splitlines() if line]
            else:
                events = self._events(op, name, st, preview, argv)
            self._emit(self._opt(argv, "--event-log"), events)
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

    def _events(
        self, op: str, name: str, st: FakeStack, preview: bool, argv: list[str]
    ) -> list[dict[str, Any]]:
        ts = int(datetime.now(UTC).timestamp())
        events: list[dict[str, Any]] = [{"sequence": 1, "timestamp": ts, "preludeEvent": {"config": {}}}]
        counts: dict[str, int] = {}

        def step(
            opname: str, type_: str, rname: str, old: dict[str, Any] | None, new: dict[str, Any] | None
        ) -> None:
            meta = {
                "op": opname,
                "urn": self._urn(name, type_, rname),
                "type": type_,
                "old": old,
                "new": new,
                "provider": "",
            }
            events.append(
                {"sequence": len(events) + 1, "timestamp": ts, "resourcePreEvent": {"metadata": meta}}
            )
            events.append(
                {"sequence": len(events) + 1, "timestamp": ts + 1, "resOutputsEvent": {"metadata": meta}}
            )
            counts[opname] = counts.get(opname, 0) + 1

        def state(
            type_: str, rname: str, inputs: dict[str, Any], outputs: dict[str, Any], retain: bool = False
        ) -> dict[str, Any]:
            return {
                "urn": self._urn(name, type_, rname),
                "custom": True,
                "id": outputs.get("id", ""),
                "type": type_,
                "inputs": inputs,
                "outputs": outputs,
                "retainOnDelete": retain or None,
            }

        if op in ("preview", "up"):
            wanted = {rname: (t, i, o) for t, rname, i, o in self.program}
            for t, rname, inputs, outputs in self.program:
                old = st.resources.get(rname)
                new = state(t, rname, inputs, outputs)
                if old is None:
                    step("create", t, rname, None, new)
                elif old.get("inputs") != inputs:
                    step("update", t, rname, old, new)
                else:
                    step("same", t, rname, old, new)
                if not preview:
                    st.resources[rname] = new
            for rname, old in list(st.resources.items()):
                if rname not in wanted:
                    step("delete", old["type"], rname, old, None)
                    if not preview:
                        del st.resources[rname]
            if not preview:
                st.outputs = dict(self.program_outputs)
        elif op == "destroy":
            for rname, old in reversed(list(st.resources.items())):
                step("delete", old["type"], rname, old, None)
            if not preview:
                st.resources.clear()
                st.outputs = {}
        elif op == "refresh":  # a resource may carry "drift" (changed outputs) or "gone": True
            for rname, old in list(st.resources.items()):
                if old.get("gone"):
                    step("refresh", old["type"], rname, old, None)
                    if not preview:
                        del st.resources[rname]
                    continue
                after = {**old, "outputs": {**old.get("outputs", {}), **old.get("drift", {})}}
                after.pop("drift", None)
                step("refresh", old["type"], rname, old, after)
                if not preview:
                    st.resources[rname] = after
            if not preview:  # a refresh settles pending updates and deletes; creates only when asked
                clear = "--clear-pending-creates" in argv
                st.pending = [p for p in st.pending if p.get("type") == "creating" and not clear]
        events.append(
            {
                "sequence": len(events) + 1,
                "timestamp": ts + 2,
                "summaryEvent": {
                    "maybeCorrupt": False,
                    "durationSeconds": 2,
                    "resourceChanges": counts,
                    "PolicyPacks": {},
                },
            }
        )
        events.append({"sequence": len(events) + 1, "timestamp": ts + 2, "cancelEvent": {}})
        return events

    def _emit(self, log: str | None, events: list[dict[str, Any]]) -> None:
        if not log:
            return
        lines = [json.dumps(e) for e in events]
        if log.startswith("tcp://"):
            import grpc
            from pulumi.runtime.proto import events_pb2, events_pb2_grpc

            with grpc.insecure_channel(log.removeprefix("tcp://")) as channel:
                stub = events_pb2_grpc.EventsStub(channel)
                stub.StreamEvents(iter([events_pb2.EventRequest(event=line) for line in lines]))
            return
        with open(log, "a", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line + "\n")
