"""Accelerators per EC2 instance type, from `runctl_iac/data/accelerators.json`.

Used by the node script's preflight (how many GPUs `nvidia-smi` must see, how
many Neuron devices must exist) and by plan/cost displays. The file cites its
public source and date; an instance type it does not list has no known
accelerator (`lookup` returns None) and the preflight checks only the disk.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Literal

Kind = Literal["nvidia", "neuron"]


@dataclass(frozen=True)
class Accelerator:
    kind: Kind
    count: float  # per instance; below 1 for a share of one GPU (g6f)
    model: str
    memory_gib: int | None = None

    @property
    def visible_devices(self) -> int:
        """How many devices the OS shows: a fractional GPU is one vGPU to nvidia-smi."""
        return max(1, math.ceil(self.count))

    def describe(self) -> str:
        """e.g. `4 × NVIDIA A10G`, `1/8 × NVIDIA L4`."""
        if self.count >= 1:
            return f"{int(self.count)} × {self.model}"
        return f"1/{round(1 / self.count)} × {self.model}"


@dataclass(frozen=True)
class AcceleratorCatalog:
    types: Mapping[str, Accelerator]
    source: str
    as_of: str

    def lookup(self, instance_type: str) -> Accelerator | None:
        return self.types.get(instance_type)


def parse(data: Mapping[str, object]) -> AcceleratorCatalog:
    raw = data["types"]
    if not isinstance(raw, Mapping):
        raise ValueError("accelerators.json: `types` must be a mapping")
    types: dict[str, Accelerator] = {}
    for name, entry in raw.items():
        kind = entry["kind"]
        if kind not in ("nvidia", "neuron"):
            raise ValueError(f"accelerators.json: {name}: unknown kind {kind!r}")
        count = float(entry["count"])
        if count <= 0:
            raise ValueError(f"accelerators.json: {name}: count must be positive")
        memory = entry.get("memory_gib")
        types[name] = Accelerator(kind, count, str(entry["model"]), int(memory) if memory else None)
    return AcceleratorCatalog(types, str(data["source"]), str(data["as_of"]))


@functools.cache
def catalog() -> AcceleratorCatalog:
    text = resources.files("runctl_iac").joinpath("data/accelerators.json").read_text(encoding="utf-8")
    return parse(json.loads(text))


def lookup(instance_type: str) -> Accelerator | None:
    return catalog().lookup(instance_type)
