"""The Graph: runctl's one intermediate representation.

Read by the Pulumi program, the offline diff, the cost estimate and the policy
checks. Properties are plain data named as pulumi_aws's Python arguments
(snake_case, nested dicts named like the `*Args` fields); values that only
exist at apply time are placeholders:

- `Ref(resource, attr)`: another resource's output (`{"$ref": "sg.trainer.id"}` in JSON)
- `SecretEnv(name)`: the value of an environment variable, read when the
  program runs and passed as a Pulumi secret (`{"$secret": "HF_TOKEN"}`)
- `Config(key)`: a stack configuration value set by the driver, e.g. the
  expiry timestamp (`{"$config": "runctl:expiresAt"}`)
- `Invoke(token, args, attr)`: a data-source lookup made by the program
  (`{"$invoke": token, "args": {...}, "attr": "value"}`)

The JSON form is deterministic (sorted keys), so it is hashed and kept as a
golden file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Ref:
    resource: str
    attr: str


@dataclass(frozen=True)
class SecretEnv:
    name: str


@dataclass(frozen=True)
class Config:
    key: str


@dataclass(frozen=True)
class Invoke:
    token: str
    args: Mapping[str, Any]
    attr: str


@dataclass(frozen=True)
class Options:
    protect: bool = False
    retain_on_delete: bool = False
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resource:
    id: str  # stable logical id, e.g. "instance.trainer.0"; also the Pulumi resource name
    type: str  # Pulumi type token, e.g. "aws:ec2/instance:Instance"
    properties: Mapping[str, Any]
    options: Options = field(default_factory=Options)

    def refs(self) -> Iterator[Ref]:
        """Every Ref in the properties (nested), in a stable order."""
        yield from _walk_refs(self.properties)

    def dependencies(self) -> list[str]:
        deps = {r.resource for r in self.refs()} | set(self.options.depends_on)
        return sorted(deps)


def _walk_refs(value: Any) -> Iterator[Ref]:
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, Mapping):
        for k in sorted(value):
            yield from _walk_refs(value[k])
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _walk_refs(v)
    elif isinstance(value, Invoke):
        yield from _walk_refs(value.args)


class GraphCycleError(Exception):
    """A cycle in the Graph is a compiler bug, never a user error."""


@dataclass(frozen=True)
class Graph:
    project: str
    stack: str
    region: str
    resources: Mapping[str, Resource]  # id -> Resource
    outputs: Mapping[str, Any] = field(default_factory=dict)  # stack outputs: name -> Ref / plain data
    # the training job's definition (compiler.job): not a Pulumi resource, but hashed and diffed
    job: Mapping[str, Any] | None = None

    def topological_order(self) -> list[Resource]:
        """Dependencies first; ties broken by id so the order is deterministic."""
        import heapq

        indegree: dict[str, int] = {rid: 0 for rid in self.resources}
        dependents: dict[str, list[str]] = {rid: [] for rid in self.resources}
        for rid, res in self.resources.items():
            for dep in res.dependencies():
                if dep not in self.resources:
                    raise GraphCycleError(f"{rid} depends on unknown resource {dep}")
                indegree[rid] += 1
                dependents[dep].append(rid)
        ready = [rid for rid, n in indegree.items() if n == 0]
        heapq.heapify(ready)
        order: list[Resource] = []
        while ready:
            rid = heapq.heappop(ready)
            order.append(self.resources[rid])
            for d in dependents[rid]:
                indegree[d] -= 1
                if indegree[d] == 0:
                    heapq.heappush(ready, d)
        if len(order) != len(self.resources):
            stuck = sorted(r for r, n in indegree.items() if n > 0)
            raise GraphCycleError(f"dependency cycle among: {', '.join(stuck)}")
        return order

    def to_json(self) -> dict[str, Any]:
        data = {
            "version": 1,
            "project": self.project,
            "stack": self.stack,
            "region": self.region,
            "resources": {rid: _resource_json(r) for rid, r in sorted(self.resources.items())},
            "outputs": {k: encode_value(v) for k, v in sorted(self.outputs.items())},
        }
        if self.job is not None:  # absent without training: graphs without a job hash as before
            data["job"] = encode_value(self.job)
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True, indent=2) + "\n"

    def spec_hash(self) -> str:
        canonical = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Graph:
        resources = {rid: _resource_from_json(rid, r) for rid, r in data["resources"].items()}
        outputs = {k: decode_value(v) for k, v in data.get("outputs", {}).items()}
        job = data.get("job")
        return cls(
            data["project"],
            data["stack"],
            data["region"],
            resources,
            outputs,
            decode_value(job) if isinstance(job, dict) else None,
        )


def _resource_json(r: Resource) -> dict[str, Any]:
    return {
        "type": r.type,
        "properties": encode_value(r.properties),
        "options": {
            "protect": r.options.protect,
            "retain_on_delete": r.options.retain_on_delete,
            "depends_on": list(r.options.depends_on),
        },
    }


def _resource_from_json(rid: str, data: Mapping[str, Any]) -> Resource:
    opts = data.get("options", {})
    return Resource(
        id=rid,
        type=data["type"],
        properties=decode_value(data["properties"]),
        options=Options(
            protect=bool(opts.get("protect", False)),
            retain_on_delete=bool(opts.get("retain_on_delete", False)),
            depends_on=tuple(opts.get("depends_on", ())),
        ),
    )


def encode_value(value: Any) -> Any:
    """Graph value -> JSON-able data (placeholders become `$`-keyed objects)."""
    if isinstance(value, Ref):
        return {"$ref": f"{value.resource}.{value.attr}"}
    if isinstance(value, SecretEnv):
        return {"$secret": value.name}
    if isinstance(value, Config):
        return {"$config": value.key}
    if isinstance(value, Invoke):
        return {"$invoke": value.token, "args": encode_value(value.args), "attr": value.attr}
    if isinstance(value, Mapping):
        return {str(k): encode_value(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [encode_value(v) for v in value]
    return value


def decode_value(value: Any) -> Any:
    """Inverse of `encode_value`."""
    if isinstance(value, dict):
        if "$ref" in value and len(value) == 1:
            resource, _, attr = value["$ref"].rpartition(".")
            return Ref(resource, attr)
        if "$secret" in value and len(value) == 1:
            return SecretEnv(value["$secret"])
        if "$config" in value and len(value) == 1:
            return Config(value["$config"])
        if "$invoke" in value:
            return Invoke(value["$invoke"], decode_value(value.get("args", {})), value["attr"])
        return {k: decode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    return value


# ---- the launch plan (consumed by the training stage, a later issue) ----


@dataclass(frozen=True)
class NodeMount:
    volume_resource: str  # id of the aws:ebs/volume:Volume for this node
    device: str  # device name used in the attachment, e.g. "/dev/sdf"
    path: str  # mount path on the node


@dataclass(frozen=True)
class Node:
    instance_resource: str  # id of the aws:ec2/instance:Instance (of the RunPod pod on a RunPod group)
    rank: int
    mounts: tuple[NodeMount, ...] = ()


@dataclass(frozen=True)
class LaunchPlan:
    group: str  # the instance group training runs on
    nodes: tuple[Node, ...]
    code: str | None  # local directory or s3:// prefix
    setup: str | None
    run: str
    env: Mapping[str, str]
    secret_names: tuple[str, ...]  # names only
    secret_parameters: Mapping[str, str]  # env var name -> SSM parameter name
    checkpoint_dir: str | None = None
    checkpoint_bucket: str | None = None  # physical bucket name
    checkpoint_every_seconds: int | None = None
    max_runtime_seconds: int | None = None
    instance_type: str = ""  # the group's EC2 type (accelerator preflight)
    staging_bucket: str | None = None  # physical name of the staging bucket
    staging_key: str | None = None  # its key in `buckets` and the outputs (`_staging`, or the spec's)
    autostop_idle_seconds: int | None = None  # None: no idle stop (`autostop: false`)
    autostop_action: str = "stop"  # what the node does at autostop or the budget cap: stop | terminate
    gpu_threshold_pct: int = 10  # a node with a GPU this busy (percent) is not idle
    max_run_usd: str | None = None  # budget.max_run_usd, enforced on the nodes (decimal text)
    spot: bool = False  # the group runs on spot (the node reads its price, else the plan's estimate)
    spot_max_price_usd: str | None = None  # a pinned spot price (decimal text)
    gpu_count: int = 0  # RunPod: GPUs in the pod (EC2: the type says)
    provider: str = "aws"  # aws: EC2 nodes started over SSM; runpod: one pod, started by a launch request
