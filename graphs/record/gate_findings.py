"""The gate's checks of what the diagnosis reads (graphs.record.decode runs them).

A worker's findings and the numbers they come from (each pass's gradient
norms and ReLU counts) are hostile data like the rest of its result: every
node they name must exist, every count must fit its layer, every operand
must have the shape it claims. Kept apart from decode.py, which calls
`check_findings` with its own checks (`Checks`), so that one stays one walk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from graphs.record.model import Finding, GraphRecord, ReluUnits

# The most operands one finding may list (graphs.worker.health keeps at most 5).
MAX_OPERANDS = 8


@dataclass(frozen=True)
class Checks:
    """decode's `_Checker` checks, and the error it raises."""

    known: Callable[[str, Iterable[str]], None]  # each id a node of the record
    texts: Callable[[str, Iterable[str]], None]  # each text under the limit
    shape: Callable[[str, list[int]], None]  # a tensor shape
    value: Callable[[str, object, list[int]], None]  # entries of that shape, or a summary
    malformed: Callable[[str, str], Exception]


def check_findings(record: GraphRecord, checks: Checks) -> None:
    for run in record.passes:
        where = f"passes[{run.index}]"
        checks.known(f"{where}.norms", run.norms)
        checks.known(f"{where}.relu", run.relu)
        for counts in run.relu.values():
            _fits(f"{where}.relu", counts, checks)
    for position, finding in enumerate(record.findings):
        _finding(f"findings[{position}]", finding, checks)


def _finding(where: str, finding: Finding, checks: Checks) -> None:
    checks.known(where, [] if finding.node is None else [finding.node])
    if any(number is not None and number < 0 for number in (finding.pass_index, finding.line)):
        raise checks.malformed(where, "a negative pass or line")
    if len(finding.operands) > MAX_OPERANDS:
        raise checks.malformed(where, f"{len(finding.operands)} operands")
    checks.texts(where, [finding.op or "", *(operand.role for operand in finding.operands)])
    for operand in finding.operands:
        checks.shape(where, operand.shape)
        checks.value(where, operand.value, operand.shape)
    counts = (finding.units, finding.dead, finding.batch)
    if counts != (None, None, None):
        if None in counts:
            raise checks.malformed(where, "dead units without their layer's size")
        _fits(where, ReluUnits(*counts), checks)  # type: ignore[arg-type]


def _fits(where: str, counts: ReluUnits, checks: Checks) -> None:
    if not 0 <= counts.dead <= counts.units or counts.batch < 0:
        raise checks.malformed(where, "dead units that do not fit their layer")
