"""`runctl eject`: the Graph as a standalone Pulumi Python program, one plain statement per resource.

The generator walks the same Graph the program interpreter (`engine.program`) registers, in the
same order, with the same names, providers and options, so the ejected program registers the same
URNs with the same inputs: `pulumi preview` on the existing stack shows no changes. Where the
interpreter resolves a placeholder when the program runs, the generated code holds its source text:

- `Ref(res, attr)`       -> `<variable of res>.<attr>`
- `SecretEnv(NAME)`      -> `secret("NAME")`: the stack's secret config `NAME`, else the environment
                            variable (a value is never written into the project)
- `Config("ns:key")`     -> `pulumi.Config("ns").require("key")`, once, at the top
- `Invoke(tok, a, attr)` -> the typed `*_output` data source (once per distinct call), then `.apply`
- nested blocks          -> the pulumi_aws `*Args` classes that the interpreter builds (`engine.args`)

The account suffix of bucket names is filled in from the stack configuration, so names read as
their real values.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Mapping
from typing import Any

from runctl_iac.compiler.graph import Config, Graph, Invoke, Ref, Resource, SecretEnv, encode_value
from runctl_iac.compiler.names import ACCOUNT_CONFIG
from runctl_iac.engine import args as argsmod
from runctl_iac.engine.program import (
    PROVIDER_TYPE,
    SPEC_HASH_OUTPUT,
    uses_account,
    with_account,
    with_endpoint,
)

INDENT = "    "

SECRET_HELPER = '''

def secret(name: str) -> pulumi.Output[str]:
    """A training secret: the stack's secret config value `name`, else the environment variable
    of that name (runctl read it from the environment; it is never written into this project)."""
    value = pulumi.Config().get_secret(name)
    if value is not None:
        return value
    if not os.environ.get(name):
        raise ValueError(f"secret {name}: run `pulumi config set --secret {name}` or export {name}")
    return pulumi.Output.secret(os.environ[name])
'''


def _public_path(obj: Any) -> str:
    """`pulumi_aws.ec2.instance.Instance` -> `aws.ec2.Instance`: the shortest name pulumi_aws exports."""
    import importlib

    import pulumi_aws

    name = obj.__name__
    if getattr(pulumi_aws, name, None) is obj:
        return f"aws.{name}"
    module = obj.__module__.split(".")
    top = f"pulumi_aws.{module[1]}" if module[0] == "pulumi_aws" and len(module) > 1 else ""
    if top and getattr(importlib.import_module(top), name, None) is obj:
        return f"aws.{module[1]}.{name}"
    raise ValueError(f"{obj!r} is not exported by pulumi_aws")


def _literal(v: Any) -> str:
    """Plain data as Python source, quoted as `ruff format` quotes it (JSON escapes are Python's)."""
    if isinstance(v, str):
        return repr(v) if '"' in v else json.dumps(v, ensure_ascii=False)
    return repr(v)


def _json_document(v: str) -> Any:
    """The data of a compact, key-sorted JSON object string (IAM policies), else None."""
    if not v.startswith("{"):
        return None
    try:
        data = json.loads(v)
    except ValueError:
        return None
    return data if json.dumps(data, sort_keys=True, separators=(",", ":")) == v else None


class _Writer:
    """Source text for one Graph: variables for resources, invokes and config values."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.names: dict[str, str] = {}  # resource id -> variable
        self.taken: set[str] = {"aws", "json", "pulumi", "os", "secret", "provider"}
        self.invokes: dict[str, str] = {}  # canonical invoke -> variable
        self.configs: dict[str, str] = {}  # config key -> variable
        self.lines: list[str] = []
        self.uses_secrets = False
        self.uses_json = False

    def variable(self, wanted: str) -> str:
        base = re.sub(r"\W+", "_", wanted).strip("_").lower() or "resource"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = f"r_{base}"
        name, n = base, 2
        while name in self.taken:
            name, n = f"{base}_{n}", n + 1
        self.taken.add(name)
        return name

    # ---- values ----

    def value(self, v: Any, shape: argsmod.Shape, depth: int) -> str:
        if isinstance(v, Ref):
            return f"{self.names[v.resource]}.{v.attr}"
        if isinstance(v, SecretEnv):
            self.uses_secrets = True
            return f"secret({_literal(v.name)})"
        if isinstance(v, Config):
            return self.configs[v.key]
        if isinstance(v, Invoke):
            return self.invoke_value(v)
        if isinstance(v, Mapping):
            if shape.kind == "args" and shape.cls is not None:
                fields = argsmod.parameter_shapes(shape.cls.__init__)  # type: ignore[misc]
                return self.call(_public_path(shape.cls), [], self.kwargs(fields, v, depth + 1), depth)
            item = shape.item if shape.kind == "map" and shape.item is not None else argsmod.ANY
            items = [f"{json.dumps(str(k))}: {self.value(x, item, depth + 1)}" for k, x in v.items()]
            return self.block("{", items, "}", depth)
        if isinstance(v, (list, tuple)):
            item = shape.item if shape.kind == "seq" and shape.item is not None else shape
            return self.block("[", [self.value(x, item, depth + 1) for x in v], "]", depth)
        document = _json_document(v) if isinstance(v, str) else None
        if document is not None:  # a policy reads better as data; json.dumps gives back the same string
            self.uses_json = True
            data = self.value(document, argsmod.ANY, depth + 1)
            return self.call("json.dumps", [data], ["sort_keys=True", 'separators=(",", ":")'], depth)
        return _literal(v)

    def kwargs(self, shapes: Mapping[str, argsmod.Shape], props: Mapping[str, Any], depth: int) -> list[str]:
        return [f"{k}={self.value(v, shapes[k], depth)}" for k, v in props.items()]

    def block(self, open_: str, items: list[str], close: str, depth: int) -> str:
        if not items:
            return open_ + close
        pad = INDENT * (depth + 1)
        return open_ + "\n" + "".join(f"{pad}{item},\n" for item in items) + INDENT * depth + close

    def call(self, fn: str, positional: list[str], kwargs: list[str], depth: int) -> str:
        return self.block(f"{fn}(", [*positional, *kwargs], ")", depth)

    def invoke_value(self, inv: Invoke) -> str:
        var = self.invokes[json.dumps(encode_value(inv.__class__(inv.token, inv.args, "")), sort_keys=True)]
        head, paren, rest = inv.attr.partition("(")
        if paren and rest.endswith(")"):
            return f"{var}.apply(lambda r: {head}(r.{rest[:-1]}))"
        return f"{var}.apply(lambda r: r.{inv.attr})"

    # ---- statements ----

    def declare_invokes(self, value: Any) -> None:
        """Emit each data source `value` uses (and has not been emitted yet) as a variable."""
        if isinstance(value, Invoke):
            self.declare_invokes(value.args)
            key = json.dumps(encode_value(value.__class__(value.token, value.args, "")), sort_keys=True)
            if key in self.invokes:
                return
            fn = argsmod.invoke_function(value.token)
            var = self.variable(fn.__name__.removesuffix("_output").removeprefix("get_"))
            kwargs = self.kwargs(argsmod.parameter_shapes(fn), value.args, 1)
            kwargs.append("opts=pulumi.InvokeOutputOptions(provider=provider)")
            self.lines.append(f"{var} = {self.call(_public_path(fn), [], kwargs, 0)}")
            self.invokes[key] = var
        elif isinstance(value, Mapping):
            for v in value.values():
                self.declare_invokes(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                self.declare_invokes(v)

    def resource(self, res: Resource) -> None:
        self.declare_invokes(res.properties)
        cls = argsmod.resource_class(res.type)
        is_provider = res.type == PROVIDER_TYPE
        var = "provider" if is_provider else self.variable(res.id)
        kwargs = self.kwargs(argsmod.resource_shapes(cls), res.properties, 1)
        opts = [] if is_provider else ["provider=provider"]
        if res.options.protect:
            opts.append("protect=True")
        if res.options.retain_on_delete:
            opts.append("retain_on_delete=True")
        if res.options.depends_on:
            opts.append("depends_on=[" + ", ".join(self.names[d] for d in res.options.depends_on) + "]")
        if opts:
            line = f"opts=pulumi.ResourceOptions({', '.join(opts)})"
            kwargs.append(
                line if len(line) < 80 else "opts=" + self.call("pulumi.ResourceOptions", [], opts, 1)
            )
        self.lines.append(f"{var} = {self.call(_public_path(cls), [_literal(res.id)], kwargs, 0)}")
        self.names[res.id] = var

    def output(self, value: Any, depth: int) -> str:
        if isinstance(value, Mapping):
            items = [f"{json.dumps(str(k))}: {self.output(v, depth + 1)}" for k, v in sorted(value.items())]
            return self.block("{", items, "}", depth)
        if isinstance(value, (list, tuple)):
            return self.block("[", [self.output(v, depth + 1) for v in value], "]", depth)
        return self.value(value, argsmod.ANY, depth)


def _configs(value: Any, found: set[str]) -> None:
    if isinstance(value, Config):
        found.add(value.key)
    elif isinstance(value, Invoke):
        _configs(value.args, found)
    elif isinstance(value, Mapping):
        for v in value.values():
            _configs(v, found)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _configs(v, found)


def program_source(graph: Graph, config: Mapping[str, str], *, endpoint_url: str | None = None) -> str:
    """`__main__.py` for the Graph on a stack with this configuration (plain values)."""
    spec_hash = graph.spec_hash()
    target = graph if endpoint_url is None else with_endpoint(graph, endpoint_url)
    if uses_account(target):
        suffix = config.get(ACCOUNT_CONFIG, "")
        if not suffix:
            raise ValueError(f"the stack configuration has no {ACCOUNT_CONFIG}")
        target = with_account(target, suffix)
    w = _Writer(target)
    keys: set[str] = set()
    for res in target.resources.values():
        _configs(res.properties, keys)
    _configs(dict(target.outputs), keys)
    for key in sorted(keys):
        namespace, sep, name = key.partition(":")
        var = w.variable(re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name if sep else key))
        ns = _literal(namespace) if sep else ""
        w.lines.append(f"{var} = pulumi.Config({ns}).require({_literal(name if sep else key)})")
        w.configs[key] = var
    order = target.topological_order()
    providers = [r for r in order if r.type == PROVIDER_TYPE]
    if len(providers) != 1:
        raise ValueError(f"the graph must hold exactly one {PROVIDER_TYPE} resource")
    w.resource(providers[0])
    for res in order:
        if res.type != PROVIDER_TYPE:
            w.resource(res)
    for name, value in sorted(target.outputs.items()):
        w.lines.append(w.call("pulumi.export", [_literal(name), w.output(value, 1)], [], 0))
    w.lines.append(f"pulumi.export({_literal(SPEC_HASH_OUTPUT)}, {_literal(spec_hash)})")
    header = [
        f'"""{graph.project} ({graph.stack}): the infrastructure runctl applied, as a plain Pulumi program.',
        "",
        "Ejected by `runctl eject` from the runctl spec; see README.md. Resource names are the ones",
        'runctl registered, so this program manages the existing stack in place."""',
        "",
    ]
    stdlib = [f"import {m}" for m, used in (("json", w.uses_json), ("os", w.uses_secrets)) if used]
    imports = [*stdlib, *([""] if stdlib else []), "import pulumi", "import pulumi_aws as aws"]
    helper = ["", "", SECRET_HELPER.strip("\n"), ""] if w.uses_secrets else []
    return "\n".join([*header, *imports, *helper, "", *w.lines]) + "\n"
