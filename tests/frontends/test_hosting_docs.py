"""The hosting page documents every limit an operator can set."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from graphs.record import decode
from graphs.sandbox.config import ENV_PREFIX, SandboxConfig

HOSTING = Path(__file__).resolve().parents[2] / "docs" / "hosting.md"


def test_every_limit_of_the_gate_and_the_server_is_on_the_hosting_page():
    page = HOSTING.read_text(encoding="utf-8")
    names = [spec.name for spec in fields(decode.Limits)]
    names += [
        "max_result_mb",
        "max_result_values",
        "output_chars",
        "max_drawn_nodes",
        "dot_output_mb",
        "cache_mb",
    ]
    missing = [ENV_PREFIX + name.upper() for name in names if f"`{ENV_PREFIX}{name.upper()}`" not in page]
    assert not missing
    assert {"max_result_mb", "max_result_values", "output_chars"} <= {
        spec.name for spec in fields(SandboxConfig)
    }
