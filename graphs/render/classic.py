"""The classic view's DOT, written on the server from the graph a worker captured.

torchviz's own DOT text cannot be trusted: it is made in the worker, where a
program can forge it, and even an honest one passes a label that starts
with `<` and ends with `>` to Graphviz as an HTML-like label (a link with a
`javascript:` href, an `<IMG SRC>` that makes `dot` open a server file). So
the worker sends structure (`ClassicGraph`, checked by `ClassicGraph.from_dict`) and this module
writes every byte of the DOT: ids of its own (c0, c1, ...), every label a
double-quoted plain string, and only the attributes and colours below, which
are the ones `torchviz.make_dot` uses: the figure is laid out exactly as
torchviz's (same boxes, fills, positions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphs.record import decode

# make_dot's node defaults, less `align=left` (Graphviz reads `align` in HTML tables only).
NODE_STYLE = "node [fontname=monospace fontsize=10 height=0.2 ranksep=0.1 shape=box style=filled]"
# make_dot's fills: ops are unfilled there, which Graphviz draws light grey.
OP_FILL = "lightgrey"
FILLS = frozenset({OP_FILL, "lightblue", "orange", "darkolivegreen1", "darkolivegreen3"})
# Edge kinds: the gradient's way; a saved tensor to its node, without an arrowhead
# (torchviz's `dir=none`; a zero-size head draws the same with an attribute
# `graphs.render.export` lets through); a view's base.
EDGE_STYLES = {"flow": "", "saved": " [arrowsize=0]", "view": " [style=dotted]"}
# make_dot's `resize_graph`: inches per statement, and the smallest size.
INCHES_PER_STATEMENT = 0.15
MIN_SIZE = 12
# Characters a label shows as escapes (\x1b, \ud800): controls other than the
# line break, and lone surrogates, which UTF-8 cannot carry to `dot`.
_UNPRINTABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


# torchviz names nodes by `id()`: up to 20 digits. The other limits are the
# server's gate's (`graphs.record.decode.Limits`: nodes, edges, characters of a text).
MAX_ID_CHARS = 40


@dataclass(slots=True)  # slots: 100,000 of them are checked in 1/3 of a frozen one's time
class ClassicNode:
    """One box of torchviz's figure: its id in the worker, its text, its fill."""

    id: str
    label: str
    fill: str = OP_FILL


@dataclass(slots=True)
class ClassicEdge:
    """One arrow: `kind` is "flow", "saved" (a saved tensor) or "view" (a view's base)."""

    tail: str
    head: str
    kind: str = "flow"


@dataclass
class ClassicGraph:
    """What `make_dot` drew, as data; on the wire, triples (compact for 100,000 nodes)."""

    nodes: list[ClassicNode]
    edges: list[ClassicEdge]

    def to_dict(self) -> dict:
        return {
            "nodes": [[node.id, node.label, node.fill] for node in self.nodes],
            "edges": [[edge.tail, edge.head, edge.kind] for edge in self.edges],
        }

    @classmethod
    def from_dict(cls, value: object) -> ClassicGraph:
        """The graph a worker sent, checked: over a gate limit (`decode.Limits`) a `SandboxError` of
        one line; a wrong type or an edge to no node a TypeError or ValueError
        (the sandbox's "wrong shape"); a colour or kind torchviz never uses, its default."""
        if not isinstance(value, dict) or value.keys() != {"nodes", "edges"}:
            raise TypeError("not a classic graph")
        nodes, edges = value["nodes"], value["edges"]
        if not isinstance(nodes, list) or not isinstance(edges, list):
            raise TypeError("not a classic graph")
        limits = decode.Limits.from_env()
        _within(len(nodes), limits.max_nodes, "nodes")
        _within(len(edges), limits.max_edges, "edges")
        read = [_node(item, limits.max_text_chars) for item in nodes]
        ids = {node.id for node in read}
        if len(ids) != len(read):
            raise ValueError("a node id is used twice")
        return cls(read, [_edge(item, ids) for item in edges])


def _within(count: int, limit: int, what: str) -> None:
    if count > limit:
        raise decode.TooLarge(what, count, limit)


def _node(item: object, max_label_chars: int) -> ClassicNode:
    if not (isinstance(item, list) and len(item) == 3):
        raise TypeError("a node is not three strings")
    node_id, label, fill = item
    if not (isinstance(node_id, str) and isinstance(label, str) and isinstance(fill, str)):
        raise TypeError("a node is not three strings")
    if len(node_id) > MAX_ID_CHARS:
        raise ValueError("a node id is too long")
    _within(len(label), max_label_chars, "characters in one label")
    return ClassicNode(node_id, label, fill if fill in FILLS else OP_FILL)


def _edge(item: object, ids: set[str]) -> ClassicEdge:
    if not (isinstance(item, list) and len(item) == 3):
        raise TypeError("an edge is not three strings")
    tail, head, kind = item
    if not (isinstance(tail, str) and isinstance(head, str) and isinstance(kind, str)):
        raise TypeError("an edge is not three strings")
    if tail not in ids or head not in ids:
        raise ValueError("an edge names a node that does not exist")
    return ClassicEdge(tail, head, kind if kind in EDGE_STYLES else "flow")


def plain_label(text: str) -> str:
    """`text` as a DOT string Graphviz shows as exactly that text.

    Always double-quoted, so never an HTML-like `<...>` label; every
    backslash doubled, so none of Graphviz's escapes (`\\N`, `\\l`, ...) is
    read into it; line breaks as `\\n`, which is how torchviz's raw newlines
    are drawn too."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    text = _UNPRINTABLE.sub(_visible, text)
    return '"' + text.replace("\n", "\\n") + '"'


def _visible(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\\\x{code:02x}" if code <= 0xFF else f"\\\\u{code:04x}"


def classic_dot_source(graph: ClassicGraph) -> str:
    """The DOT for a checked classic graph: nodes in torchviz's order (which
    Graphviz's layout follows), then edges, each with attributes from the
    fixed sets above only."""
    names = {node.id: f"c{index}" for index, node in enumerate(graph.nodes)}
    size = max(MIN_SIZE, (len(graph.nodes) + len(graph.edges)) * INCHES_PER_STATEMENT)
    lines = ["digraph {", f'\tgraph [size="{size:g},{size:g}"]', f"\t{NODE_STYLE}"]
    lines.extend(
        f"\t{names[node.id]} [label={plain_label(node.label)} "
        f"fillcolor={node.fill if node.fill in FILLS else OP_FILL}]"
        for node in graph.nodes
    )
    lines.extend(
        f"\t{names[edge.tail]} -> {names[edge.head]}{EDGE_STYLES.get(edge.kind, '')}" for edge in graph.edges
    )
    lines.append("}")
    return "\n".join(lines) + "\n"


def classic_dot_from(value: object) -> str:
    """The DOT we write for the data a worker sent, once `ClassicGraph.from_dict` accepts it."""
    return classic_dot_source(ClassicGraph.from_dict(value))
