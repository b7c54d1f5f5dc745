"""Every property, nested key, invoke and attribute in compiled graphs exists in the installed pulumi_aws.

The compiler itself never imports pulumi; this test checks its names against the SDK's own
signatures (`_internal_init` of resources, `__init__` of the typed `*Args` classes).
"""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from runctl_iac.compiler import compile
from runctl_iac.compiler.graph import Graph, Invoke, Ref
from runctl_iac.spec.model import Spec
from tests.compiler.specs import multi_node, single_node, with_subnet, with_vpc_only

aws = pytest.importorskip("pulumi_aws")

SPECS = [multi_node(), single_node(target="local"), with_subnet(), with_vpc_only()]


def _resource_class(token: str) -> type:
    pkg, module, name = token.split(":")
    if pkg == "pulumi" and module == "providers":
        return aws.Provider
    cls: type = getattr(importlib.import_module(f"pulumi_aws.{module.split('/')[0]}"), name)
    return cls


def _params(fn: Any) -> set[str]:
    """Argument names of `_internal_init` or of an `*Args` class (where `self` is a real field)."""
    return set(inspect.signature(fn).parameters) - {"__self__", "resource_name", "opts", "__props__"}


def _args_classes(annotation: Any, module: Any) -> Iterator[type]:
    """The typed `*Args` classes named in an annotation (forward references resolved in `module`)."""
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        if annotation.endswith("Args") and hasattr(module, annotation):
            yield getattr(module, annotation)
        return
    if isinstance(annotation, type):
        if annotation.__name__.endswith("Args"):
            yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _args_classes(arg, module)


def _annotations(fn: Any) -> dict[str, Any]:
    return {name: p.annotation for name, p in inspect.signature(fn).parameters.items()}


def _check_value(where: str, value: Any, annotation: Any, module: Any) -> None:
    if isinstance(value, (Ref, Invoke)) or not isinstance(value, (Mapping, list, tuple)):
        return
    items = value if isinstance(value, (list, tuple)) else [value]
    classes = list(_args_classes(annotation, module))
    for item in items:
        if not isinstance(item, Mapping):
            continue
        if not classes:  # a plain map such as `tags`
            assert all(isinstance(k, str) for k in item), where
            continue
        cls = classes[0]
        hints = _annotations(cls)
        allowed = _params(cls)
        unknown = set(item) - allowed
        assert not unknown, f"{where}: {sorted(unknown)} not fields of {cls.__name__}"
        for key, sub in item.items():
            _check_value(f"{where}.{key}", sub, hints.get(key), importlib.import_module(cls.__module__))


def _check_graph(graph: Graph) -> None:
    for r in graph.resources.values():
        cls = _resource_class(r.type)
        init = cls._internal_init  # type: ignore[attr-defined]
        allowed = _params(init)
        unknown = set(r.properties) - allowed
        assert not unknown, f"{r.id}: {sorted(unknown)} are not arguments of {cls.__name__}"
        hints = _annotations(init)
        module = importlib.import_module(cls.__module__)
        for key, value in r.properties.items():
            _check_value(f"{r.id}.{key}", value, hints.get(key), module)
        for ref in r.refs():
            target = _resource_class(graph.resources[ref.resource].type)
            assert hasattr(target, ref.attr), f"{r.id}: {target.__name__} has no output {ref.attr}"
        for inv in _invokes(r.properties):
            _check_invoke(r.id, inv)


def _invokes(value: Any) -> Iterator[Invoke]:
    if isinstance(value, Invoke):
        yield value
        yield from _invokes(value.args)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _invokes(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _invokes(v)


def _check_invoke(where: str, inv: Invoke) -> None:
    _pkg, module, name = inv.token.split(":")
    mod = importlib.import_module(f"pulumi_aws.{module.split('/')[0]}")
    fn = getattr(mod, re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower())
    unknown = set(inv.args) - set(inspect.signature(fn).parameters)
    assert not unknown, f"{where}: {inv.token} takes no {sorted(unknown)}"
    m = re.fullmatch(r"min\((\w+)\)|(\w+)", inv.attr)
    assert m is not None, inv.attr
    field = m.group(1) or m.group(2)
    result = inspect.signature(fn).return_annotation
    result_cls = getattr(mod, result) if isinstance(result, str) else result
    assert hasattr(result_cls, field), f"{where}: {inv.token} result has no {field}"


@pytest.mark.parametrize("spec", SPECS, ids=["multi", "local", "subnet", "vpc"])
def test_compiled_names_exist_in_pulumi_aws(spec: Spec) -> None:
    _check_graph(compile(spec)[0])


def _misspell(props: dict[str, Any], path: tuple[Any, ...], wrong: str) -> dict[str, Any]:
    """A deep copy of `props` with the last key of `path` renamed to `wrong`."""
    import copy

    out = copy.deepcopy(props)
    node: Any = out
    for step in path[:-1]:
        node = node[step]
    node[wrong] = node.pop(path[-1])
    return out


@pytest.mark.parametrize(
    ("rid", "path", "wrong"),
    [
        ("instance.trainer.0", ("metadata_options", "http_tokens"), "http_token"),
        ("instance.trainer.0", ("instance_market_options", "spot_options", "max_price"), "max_prise"),
        ("bucket.checkpoints.lifecycle", ("rules", 0, "expiration", "days"), "dayz"),
        (
            "bucket.checkpoints.encryption",
            ("rules", 0, "apply_server_side_encryption_by_default"),
            "apply_sse",
        ),
        ("sg.trainer", ("ingress", 0, "self"), "self_"),
        ("provider.aws", ("default_tags", "tags"), "tag"),
        ("volume.data.trainer.0", ("snapshot_id",), "snapshot"),
    ],
)
def test_the_checker_catches_a_misspelt_key(rid: str, path: tuple[Any, ...], wrong: str) -> None:
    graph, _ = compile(multi_node())
    res = graph.resources[rid]
    bad = _misspell(dict(res.properties), path, wrong)
    broken = Graph(
        graph.project, graph.stack, graph.region, {**graph.resources, rid: type(res)(rid, res.type, bad)}
    )
    with pytest.raises(AssertionError, match=wrong):
        _check_graph(broken)
