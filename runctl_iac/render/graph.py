"""A compiled Graph as a text tree (grouped by kind), deterministic JSON, or Graphviz dot.

Plain strings only (no Rich needed): the output is the same on a terminal and in a pipe.
Secrets appear as their environment variable NAME (`$secret:HF_TOKEN`), never a value:
the Graph does not hold values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from runctl_iac.compiler.graph import Config, Graph, Invoke, Ref, Resource, SecretEnv

# order of kinds in the text and dot output; unknown kinds follow, sorted
KIND_ORDER = (
    "provider",
    "bucket",
    "secret",
    "sg",
    "role",
    "profile",
    "placement",
    "instance",
    "volume",
    "attachment",
)


def kind_of(resource_id: str) -> str:
    return resource_id.split(".", 1)[0]


def _by_kind(graph: Graph) -> list[tuple[str, list[Resource]]]:
    groups: dict[str, list[Resource]] = {}
    for rid in sorted(graph.resources):
        groups.setdefault(kind_of(rid), []).append(graph.resources[rid])
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(groups.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


def short_value(value: Any) -> str:
    """A one-line rendering of a property value (placeholders in `$` form)."""
    if isinstance(value, Ref):
        return f"${value.resource}.{value.attr}"
    if isinstance(value, SecretEnv):
        return f"$secret:{value.name}"
    if isinstance(value, Config):
        return f"$config:{value.key}"
    if isinstance(value, Invoke):
        fn = value.token.rsplit(":", 1)[-1]
        return f"${fn}(…).{value.attr}"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {short_value(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(short_value(v) for v in value) + "]"
    return json.dumps(value)


# the one or two properties worth showing per type in the tree; everything is in the JSON
SUMMARY_KEYS: dict[str, tuple[str, ...]] = {
    "pulumi:providers:aws": ("region",),
    "aws:s3/bucket:Bucket": ("bucket",),
    "aws:ec2/instance:Instance": ("instance_type", "availability_zone"),
    "aws:ebs/volume:Volume": ("size", "type"),
    "aws:ec2/volumeAttachment:VolumeAttachment": ("device_name", "instance_id"),
    "aws:ssm/parameter:Parameter": ("name", "value"),
    "aws:ec2/placementGroup:PlacementGroup": ("strategy",),
    "aws:s3/bucketVersioning:BucketVersioning": ("versioning_configuration",),
    "pulumi-python:dynamic/runpod:Pod": ("gpu_type_ids", "gpu_count"),  # compiler/runpod.py
    "pulumi-python:dynamic/runpod:NetworkVolume": ("size", "data_center_id"),
}


def _flags(r: Resource) -> str:
    flags = [
        name for name, on in (("protect", r.options.protect), ("retain", r.options.retain_on_delete)) if on
    ]
    return f" [{', '.join(flags)}]" if flags else ""


def render_text(graph: Graph) -> str:
    lines = [
        f"graph {graph.project}/{graph.stack} ({graph.region}): {len(graph.resources)} resources",
        f"hash {graph.spec_hash()}",
    ]
    for kind, resources in _by_kind(graph):
        lines.append("")
        lines.append(f"{kind} ({len(resources)})")
        for i, r in enumerate(resources):
            last = i == len(resources) - 1
            branch, stem = ("└─ ", "   ") if last else ("├─ ", "│  ")
            lines.append(f"{branch}{r.id}  {r.type}{_flags(r)}")
            details = [
                f"{k}: {short_value(r.properties[k])}"
                for k in SUMMARY_KEYS.get(r.type, ())
                if k in r.properties
            ]
            deps = r.dependencies()
            if deps:
                details.append("after: " + ", ".join(deps))
            lines.extend(f"{stem}   {d}" for d in details)
    if graph.outputs:
        lines.append("")
        lines.append("outputs")
        for name in sorted(graph.outputs):
            value = graph.outputs[name]
            count = f" ({len(value)})" if isinstance(value, Mapping) else ""
            lines.append(f"  {name}{count}")
    return "\n".join(lines) + "\n"


def render_json(graph: Graph) -> str:
    return graph.dumps()


def _dot_id(text: str) -> str:
    return json.dumps(text)  # a double-quoted, escaped dot identifier


def render_dot(graph: Graph) -> str:
    """Edges point from a dependency to the resource that needs it; one cluster per kind."""
    lines = [
        f"digraph {_dot_id(f'{graph.project}/{graph.stack}')} {{",
        "  rankdir=LR;",
        '  node [shape=box, fontname="Helvetica", fontsize=10];',
    ]
    for kind, resources in _by_kind(graph):
        lines.append(f"  subgraph {_dot_id('cluster_' + kind)} {{")
        lines.append(f"    label={_dot_id(kind)};")
        for r in resources:
            label = _dot_id(r.id + "\n" + r.type.rsplit(":", 1)[-1])
            style = ", style=bold" if r.options.protect or r.options.retain_on_delete else ""
            lines.append(f"    {_dot_id(r.id)} [label={label}{style}];")
        lines.append("  }")
    for rid in sorted(graph.resources):
        for dep in graph.resources[rid].dependencies():
            lines.append(f"  {_dot_id(dep)} -> {_dot_id(rid)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
