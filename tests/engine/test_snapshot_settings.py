"""Project root, backend and passphrase settings; the applied snapshot beside the state (file, S3)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runctl_iac.compiler import compile as compile_spec
from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.engine.snapshot import location, read_applied, remove_applied, write_applied
from runctl_iac.spec import load_spec_or_raise
from runctl_iac.stackref import backend_for, project_root, resolve_backend, resolve_passphrase

ROOT = Path(__file__).resolve().parents[2]


def graph():  # type: ignore[no-untyped-def]
    return compile_spec(load_spec_or_raise(ROOT / "examples" / "quickstart.yaml"))[0]


def test_project_root_is_the_nearest_marked_folder(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "infra" / "deep").mkdir(parents=True)
    spec = tmp_path / "repo" / "infra" / "deep" / "spec.yaml"
    spec.write_text("x")
    assert project_root(spec) == (tmp_path / "repo").resolve()
    (tmp_path / "repo" / "infra" / "runctl.toml").write_text("")
    assert project_root(spec) == (tmp_path / "repo" / "infra").resolve()


def test_backend_precedence(tmp_path: Path) -> None:
    default = resolve_backend(tmp_path, environ={})
    assert default.default and default.url == f"file://{(tmp_path / '.runctl' / 'state').resolve()}"
    env = resolve_backend(tmp_path, environ={"PULUMI_BACKEND_URL": "s3://team/state"}, configured="file://x")
    assert (env.kind, env.url, env.source) == ("s3", "s3://team/state", "PULUMI_BACKEND_URL")
    flag = resolve_backend(tmp_path, flag="file://./shared", environ={"PULUMI_BACKEND_URL": "s3://a/b"})
    assert flag.url == f"file://{(tmp_path / 'shared').resolve()}" and not flag.default
    conf = resolve_backend(tmp_path, environ={}, configured="https://api.pulumi.com")
    assert conf.kind == "cloud" and conf.source == "runctl.toml"
    with pytest.raises(DiagnosticError) as err:
        resolve_backend(tmp_path, flag="gs://bucket", environ={})
    assert err.value.diagnostics[0].code == "E0710"


def test_backend_and_secrets_provider_from_runctl_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    (tmp_path / "runctl.toml").write_text(
        'backend = "s3://team-state/runctl"\nsecrets_provider = "awskms://alias/x"\n'
    )
    backend = backend_for(tmp_path / "spec.yaml")
    assert backend.url == "s3://team-state/runctl" and backend.secrets_provider == "awskms://alias/x"
    assert resolve_passphrase(backend, {}) is None  # KMS: no passphrase needed


def test_passphrase_sources(tmp_path: Path) -> None:
    default = resolve_backend(tmp_path, environ={})
    assert resolve_passphrase(
        default, {"RUNCTL_PASSPHRASE": "a", "PULUMI_CONFIG_PASSPHRASE": "b"}
    ).source == (  # type: ignore[union-attr]
        "RUNCTL_PASSPHRASE"
    )
    with pytest.raises(DiagnosticError):
        resolve_passphrase(default, {})  # not created unless asked
    made = resolve_passphrase(default, {}, create=True)
    assert made is not None and made.generated and os.stat(made.source).st_mode & 0o777 == 0o600
    again = resolve_passphrase(default, {}, create=True)
    assert again is not None and not again.generated and again.value == made.value
    shared = resolve_backend(tmp_path, flag="file:///srv/state", environ={})
    with pytest.raises(DiagnosticError) as err:
        resolve_passphrase(shared, {}, create=True)
    assert "RUNCTL_PASSPHRASE" in (err.value.diagnostics[0].hint or "")


def test_snapshot_lives_beside_a_file_backend(tmp_path: Path) -> None:
    g = graph()
    default = resolve_backend(tmp_path, environ={})
    assert location(g.project, g.stack, default) == str(
        tmp_path / ".runctl" / "snapshots" / g.project / "dev.json"
    )
    team = resolve_backend(tmp_path, flag=f"file://{tmp_path / 'team'}", environ={})
    where = write_applied(
        g, team, {"buckets": {"quickstart-results": "real-name"}}, {"aws:region": "us-east-1"}
    )
    assert where == str(tmp_path / "team" / ".runctl-snapshots" / g.project / "dev.json")
    applied = read_applied(g.project, g.stack, team)
    assert applied is not None and applied.graph == g and applied.spec_hash == g.spec_hash()
    assert applied.outputs == {"buckets": {"quickstart-results": "real-name"}}
    assert read_applied(g.project, g.stack, default) is None
    remove_applied(g.project, g.stack, team)
    assert read_applied(g.project, g.stack, team) is None


def test_snapshot_is_an_object_under_an_s3_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None, moto_server: str
) -> None:
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("s3").create_bucket(Bucket="team-state-snap")
    g = graph()
    backend = resolve_backend(tmp_path, flag="s3://team-state-snap/runctl", environ={})
    assert read_applied(g.project, g.stack, backend) is None
    where = write_applied(g, backend, {"specHash": g.spec_hash()}, {})
    assert where == f"s3://team-state-snap/runctl/.runctl-snapshots/{g.project}/dev.json"
    applied = read_applied(g.project, g.stack, backend)
    assert applied is not None and applied.graph == g and applied.location == where
    remove_applied(g.project, g.stack, backend)
    assert read_applied(g.project, g.stack, backend) is None
    no_bucket = resolve_backend(tmp_path, flag="s3://no-such-bucket-here/x", environ={})
    with pytest.raises(DiagnosticError) as err:
        write_applied(g, no_bucket, {}, {})
    assert err.value.diagnostics[0].code == "E0710"
