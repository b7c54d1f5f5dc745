"""The stack locator: one project root, one backend rule, the state folder made on first write, and
every command resolving the same backend for each source (--backend, PULUMI_BACKEND_URL,
runctl.toml, [tool.runctl] in pyproject.toml, the default)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from runctl_iac.engine.targets import stack_target
from runctl_iac.stackref import (
    LOCAL_PASSPHRASE,
    backend_for,
    ensure_state,
    known_backends,
    local_backend,
    locate,
    resolve_passphrase,
    state_missing,
)
from runctl_iac.teardown.service import read_backends

SOURCES = ["--backend", "PULUMI_BACKEND_URL", "runctl.toml", "pyproject.toml", "default"]


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> tuple[Path, str | None, str]:
    """A project whose backend comes from `source`: (spec, --backend flag, the expected URL)."""
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.setenv("RUNCTL_PASSPHRASE", "locator-test")
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    spec = root / "infra" / "spec.yaml"
    spec.parent.mkdir()
    spec.write_text("version: 1\nname: demo\n")
    shared = tmp_path / f"state-{source.strip('-').lower().replace('.', '-')}"
    flag = None
    if source == "--backend":
        flag = f"file://{shared}"
    elif source == "PULUMI_BACKEND_URL":
        monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{shared}")
    elif source == "runctl.toml":
        (root / "runctl.toml").write_text(f'backend = "file://{shared}"\n')
    elif source == "pyproject.toml":
        (root / "pyproject.toml").write_text(
            f'[project]\nname = "x"\n\n[tool.runctl]\nbackend = "file://{shared}"\n'
        )
    else:
        shared = root / ".runctl" / "state"
    monkeypatch.chdir(root)
    return spec, flag, f"file://{shared.resolve()}"


@pytest.mark.parametrize("source", SOURCES)
def test_apply_status_destroy_and_gc_agree_on_the_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    spec, flag, url = _project(tmp_path, monkeypatch, source)
    applied = stack_target(spec, "demo", "dev", flag, create=True)  # what apply runs
    read = stack_target(spec, "demo", "dev", flag)  # what status, refresh, destroy, extend run
    by_project = stack_target(Path.cwd(), "demo", "dev", flag)  # destroy --project demo (no spec)
    gc = read_backends(Path.cwd(), flag, local=False, orphans=True)  # runctl gc, from the root
    assert applied.backend.url == read.backend.url == by_project.backend.url == gc.primary.url == url
    assert backend_for(spec, flag).url == url  # plan's applied snapshot, doctor, stacks
    assert gc.stacks == []  # the folder apply made holds no stack yet


def test_the_first_write_makes_the_state_folder_private_and_git_ignored(tmp_path: Path) -> None:
    backend = locate(tmp_path).backend
    assert state_missing(backend) and not (tmp_path / ".runctl").exists()
    ensure_state(backend)
    folder = tmp_path / ".runctl" / "state"
    assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (tmp_path / ".runctl" / ".gitignore").read_text().splitlines()[-1] == "*"
    phrase = resolve_passphrase(backend, {}, create=True)
    assert phrase is not None and phrase.generated
    assert stat.S_IMODE((tmp_path / ".runctl" / "passphrase").stat().st_mode) == 0o600


def test_a_file_backend_given_by_flag_is_made_on_first_write(tmp_path: Path) -> None:
    target = tmp_path / "new" / "state"
    backend = locate(tmp_path, f"file://{target}").backend
    ensure_state(backend)
    assert target.is_dir() and stat.S_IMODE(target.stat().st_mode) == 0o700
    assert not (tmp_path / ".runctl").exists()  # nothing written where it was not asked for


def test_the_local_targets_backend_has_its_own_passphrase_also_when_named_by_url(tmp_path: Path) -> None:
    local = local_backend(tmp_path)
    named = locate(tmp_path, local.url).backend  # gc --expired --backend file://.../.runctl/local/state
    assert named == local and named.local
    phrase = resolve_passphrase(named, {})
    assert phrase is not None and phrase.value == LOCAL_PASSPHRASE


def test_known_backends_are_every_place_a_projects_stacks_may_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://team-env/runctl")
    (tmp_path / "runctl.toml").write_text('backend = "s3://team-toml/runctl"\n')
    urls = [b.url for b in known_backends(tmp_path, f"file://{tmp_path / 'flag'}")]
    assert urls == [
        f"file://{(tmp_path / 'flag').resolve()}",
        "s3://team-toml/runctl",
        "s3://team-env/runctl",
        f"file://{(tmp_path / '.runctl' / 'state').resolve()}",
        f"file://{(tmp_path / '.runctl' / 'local' / 'state').resolve()}",
    ]


def test_backend_is_refused_for_the_local_target(tmp_path: Path) -> None:
    from runctl_iac.diagnostics import DiagnosticError

    with pytest.raises(DiagnosticError) as err:
        locate(tmp_path, "file:///elsewhere", local=True)
    assert err.value.diagnostics[0].code == "E0710"
