"""Plan bases: the applied snapshot, --against FILE, --base GIT_REF (in a throwaway git repository)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runctl_iac.compiler.graph import Graph
from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.plan.base import (
    against_base,
    git_base,
    graph_from_document,
    read_snapshot,
    resolve_base,
    snapshot_base,
    snapshot_path,
    write_snapshot,
)
from runctl_iac.plan.diff import diff_graphs
from runctl_iac.plan.model import Action
from tests.plan.diff_graphs import base_graph, set_path


def codes(exc: pytest.ExceptionInfo[DiagnosticError]) -> list[str]:
    return [d.code for d in exc.value.diagnostics]


# ---- snapshots ----


def test_snapshot_round_trip(tmp_path: Path) -> None:
    g = base_graph()
    path = write_snapshot(g, tmp_path, now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert path == tmp_path / ".runctl" / "snapshots" / "proj" / "dev.json"
    assert path == snapshot_path("proj", "dev", tmp_path)
    doc = json.loads(path.read_text())
    assert doc["version"] == 1
    assert doc["written_at"] == "2026-01-02T03:04:05Z"
    assert doc["spec_hash"] == g.spec_hash()
    assert doc["graph"] == g.to_json()
    assert [p.name for p in path.parent.iterdir()] == ["dev.json"]  # no temporary file left behind
    back = read_snapshot("proj", "dev", tmp_path)
    assert back is not None and not diff_graphs(back, g).has_changes
    resolved = snapshot_base("proj", "dev", tmp_path)
    assert (resolved.base.kind, resolved.base.ref, resolved.base.spec_hash) == (
        "snapshot",
        str(path),
        g.spec_hash(),
    )
    # overwriting keeps one file with the newer content
    write_snapshot(set_path(g, "instance.trainer.0", "instance_type", "g5.2xlarge"), tmp_path)
    again = read_snapshot("proj", "dev", tmp_path)
    assert (
        again is not None
        and again.resources["instance.trainer.0"].properties["instance_type"] == "g5.2xlarge"
    )


def test_no_snapshot_means_everything_is_created(tmp_path: Path) -> None:
    assert read_snapshot("proj", "dev", tmp_path) is None
    resolved = snapshot_base("proj", "dev", tmp_path)
    assert resolved.graph is None and resolved.base.kind == "none"
    assert resolved.explanation is not None and "everything is created" in resolved.explanation
    changes = diff_graphs(resolved.graph, base_graph())
    assert {c.action for c in changes.changes} == {Action.CREATE}


def test_corrupt_snapshot_is_e0511(tmp_path: Path) -> None:
    path = snapshot_path("proj", "dev", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "graph": {"project": "proj"')
    with pytest.raises(DiagnosticError) as exc:
        read_snapshot("proj", "dev", tmp_path)
    assert codes(exc) == ["E0511"] and "not readable JSON" in exc.value.diagnostics[0].message


@pytest.mark.parametrize("name", ["../evil", "a/b", "", ".hidden"])
def test_snapshot_path_rejects_unsafe_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(DiagnosticError) as exc:
        snapshot_path(name, "dev", tmp_path)
    assert codes(exc) == ["E0511"]


# ---- --against FILE ----


def test_against_accepts_snapshot_graph_and_plan_documents(tmp_path: Path) -> None:
    g = base_graph()
    snap = write_snapshot(g, tmp_path)
    plain = tmp_path / "graph.json"
    plain.write_text(g.dumps())
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"version": 1, "changes": [], "graph": g.to_json()}))
    for path in (snap, plain, plan):
        resolved = against_base(path)
        assert resolved.base.kind == "file" and resolved.base.ref == str(path)
        assert resolved.graph is not None and not diff_graphs(resolved.graph, g).has_changes
        assert resolved.base.spec_hash == g.spec_hash()


def test_against_rejects_other_documents(tmp_path: Path) -> None:
    cases = {
        "list.json": "[1, 2]",
        "plan-without-graph.json": json.dumps({"version": 1, "changes": []}),
        "future.json": json.dumps({**base_graph().to_json(), "version": 99}),
        "broken.json": json.dumps({"project": "p", "resources": {"x": {"properties": {}}}}),
        "notjson.json": "resources: {}",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(DiagnosticError) as exc:
            against_base(tmp_path / name)
        assert codes(exc) == ["E0511"], name
        assert exc.value.diagnostics[0].hint
    with pytest.raises(DiagnosticError) as exc:
        against_base(tmp_path / "missing.json")
    assert "file not found" in exc.value.diagnostics[0].message


def test_against_a_spec_yaml_compiles_it(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(size=100))
    resolved = against_base(spec)
    assert resolved.graph is not None
    assert resolved.graph.resources["volume.data.gpu.0"].properties["size"] == 100


def test_graph_from_document_prefers_stored_hash() -> None:
    g = base_graph()
    graph, h = graph_from_document({"version": 1, "graph": g.to_json(), "spec_hash": "sha256:x"}, "x")
    assert h == "sha256:x" and isinstance(graph, Graph)


# ---- --base GIT_REF ----

SPEC = """version: 1
name: demo
region: us-east-1
volumes:
  data:
    size_gb: {size}
instances:
  gpu:
    type: g5.xlarge
    volumes:
      data: /data
