"""Can a path be read as a spec file? Asked before opening it: opening a FIFO waits forever for a writer,
and a symlink loop, a dangling link, a directory or a file without read permission each deserve their
own words (E0101) rather than an exception's."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def file_problem(path: str | Path) -> tuple[str, str] | None:
    """Why `path` cannot be read as a file (problem, hint), or None. Looks before it opens: opening a FIFO
    would wait forever for a writer, and a symlink loop or a dangling link deserves its own words."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            target = os.readlink(path)
            return f"is a symbolic link to {target}, which does not exist", "fix the link or name the file"
        return "file not found", "check the path"
    except OSError as exc:
        return os_problem(exc)
    if stat.S_ISDIR(info.st_mode):
        return "is a directory, not a file", "name the spec file inside it, e.g. DIR/spec.yaml"
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        return f"is {kind}, not a regular file", "pass a regular file, or `-` to read standard input"
    if not os.access(path, os.R_OK):
        return "permission denied", "make the file readable (chmod u+r) or run as its owner"
    return None


def os_problem(exc: OSError) -> tuple[str, str]:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link loop", "point the link at a real file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied", "make the file readable (chmod u+r) or run as its owner"
    if exc.errno == errno.EISDIR:
        return "is a directory, not a file", "name the spec file inside it, e.g. DIR/spec.yaml"
    if exc.errno == errno.ENOTDIR:
        return "file not found (a part of the path is not a directory)", "check the path"
    return f"cannot read the file: {exc.strerror or type(exc).__name__}", ""
