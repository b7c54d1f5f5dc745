"""What a plan is compared against: the applied snapshot, a file, or a git commit.

1. The applied snapshot: `apply` writes the Graph it applied to
   `<root>/.runctl/snapshots/<project>/<stack>.json` as
   `{version, graph, spec_hash, written_at}`. No snapshot: the base is "nothing"
   and the plan creates everything.
2. `--against FILE` accepts:
   - a snapshot (the document above),
   - any JSON document holding a Graph under a top-level `graph` key (e.g. a
     plan JSON that embeds the Graph it was computed for),
   - a plain Graph JSON (`Graph.to_json()`, as written by `runctl graph -o json`),
   - a spec YAML (`.yaml` / `.yml`), loaded for the same stack and compiled.
   Anything else is E0511 with a hint.
3. `--base GIT_REF`: the spec and its stack overlay are read from that commit
   with `git cat-file` (no shell, no checkout, the working tree is untouched),
   loaded with `runctl_iac.spec.load_spec_bytes` and compiled. A spec absent at
   that ref is a new file: the base is "nothing", with an explanation. A bad ref
   or a spec outside a git repository is E0511 with a hint.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runctl_iac.compiler.graph import Graph
from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity, has_errors
from runctl_iac.plan.model import PlanBase
from runctl_iac.project import overlay_candidates
from runctl_iac.spec.model import Spec

SNAPSHOT_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

# (spec bytes, file label, stack, overlay (bytes, file label) or None) -> (Graph, the Spec it came from)
LoadCompile = Callable[[bytes, str, str, "tuple[bytes, str] | None"], "tuple[Graph, Spec | None]"]


@dataclass(frozen=True)
class ResolvedBase:
    """The base of a plan: what renderers show (`base`) and the Graph to diff against (None: nothing)."""

    base: PlanBase
    graph: Graph | None
    explanation: str | None = None  # e.g. why the base is empty
    # the spec the base Graph was compiled from (--base REF, --against SPEC): it prices the base with
    # its own run length and locates findings about what it held; None for a bare Graph (snapshot, JSON)
    spec: Spec | None = None


def _error(message: str, hint: str, file: str | None = None) -> DiagnosticError:
    return DiagnosticError([Diagnostic(Severity.ERROR, "E0511", message, file=file, hint=hint)])


# ---- 1. the applied snapshot ----


def snapshot_path(project: str, stack: str, root: Path) -> Path:
    for label, name in (("project", project), ("stack", stack)):
        if not _NAME.match(name) or ".." in name:
            raise _error(
                f"{label} name {name!r} cannot be used in a snapshot path", "use letters, digits, . _ -"
            )
    return Path(root) / ".runctl" / "snapshots" / project / f"{stack}.json"


def write_snapshot(graph: Graph, root: Path, *, now: datetime | None = None) -> Path:
    """Write the applied Graph atomically (a reader never sees half a file); returns the path."""
    path = snapshot_path(graph.project, graph.stack, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "version": SNAPSHOT_VERSION,
        "graph": graph.to_json(),
        "spec_hash": graph.spec_hash(),
        "written_at": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(doc, sort_keys=True, indent=2) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _read_json(path: Path) -> Any:
    from runctl_iac.spec.files import file_problem

    problem = file_problem(path)  # a directory, FIFO, loop or dangling link: E0101, never a hang
    if problem is not None:
        message, hint = problem
        raise DiagnosticError(
            [Diagnostic(Severity.ERROR, "E0101", message, file=str(path), hint=hint or None)]
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _error(f"{path}: file not found", "check the path", str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = (
            f"line {exc.lineno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        )
        raise _error(
            f"{path}: not readable JSON ({reason})", "pass a snapshot or graph JSON file", str(path)
        ) from None


def graph_from_document(data: Any, origin: str) -> tuple[Graph, str]:
    """The Graph in a snapshot / plan-with-graph / Graph JSON document, and its spec hash."""
    hint = (
        "pass an applied snapshot (.runctl/snapshots/PROJECT/STACK.json), a plan JSON "
        "(`runctl plan SPEC --out plan.json`), a graph (`runctl graph SPEC --output json`), or a spec YAML"
    )
    if isinstance(data, dict) and "resources" not in data and isinstance(data.get("graph"), dict):
        graph, computed = graph_from_document(data["graph"], origin)
        if data.get("version", SNAPSHOT_VERSION) != SNAPSHOT_VERSION and "written_at" in data:
            raise _error(f"{origin}: snapshot version {data.get('version')!r} is not supported", hint, origin)
        stored = data.get("spec_hash")
        return graph, stored if isinstance(stored, str) else computed
    if not (isinstance(data, dict) and isinstance(data.get("resources"), dict) and "project" in data):
        raise _error(f"{origin}: not a runctl snapshot, plan or graph document", hint, origin)
    if data.get("version", 1) != 1:
        raise _error(f"{origin}: graph version {data.get('version')!r} is not supported", hint, origin)
    try:
        graph = Graph.from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _error(f"{origin}: malformed graph ({type(exc).__name__}: {exc})", hint, origin) from None
    return graph, graph.spec_hash()


def read_snapshot(project: str, stack: str, root: Path) -> Graph | None:
    """The last applied Graph of the stack, or None when nothing was applied yet."""
    path = snapshot_path(project, stack, root)
    if not path.is_file():
        return None
    graph, _ = graph_from_document(_read_json(path), str(path))
    return graph


def snapshot_base(project: str, stack: str, root: Path) -> ResolvedBase:
    path = snapshot_path(project, stack, root)
    if not path.is_file():
        why = f"no applied snapshot for {project}/{stack} ({path}): everything is created"
        return ResolvedBase(PlanBase("none"), None, why)
    graph, spec_hash = graph_from_document(_read_json(path), str(path))
    return ResolvedBase(PlanBase("snapshot", str(path), spec_hash), graph)


# ---- 2. --against FILE ----


def against_base(path: Path, stack: str | None = None, stacks_dir: Path | None = None) -> ResolvedBase:
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):  # the loader reports an unreadable file (E0101)
        from runctl_iac.compiler import compile as compile_spec
        from runctl_iac.spec import load_spec_or_raise

        spec = load_spec_or_raise(path, stack=stack, stacks_dir=stacks_dir)
        graph, _ = compile_spec(spec)
        return ResolvedBase(PlanBase("file", str(path), graph.spec_hash()), graph, spec=spec)
    graph, spec_hash = graph_from_document(_read_json(path), str(path))
    return ResolvedBase(PlanBase("file", str(path), spec_hash), graph)


# ---- 3. --base GIT_REF ----


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        return subprocess.run(
            ["git", "-C", str(cwd), *args], capture_output=True, check=False, env=env, timeout=60
        )
    except FileNotFoundError:
        raise _error("git is not installed", "install git, or use --against FILE") from None
    except subprocess.TimeoutExpired:
        raise _error("git did not answer within 60 s", "retry, or use --against FILE") from None


def _blob(cwd: Path, commit: str, rel: str) -> bytes | None:
    spec = f"{commit}:{rel}"
    if _git(["cat-file", "-e", spec], cwd).returncode != 0:
        return None
    out = _git(["cat-file", "blob", spec], cwd)
    if out.returncode != 0:
        raise _error(f"git cannot read {spec}", "check the repository is intact (git fsck)")
    return out.stdout


def _relative(path: Path, top: Path, what: str, ref: str) -> str:
    try:
        return path.resolve().relative_to(top).as_posix()
    except ValueError:
        raise _error(
            f"{what} {path} is outside the git repository at {top}",
            f"--base {ref} reads files from the repository; use --against FILE instead",
            str(path),
        ) from None


def _default_load_compile(
    data: bytes, file: str, stack: str, overlay: tuple[bytes, str] | None
) -> tuple[Graph, Spec | None]:
    from runctl_iac.compiler import compile as compile_spec
    from runctl_iac.spec import load_spec_bytes

    result = load_spec_bytes(data, file, stack, overlay=overlay)
    diagnostics: list[Diagnostic] = list(result.diagnostics)
    if result.spec is None or has_errors(diagnostics):
        summary = Diagnostic(
            Severity.ERROR,
            "E0511",
            f"the base spec {file} does not load",
            file=file,
            hint="fix or skip that base (e.g. --base on a later commit), or use --against FILE",
        )
        raise DiagnosticError([*diagnostics, summary])
    graph, _ = compile_spec(result.spec)
    return graph, result.spec


def git_base(
    ref: str,
    spec_path: Path,
    stack: str | None = None,
    stacks_dir: Path | None = None,
    *,
    load_compile: LoadCompile | None = None,
) -> ResolvedBase:
    """Compile the spec (and its stack overlay) as they were at git `ref`."""
    from runctl_iac.spec.model import DEFAULT_STACK

    stack = stack or DEFAULT_STACK
    spec_path = Path(spec_path)
    hint_ref = "name a branch, tag or commit (e.g. origin/main, HEAD~1); in CI fetch it first"
    if not ref or ref.startswith("-") or any(c in ref for c in "\n\r\0"):
        raise _error(f"{ref!r} is not a usable git ref", hint_ref, str(spec_path))
    cwd = spec_path.resolve().parent
    top_out = _git(["rev-parse", "--show-toplevel"], cwd)
    if top_out.returncode != 0:
        raise _error(
            f"{spec_path} is not inside a git repository",
            "--base needs a git checkout; use --against FILE for a saved base",
            str(spec_path),
        )
    top = Path(top_out.stdout.decode("utf-8", "replace").strip()).resolve()
    commit_out = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    if commit_out.returncode != 0:
        raise _error(f"git ref {ref!r} not found in {top}", hint_ref, str(spec_path))
    commit = commit_out.stdout.decode().strip()
    rel = _relative(spec_path, top, "spec", ref)
    data = _blob(top, commit, rel)
    if data is None:
        why = f"{rel} does not exist at {ref}: it is a new file, so everything is created"
        return ResolvedBase(PlanBase("git", ref), None, why)
    overlay = None
    for candidate in overlay_candidates(spec_path, stack, stacks_dir):  # the same lookup as for files
        overlay_rel = _relative(candidate, top, "stack overlay", ref)
        overlay_data = _blob(top, commit, overlay_rel)
        if overlay_data is not None:
            overlay = (overlay_data, f"{ref}:{overlay_rel}")
            break
    graph, spec = (load_compile or _default_load_compile)(data, f"{ref}:{rel}", stack, overlay)
    return ResolvedBase(PlanBase("git", ref, graph.spec_hash()), graph, spec=spec)


# ---- choosing one ----


def resolve_base(
    project: str,
    stack: str,
    root: Path,
    *,
    against: Path | None = None,
    git_ref: str | None = None,
    spec_path: Path | None = None,
    stacks_dir: Path | None = None,
) -> ResolvedBase:
    """`--against` or `--base` when given (not both), else the applied snapshot under `root`."""
    if against is not None and git_ref is not None:
        raise _error("--against and --base cannot be used together", "choose one base for the plan")
    if git_ref is not None:
        if spec_path is None:
            raise _error("--base needs the spec file", "pass the spec path")
        return git_base(git_ref, spec_path, stack, stacks_dir)
    if against is not None:
        return against_base(against, stack, stacks_dir)
    return snapshot_base(project, stack, root)
