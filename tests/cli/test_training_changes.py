"""Issue 8 item 1: a change to the training job is visible in every output, changes the hash, exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.plan_helpers import BASE_SPEC, SECRET_VALUE, invoke, validate_plan, write

TRAINING_EDITS = {
    "run": ("  run: python train.py\n", "  run: python train.py --epochs 9\n", "run"),
    "setup": ("  run: python train.py\n", "  run: python train.py\n  setup: pip install -e .\n", "setup"),
    "env": ("  run: python train.py\n", '  run: python train.py\n  env:\n    BATCH: "64"\n', "env.BATCH"),
    "max_runtime": ("  max_runtime: 2h\n", "  max_runtime: 3h\n", "max_runtime_seconds"),
    "code": ("  run: python train.py\n", "  run: python train.py\n  code: s3://other/src/\n", "code"),
    "secrets": ("  secrets: [HF_TOKEN]\n", "  secrets: [HF_TOKEN, WANDB_API_KEY]\n", "secrets"),
    "checkpoints": (
        "  run: python train.py\n",
        "  run: python train.py\n  checkpoints:\n    dir: /data/ckpt\n    bucket: results\n",
        "checkpoints.dir",
    ),
}


@pytest.mark.parametrize("field", sorted(TRAINING_EDITS))
def test_training_change_is_a_job_update_with_exit_2(project: Path, field: str) -> None:
    old, new, prop = TRAINING_EDITS[field]
    assert old in BASE_SPEC
    write(project / "new.yaml", BASE_SPEC.replace(old, new))
    write(project / "old.yaml", BASE_SPEC)

    text = invoke("diff", "old.yaml", "new.yaml", "--detailed-exitcode")
    assert text.code == 2, text.stdout + text.stderr
    assert "No changes" not in text.stdout
    assert "    ~ job (runctl:training:Job)  # the job will be relaunched on apply" in text.stdout
    assert f"        {prop}" in text.stdout

    doc = invoke("diff", "old.yaml", "new.yaml", "-o", "json").json()
    validate_plan(doc)
    assert doc["has_changes"] is True
    assert doc["spec_hash"] != doc["base"]["spec_hash"]
    job = doc["changes"][0]
    assert (job["id"], job["type"], job["action"]) == ("job", "runctl:training:Job", "update")
    assert prop in [p["path"] for p in job["properties"]]

    md = invoke("diff", "old.yaml", "new.yaml", "-o", "markdown").stdout
    assert "| `~` update | `job` | `runctl:training:Job` | the job will be relaunched on apply" in md


def test_unchanged_training_is_no_change_and_exit_0(project: Path) -> None:
    write(project / "old.yaml", BASE_SPEC)
    run = invoke("diff", "old.yaml", "spec.yaml", "--detailed-exitcode")
    assert run.code == 0, run.stdout
    assert "No changes" in run.stdout


def test_plan_hash_covers_the_training_job(project: Path) -> None:
    before = invoke("plan", "spec.yaml", "-o", "json").json()["spec_hash"]
    write(project / "spec.yaml", BASE_SPEC.replace("python train.py", "python train.py --lr 1e-4"))
    after = invoke("plan", "spec.yaml", "-o", "json").json()
    validate_plan(after)
    assert after["spec_hash"] != before
    assert after["changes"][0]["id"] == "job" and after["changes"][0]["action"] == "create"


def test_secret_names_show_and_values_never(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_API_KEY", SECRET_VALUE + "-wandb")
    write(project / "old.yaml", BASE_SPEC)
    write(project / "new.yaml", BASE_SPEC.replace("[HF_TOKEN]", "[HF_TOKEN, WANDB_API_KEY]"))
    outputs = [
        invoke("diff", "old.yaml", "new.yaml", "-o", fmt).stdout for fmt in ("text", "json", "markdown")
    ]
    invoke("diff", "old.yaml", "new.yaml", "--out", "plan.json")
    outputs.append((project / "plan.json").read_text(encoding="utf-8"))
    for out in outputs:
        assert "WANDB_API_KEY" in out
        assert SECRET_VALUE not in out
