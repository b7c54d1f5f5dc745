"""Generic construction of pulumi_aws objects from the Graph's plain data.

Nothing here knows about a particular AWS resource: a type token names the
class (`aws:ec2/instance:Instance` -> `pulumi_aws.ec2.Instance`), and the
class's own `_internal_init` annotations say which property takes a typed
`*Args` object, a list of them, or a plain map. Nested dicts are turned into
those `*Args` classes recursively, so a misspelt nested key fails with a
TypeError naming the resource and the property path instead of being dropped.

Placeholders (Ref, SecretEnv, Config, Invoke) are handed to a `resolve`
callback supplied by the program; this module only walks the structure.
Imports of pulumi and pulumi_aws happen on first use.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import re
import typing
import warnings
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ForwardRef

from runctl_iac.compiler.graph import Config, Invoke, Ref, SecretEnv

PLACEHOLDERS = (Ref, SecretEnv, Config, Invoke)

# token package -> Python package; everything else is derived from the token itself.
_PACKAGES: dict[str, str] = {"aws": "pulumi_aws"}


class TokenError(LookupError):
    """A type or function token that names nothing in the installed SDK (a compiler bug)."""


# ---- shapes: what a parameter expects, read once per parameter from the annotations ----


@dataclass(frozen=True)
class Shape:
    """`args`: a typed input class; `seq` / `map`: a container of `item`; `any`: plain data."""

    kind: str
    cls: type | None = None
    item: Shape | None = None


ANY = Shape("any")


def _package_attr(pkg: str, module: str, attr: str) -> Any:
    """`getattr(pulumi_<pkg>.<module>, attr)`, or None; pulumi_aws modules load lazily on attribute access."""
    try:
        package = _PACKAGES[pkg]
    except KeyError:
        raise TokenError(f"no Python SDK known for package {pkg!r}") from None
    top = module.split("/", 1)[0]
    name = package if top in ("", "index") else f"{package}.{top}"
    with warnings.catch_warnings():
        # pulumi_aws modules warn at import time about deprecated classes runctl never uses
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return getattr(importlib.import_module(name), attr, None)
        except ModuleNotFoundError:
            return None


@functools.cache
def resource_class(token: str) -> type:
    """`aws:ec2/instance:Instance` -> pulumi_aws.ec2.Instance; `pulumi:providers:aws` -> pulumi_aws.Provider.

    The class must carry the same token (`pulumi.type_token`), so a renamed or removed class fails here."""
    from pulumi.type_token import get_type_token

    parts = token.split(":")
    if len(parts) != 3:
        raise TokenError(f"malformed type token {token!r}")
    pkg, module, name = parts
    if pkg == "pulumi" and module == "providers":
        cls = _package_attr(name, "index", "Provider")
    else:
        cls = _package_attr(pkg, module, name)
    if not isinstance(cls, type) or get_type_token(cls) != token:
        raise TokenError(f"type token {token!r} names no resource class in the installed SDK")
    return cls


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@functools.cache
def invoke_function(token: str) -> Callable[..., Any]:
    """`aws:ssm/getParameter:getParameter` -> pulumi_aws.ssm.get_parameter_output."""
    parts = token.split(":")
    if len(parts) != 3:
        raise TokenError(f"malformed function token {token!r}")
    pkg, module, name = parts
    fn = _package_attr(pkg, module, _snake(name) + "_output")
    if not callable(fn):
        raise TokenError(f"function token {token!r} names no data source in the installed SDK")
    return typing.cast(Callable[..., Any], fn)


def _lookup(ref: str, namespace: Mapping[str, Any]) -> Any:
    head, *rest = ref.split(".")
    obj = namespace.get(head)
    for part in rest:
        obj = getattr(obj, part, None)
    return obj


def _shape_of(hint: Any, namespace: Mapping[str, Any]) -> Shape:
    """Reduce `Input[Optional[Union['XArgs', 'XArgsDict', ...]]]` and friends to a Shape."""
    from pulumi._types import is_input_type

    if isinstance(hint, ForwardRef):
        hint = _lookup(hint.__forward_arg__, namespace)
    elif isinstance(hint, str):
        hint = _lookup(hint, namespace)
    if isinstance(hint, type):
        return Shape("args", cls=hint) if is_input_type(hint) else ANY
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union:
        # Input[T] is Union[T, Awaitable[T], Output[T]]: T alone decides, so skip the wrappers
        for arg in args:
            if typing.get_origin(arg) is Awaitable or (
                isinstance(arg, ForwardRef) and arg.__forward_arg__.startswith("Output[")
            ):
                continue
            shape = _shape_of(arg, namespace)
            if shape.kind != "any":
                return shape
        return ANY
    if origin is None or not isinstance(origin, type):
        return ANY
    if issubclass(origin, Mapping) and len(args) == 2:
        return Shape("map", item=_shape_of(args[1], namespace))
    if issubclass(origin, Sequence) and origin is not str and args:
        return Shape("seq", item=_shape_of(args[0], namespace))
    # Awaitable[T] and other wrappers: T decides.
    if args:
        return _shape_of(args[0], namespace)
    return ANY


_SKIP = frozenset({"__self__", "resource_name", "opts", "__props__"})


class Parameters(Mapping[str, Shape]):
    """The keyword parameters of a function (an `__init__`, `_internal_init` or data source).

    Membership is read from the code object; a parameter's Shape is derived from its
    annotation on first access only (pulumi_aws signatures have dozens to hundreds of
    parameters, of which a Graph uses a few)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        code = fn.__code__
        names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        self._names = tuple(n for n in names if n not in _SKIP)
        self._known = frozenset(self._names)
        self._annotations: dict[str, Any] = getattr(fn, "__annotations__", {})
        self._namespace: dict[str, Any] = getattr(fn, "__globals__", {})
        self._shapes: dict[str, Shape] = {}

    def __getitem__(self, name: str) -> Shape:
        shape = self._shapes.get(name)
        if shape is None:
            if name not in self._known:
                raise KeyError(name)
            shape = self._shapes[name] = _shape_of(self._annotations.get(name), self._namespace)
        return shape

    def __contains__(self, name: object) -> bool:
        return name in self._known

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@functools.cache
def parameter_shapes(fn: Callable[..., Any]) -> Parameters:
    """The keyword parameters of `fn` and their shapes (computed lazily, cached per function)."""
    return Parameters(fn)


