from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runctl_iac.compiler import compile
from runctl_iac.compiler.graph import Graph, GraphCycleError, Options, Resource
from runctl_iac.spec.model import Training
from tests.compiler.specs import multi_node, single_node, with_vpc_only

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("make", [single_node, multi_node, with_vpc_only])
def test_same_spec_same_bytes_and_json_round_trip(make: object) -> None:
    spec = make()  # type: ignore[operator]
    first, _ = compile(spec)
    second, _ = compile(spec)
    assert first.dumps() == second.dumps()
    assert first.spec_hash() == second.spec_hash()
    again = Graph.from_json(first.to_json())
    assert again.dumps() == first.dumps()
    assert [r.id for r in again.topological_order()] == [r.id for r in first.topological_order()]


def test_mapping_order_in_the_spec_does_not_matter() -> None:
    spec = multi_node()
    shuffled = dataclasses.replace(
        spec,
        buckets=dict(reversed(list(spec.buckets.items()))),
        instances=dict(reversed(list(spec.instances.items()))),
        volumes=dict(reversed(list(spec.volumes.items()))),
        tags=dict(reversed(list(spec.tags.items()))),
    )
    assert compile(shuffled)[0].dumps() == compile(spec)[0].dumps()


def test_hash_is_stable_across_interpreters_with_different_hash_seeds() -> None:
    code = (
        "from tests.compiler.specs import multi_node; from runctl_iac.compiler import compile; "
        "print(compile(multi_node())[0].spec_hash())"
    )
    hashes = set()
    for seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        hashes.add(out.stdout.strip())
    assert hashes == {compile(multi_node())[0].spec_hash()}


def test_training_command_is_not_part_of_the_graph() -> None:
    spec = multi_node()
    assert spec.training is not None
    edited = dataclasses.replace(spec, training=dataclasses.replace(spec.training, run="python other.py"))
    assert compile(edited)[0].spec_hash() == compile(spec)[0].spec_hash()
    assert compile(edited)[1].run == "python other.py"


def test_resource_changes_change_the_hash() -> None:
    spec = single_node()
    bigger = dataclasses.replace(
        spec,
        instances={
            "box": dataclasses.replace(spec.instances["box"], disk_gb=spec.instances["box"].disk_gb + 1)
        },
    )
    assert compile(bigger)[0].spec_hash() != compile(spec)[0].spec_hash()
    other_stack = dataclasses.replace(spec, stack="prod")
    assert compile(other_stack)[0].spec_hash() != compile(spec)[0].spec_hash()


def test_every_reference_points_at_a_resource_of_the_graph() -> None:
    graph, _ = compile(multi_node())
    order = [r.id for r in graph.topological_order()]
    assert order[0] == "provider.aws" or "provider.aws" in order
    position = {rid: i for i, rid in enumerate(order)}
    for r in graph.resources.values():
        for dep in r.dependencies():
            assert position[dep] < position[r.id]


def test_a_cycle_is_reported_as_a_compiler_bug() -> None:
    a = Resource("a", "t", {}, Options(depends_on=("b",)))
    b = Resource("b", "t", {}, Options(depends_on=("a",)))
    with pytest.raises(GraphCycleError):
        Graph("p", "s", "r", {"a": a, "b": b}).topological_order()


def test_secret_names_only_even_with_training_env() -> None:
    spec = single_node(training=Training(group="box", run="x", env={"PLAIN": "visible"}, secrets=("TOKEN",)))
    text = compile(spec)[0].dumps()
    assert '"$secret": "TOKEN"' in text
    assert "visible" not in text  # env belongs to the launch plan, not to infrastructure
