"""State shared by the per-kind compile steps: the spec, derived names, and the resources so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runctl_iac.compiler import names
from runctl_iac.compiler.graph import Options, Resource
from runctl_iac.spec.model import Spec


class CompileError(Exception):
    """A Graph that cannot be built from a valid Spec: a compiler bug, never a user error."""


@dataclass
class Context:
    spec: Spec
    resources: dict[str, Resource] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    instance_policy: str | None = None  # the inline IAM policy shared by every group's role

    @property
    def project(self) -> str:
        return self.spec.name

    @property
    def stack(self) -> str:
        return self.spec.stack

    def bucket_name(self, bucket: str) -> str:
        return names.bucket_name(self.project, self.stack, bucket)

    def display_name(self, *parts: str | int) -> str:
        return names.display_name(self.project, self.stack, *parts)

    def add(
        self,
        rid: str,
        type_: str,
        properties: dict[str, Any],
        *,
        protect: bool = False,
        retain_on_delete: bool = False,
        depends_on: tuple[str, ...] = (),
    ) -> Resource:
        if rid in self.resources:
            raise CompileError(f"duplicate logical id {rid}")
        clean = {k: v for k, v in properties.items() if v is not None}
        res = Resource(rid, type_, clean, Options(protect, retain_on_delete, tuple(sorted(depends_on))))
        self.resources[rid] = res
        return res

    def output(self, section: str, key: str, value: Any) -> None:
        self.outputs.setdefault(section, {})[key] = value
