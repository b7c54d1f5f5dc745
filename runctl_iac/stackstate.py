"""The state backend's stack list, read directly: no Pulumi CLI, so a CI job can always clean up.

API:
    list_stacks(backend_url) -> list[StackInfo]
    default_backend_url(project_root) -> str       # file://<root>/.runctl/state
    BackendError                                    # unreadable or unsupported backend

Supported: the DIY ("self-managed") file and S3 backends, which share one layout
under the backend root (a folder, or `s3://bucket/prefix`):

    .pulumi/meta.yaml
    .pulumi/stacks/<project>/<stack>.json          checkpoint (project-scoped mode, the default
    .pulumi/stacks/<project>/<stack>.json.gz         since Pulumi 3.61; `.gz` with gzip state)
    .pulumi/stacks/<project>/<stack>.pulumi-tags   {"version": 1, "tags": {...}} (DIY stack tags,
                                                     Pulumi >= 3.211)
    .pulumi/stacks/<stack>.json                    legacy, non-project mode
    .pulumi/locks/organization/<project>/<stack>/<id>.json   one file per update in progress
    .pulumi/locks/<stack>/<id>.json                legacy lock layout

A checkpoint file is `{"version": 3, "checkpoint": {"stack": ..., "latest": {"manifest":
{"time": ...}, "resources": [...], "pending_operations": [...]}}}`; `latest` is absent for
a stack that was never updated. The reader is tolerant: a stack file it cannot parse
(unknown version, zstd compression) is still listed (`readable=False`), because for
the orphan sweep an unreadable stack must still count as existing.

Expiry, first found wins: the stack tag `runctl:expiresAt` (the engine mirrors the
stack config there), a `runctl:expiresAt` stack output, then the `runctl:expires-at`
tag recorded in the state of any resource (every AWS resource carries it).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import posixpath
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from runctl_iac.stackref import default_backend

EXPIRES_AT = "runctl:expires-at"  # the AWS resources' tag (compiler/provider.py)
EXPIRES_AT_TAG = "runctl:expiresAt"  # stack tag and stack config key (compiler/provider.py)
STACK_SUFFIXES = (".json", ".json.gz", ".json.zst")
TAGS_SUFFIX = ".pulumi-tags"
NON_RESOURCE_TYPES = ("pulumi:pulumi:Stack",)
NON_RESOURCE_PREFIXES = ("pulumi:providers:",)


class BackendError(Exception):
    """The backend cannot be read: unsupported scheme, missing folder, access denied."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class StackInfo:
    project: str
    stack: str
    expires_at: dt.datetime | None
    update_in_progress: bool
    resource_count: int
    last_update: dt.datetime | None
    pending_operations: int = 0
    readable: bool = True
    backend_url: str = field(default="", compare=False)  # where it was read from (set by gc)

    @property
    def key(self) -> tuple[str, str]:
        return (self.project, self.stack)

    def expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def default_backend_url(project_root: Path) -> str:
    """The default backend's URL (the stack locator's rule, `runctl_iac.stackref`)."""
    return default_backend(project_root).url


def parse_time(value: Any) -> dt.datetime | None:
    """An RFC 3339 / ISO 8601 timestamp (or a datetime) as an aware UTC datetime; None when unreadable."""
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            stamp = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC)


class _Store(Protocol):
    def list(self, prefix: str) -> list[str]: ...  # keys relative to the backend root, '/'-separated
    def read(self, key: str) -> bytes | None: ...


