from __future__ import annotations

import pytest

from runctl_iac.compiler.graph import Invoke
from runctl_iac.compiler.images import ALIASES, UnknownImageError, architecture, resolve_image


@pytest.mark.parametrize(
    ("instance_type", "arch"),
    [
        ("g5.xlarge", "x86_64"),
        ("g4dn.12xlarge", "x86_64"),
        ("p4d.24xlarge", "x86_64"),
        ("p6-b200.48xlarge", "x86_64"),
        ("g5g.xlarge", "arm64"),
        ("c7gn.large", "arm64"),
        ("p6e-gb200.36xlarge", "arm64"),
    ],
)
def test_architecture_from_the_instance_family(instance_type: str, arch: str) -> None:
    assert architecture(instance_type) == arch


def test_aliases_cover_the_schema_enum_and_resolve_per_architecture() -> None:
    assert set(ALIASES) == {"dlami-base", "ubuntu-22.04", "ubuntu-24.04", "al2023"}  # + dlami-pytorch
    for alias in [*ALIASES, "dlami-pytorch"]:
        x86 = resolve_image(alias, "g5.xlarge")
        arm = resolve_image(alias, "g5g.xlarge")
        assert isinstance(x86, Invoke) and isinstance(arm, Invoke)
        assert x86.token == "aws:ssm/getParameter:getParameter" and x86.attr == "value"
        assert x86.args["name"].startswith("/aws/service/") and x86.args != arm.args
        assert "{" not in x86.args["name"] and "{" not in arm.args["name"]
    assert resolve_image("ubuntu-24.04", "g5.xlarge").args["name"] == (  # type: ignore[union-attr]
        "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"
    )


def test_literal_ami_and_unknown_alias() -> None:
    assert resolve_image("ami-0123456789abcdef0", "g5.xlarge") == "ami-0123456789abcdef0"
    with pytest.raises(UnknownImageError, match="nope"):
        resolve_image("nope", "g5.xlarge")


def test_dlami_pytorch_reads_a_supported_ubuntu_24_04_line_per_architecture() -> None:
    x86 = resolve_image("dlami-pytorch", "p5.48xlarge")
    arm = resolve_image("dlami-pytorch", "p6e-gb200.36xlarge")
    assert isinstance(x86, Invoke) and isinstance(arm, Invoke)
    assert x86.args["name"] == (
        "/aws/service/deeplearning/ami/x86_64/oss-nvidia-driver-gpu-pytorch-2.12-ubuntu-24.04/latest/ami-id"
    )
    assert arm.args["name"] == (
        "/aws/service/deeplearning/ami/arm64/oss-nvidia-driver-gpu-pytorch-2.11-ubuntu-24.04/latest/ami-id"
    )


def test_dlami_pytorch_pinned_line() -> None:
    pinned = resolve_image("dlami-pytorch-2.10", "g5.xlarge")
    assert isinstance(pinned, Invoke)
    assert "/x86_64/oss-nvidia-driver-gpu-pytorch-2.10-ubuntu-24.04/" in pinned.args["name"]
    old = resolve_image("dlami-pytorch-2.7", "g5g.xlarge")
    assert (
        isinstance(old, Invoke)
        and "/arm64/oss-nvidia-driver-gpu-pytorch-2.7-ubuntu-22.04/" in old.args["name"]
    )
    with pytest.raises(UnknownImageError):
        resolve_image("dlami-pytorch-2.12", "g5g.xlarge")  # not published for arm64 (validate: E0316)
    local = resolve_image("dlami-pytorch-2.12", "g5.xlarge", local=True)
    assert isinstance(local, Invoke) and "al2023" in local.args["name"]
