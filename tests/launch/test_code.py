"""Code packing: ignore files honoured like git, content addressed, upload skipped when unchanged."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import boto3
import pytest

from runctl_iac.launch import code


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_ignore_rules_like_git(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            ".gitignore": "*.pyc\n/build/\ndata/**/raw\n!keep.pyc\n# comment\n",
            ".runctlignore": "checkpoints/\n",
            "train.py": "x",
            "a.pyc": "x",
            "keep.pyc": "x",
            "pkg/b.pyc": "x",
            "pkg/mod.py": "x",
            "pkg/.gitignore": "local.txt\n",
            "pkg/local.txt": "x",
            "local.txt": "x",
            "build/out": "x",
            "src/build/keep": "x",
            "data/x/raw": "x",
            "data/x/ok": "x",
            "checkpoints/c.pt": "x",
            ".git/config": "x",
        },
    )
    assert list(code.iter_files(root)) == [
        ".gitignore",
        ".runctlignore",
        "data/x/ok",
        "keep.pyc",
        "local.txt",
        "pkg/.gitignore",
        "pkg/mod.py",
        "src/build/keep",
        "train.py",
    ]


def test_pack_is_deterministic_and_content_addressed(tmp_path: Path) -> None:
    a = _tree(tmp_path / "a", {"train.py": "print(1)\n", "sub/x.txt": "x"})
    b = _tree(tmp_path / "b", {"train.py": "print(1)\n", "sub/x.txt": "x"})
    pa, pb = code.pack(a), code.pack(b)
    assert pa == pb and pa.files == 2 and pa.size == 10
    with tarfile.open(fileobj=io.BytesIO(pa.data)) as tar:
        assert sorted(tar.getnames()) == ["sub/x.txt", "train.py"]
    (b / "train.py").write_text("print(2)\n")
    assert code.pack(b).digest != pa.digest


@pytest.mark.usefixtures("fake_aws_credentials")
def test_upload_skips_unchanged_code(tmp_path: Path, moto_server: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server)
    s3.create_bucket(Bucket="code-upload-test")
    packed = code.pack(_tree(tmp_path, {"train.py": "x" * 1000}))
    seen: list[int] = []
    assert code.upload(s3, "code-upload-test", "code/k.tar.gz", packed, seen.append) is True
    assert sum(seen) == len(packed.data)
    assert code.upload(s3, "code-upload-test", "code/k.tar.gz", packed) is False


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_upload_progress_bar_only_on_a_terminal() -> None:
    from runctl_iac.render.job import upload_progress

    plain = io.StringIO()
    advance, done = upload_progress(plain)(100)
    advance(50)
    done()
    assert plain.getvalue() == ""
    tty = _Tty()
    advance, done = upload_progress(tty)(2048)
    advance(2048)
    done()
    assert "uploading code" in tty.getvalue() and "2.0/2.0 kB" in tty.getvalue()
