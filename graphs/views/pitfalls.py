"""Pitfalls drawn where they happen: a one-line note for the node a mistake concerns.

- A failing program that ran backward twice: the node whose saved tensors an
  earlier backward freed (torch's own message, kept in the error, says to
  pass `retain_graph=True`).
- A failing program that modified in place a tensor some op had saved for
  backward: that op's node, with the version counter torch found and the one
  it expected (torch names the op in its message: "output 0 of Exp").
- A program that read `.grad` of a non-leaf (torch warns and gives None): the
  node of that name, with how to see its gradient after all.
- A finding of the diagnosis (graphs.views.diagnosis): where a NaN or Inf
  first appeared, the layer whose gradient vanished or exploded, a dead ReLU.
- `detach()` and `torch.no_grad()`: the label of the dashed edge from a cut
  tensor to the node it was computed from (`NoGradEdge`).

Notes are English templates with their values apart, so the app can show
them in the page's language (components/locale has their translations).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from graphs.record.model import Finding, GraphRecord
from graphs.worker.attrs import FREED


@dataclass(frozen=True)
class Note:
    """A note's English template and the values it is filled with."""

    template: str
    values: dict[str, object] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.template.format(**self.values)

    def translated(self, gettext) -> str:
        """The note in another language: `gettext` translates the template."""
        return gettext(self.template).format(**self.values)


FREED_NOTE = Note("saved tensors freed by an earlier backward")
NON_LEAF_NOTE = Note(".grad read here is None: use retain_grad(), or read it from the graph")
IN_PLACE_NOTE = Note("modified in place after it was saved: version {found}, expected {expected}")
CUT_NOTES = {
    "detach": Note("detach(): no gradient flows back"),
    "no_grad": Note("no_grad(): not recorded"),
}
# A finding of the diagnosis (graphs.views.diagnosis), on its node: the graph marks it.
FINDING_NOTES = {
    ("nan", "forward"): Note("NaN first appears here (forward)"),
    ("nan", "backward"): Note("NaN first appears here (backward)"),
    ("inf", "forward"): Note("Inf first appears here (forward)"),
    ("inf", "backward"): Note("Inf first appears here (backward)"),
    ("vanishing", "backward"): Note("vanishing gradient: {ratio} of the output layer's"),
    ("exploding", "backward"): Note("exploding gradient: {ratio} times the output layer's"),
    ("dead_relu", "backward"): Note("dead ReLU: {dead} of {units} units get no gradient"),
}
# Every note (components/locale/build.sh reads their templates from this file).
NOTES = (FREED_NOTE, NON_LEAF_NOTE, IN_PLACE_NOTE, *CUT_NOTES.values(), *FINDING_NOTES.values())

_NON_LEAF_WARNING = re.compile(r"^line (\d+): The \.grad attribute of a Tensor that is not a leaf")
_GRAD_READ = re.compile(r"\b([A-Za-z_][\w.]*)\.grad\b")
# torch's words: "[torch.FloatTensor [3]], which is output 0 of ExpBackward0, is at version 1;
# expected version 0 instead" (torch 2.13 names the forward op: "output 0 of Exp").
_IN_PLACE = re.compile(
    r"modified by an inplace operation: \[[^\[\]]*(?:\[([\d, ]*)\])?\]"
    r"(?:, which is output \d+ of (\w+),)? is at version (\d+); expected version (\d+)"
)


def node_notes(record: GraphRecord) -> dict[str, Note]:
    """Node id -> the note drawn on it."""
    notes: dict[str, Note] = {}
    in_place = _IN_PLACE.search(record.error or "")
    if in_place:
        notes.update(_in_place_notes(record, *in_place.groups()))
    elif record.error:
        notes.update({node.id: FREED_NOTE for node in record.nodes if FREED in node.attrs.values()})
    lines = (record.source or "").splitlines()
    names = {node.name: node.id for node in record.nodes if node.kind == "op" and node.name}
    for warning in record.warnings:
        found = _NON_LEAF_WARNING.match(warning)
        if found and int(found.group(1)) <= len(lines):
            for name in _GRAD_READ.findall(lines[int(found.group(1)) - 1]):
                if name in names:
                    notes.setdefault(names[name], NON_LEAF_NOTE)
    for finding in record.findings:
        if finding.node is not None and (finding.kind, finding.stage) in FINDING_NOTES:
            notes.setdefault(finding.node, _finding_note(finding))
    return notes


def _in_place_notes(
    record: GraphRecord, shape: str | None, op: str | None, found: str, expected: str
) -> dict[str, Note]:
    """The nodes whose saved tensor torch found changed: the named op's (of
    that shape, when several ops of its kind were made), or, when torch names
    no op (a saved leaf: an optimizer stepped before backward), the one leaf
    of that shape."""
    dims = None if shape is None else [int(d) for d in shape.replace(" ", "").split(",") if d]
    if op is None:
        found_nodes = [node for node in record.nodes if node.kind == "leaf" and node.shape == dims]
        found_nodes = found_nodes if len(found_nodes) == 1 else []  # torch does not say which
    else:
        family = op.removesuffix("0").removesuffix("Backward")
        names = (op, f"{family}Backward0")
        found_nodes = [node for node in record.nodes if node.kind == "op" and node.op in names]
        if len(found_nodes) > 1 and dims is not None:
            found_nodes = [node for node in found_nodes if node.shape == dims] or found_nodes
    note = replace(IN_PLACE_NOTE, values={"found": int(found), "expected": int(expected)})
    return {node.id: note for node in found_nodes}


def _finding_note(finding: Finding) -> Note:
    ratio = None if finding.norm is None or not finding.reference else finding.norm / finding.reference
    values = {"ratio": "" if ratio is None else f"{ratio:.1e}", "dead": finding.dead, "units": finding.units}
    return replace(FINDING_NOTES[finding.kind, finding.stage], values=values)
