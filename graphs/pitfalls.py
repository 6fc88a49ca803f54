"""Pitfalls drawn where they happen: a one-line note for the node a mistake concerns.

- A failing program that ran backward twice: the node whose saved tensors an
  earlier backward freed (torch's own message, kept in the error, says to
  pass `retain_graph=True`).
- A program that read `.grad` of a non-leaf (torch warns and gives None): the
  node of that name, with how to see its gradient after all.
"""

from __future__ import annotations

import re

from graphs.attrs import FREED
from graphs.record import GraphRecord

FREED_NOTE = "saved tensors freed by an earlier backward"
NON_LEAF_NOTE = ".grad read here is None: use retain_grad(), or read it from the graph"
_NON_LEAF_WARNING = re.compile(r"^line (\d+): The \.grad attribute of a Tensor that is not a leaf")
_GRAD_READ = re.compile(r"\b([A-Za-z_][\w.]*)\.grad\b")


def node_notes(record: GraphRecord) -> dict[str, str]:
    """Node id -> the note drawn on it."""
    notes: dict[str, str] = {}
    if record.error:
        notes.update({node.id: FREED_NOTE for node in record.nodes if FREED in node.attrs.values()})
    lines = (record.source or "").splitlines()
    names = {node.name: node.id for node in record.nodes if node.kind == "op" and node.name}
    for warning in record.warnings:
        found = _NON_LEAF_WARNING.match(warning)
        if found and int(found.group(1)) <= len(lines):
            for name in _GRAD_READ.findall(lines[int(found.group(1)) - 1]):
                if name in names:
                    notes.setdefault(names[name], NON_LEAF_NOTE)
    return notes
