"""Suite-wide settings."""

from __future__ import annotations

import os

from hypothesis import settings

# CI runs the property tests with a fixed seed, so a submission passes or fails the same way on
# every run; local runs keep exploring new examples (and .hypothesis/ replays what they found).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
