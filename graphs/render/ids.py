"""The ids that go into DOT text unquoted, checked before they do."""

from __future__ import annotations


def check_id(node_id: str, kinds: str = "n") -> None:
    """Ids go into the DOT text unquoted: accept only the builder's "n<digits>"
    (a record can arrive from a worker process or a JSON file), and where
    `kinds` says so folding's module boxes, "m<digits>"."""
    if not (node_id[:1] in kinds and node_id[1:].isdigit() and node_id[1:].isascii()):
        raise ValueError(f"not a node id: {node_id!r}")
