"""The audit log: one JSON line per action gc takes, appended, flushed as it happens.

Default `<project root>/.runctl/audit.jsonl`. Each line: `time` (RFC 3339 UTC),
`action` (terminate, detach, delete, empty, destroy-stack), `kind`, `resource`,
`region`, `project`, `stack`, `reason`, `result` (ok, gone, failed) and, on
failure, `error` (the AWS error code and message; never a secret value: gc never
reads parameter values or object contents).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

from runctl_iac.teardown.model import rfc3339

AUDIT_FILE = Path(".runctl") / "audit.jsonl"


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, **entry: Any) -> None:
        line = {"time": rfc3339(dt.datetime.now(dt.UTC)), **{k: v for k, v in entry.items() if v is not None}}
        text = json.dumps(line, sort_keys=False, default=str) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()


def read_audit(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
