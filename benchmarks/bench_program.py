"""The Pulumi program under the SDK's mocks: seconds per resource, and runctl's own share.

For each example (and stack) the Graph is run twice under identical fresh mocks:

- runctl: the interpreter (`runctl_iac.engine.make_program`);
- baseline: a plain pulumi_aws program for the same Graph, generated as Python source
  the way a person would write it (classes and typed `*Args` named directly, Refs as
  attribute accesses), compiled once before timing.

Both must register the same resources with the same inputs (checked). runctl's share is
(runctl - baseline) / runctl: everything the interpreter adds above the SDK's cost for
the same resources. "cold" clears the interpreter's per-class caches before every run
(a real `pulumi up` runs the program once per process); "warm" keeps them.

Usage: .venv/bin/python benchmarks/bench_program.py [--reps N] [SPEC.yaml ...]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runctl_iac.compiler import compile as compile_spec  # noqa: E402
from runctl_iac.compiler.graph import Config, Graph, Invoke, Ref, SecretEnv, encode_value  # noqa: E402
from runctl_iac.compiler.names import ACCOUNT_PLACEHOLDER, resolve_account  # noqa: E402
from runctl_iac.engine import args as argsmod  # noqa: E402
from runctl_iac.engine import make_program, secret_env_names  # noqa: E402
from runctl_iac.engine.program import (  # noqa: E402
    PROVIDER_TYPE,
    SPEC_HASH_OUTPUT,
    uses_account,
)
from runctl_iac.spec import load_spec_or_raise  # noqa: E402
from tests.engine.pulumi_mocks import run_program  # noqa: E402

TARGET_SHARE = 0.20
BENCH_ACCOUNT = "0a1b2c3d"  # the account suffix of bucket names (stack config runctl:accountSuffix)


class _Gen:
    """Graph -> Python source of an equivalent hand-written pulumi_aws program."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.names: dict[Any, str] = {}  # class/function -> identifier bound in the namespace
        self.lines: list[str] = []
        self.invokes: dict[str, str] = {}
        self.configs: dict[str, str] = {}

    def bind(self, obj: Any) -> str:
        if obj not in self.names:
            self.names[obj] = f"_{getattr(obj, '__name__', 'x')}_{len(self.names)}"
        return self.names[obj]

    def value(self, v: Any, shape: argsmod.Shape) -> str:
        if isinstance(v, Ref):
            return f"r[{v.resource!r}].{v.attr}"
        if isinstance(v, SecretEnv):
            return f"pulumi.Output.secret(os.environ[{v.name!r}])"
        if isinstance(v, Config):
            if v.key not in self.configs:
                ns, _, key = v.key.partition(":")
                self.configs[v.key] = f"cfg{len(self.configs)}"
                self.lines.append(f"    {self.configs[v.key]} = pulumi.Config({ns!r}).require({key!r})")
            return self.configs[v.key]
        if isinstance(v, Invoke):
            return self.invoke(v)
        if isinstance(v, Mapping):
            if shape.kind == "args" and shape.cls is not None:
                fields = argsmod.parameter_shapes(shape.cls.__init__)  # type: ignore[misc]
                kw = ", ".join(f"{k}={self.value(x, fields[k])}" for k, x in v.items())
                return f"{self.bind(shape.cls)}({kw})"
            item = shape.item if shape.kind == "map" and shape.item else argsmod.ANY
            return "{" + ", ".join(f"{k!r}: {self.value(x, item)}" for k, x in v.items()) + "}"
        if isinstance(v, (list, tuple)):
            item = shape.item if shape.kind == "seq" and shape.item else shape
            return "[" + ", ".join(self.value(x, item) for x in v) + "]"
        if isinstance(v, str) and ACCOUNT_PLACEHOLDER in v:  # bucket names: the account suffix filled in
            return repr(resolve_account(v, BENCH_ACCOUNT))
        return repr(v)

    def invoke(self, inv: Invoke) -> str:
        key = json.dumps(encode_value(inv), sort_keys=True)
        if key not in self.invokes:
            fn = argsmod.invoke_function(inv.token)
            shapes = argsmod.parameter_shapes(fn)
            kw = ", ".join(f"{k}={self.value(x, shapes[k])}" for k, x in inv.args.items())
            name = f"inv{len(self.invokes)}"
            self.lines.append(
                f"    {name} = {self.bind(fn)}({kw}, opts=pulumi.InvokeOutputOptions(provider=p))"
            )
            self.invokes[key] = name
        head, paren, rest = inv.attr.partition("(")
        if paren:
            return f"{self.invokes[key]}.apply(lambda x: {head}(x.{rest[:-1]}))"
        return f"{self.invokes[key]}.apply(lambda x: x.{inv.attr})"

    def source(self) -> str:
        order = self.graph.topological_order()
        order = [r for r in order if r.type == PROVIDER_TYPE] + [r for r in order if r.type != PROVIDER_TYPE]
        for res in order:
            cls = argsmod.resource_class(res.type)
            shapes = argsmod.resource_shapes(cls)
            kw = "".join(f", {k}={self.value(v, shapes[k])}" for k, v in res.properties.items())
            o = res.options
            deps = ", ".join(f"r[{d!r}]" for d in o.depends_on)
            provider = "" if res.type == PROVIDER_TYPE else "provider=p, "
            opts = (
                f"pulumi.ResourceOptions({provider}protect={o.protect}, "
                f"retain_on_delete={o.retain_on_delete}, depends_on=[{deps}])"
            )
            self.lines.append(f"    r[{res.id!r}] = {self.bind(cls)}({res.id!r}{kw}, opts={opts})")
            if res.type == PROVIDER_TYPE:
                self.lines.append(f"    p = r[{res.id!r}]")
        for name, value in sorted(self.graph.outputs.items()):
            self.lines.append(f"    pulumi.export({name!r}, {self.value(value, argsmod.ANY)})")
        self.lines.append(f"    pulumi.export({SPEC_HASH_OUTPUT!r}, {self.graph.spec_hash()!r})")
        return "def program():\n    r = {}\n" + "\n".join(self.lines) + "\n"


