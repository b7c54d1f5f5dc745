"""RunPod cost lines: pods ($/GPU-hour × GPUs, plus their disks) and network volumes, from the shipped
catalog `runctl_iac/data/runpod_prices.json` (source and date inside it).

- A pod: the catalog's on-demand (Secure Cloud) price, or its interruptible price, × gpu_count. A
  Community Cloud pod is priced at the Secure Cloud price (community prices vary by host and are lower):
  the line is marked as an estimate. An unknown GPU id: hourly None, so the estimate is incomplete and a
  budget fails closed (E0513, like an unknown EC2 type).
- Container disk and pod volume: $/GB-month while the pod runs; a network volume: $/GB-month, the lower
  rate for the part above 1 TB.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from runctl_iac.compiler.graph import Graph
from runctl_iac.compiler.runpod import NETWORK_VOLUME, POD
from runctl_iac.plan.model import CostLine

HOURS_PER_MONTH = Decimal(730)
TB_GB = 1000


@dataclass(frozen=True)
class RunPodCatalog:
    gpus: Mapping[str, Mapping[str, Decimal]]
    storage: Mapping[str, Decimal]
    source: str
    checked: str

    def gpu_hour(self, gpu: str, interruptible: bool) -> Decimal | None:
        prices = self.gpus.get(gpu)
        return None if prices is None else prices.get("interruptible" if interruptible else "on_demand")


@functools.cache
def runpod_catalog() -> RunPodCatalog:
    raw = json.loads(
        resources.files("runctl_iac").joinpath("data", "runpod_prices.json").read_text(encoding="utf-8")
    )
    return RunPodCatalog(
        gpus={g: {k: Decimal(v) for k, v in p.items()} for g, p in raw["gpus"].items()},
        storage={k: Decimal(v) for k, v in raw["storage_gb_month"].items()},
        source=raw["source"],
        checked=raw["checked"],
    )


def network_volume_month(size_gb: int) -> Decimal:
    s = runpod_catalog().storage
    low = min(size_gb, TB_GB)
    return s["network_volume"] * low + s["network_volume_over_1tb"] * (size_gb - low)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def runpod_lines(graph: Graph) -> Iterator[tuple[CostLine, Decimal | None]]:
    """(line, exact $/month or None when unknown) for every pod and network volume, by id."""
    cat = runpod_catalog()
    for rid in sorted(graph.resources):
        res = graph.resources[rid]
        props = res.properties
        if res.type == POD:
            gpu = str((props.get("gpu_type_ids") or ["?"])[0])
            count = _int(props.get("gpu_count")) or 1
            spot = bool(props.get("interruptible"))
            community = props.get("cloud_type") == "COMMUNITY"
            unit = cat.gpu_hour(gpu, spot)
            hourly = None if unit is None else unit * count
            market = "interruptible" if spot else "on-demand"
            cloud = "community, at most the secure price" if community else "secure"
            yield (
                CostLine(
                    resource=rid,
                    kind="instance",
                    description=f"RunPod pod, {count} × {gpu} {market} ({cloud})"
                    + ("" if unit is not None else " (price unknown)"),
                    hourly_usd=hourly,
                    estimate=community,
                ),
                None if hourly is None else hourly * HOURS_PER_MONTH,
            )
            disk, volume = _int(props.get("container_disk_in_gb")), _int(props.get("volume_in_gb"))
            month = cat.storage["container_disk"] * disk + cat.storage["pod_volume"] * volume
            text = f"{disk} GB container disk" + (f" + {volume} GB pod volume" if volume else "")
            yield (
                CostLine(
                    resource=rid, kind="root-disk", description=text, hourly_usd=month / HOURS_PER_MONTH
                ),
                month,
            )
        elif res.type == NETWORK_VOLUME:
            size = _int(props.get("size"))
            month = network_volume_month(size)
            yield (
                CostLine(
                    resource=rid,
                    kind="volume",
                    description=f"RunPod network volume, {size} GB in {props.get('data_center_id')}",
                    hourly_usd=month / HOURS_PER_MONTH,
                ),
                month,
            )


def has_runpod(graph: Graph) -> bool:
    return any(r.type in (POD, NETWORK_VOLUME) for r in graph.resources.values())


def sources_note() -> str:
    cat = runpod_catalog()
    return f"RunPod prices from runctl's catalog as of {cat.checked}, not live (runpod_prices.json)"
