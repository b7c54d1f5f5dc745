"""The Pulumi program: a thin interpreter from a Graph to pulumi_aws resources.

`make_program(graph)` returns the inline program function that the Automation
API runs. The program registers the Graph's resources in topological order,
each with the explicit AWS provider, and exports the Graph's outputs plus the
spec hash. All AWS knowledge lives in the compiler; this module only maps
placeholders to Pulumi values:

- `Ref(res, attr)`      -> the attribute (an Output) of an already registered resource
- `SecretEnv(NAME)`     -> `Output.secret(os.environ[NAME])`, checked up front (E0601)
- `Config("ns:key")`    -> `pulumi.Config(ns).require(key)` (a missing value is an error, never None)
- `Invoke(tok, a, attr)` -> the typed `*_output` data source through the same provider, then `attr`

pulumi and pulumi_aws are imported inside the functions, so importing this
module stays cheap for the offline commands.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from runctl_iac.compiler.graph import Config, Graph, Invoke, Ref, Resource, SecretEnv, encode_value
from runctl_iac.compiler.names import ACCOUNT_PLACEHOLDER, resolve_account
from runctl_iac.compiler.runpod import API_KEY_ENV as RUNPOD_API_KEY
from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity

PROVIDER_TYPE = "pulumi:providers:aws"
DYNAMIC_PREFIX = "pulumi-python:dynamic"  # runctl's own dynamic providers (engine/runpod_provider.py)
SPEC_HASH_OUTPUT = "specHash"


# ---- secrets: checked before anything is registered ----


def _walk_secrets(value: Any) -> Iterator[str]:
    if isinstance(value, SecretEnv):
        yield value.name
    elif isinstance(value, Invoke):
        yield from _walk_secrets(value.args)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _walk_secrets(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _walk_secrets(v)


def secret_env_names(graph: Graph) -> list[str]:
    """Every environment variable the program reads as a secret, sorted, without duplicates."""
    names: set[str] = set()
    for res in graph.resources.values():
        names.update(_walk_secrets(res.properties))
    names.update(_walk_secrets(dict(graph.outputs)))
    return sorted(names)


def check_secret_env(graph: Graph, environ: Mapping[str, str] | None = None) -> None:
    """Raise E0601 naming every missing (or empty) secret variable; values never appear anywhere."""
    env = os.environ if environ is None else environ
    missing = [name for name in secret_env_names(graph) if not env.get(name)]
    if missing:
        raise DiagnosticError(
            [
                Diagnostic(
                    Severity.ERROR,
                    "E0601",
                    f"secret {name}: environment variable {name} is not set or empty",
                    path="instances" if name == RUNPOD_API_KEY else "training.secrets",
                    hint=f"export {name} in the shell that runs runctl; "
                    + (
                        "runctl calls RunPod with it and keeps it only as an encrypted Pulumi secret"
                        if name == RUNPOD_API_KEY
                        else "its value is stored as an encrypted SSM parameter and never printed"
                    ),
                )
                for name in missing
            ]
        )


# ---- the interpreter ----


class _Interpreter:
    """Registers one Graph; holds the registered resources so Refs can find them."""

    def __init__(self, graph: Graph, spec_hash: str) -> None:
        self.graph = graph
        self.spec_hash = spec_hash
        self.resources: dict[str, Any] = {}
        self.provider: Any = None
        self._invokes: dict[str, Any] = {}
        self._configs: dict[str, Any] = {}

    def resolve(self, value: Any) -> Any:
        """A placeholder -> a Pulumi Input."""
        import pulumi

        if isinstance(value, Ref):
            try:
                target = self.resources[value.resource]
            except KeyError:
                raise KeyError(
                    f"Ref to {value.resource!r}, which is not registered before its user"
                ) from None
            return getattr(target, value.attr)
        if isinstance(value, SecretEnv):
            return pulumi.Output.secret(os.environ[value.name])
        if isinstance(value, Config):
            if value.key not in self._configs:
                namespace, sep, key = value.key.partition(":")
                if not sep:
                    namespace, key = "", value.key
                self._configs[value.key] = pulumi.Config(namespace or None).require(key)
            return self._configs[value.key]
        if isinstance(value, Invoke):
            return self._invoke(value)
        raise TypeError(f"not a placeholder: {value!r}")

    def _invoke(self, inv: Invoke) -> Any:
        """Identical invokes (same token and args) are made once per program run."""
        import pulumi

        from runctl_iac.engine import args as argsmod

        key = json.dumps(encode_value(inv), sort_keys=True)
        if key not in self._invokes:
            fn = argsmod.invoke_function(inv.token)
            kwargs = argsmod.build_kwargs(
                argsmod.parameter_shapes(fn), inv.args, self.resolve, fn.__name__, f"$invoke {inv.token}"
            )
            opts = pulumi.InvokeOutputOptions(provider=self.provider)
            self._invokes[key] = fn(**kwargs, opts=opts)
        result = self._invokes[key]
        return result.apply(lambda r: extract(r, inv.attr, inv.token))

    def register(self, res: Resource) -> Any:
        import pulumi

        from runctl_iac.engine import args as argsmod

        if res.type.startswith(DYNAMIC_PREFIX):
            return self._register_dynamic(res)

        cls = argsmod.resource_class(res.type)
        kwargs = argsmod.build_kwargs(
            argsmod.resource_shapes(cls), res.properties, self.resolve, cls.__name__, res.id
        )
        opts = pulumi.ResourceOptions(
            provider=None if res.type == PROVIDER_TYPE else self.provider,
            protect=res.options.protect,
            retain_on_delete=res.options.retain_on_delete,
            depends_on=[self.resources[d] for d in res.options.depends_on],
        )
        obj = cls(res.id, opts=opts, **kwargs)
        self.resources[res.id] = obj
        if res.type == PROVIDER_TYPE:
            self.provider = obj
        return obj

    def _register_dynamic(self, res: Resource) -> Any:
        """A runctl dynamic resource (RunPod): plain properties, placeholders resolved, the key secret."""
        import pulumi

        from runctl_iac.engine.runpod_provider import CLASSES, SECRET_OUTPUTS

        opts = pulumi.ResourceOptions(
            protect=res.options.protect,
            retain_on_delete=res.options.retain_on_delete,
            depends_on=[self.resources[d] for d in res.options.depends_on],
            additional_secret_outputs=SECRET_OUTPUTS,
        )
        obj = CLASSES[res.type](res.id, self.output(dict(res.properties)), opts)
        self.resources[res.id] = obj
        return obj

    def output(self, value: Any) -> Any:
        if isinstance(value, (Ref, SecretEnv, Config, Invoke)):
            return self.resolve(value)
        if isinstance(value, Mapping):
            return {k: self.output(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.output(v) for v in value]
        return value

    def run(self) -> None:
        import pulumi

        check_secret_env(self.graph)
        order = self.graph.topological_order()
        providers = [r for r in order if r.type == PROVIDER_TYPE]
        if len(providers) != 1:
            raise ValueError(
                f"the graph must hold exactly one {PROVIDER_TYPE} resource, found {len(providers)}"
            )
        # Every other resource and every invoke uses the provider without a Ref to it, so the
        # Graph's order does not put it first: register it first (it must depend on nothing).
        if providers[0].dependencies():
            raise ValueError(f"{providers[0].id} must not depend on other resources")
        self.register(providers[0])
        for res in order:
            if res.type != PROVIDER_TYPE:
                self.register(res)
        for name, value in sorted(self.graph.outputs.items()):
            pulumi.export(name, self.output(value))
        pulumi.export(SPEC_HASH_OUTPUT, self.spec_hash)


_REDUCERS: dict[str, Callable[[Any], Any]] = {"min": min, "max": max}


def extract(result: Any, attr: str, token: str = "") -> Any:
    """Take `attr` from a data-source result: a field name (`value`), or `min(field)` / `max(field)`
    for the smallest / largest element of a list field (set-like results such as zones or subnet ids,
    so the choice does not depend on the order AWS returns them in)."""
    reducer = None
    name = attr
    head, paren, rest = attr.partition("(")
    if paren and rest.endswith(")"):
        if head not in _REDUCERS:
            raise ValueError(f"{token}: unknown reducer {head!r} in invoke attr {attr!r}")
        reducer, name = _REDUCERS[head], rest[:-1]
    value = result[name] if isinstance(result, Mapping) else getattr(result, name)
    if reducer is None:
        return value
    if not value:
        raise LookupError(f"{token}: the data source returned no {name}")
    return reducer(value)


def with_endpoint(graph: Graph, url: str) -> Graph:
    """The Graph with every URL in the provider's `endpoints` replaced by `url` (for `target: local`,
    when the emulator listens elsewhere than the compiler's default). Not part of the spec hash's
    input: the hash is taken from the Graph the compiler produced, passed separately."""
    provider = next((r for r in graph.resources.values() if r.type == PROVIDER_TYPE), None)
    if provider is None or not provider.properties.get("endpoints"):
        raise ValueError("the graph's provider has no endpoints to override (target is not local)")
    endpoints = [{svc: url for svc in entry} for entry in provider.properties["endpoints"]]
    moved = replace(provider, properties={**provider.properties, "endpoints": endpoints})
    return replace(graph, resources={**graph.resources, moved.id: moved})


def _fill(value: Any, suffix: str) -> Any:
    if isinstance(value, str):
        return resolve_account(value, suffix) if ACCOUNT_PLACEHOLDER in value else value
    if isinstance(value, Invoke):
        return replace(value, args=_fill(dict(value.args), suffix))
    if isinstance(value, Mapping):
        return {k: _fill(v, suffix) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_fill(v, suffix) for v in value]
    return value


def uses_account(graph: Graph) -> bool:
    """Whether the Graph holds the account placeholder (then `runctl:accountSuffix` is needed)."""
    return ACCOUNT_PLACEHOLDER in graph.dumps()


def with_account(graph: Graph, suffix: str) -> Graph:
    """The Graph with the account placeholder replaced in every string (names, policy documents)."""
    resources = {
        rid: replace(r, properties=_fill(dict(r.properties), suffix)) for rid, r in graph.resources.items()
    }
    return replace(graph, resources=resources, outputs=_fill(dict(graph.outputs), suffix))


def make_program(graph: Graph, *, endpoint_url: str | None = None) -> Callable[[], None]:
    """The inline program for `pulumi.automation` (`program=make_program(graph)`).

    `endpoint_url` moves a local target's provider endpoints (e.g. to the port the emulator got);
    the exported spec hash stays the compiled Graph's. The account placeholder of bucket names is
    filled from the stack configuration `runctl:accountSuffix` when the program runs."""
    spec_hash = graph.spec_hash()
    target = graph if endpoint_url is None else with_endpoint(graph, endpoint_url)
    needs_account = uses_account(target)

    def program() -> None:
        import pulumi

        resolved = target
        if needs_account:
            suffix = pulumi.Config("runctl").require("accountSuffix")
            if not suffix:
                raise ValueError("stack configuration runctl:accountSuffix is empty")
            resolved = with_account(target, suffix)
        _Interpreter(resolved, spec_hash).run()

    return program
