"""Machine images: an alias, an `ssm:` parameter path, or a literal `ami-…` id.

Aliases name AWS's public SSM parameters (the Deep Learning AMIs of the OSS
NVIDIA driver line, Canonical's Ubuntu, Amazon Linux 2023), per CPU architecture
of the instance type, so the program reads the region's current AMI id when it
runs. `dlami-pytorch` reads the newest PyTorch DLAMI line AWS publishes for the
architecture and `dlami-pytorch-X.Y` pins a line; both come from the support
table in `runctl_iac/data/dlami.json` (see `runctl_iac.spec.dlami`). Note that
`latest` moves: when AWS publishes a new AMI, the next apply replaces the
instances; pin an `ami-…` id to avoid it.

For `target: local` the emulator has no Deep Learning AMI parameters, so aliases
read the Amazon Linux parameter that moto ships for every region instead.
"""

from __future__ import annotations

from runctl_iac.compiler.graph import Invoke
from runctl_iac.spec import dlami

GET_PARAMETER = "aws:ssm/getParameter:getParameter"
PARAMETER_ATTR = "value"

_DLAMI = "/aws/service/deeplearning/ami/{arch}/%s/latest/ami-id"
_CANONICAL = "/aws/service/canonical/ubuntu/server/%s/stable/current/{deb_arch}/hvm/%s/ami-id"

# alias (the schema's enum) -> public SSM parameter, formatted with the node's architecture;
# `dlami-pytorch` and `dlami-pytorch-X.Y` are read from the DLAMI support table instead
ALIASES: dict[str, str] = {
    "dlami-base": _DLAMI % "base-oss-nvidia-driver-gpu-ubuntu-22.04",
    "ubuntu-22.04": _CANONICAL % ("22.04", "ebs-gp2"),
    "ubuntu-24.04": _CANONICAL % ("24.04", "ebs-gp3"),
    "al2023": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}",
}
LOCAL_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"


class UnknownImageError(ValueError):
    """An image alias the compiler does not know (the schema should have rejected it)."""


architecture = dlami.architecture  # kept here: the compiler's callers and tests import it from images


def parameter_for_alias(alias: str, instance_type: str, *, local: bool = False) -> str:
    arch = architecture(instance_type)
    if dlami.is_dlami_pytorch(alias):
        line = dlami.line_for(alias, arch)
        if line is None:  # validate reports it (E0315); the compiler only sees checked specs
            raise UnknownImageError(f"no PyTorch DLAMI line {alias!r} for {arch}")
        return LOCAL_PARAMETER.format(arch=arch) if local else dlami.parameter(line, arch)
    try:
        template = ALIASES[alias]
    except KeyError:
        raise UnknownImageError(f"unknown image alias {alias!r}") from None
    deb_arch = "amd64" if arch == "x86_64" else arch
    return (LOCAL_PARAMETER if local else template).format(arch=arch, deb_arch=deb_arch)


def resolve_image(image: str, instance_type: str, *, local: bool = False) -> str | Invoke:
    """The value of an instance's `ami`: a literal id, or an Invoke reading an SSM parameter."""
    if image.startswith("ami-"):
        return image
    if image.startswith("ssm:"):
        path = image[len("ssm:") :]
    else:
        path = parameter_for_alias(image, instance_type, local=local)
    return Invoke(GET_PARAMETER, {"name": path}, PARAMETER_ATTR)
