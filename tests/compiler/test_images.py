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
    assert set(ALIASES) == {"dlami-pytorch", "dlami-base", "ubuntu-22.04", "ubuntu-24.04", "al2023"}
    for alias in ALIASES:
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
