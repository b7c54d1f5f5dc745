"""A newcomer's first steps, through the real CLI (marked `engine`: `make test-engine`).

Each journey starts in an empty temporary folder (no git repository, no runctl.toml) holding only
the spec, with HOME an empty folder, and runs the installed `runctl` console script as a
subprocess, with the Pulumi CLI and the stand-in aws plugin on PATH as the Makefile puts them:

- every example on the local emulator: `runctl local start`, `apply --local`, `status`, `plan`
  (no changes), an edit and a second apply, `destroy`, `runctl local stop`;
- the AWS target with `--backend file://DIR` (DIR not there yet) and `--backend s3://BUCKET/PREFIX`,
  with AWS_ENDPOINT_URL pointing every AWS call at one moto server per module.

Every step's exit code is asserted; what exists is read from the emulator with boto3, never
through runctl.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.real import ROOT, STANDIN_BIN, aws_client, moto_process

pytestmark = pytest.mark.engine
RUNCTL = Path(sys.executable).parent / "runctl"
STACK = "dev"
SECRETS = {"HF_TOKEN": "hf-journey-fake-0001", "WANDB_API_KEY": "wandb-journey-fake-0002"}
PASSPHRASE = "journey-passphrase-0003"  # a backend of one's own needs one (nothing is generated)


@dataclass(frozen=True)
class Edit:
    """A change a user makes after the first apply, and how to see it in AWS."""

    old: str
    new: str
    applied: Callable[[Any, dict[str, Any]], bool]  # (ec2 client, spec doc) -> the change is live


def _tag_is(key: str, value: str) -> Callable[[Any, dict[str, Any]], bool]:
    def check(ec2: Any, doc: dict[str, Any]) -> bool:
        tags = [_tags(i) for i in _instances(ec2, doc["name"])]
        return bool(tags) and all(t.get(key) == value for t in tags)

    return check


def _volumes_sized(size: int) -> Callable[[Any, dict[str, Any]], bool]:
    def check(ec2: Any, doc: dict[str, Any]) -> bool:
        roots = {
            m["Ebs"]["VolumeId"]
            for i in _instances(ec2, doc["name"])
            for m in i["BlockDeviceMappings"]
            if m["DeviceName"] == i["RootDeviceName"]
        }
        sizes = [v["Size"] for v in _volumes(ec2, doc["name"]) if v["VolumeId"] not in roots]
        return bool(sizes) and set(sizes) == {size}

    return check


EDITS = {
    "quickstart.yaml": Edit("ttl: 8h\n", "ttl: 8h\ntags:\n  journey: edited\n", _tag_is("journey", "edited")),
    "llama-finetune.yaml": Edit("  team: research\n", "  team: platform\n", _tag_is("team", "platform")),
    "local.yaml": Edit("    size_gb: 20\n", "    size_gb: 30\n", _volumes_sized(30)),
}


def _tags(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def _instances(ec2: Any, project: str) -> list[dict[str, Any]]:
    """The project's instances that are not terminated."""
    found = ec2.describe_instances(Filters=[{"Name": "tag:runctl:project", "Values": [project]}])
    return [
        i
        for r in found["Reservations"]
        for i in r["Instances"]
        if i["State"]["Name"] not in ("terminated", "shutting-down")
    ]


def _volumes(ec2: Any, project: str) -> list[dict[str, Any]]:
    found = ec2.describe_volumes(Filters=[{"Name": "tag:runctl:project", "Values": [project]}])
    return list(found["Volumes"])


def _buckets(s3: Any, doc: dict[str, Any]) -> set[str]:
    """The spec's buckets that exist, by their name in the spec (`runctl-<project>-<stack>-<name>-`)."""
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    prefix = f"runctl-{doc['name']}-{STACK}-"
    return {key for key in doc.get("buckets", {}) for n in names if n.startswith(f"{prefix}{key}-")}


def _node_count(doc: dict[str, Any]) -> int:
    return sum(int(group.get("count", 1)) for group in doc["instances"].values())


@dataclass
class Journey:
    folder: Path
    env: dict[str, str]
    endpoint: str = ""

    def run(self, *args: str) -> str:
        """`runctl ARGS` in the project folder; exit 0 is asserted, with everything it printed."""
        proc = subprocess.run(
            [str(RUNCTL), *args],
            cwd=self.folder,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
        )
        said = f"`runctl {' '.join(args)}` exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        assert proc.returncode == 0, said
        assert "Traceback" not in proc.stdout + proc.stderr, said
        return proc.stdout

    def doc(self) -> dict[str, Any]:
        loaded: dict[str, Any] = yaml.safe_load((self.folder / "spec.yaml").read_text())
        return loaded

    def client(self, service: str) -> Any:
        return aws_client(service, self.endpoint)


def _newcomer(tmp_path: Path, spec_text: str, extra_env: dict[str, str]) -> Journey:
    """An empty project folder holding only spec.yaml, an empty HOME, no AWS or runctl settings."""
    folder, home = tmp_path / "project", tmp_path / "home"
    folder.mkdir()
    home.mkdir()
    (folder / "spec.yaml").write_text(spec_text)
    cli = os.environ.get("PATH", "")
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "PULUMI_", "RUNCTL_", "XDG_")) and k not in ("HOME", "PATH")
    }
    env = {
        **kept,
        "HOME": str(home),
        "PATH": os.pathsep.join([str(STANDIN_BIN), cli]),  # as `make test-engine` has it
        "NO_COLOR": "1",
        "AWS_EC2_METADATA_DISABLED": "true",  # nothing may try the metadata service
        **extra_env,
    }
    return Journey(folder, env)


