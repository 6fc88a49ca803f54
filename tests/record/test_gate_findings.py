"""The gate refuses forged findings and forged diagnosis numbers (graphs.record.gate_findings)."""

from __future__ import annotations

import pytest

from graphs.catalogue import get
from graphs.record import decode
from graphs.sandbox import SandboxError
from graphs.worker.jobs import run_in_process


@pytest.fixture(scope="module")
def honest() -> dict:
    """A record with a finding of each stage's worth of fields: the dead ReLUs lesson's."""
    return run_in_process(get("dead_relu").source).to_dict()


def test_an_honest_record_passes_with_its_findings(honest):
    found = decode.record(honest)
    assert [finding.kind for finding in found.findings] == ["dead_relu"]
    assert found.passes[0].norms and found.passes[0].relu


@pytest.mark.parametrize(
    ("forge", "says"),
    [
        (lambda r: r["findings"][0].update(node="n999999"), "is not a node of the record"),
        (lambda r: r["findings"][0].update(kind="fine"), "findings"),
        (lambda r: r["findings"][0].update(dead=9), "do not fit their layer"),
        (lambda r: r["findings"][0].update(batch=None), "without their layer's size"),
        (lambda r: r["findings"][0].update(line=-3), "a negative pass or line"),
        (lambda r: r["findings"][0].update(op="x" * 20_000), "text chars"),
        (
            lambda r: r["findings"][0].update(
                operands=[{"role": "input 1", "shape": [3], "value": [1.0, 2.0]}]
            ),
            "its entries have shape [2], not [3]",
        ),
        (
            lambda r: r["findings"][0].update(operands=[{"role": "x", "shape": [], "value": 1.0}] * 9),
            "9 operands",
        ),
        (lambda r: r["passes"][0]["norms"].update(n424242=1.0), "is not a node of the record"),
        (lambda r: r["passes"][0]["relu"].update(n0={"units": 2, "dead": 3, "batch": 1}), "do not fit"),
        (lambda r: r.update(findings=r["findings"] * 30_000), "findings"),
    ],
)
def test_forged_findings_are_refused_in_one_line(honest, forge, says):
    forged = decode.record(honest).to_dict()
    forge(forged)
    with pytest.raises(SandboxError) as info:
        decode.record(forged)
    assert says in str(info.value) and "\n" not in str(info.value)
