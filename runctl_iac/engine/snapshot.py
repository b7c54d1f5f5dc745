"""The applied snapshot lives where the state lives.

- default local backend (`<root>/.runctl/state/`): `<root>/.runctl/snapshots/<project>/<stack>.json`,
  beside the state folder (the path `plan.base.snapshot_path` computes);
- another file backend `file://DIR`: `DIR/.runctl-snapshots/<project>/<stack>.json`;
- an S3 backend `s3://BUCKET/PREFIX`: the object `PREFIX/.runctl-snapshots/<project>/<stack>.json`
  in that bucket (boto3, imported only then);
- Pulumi Cloud: there is no file store, so the local default path is used.

The document: `{version, graph, spec_hash, written_at, outputs, config}`, where `outputs` are the
stack outputs as plain JSON (secret outputs left out) and `config` the apply-time values the
program read (region, expiry, account suffix). `read_applied` is the one reader every layer uses.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runctl_iac.compiler.graph import Graph
from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.plan.base import SNAPSHOT_VERSION, graph_from_document, snapshot_path
from runctl_iac.stackref import Backend

SNAPSHOT_DIR = ".runctl-snapshots"


@dataclass(frozen=True)
class Applied:
    """What was last applied to a stack."""

    graph: Graph
    spec_hash: str
    written_at: str
    outputs: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, str] = field(default_factory=dict)
    location: str = ""


def location(project: str, stack: str, backend: Backend) -> str:
    """Where the snapshot of project/stack is: a local path or an s3:// URL."""
    local = snapshot_path(project, stack, backend.root)  # also validates the names
    if backend.kind == "file" and not backend.default and backend.state_dir is not None:
        return str(backend.state_dir / SNAPSHOT_DIR / project / f"{stack}.json")
    if backend.kind == "s3":
        return f"{backend.url}/{SNAPSHOT_DIR}/{project}/{stack}.json"
    return str(local)


def _s3_parts(url: str) -> tuple[str, str]:
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return bucket, key


def _s3_error(url: str, exc: Exception) -> DiagnosticError:
    return DiagnosticError(
        [
            Diagnostic(
                Severity.ERROR,
                "E0710",
                f"the applied snapshot {url} cannot be read or written ({type(exc).__name__})",
                hint="check AWS credentials and access to the backend bucket (`runctl doctor`)",
            )
        ]
    )


def _read_text(where: str) -> str | None:
    if where.startswith("s3://"):
        import boto3
        import botocore.exceptions

        bucket, key = _s3_parts(where)
        try:
            body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise _s3_error(where, exc) from None
        except botocore.exceptions.BotoCoreError as exc:
            raise _s3_error(where, exc) from None
        return str(body.decode("utf-8"))
    path = Path(where)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _write_text(where: str, text: str) -> None:
    if where.startswith("s3://"):
        import boto3
        import botocore.exceptions

        bucket, key = _s3_parts(where)
        try:
            boto3.client("s3").put_object(
                Bucket=bucket, Key=key, Body=text.encode(), ContentType="application/json"
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise _s3_error(where, exc) from None
        return
    path = Path(where)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def snapshot_document(
    graph: Graph, outputs: Mapping[str, Any], config: Mapping[str, str], now: datetime | None = None
) -> dict[str, Any]:
    return {
        "version": SNAPSHOT_VERSION,
        "graph": graph.to_json(),
        "spec_hash": graph.spec_hash(),
        "written_at": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "outputs": dict(outputs),
        "config": dict(config),
    }


def write_applied(
    graph: Graph,
    backend: Backend,
    outputs: Mapping[str, Any],
    config: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> str:
    """Write the snapshot (atomically for files); returns where it went."""
    where = location(graph.project, graph.stack, backend)
    doc = snapshot_document(graph, outputs, config or {}, now)
    _write_text(where, json.dumps(doc, sort_keys=True, indent=2) + "\n")
    return where


def read_applied(project: str, stack: str, backend: Backend) -> Applied | None:
    """The snapshot last applied to project/stack under these backend settings; None: none yet."""
    where = location(project, stack, backend)
    text = _read_text(where)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DiagnosticError(
            [
                Diagnostic(
                    Severity.ERROR,
                    "E0511",
                    f"{where}: not readable JSON (line {exc.lineno}: {exc.msg})",
                    hint="remove it: the next apply writes it again",
                )
            ]
        ) from None
    graph, spec_hash = graph_from_document(data, where)
    outputs = data.get("outputs") if isinstance(data.get("outputs"), dict) else {}
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    return Applied(graph, spec_hash, str(data.get("written_at", "")), outputs, config, where)


def remove_applied(project: str, stack: str, backend: Backend) -> None:
    """Drop the snapshot after the stack was destroyed and removed."""
    where = location(project, stack, backend)
    if where.startswith("s3://"):
        import boto3

        bucket, key = _s3_parts(where)
        boto3.client("s3").delete_object(Bucket=bucket, Key=key)
    else:
        Path(where).unlink(missing_ok=True)
