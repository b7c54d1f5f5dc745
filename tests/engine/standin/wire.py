"""The provider protocol's property values <-> plain Python, and the property diff.

Values travel as `google.protobuf.Struct`s in which special objects carry a signature key
(pulumi/sdk/go/common/resource/properties.go, `SigKey`): secrets are
`{SIG: SECRET_SIG, "value": v}` and, in previews, a value not yet known is the string
`UNKNOWN`. Here secrets become `Secret(value)` objects, so a provider can use the value and
hand it back still marked secret; numbers come back as ints where they are whole (a Struct
only has doubles).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2

SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass(frozen=True)
class Secret:
    value: Any


def _decode(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if value.get(SIG) == SECRET_SIG:
            return Secret(_decode(value.get("value")))
        if SIG in value:
            raise ValueError(f"stand-in provider: unsupported special value {value[SIG]!r}")
        return {k: _decode(v) for k, v in value.items()}
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, Secret):
        return {SIG: SECRET_SIG, "value": _encode(value.value)}
    if isinstance(value, Mapping):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    decoded: dict[str, Any] = _decode(json_format.MessageToDict(struct))
    return decoded


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(_encode({k: v for k, v in props.items() if v is not None}))
    return struct


def reveal(value: Any) -> Any:
    """The value with every Secret unwrapped (for AWS calls and comparisons)."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, Mapping):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [reveal(v) for v in value]
    return value


def is_unknown(value: Any) -> bool:
    if value == UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(is_unknown(v) for v in value)
    return False


_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(name: str) -> str:
    return _CAMEL.sub(r"_\1", name).lower()


def _changed_paths(old: Any, new: Any, path: str) -> Iterator[str]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new)):
            yield from _changed_paths(old.get(key), new.get(key), f"{path}.{snake(key)}")
    elif _norm(old) != _norm(new):
        yield path


def _norm(value: Any) -> Any:
    value = reveal(value)
    if value in (None, "", [], {}):
        return None
    if isinstance(value, Mapping):
        return {k: _norm(v) for k, v in value.items() if _norm(v) is not None} or None
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    return value


def changed(
    olds: Mapping[str, Any], news: Mapping[str, Any], old_inputs: Mapping[str, Any]
) -> dict[str, list[str]]:
    """Top-level input key (camelCase) -> the snake_case paths under it whose value changed.

    `olds` are the resource's last known outputs (refreshed by Read), so drift shows here;
    a key the program stopped setting counts as changed when it was an input before."""
    result: dict[str, list[str]] = {}
    for key in sorted(set(news) | set(old_inputs)):
        if key.startswith("__"):
            continue
        paths = list(_changed_paths(olds.get(key), news.get(key), snake(key)))
        if paths:
            result[key] = paths
    return result
