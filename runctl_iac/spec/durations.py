"""Durations as written in a spec: "90m", "8h", "3d", "1d12h" (days, hours, minutes; largest unit first)."""

from __future__ import annotations

import re

from runctl_iac.spec.model import Duration

_UNITS = {"d": 86400, "h": 3600, "m": 60}
_DURATION = re.compile(r"(?=[0-9])(?:(?P<d>[0-9]+)d)?(?:(?P<h>[0-9]+)h)?(?:(?P<m>[0-9]+)m)?")
MAX_DURATION_SECONDS = 30 * 86400  # ttl, max_runtime and checkpoint intervals: at most 30 days


def parse_duration(text: str) -> Duration:
    """Parse a duration; raises ValueError with a human message when it does not parse or is zero."""
    if not isinstance(text, str):
        raise ValueError(f"expected a duration such as 90m, 8h or 3d, got {text!r}")
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f'"{text}" is not a duration (a number with a unit: 90m, 8h, 3d, 1d12h)')
    seconds = sum(int(value) * _UNITS[unit] for unit, value in match.groupdict().items() if value)
    if seconds <= 0:
        raise ValueError(f'"{text}" is zero; a duration must be positive')
    return Duration(text=text, seconds=seconds)


def format_seconds(seconds: int) -> str:
    """The shortest spelling of a whole number of minutes: 5400 -> "1h30m", 259200 -> "3d"."""
    parts = []
    for unit, size in _UNITS.items():
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0m"
