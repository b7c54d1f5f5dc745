"""What every stand-in resource handler provides, and helpers they share."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from typing import Any, ClassVar, TypeVar

from tests.engine.standin.aws import Aws
from tests.engine.standin.wire import reveal

Props = dict[str, Any]
T = TypeVar("T")


class Unsupported(NotImplementedError):
    """A change the stand-in cannot make in place (the real provider might); fails the update loudly."""


class Handler:
    """One resource type. Inputs and outputs are camelCase property maps (secrets as `Secret`).

    `create` returns the id and the computed outputs (merged over the inputs by the server);
    `read` returns the live outputs (merged over the old ones), or None when the resource is gone."""

    token: ClassVar[str]
    name_key: ClassVar[str | None] = None  # autonamed like pulumi-aws: `<name>-<7 hex>` when not set
    taggable: ClassVar[bool] = False
    delete_before_replace: ClassVar[bool] = False

    def __init_subclass__(cls, **settings: Any) -> None:
        """The class settings as keywords: `class Bucket(Handler, token=..., name_key="bucket")`."""
        super().__init_subclass__()
        for key, value in settings.items():
            if key not in ("token", "name_key", "taggable", "delete_before_replace"):
                raise TypeError(f"{cls.__name__}: unknown handler setting {key!r}")
            setattr(cls, key, value)

    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        raise NotImplementedError

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        raise NotImplementedError

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        raise NotImplementedError

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        raise NotImplementedError


def tags_all(aws: Aws, inputs: Mapping[str, Any]) -> dict[str, str]:
    """The provider's default tags under the resource's own (pulumi-aws's `tagsAll`)."""
    return {**aws.default_tags, **(reveal(inputs.get("tags")) or {})}


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def tag_map(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or []}


def short_hash(*parts: str, n: int = 8) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


def unless_gone(call: Callable[[], T], gone: Collection[str]) -> T | None:
    """`call()`, or None when AWS answers that the resource is not there (an error code in `gone`):
    a read finds it deleted, a delete finds nothing left to do."""
    try:
        return call()
    except Exception as err:
        if error_code(err) in gone:
            return None
        raise


def error_code(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    code: str = response.get("Error", {}).get("Code", "")
    return code


def pascal(value: Any) -> Any:
    """camelCase property trees -> the AWS API's PascalCase (`id` -> `ID`, acronyms spelt out)."""
    special = {"id": "ID", "sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"}
    if isinstance(value, Mapping):
        return {special.get(k, k[:1].upper() + k[1:]): pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [pascal(v) for v in value]
    return value


def camel(value: Any) -> Any:
    """The AWS API's PascalCase -> camelCase property trees (inverse of `pascal`)."""
    special = {"ID": "id", "SSEAlgorithm": "sseAlgorithm", "KMSMasterKeyID": "kmsMasterKeyId"}
    if isinstance(value, Mapping):
        return {special.get(k, k[:1].lower() + k[1:]): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def user_tags(aws: Aws, live: Mapping[str, str]) -> dict[str, str] | None:
    """pulumi-aws's `tags` output: the live tags that are not the provider's default tags."""
    return {k: v for k, v in live.items() if aws.default_tags.get(k) != v} or None