"""


def git(repo: Path, *args: str) -> str:
    cmd = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two commits of infra/spec.yaml + infra/stacks/dev.yaml, then an uncommitted working-tree edit."""
    root = tmp_path / "repo"
    (root / "infra" / "stacks").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    spec, overlay = root / "infra" / "spec.yaml", root / "infra" / "stacks" / "dev.yaml"
    spec.write_text(SPEC.format(size=100))
    overlay.write_text("tags:\n  env: first\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "one")
    git(root, "tag", "v1")
    spec.write_text(SPEC.format(size=200))
    overlay.write_text("tags:\n  env: second\n")
    git(root, "commit", "-q", "-am", "two")
    spec.write_text(SPEC.format(size=300))  # not committed
    overlay.write_text("tags:\n  env: third\n")
    return root


def _size_and_env(g: Graph | None) -> tuple[int, str]:
    assert g is not None
    tags = g.resources["provider.aws"].properties["default_tags"]["tags"]
    return g.resources["volume.data.gpu.0"].properties["size"], tags["env"]


def test_git_base_reads_spec_and_overlay_at_each_ref(repo: Path) -> None:
    spec = repo / "infra" / "spec.yaml"
    for ref, expected in (("HEAD", (200, "second")), ("HEAD~1", (100, "first")), ("v1", (100, "first"))):
        resolved = git_base(ref, spec)
        assert _size_and_env(resolved.graph) == expected, ref
        assert resolved.base.kind == "git" and resolved.base.ref == ref
        assert resolved.graph is not None and resolved.base.spec_hash == resolved.graph.spec_hash()
    assert spec.read_text() == SPEC.format(size=300)  # the working tree is untouched
    assert "infra/spec.yaml" in git(repo, "status", "--porcelain")


def test_git_base_diff_against_working_tree(repo: Path) -> None:
    from runctl_iac.compiler import compile as compile_spec
    from runctl_iac.spec import load_spec_or_raise

    spec = repo / "infra" / "spec.yaml"
    new, _ = compile_spec(load_spec_or_raise(spec))
    changes = diff_graphs(git_base("HEAD~1", spec).graph, new)
    vol = next(c for c in changes.changes if c.id == "volume.data.gpu.0")
    assert vol.action is Action.UPDATE
    assert [(p.path, p.old, p.new) for p in vol.properties] == [("size", 100, 300)]


def test_git_base_passes_bytes_and_labels(repo: Path) -> None:
    seen: list[tuple[bytes, str, str, tuple[bytes, str] | None]] = []

    def fake(data: bytes, file: str, stack: str, overlay: tuple[bytes, str] | None) -> tuple[Graph, None]:
        seen.append((data, file, stack, overlay))
        return base_graph(), None

    git_base("HEAD~1", repo / "infra" / "spec.yaml", "dev", load_compile=fake)
    git_base("HEAD", repo / "infra" / "spec.yaml", "ci", load_compile=fake)  # no ci overlay at all
    assert seen == [
        (
            SPEC.format(size=100).encode(),
            "HEAD~1:infra/spec.yaml",
            "dev",
            (b"tags:\n  env: first\n", "HEAD~1:infra/stacks/dev.yaml"),
        ),
        (SPEC.format(size=200).encode(), "HEAD:infra/spec.yaml", "ci", None),
    ]


def test_git_base_of_a_new_file_is_nothing(repo: Path) -> None:
    fresh = repo / "infra" / "new.yaml"
    fresh.write_text(SPEC.format(size=1))
    resolved = git_base("HEAD", fresh)
    assert resolved.graph is None and resolved.base.kind == "git" and resolved.base.spec_hash is None
    assert (
        resolved.explanation
        == "infra/new.yaml does not exist at HEAD: it is a new file, so everything is created"
    )


def test_git_base_of_an_invalid_spec_reports_its_diagnostics(repo: Path) -> None:
    (repo / "infra" / "spec.yaml").write_text("version: 1\nname: demo\nregion: [\n")
    git(repo, "commit", "-q", "-am", "broken")
    with pytest.raises(DiagnosticError) as exc:
        git_base("HEAD", repo / "infra" / "spec.yaml")
    assert codes(exc)[-1] == "E0511" and len(codes(exc)) >= 2
    assert exc.value.diagnostics[0].file == "HEAD:infra/spec.yaml"


@pytest.mark.parametrize("ref", ["no-such-branch", "-rf", "HEAD~99", ""])
def test_git_base_bad_ref_is_e0511(repo: Path, ref: str) -> None:
    with pytest.raises(DiagnosticError) as exc:
        git_base(ref, repo / "infra" / "spec.yaml")
    assert codes(exc) == ["E0511"]
    assert exc.value.diagnostics[0].hint


def test_git_base_outside_a_repository_is_e0511(tmp_path: Path) -> None:
    spec = tmp_path / "lonely" / "spec.yaml"
    spec.parent.mkdir()
    spec.write_text(SPEC.format(size=1))
    with pytest.raises(DiagnosticError) as exc:
        git_base("HEAD", spec)
    assert codes(exc) == ["E0511"] and "not inside a git repository" in exc.value.diagnostics[0].message


def test_git_base_overlay_outside_the_repository_is_e0511(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(DiagnosticError) as exc:
        git_base("HEAD", repo / "infra" / "spec.yaml", stacks_dir=tmp_path / "elsewhere")
    assert codes(exc) == ["E0511"] and "outside the git repository" in exc.value.diagnostics[0].message


def test_resolve_base_chooses_one(repo: Path, tmp_path: Path) -> None:
    spec = repo / "infra" / "spec.yaml"
    with pytest.raises(DiagnosticError):
        resolve_base("demo", "dev", tmp_path, against=spec, git_ref="HEAD", spec_path=spec)
    assert resolve_base("demo", "dev", tmp_path).base.kind == "none"
    assert resolve_base("demo", "dev", tmp_path, git_ref="HEAD", spec_path=spec).base.kind == "git"
    assert resolve_base("demo", "dev", tmp_path, against=spec).base.kind == "file"