def baseline_program(graph: Graph) -> Callable[[], None]:
    import pulumi

    gen = _Gen(graph)
    src = gen.source()
    namespace: dict[str, Any] = {"pulumi": pulumi, "os": os, **{v: k for k, v in gen.names.items()}}
    exec(compile(src, "<baseline>", "exec"), namespace)
    program: Callable[[], None] = namespace["program"]
    return program


def _clear_caches() -> None:
    argsmod.resource_class.cache_clear()
    argsmod.invoke_function.cache_clear()
    argsmod.parameter_shapes.cache_clear()


def _time(
    program: Callable[[], None], graph: Graph, config: dict[str, str], before: Callable[[], None]
) -> float:
    before()
    gc.collect()
    gc.disable()  # a collection landing in one run but not another is noise, not cost
    try:
        t = time.perf_counter()
        run_program(program, graph.project, graph.stack, config)
        return time.perf_counter() - t
    finally:
        gc.enable()


def _own_work(graph: Graph, cold: bool) -> float:
    """runctl's own steps without the SDK: secret check, order, hash, kwargs (typed Args excluded)."""
    from runctl_iac.engine.program import check_secret_env

    if cold:
        _clear_caches()
    t = time.perf_counter()
    check_secret_env(graph)
    order = graph.topological_order()
    graph.spec_hash()
    for res in order:
        shapes = argsmod.resource_shapes(argsmod.resource_class(res.type))
        for key, value in res.properties.items():  # the lookups convert() makes, minus the SDK's Args
            _walk_shapes(value, shapes[key])
    return time.perf_counter() - t


def _walk_shapes(value: Any, shape: argsmod.Shape) -> None:
    if isinstance(value, Mapping) and shape.kind == "args" and shape.cls is not None:
        fields = argsmod.parameter_shapes(shape.cls.__init__)  # type: ignore[misc]
        for k, v in value.items():
            _walk_shapes(v, fields[k])
    elif isinstance(value, (list, tuple)):
        for v in value:
            _walk_shapes(v, shape.item if shape.kind == "seq" and shape.item else shape)