def resource_shapes(cls: type) -> Parameters:
    return parameter_shapes(cls._internal_init)  # type: ignore[attr-defined]


def _input_shapes(cls: type) -> Parameters:
    return parameter_shapes(cls.__init__)  # type: ignore[misc]


# ---- conversion ----

Resolve = Callable[[Any], Any]


def _unknown(owner: str, key: str, known: Mapping[str, Shape], where: str) -> TypeError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return TypeError(f"{where}: {owner} has no argument {key!r}{hint}")


def build_kwargs(
    shapes: Mapping[str, Shape], properties: Mapping[str, Any], resolve: Resolve, owner: str, where: str
) -> dict[str, Any]:
    """Top-level properties -> keyword arguments; `where` names the resource in error messages."""
    kwargs: dict[str, Any] = {}
    for key, value in properties.items():
        if key not in shapes:
            raise _unknown(owner, key, shapes, where)
        kwargs[key] = convert(value, shapes[key], resolve, f"{where}.{key}")
    return kwargs


def convert(value: Any, shape: Shape, resolve: Resolve, where: str) -> Any:
    """Plain graph data -> SDK inputs: typed `*Args` for nested blocks, Outputs for placeholders."""
    if isinstance(value, PLACEHOLDERS):
        return resolve(value)
    if isinstance(value, Mapping):
        if shape.kind == "args":
            assert shape.cls is not None
            fields = _input_shapes(shape.cls)
            return shape.cls(**build_kwargs(fields, value, resolve, shape.cls.__name__, where))
        item = shape.item if shape.kind == "map" and shape.item is not None else ANY
        return {k: convert(v, item, resolve, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        item = shape.item if shape.kind == "seq" and shape.item is not None else shape
        return [convert(v, item, resolve, f"{where}[{i}]") for i, v in enumerate(value)]
    return value