class _FileStore:
    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise BackendError(
                f"state backend folder {root} does not exist",
                "run gc where the stacks were applied, or pass --backend (or PULUMI_BACKEND_URL)",
            )
        self.root = root

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())

    def read(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except OSError:
            return None


class _S3Store:
    def __init__(self, bucket: str, prefix: str, query: dict[str, list[str]]) -> None:
        import boto3
        from botocore.config import Config

        region = (query.get("region") or [""])[0] or None
        endpoint = (query.get("endpoint") or [""])[0] or None
        if endpoint and "://" not in endpoint:
            endpoint = f"https://{endpoint}"
        config = Config(retries={"mode": "adaptive", "max_attempts": 8})
        self.client = boto3.session.Session().client(
            "s3", region_name=region, endpoint_url=endpoint, config=config
        )
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def list(self, prefix: str) -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        keys: list[str] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        try:
            for page in pages:
                keys.extend(obj["Key"][len(self.prefix) :] for obj in page.get("Contents", []))
        except (ClientError, BotoCoreError) as exc:
            raise BackendError(
                f"cannot list the state backend s3://{self.bucket}/{self.prefix}: {exc}",
                "check the bucket name and that your credentials may list it (s3:ListBucket)",
            ) from None
        return sorted(keys)

    def read(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()
        except ClientError:
            return None
        return body


def _store(backend_url: str) -> _Store:
    parsed = urllib.parse.urlsplit(backend_url)
    if parsed.scheme == "file" or (parsed.scheme == "" and backend_url):
        raw = urllib.parse.unquote(parsed.path) if parsed.scheme == "file" else backend_url
        if parsed.scheme == "file" and parsed.netloc not in ("", "localhost"):
            raw = parsed.netloc + raw  # file://~/state, file://relative/state
        return _FileStore(Path(os.path.expanduser(raw)))
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise BackendError(f"{backend_url}: no bucket name", "write it as s3://bucket/prefix")
        return _S3Store(parsed.netloc, parsed.path, urllib.parse.parse_qs(parsed.query))
    raise BackendError(
        f"cannot read stacks from the {parsed.scheme or '?'}:// backend {backend_url!r} directly",
        "gc and resources read file:// and s3:// state backends; for Pulumi Cloud use `runctl destroy`",
    )


def _load_json(data: bytes, key: str) -> Any:
    if key.endswith(".gz"):
        data = gzip.decompress(data)
    elif key.endswith(".zst"):
        raise ValueError("zstd-compressed state")
    return json.loads(data)


def _stack_name(key: str) -> tuple[str | None, str] | None:
    """(project or None for legacy, stack) for a stack checkpoint key, or None for other files."""
    rel = key[len(".pulumi/stacks/") :]
    for suffix in STACK_SUFFIXES:
        if rel.endswith(suffix):
            name = rel[: -len(suffix)]
            parts = name.split("/")
            if len(parts) == 2:
                return parts[0], parts[1]
            if len(parts) == 1:
                return None, parts[0]
    return None


def _resource_expiry(resource: dict[str, Any]) -> dt.datetime | None:
    for section in ("outputs", "inputs"):
        props = resource.get(section) or {}
        for name in ("tagsAll", "tags"):
            tags = props.get(name)
            if isinstance(tags, dict) and isinstance(tags.get(EXPIRES_AT), str):
                return parse_time(tags[EXPIRES_AT])
    return None


def _from_checkpoint(doc: Any) -> dict[str, Any]:
    """Project name (from the stack URN), expiry, resource count and time of a checkpoint."""
    checkpoint = doc.get("checkpoint", doc) if isinstance(doc, dict) else {}
    latest = checkpoint.get("latest") or {}
    resources = [r for r in latest.get("resources") or [] if isinstance(r, dict)]
    out: dict[str, Any] = {
        "count": 0,
        "time": parse_time((latest.get("manifest") or {}).get("time")),
        "pending": len(latest.get("pending_operations") or []),
        "expires": None,
        "project": None,
    }
    for res in resources:
        rtype = str(res.get("type", ""))
        if rtype in NON_RESOURCE_TYPES:
            urn = str(res.get("urn", ""))  # urn:pulumi:<stack>::<project>::pulumi:pulumi:Stack::<name>
            parts = urn.split("::")
            if len(parts) >= 2:
                out["project"] = parts[1]
            outputs = res.get("outputs") or {}
            if out["expires"] is None and isinstance(outputs.get(EXPIRES_AT_TAG), str):
                out["expires"] = parse_time(outputs[EXPIRES_AT_TAG])
            continue
        if rtype.startswith(NON_RESOURCE_PREFIXES) or res.get("delete"):
            continue
        out["count"] += 1
        if out["expires"] is None:
            out["expires"] = _resource_expiry(res)
    return out


def _locked(lock_keys: list[str], project: str, stack: str) -> bool:
    for key in lock_keys:
        parts = key[len(".pulumi/locks/") :].split("/")[:-1]  # folders above the lock file
        if parts[-2:] == [project, stack] or parts == [stack]:
            return True
    return False


def update_in_progress(backend_url: str, project: str, stack: str) -> bool:
    """Whether an update of project/stack holds the lock in this file:// or s3:// backend now."""
    store = _store(backend_url)
    lock_keys = [k for k in store.list(".pulumi/locks/") if k.endswith(".json")]
    return _locked(lock_keys, project, stack)


def list_stacks(backend_url: str) -> list[StackInfo]:
    """Every stack in a file:// or s3:// backend, sorted by (project, stack)."""
    store = _store(backend_url)
    keys = store.list(".pulumi/stacks/")
    lock_keys = [k for k in store.list(".pulumi/locks/") if k.endswith(".json")]
    tag_keys = {k for k in keys if k.endswith(TAGS_SUFFIX)}
    found: dict[tuple[str, str], StackInfo] = {}
    for key in keys:
        named = _stack_name(key)
        if named is None:
            continue
        project, stack = named
        info: dict[str, Any] = {"count": 0, "time": None, "pending": 0, "expires": None, "project": None}
        readable = True
        try:
            info = _from_checkpoint(_load_json(store.read(key) or b"", key))
        except (ValueError, OSError, EOFError, AttributeError):
            readable = False
        project = project or info["project"] or ""
        tags_key = posixpath.join(".pulumi/stacks", project, stack + TAGS_SUFFIX)
        expires = info["expires"]
        if tags_key in tag_keys:
            tags = _read_tags(store, tags_key)
            expires = parse_time(tags.get(EXPIRES_AT_TAG)) or expires
        found[(project, stack)] = StackInfo(
            project=project,
            stack=stack,
            expires_at=expires,
            update_in_progress=_locked(lock_keys, project, stack),
            resource_count=info["count"],
            last_update=info["time"],
            pending_operations=info["pending"],
            readable=readable,
        )
    return [found[k] for k in sorted(found)]


def _read_tags(store: _Store, key: str) -> dict[str, Any]:
    try:
        doc = json.loads(store.read(key) or b"{}")
    except ValueError:
        return {}
    tags = doc.get("tags") if isinstance(doc, dict) else None
    return tags if isinstance(tags, dict) else {}
