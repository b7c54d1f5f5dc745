"""Training code: a local directory packed into a content-addressed tarball in the staging bucket.

Files are chosen like git would: `.gitignore` and `.runctlignore` files (in the
directory and below, each applying to its own subtree; the last matching
pattern wins, `!` re-includes, a trailing `/` matches directories only, a
pattern with an inner `/` is anchored to its file's directory, `**` spans
directories) and `.git/` is always left out. The archive is deterministic (sorted
entries, fixed times and owners), and its key is the SHA-256 of the chosen
files' paths, modes and contents, so unchanged code is not uploaded again. An
`s3://` code location is used as it is.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IGNORE_FILES = (".gitignore", ".runctlignore")
ALWAYS_EXCLUDED = {".git"}
WARN_BYTES = 200 * 1024 * 1024  # above this, `launch` warns (W0810): large code belongs in a bucket


@dataclass(frozen=True)
class _Rule:
    base: str  # directory of the ignore file, relative, "" at the top
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def _glob_regex(pattern: str) -> str:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out, i = out + "/.*", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            out, i = out + "[" + pattern[i + 1 : end].replace("!", "^", 1) + "]", end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return out


def parse_ignore(text: str, base: str) -> list[_Rule]:
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line[1:] if negate else line.removeprefix("\\")
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        body = _glob_regex(line.lstrip("/"))
        regex = re.compile(("" if anchored else "(?:.*/)?") + body + "$")
        rules.append(_Rule(base, regex, negate, dir_only))
    return rules


def _ignored(rel: str, is_dir: bool, rules: list[_Rule]) -> bool:
    verdict = False
    for rule in rules:
        if rule.dir_only and not is_dir:
            continue
        if rule.base and not rel.startswith(rule.base + "/"):
            continue
        sub = rel[len(rule.base) + 1 :] if rule.base else rel
        if rule.regex.match(sub):
            verdict = not rule.negate
    return verdict


def iter_files(root: Path) -> Iterator[str]:
    """Relative POSIX paths of the files to upload, sorted."""

    def walk(rel: str, rules: list[_Rule]) -> Iterator[str]:
        here = root / rel if rel else root
        for name in IGNORE_FILES:
            f = here / name
            if f.is_file():
                rules = rules + parse_ignore(f.read_text(encoding="utf-8", errors="replace"), rel)
        for entry in sorted(os.scandir(here), key=lambda e: e.name):
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_dir(follow_symlinks=False):
                if entry.name in ALWAYS_EXCLUDED or _ignored(child, True, rules):
                    continue
                yield from walk(child, rules)
            elif entry.is_file(follow_symlinks=False) and not _ignored(child, False, rules):
                yield child

    yield from walk("", [])


@dataclass(frozen=True)
class Packed:
    digest: str
    data: bytes  # the .tar.gz
    files: int
    size: int  # bytes before compression


def pack(root: Path) -> Packed:
    files = list(iter_files(root))
    digest = hashlib.sha256()
    raw = io.BytesIO()
    total = 0
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in files:
            path = root / rel
            content = path.read_bytes()
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            total += len(content)
            digest.update(f"{rel}\0{mode:o}\0{len(content)}\0".encode())
            digest.update(content)
            info = tarfile.TarInfo(rel)
            info.size, info.mode, info.mtime = len(content), mode, 0
            tar.addfile(info, io.BytesIO(content))
    data = gzip.compress(raw.getvalue(), mtime=0)
    return Packed(digest.hexdigest(), data, len(files), total)


Progress = Callable[[int], Any]


def upload(s3: Any, bucket: str, key: str, packed: Packed, progress: Progress | None = None) -> bool:
    """Upload unless the key already exists (content-addressed); True when it was uploaded."""
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
        return False
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    s3.upload_fileobj(io.BytesIO(packed.data), bucket, key, Callback=progress)
    return True