def _same_registrations(graph: Graph, config: dict[str, str]) -> None:
    a = run_program(make_program(graph), graph.project, graph.stack, config)
    b = run_program(baseline_program(graph), graph.project, graph.stack, config)
    left = {n: (r.type, r.inputs) for n, r in a.mocks.resources.items()}
    right = {n: (r.type, r.inputs) for n, r in b.mocks.resources.items()}
    if left != right or a.outputs != b.outputs:
        raise SystemExit(f"baseline differs from the interpreter for {graph.project}/{graph.stack}")


def _load(path: Path, stack: str) -> tuple[Graph, dict[str, str]]:
    """The compiled Graph, its stack config, and fake values for its secret variables."""
    spec = load_spec_or_raise(path, stack=stack)
    graph, _ = compile_spec(spec)
    for name in secret_env_names(graph):
        os.environ.setdefault(name, f"bench-{name.lower()}")
    config = {"runctl:accountSuffix": BENCH_ACCOUNT} if uses_account(graph) else {}
    if spec.ttl is not None:
        config["runctl:expiresAt"] = "2030-01-01T00:00:00Z"
    return graph, config


def bench(path: Path, stack: str, reps: int) -> dict[str, Any]:
    graph, config = _load(path, stack)
    _same_registrations(graph, config)
    base = baseline_program(graph)
    times: dict[str, list[float]] = {"cold": [], "warm": [], "baseline": []}
    runs: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {
        "cold": (make_program(graph), _clear_caches),
        "warm": (make_program(graph), lambda: None),
        "baseline": (base, lambda: None),
    }
    rng = random.Random(0)
    for _ in range(reps):  # interleaved in a shuffled order, so drift hits all three alike
        kinds = list(runs)
        rng.shuffle(kinds)
        for kind in kinds:
            program, before = runs[kind]
            times[kind].append(_time(program, graph, config, before))
    cold, warm, baseline = times["cold"], times["warm"], times["baseline"]
    own_cold = statistics.median(_own_work(graph, True) for _ in range(reps))
    n = len(graph.resources)
    med = {k: statistics.median(v) for k, v in times.items()}
    # paired per repetition (the three runs of one repetition sit next to each other in time)
    share_cold = statistics.median((c - b) / c for c, b in zip(cold, baseline, strict=True))
    share_warm = statistics.median((w - b) / w for w, b in zip(warm, baseline, strict=True))
    return {
        "spec": f"{path.name}:{stack}",
        "resources": n,
        **med,
        "own": own_cold,
        "share_cold": share_cold,
        "share_warm": share_warm,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", type=Path)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--stack", default="dev")
    ns = parser.parse_args(argv)
    specs = ns.specs or sorted((ROOT / "examples").glob("*.yaml"))
    import pulumi_aws  # noqa: F401  (import cost is not the program's)

    graph, config = _load(specs[0], ns.stack)
    run_program(make_program(graph), "warmup", "w", config)
    rows = [bench(p, ns.stack, ns.reps) for p in specs]
    print(
        f"{'spec':<28}{'res':>4}{'runctl ms':>11}{'warm ms':>9}{'SDK ms':>8}"
        f"{'s/res':>9}{'share cold':>12}{'share warm':>12}{'own ms':>8}"
    )
    for r in rows:
        print(
            f"{r['spec']:<28}{r['resources']:>4}{r['cold'] * 1e3:>11.1f}{r['warm'] * 1e3:>9.1f}"
            f"{r['baseline'] * 1e3:>8.1f}{r['cold'] / r['resources']:>9.5f}"
            f"{r['share_cold']:>12.1%}{r['share_warm']:>12.1%}{r['own'] * 1e3:>8.2f}"
        )
    total = {k: sum(r[k] for r in rows) for k in ("cold", "warm", "baseline", "resources", "own")}
    share = max(r["share_cold"] for r in rows)
    print(
        f"all: {total['cold'] / total['resources']:.5f} s/resource with runctl (cold caches), "
        f"{total['baseline'] / total['resources']:.5f} s/resource for the SDK alone; runctl's share "
        f"(median of paired runs) at most {share:.1%} cold, {max(r['share_warm'] for r in rows):.1%} warm "
        f"(target < {TARGET_SHARE:.0%}); runctl's own steps timed alone: {total['own'] * 1e3:.2f} ms "
        f"= {total['own'] / total['cold']:.1%} of the runs"
    )
    return 0 if share < TARGET_SHARE else 1


if __name__ == "__main__":
    raise SystemExit(main())
