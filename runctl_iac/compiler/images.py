"""Machine images: an alias, an `ssm:` parameter path, or a literal `ami-…` id.

Aliases name AWS's public SSM parameters (the Deep Learning AMIs of the OSS
NVIDIA driver line, Canonical's Ubuntu, Amazon Linux 2023), per CPU architecture
of the instance type, so the program reads the region's current AMI id when it
runs. Note that `latest` moves: when AWS publishes a
new AMI, the next apply replaces the instances; pin an `ami-…` id to avoid it.

For `target: local` the emulator has no Deep Learning AMI parameters, so aliases
read the Amazon Linux parameter that moto ships for every region instead.
"""

from __future__ import annotations

import re

from runctl_iac.compiler.graph import Invoke

GET_PARAMETER = "aws:ssm/getParameter:getParameter"
PARAMETER_ATTR = "value"

_DLAMI = "/aws/service/deeplearning/ami/{arch}/%s/latest/ami-id"
_CANONICAL = "/aws/service/canonical/ubuntu/server/%s/stable/current/{deb_arch}/hvm/%s/ami-id"

# alias (the schema's enum) -> public SSM parameter, formatted with the node's architecture
ALIASES: dict[str, str] = {
    "dlami-pytorch": _DLAMI % "oss-nvidia-driver-gpu-pytorch-2.7-ubuntu-22.04",
    "dlami-base": _DLAMI % "base-oss-nvidia-driver-gpu-ubuntu-22.04",
    "ubuntu-22.04": _CANONICAL % ("22.04", "ebs-gp2"),
    "ubuntu-24.04": _CANONICAL % ("24.04", "ebs-gp3"),
    "al2023": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}",
}
LOCAL_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"

_FAMILY = re.compile(r"^([a-z]+)(\d+)([a-z-]*)")


class UnknownImageError(ValueError):
    """An image alias the compiler does not know (the schema should have rejected it)."""


def architecture(instance_type: str) -> str:
    """`x86_64` or `arm64`, from the instance family (Graviton families carry a `g` after the generation)."""
    family = instance_type.split(".", 1)[0]
    m = _FAMILY.match(family)
    if m is None:
        return "x86_64"
    suffix = m.group(3)
    if "gb" in suffix or "g" in suffix.split("-", 1)[0]:
        return "arm64"
    return "x86_64"


def parameter_for_alias(alias: str, instance_type: str, *, local: bool = False) -> str:
    try:
        template = ALIASES[alias]
    except KeyError:
        raise UnknownImageError(f"unknown image alias {alias!r}") from None
    arch = architecture(instance_type)
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
