"""What every benchmark prints beside a figure: whether it meets its target (benchmarks/run.py runs
them with benchmarks/ first on sys.path, so `from figures import verdict` finds this module)."""

from __future__ import annotations


def verdict(value: float, target: float) -> str:
    """`ok` when the figure is at most its target, else `OVER TARGET`."""
    return "ok" if value <= target else "OVER TARGET"
