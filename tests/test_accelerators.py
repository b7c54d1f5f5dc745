"""The accelerator data: every GPU/ML type priced in the catalog is covered, and the reader checks shapes."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from runctl_iac import accelerators

REQUIRED_EXTRA = (
    "p5en.48xlarge",
    "p6-b200.48xlarge",
    "p6-b300.48xlarge",
    "trn1n.32xlarge",
    "g6f.large",
    "gr6.4xlarge",
    "g7e.48xlarge",
)


def _priced_accelerated_types() -> set[str]:
    text = resources.files("runctl_iac").joinpath("data/prices.json").read_text(encoding="utf-8")
    table = json.loads(text)["tables"]["ec2_gpu"]
    return {f"{fam}.{size}" for fam, sizes in table["families"].items() for size in sizes}


def test_every_priced_gpu_or_ml_type_and_the_new_families_are_covered() -> None:
    cat = accelerators.catalog()
    missing = (_priced_accelerated_types() | set(REQUIRED_EXTRA)) - set(cat.types)
    assert not missing
    assert "vantage" in cat.source and cat.as_of


def test_known_figures() -> None:
    assert accelerators.lookup("g5.12xlarge") == accelerators.Accelerator("nvidia", 4, "NVIDIA A10G", 24)
    assert accelerators.lookup("p5.48xlarge").describe() == "8 × NVIDIA H100"  # type: ignore[union-attr]
    g6f = accelerators.lookup("g6f.large")
    assert g6f is not None and g6f.describe() == "1/8 × NVIDIA L4" and g6f.visible_devices == 1
    trn = accelerators.lookup("trn1n.32xlarge")
    assert trn is not None and (trn.kind, trn.visible_devices) == ("neuron", 16)
    assert accelerators.lookup("t3.medium") is None


@pytest.mark.parametrize(
    "entry",
    [{"kind": "tpu", "count": 1, "model": "x"}, {"kind": "nvidia", "count": 0, "model": "x"}],
)
def test_reader_rejects_bad_entries(entry: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        accelerators.parse({"types": {"x.large": entry}, "source": "s", "as_of": "d"})
