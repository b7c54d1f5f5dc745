"""CLI tests through the fake Pulumi CLI: the command finder returns it (the boundary is finding the
CLI; everything runctl does after that runs unpatched)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runctl_iac.compiler import compile as compile_spec
from runctl_iac.spec import load_spec_or_raise
from tests.engine import fake_pulumi as fp


def use_fake(monkeypatch: pytest.MonkeyPatch, fake: fp.FakePulumi) -> fp.FakePulumi:
    monkeypatch.setattr("runctl_iac.engine.command.pulumi_command", lambda home=None: fake)
    return fake


def program_for(fake: fp.FakePulumi, spec: Path, stack: str = "dev") -> None:
    """Make the fake register what the spec's program would, with outputs shaped like the real ones."""
    graph = compile_spec(load_spec_or_raise(spec, stack=stack))[0]
    fake.project = graph.project
    fake.program = fp.program_from_graph(graph)
    fake.options = fp.options_from_graph(graph)
    by_id = {name: outputs for _, name, _, outputs in fake.program}
    outputs: dict[str, object] = {"specHash": graph.spec_hash()}
    for section, entries in graph.outputs.items():
        if isinstance(entries, dict):
            outputs[section] = {key: _resolve(value, by_id) for key, value in sorted(entries.items())}
    fake.program_outputs = outputs


def _resolve(value: object, by_id: dict[str, dict[str, object]]) -> object:
    from runctl_iac.compiler.graph import Ref

    if isinstance(value, Ref):
        return by_id.get(value.resource, {}).get(value.attr, f"{value.resource}-{value.attr}")
    if isinstance(value, dict):
        return {k: _resolve(v, by_id) for k, v in value.items()}
    return value