def _example(name: str) -> str:
    return (ROOT / "examples" / name).read_text()


def _edit_and_apply_again(journey: Journey, example: str, apply: list[str]) -> None:
    edit = EDITS[example]
    text = (journey.folder / "spec.yaml").read_text()
    assert edit.old in text, f"{example} no longer holds {edit.old!r}: update EDITS"
    (journey.folder / "spec.yaml").write_text(text.replace(edit.old, edit.new, 1))
    journey.run(*apply)
    assert edit.applied(journey.client("ec2"), journey.doc())


def _check_applied(journey: Journey) -> None:
    doc = journey.doc()
    assert len(_instances(journey.client("ec2"), doc["name"])) == _node_count(doc)
    assert _buckets(journey.client("s3"), doc) == set(doc.get("buckets", {}))


def _check_destroyed(journey: Journey) -> None:
    doc = journey.doc()
    assert _instances(journey.client("ec2"), doc["name"]) == []
    retained = {key for key, bucket in doc.get("buckets", {}).items() if (bucket or {}).get("retain")}
    assert _buckets(journey.client("s3"), doc) == retained  # `retain: true` buckets stay in AWS


def _journey(
    journey: Journey, example: str, where: list[str], after_apply: Callable[[], None] | None = None
) -> None:
    """apply, status, plan (no changes), an edit and a second apply, destroy: every step exits 0."""
    apply = ["apply", "spec.yaml", *where, "--yes", "--no-launch"]
    applied = journey.run(*apply)
    assert "update done" in applied
    _check_applied(journey)
    if after_apply is not None:
        after_apply()
    status = journey.run("status", "spec.yaml", *where, "--output", "json")
    assert '"result": "succeeded"' in status
    journey.run("plan", "spec.yaml", *where, "--detailed-exitcode")  # exit 0: no changes
    _edit_and_apply_again(journey, example, apply)
    gone = journey.run("destroy", "spec.yaml", *where, "--yes")
    assert f"stack {journey.doc()['name']}/{STACK} removed" in gone
    _check_destroyed(journey)


# ---- every example on the local emulator ----


def _snapshot_for(journey: Journey, text: str) -> str:
    """The spec with its `from_snapshot` ids replaced by a snapshot made in the emulator (an id
    from a real account does not exist there; a user trying the example locally does the same)."""
    ec2 = journey.client("ec2")
    for old in set(re.findall(r"from_snapshot: (snap-[0-9a-f]+)", text)):
        seed = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)
        new = ec2.create_snapshot(VolumeId=seed["VolumeId"])["SnapshotId"]
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize("example", sorted(EDITS))
def test_an_example_from_an_empty_folder_on_the_local_emulator(tmp_path: Path, example: str) -> None:
    journey = _newcomer(tmp_path, _example(example), SECRETS)
    code = (yaml.safe_load(_example(example)).get("training") or {}).get("code")
    if code and not str(code).startswith(
        "s3://"
    ):  # the example's code folder comes along, as a user copies it
        shutil.copytree(ROOT / "examples" / code, journey.folder / code)
    started = journey.run("local", "start")
    match = re.search(r"started at (http://127\.0\.0\.1:\d+)", started)
    assert match, started
    journey.endpoint = match.group(1)
    try:
        spec = journey.folder / "spec.yaml"
        spec.write_text(_snapshot_for(journey, spec.read_text()))
        _journey(journey, example, ["--local"])
    finally:
        stopped = subprocess.run([str(RUNCTL), "local", "stop"], cwd=journey.folder, env=journey.env)
    assert stopped.returncode == 0
    assert not (journey.folder / ".runctl" / "local").exists()


# ---- the AWS target (moto) with a backend given by --backend ----


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    with moto_process() as url:
        yield url


def _on_aws(tmp_path: Path, endpoint: str, project: str) -> Journey:
    """quickstart under its own project name (the module's journeys share one moto server)."""
    text = _example("quickstart.yaml").replace("name: quickstart\n", f"name: {project}\n", 1)
    aws = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "RUNCTL_PASSPHRASE": PASSPHRASE,
    }
    journey = _newcomer(tmp_path, text, aws)
    journey.endpoint = endpoint
    return journey


def test_a_file_backend_that_does_not_exist_yet(tmp_path: Path, moto: str) -> None:
    state = tmp_path / "not" / "there" / "state"
    journey = _on_aws(tmp_path, moto, "journey-file")
    _journey(journey, "quickstart.yaml", ["--backend", f"file://{state}"])
    assert (state / ".pulumi").is_dir()
    assert not (state / ".pulumi" / "stacks" / "journey-file" / f"{STACK}.json").exists()
    assert not (journey.folder / ".runctl" / "state").exists()  # nothing went to the default backend


def test_an_s3_backend_on_moto(tmp_path: Path, moto: str) -> None:
    s3 = aws_client("s3", moto)
    s3.create_bucket(Bucket="runctl-journey-state")
    journey = _on_aws(tmp_path, moto, "journey-s3")

    def state_under_the_prefix() -> None:
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="runctl-journey-state")["Contents"]}
        assert f"teams/.pulumi/stacks/journey-s3/{STACK}.json" in keys, keys
        assert all(k.startswith("teams/.") for k in keys), keys  # runctl's snapshot as well

    _journey(
        journey, "quickstart.yaml", ["--backend", "s3://runctl-journey-state/teams"], state_under_the_prefix
    )
    assert not (journey.folder / ".runctl" / "state").exists()
