"""The one way a worker's result enters the server: decode, check, then use.

A worker runs a stranger's program, and the program can write anything to
the result channel. So the server treats what comes back as hostile data
and reads it through this gate before any view, renderer or cache sees it:

1. the channel already bounded the bytes and the JSON nesting
   (`graphs.sandbox.channel`);
2. `graphs.record.codec.from_plain` checks every field's type, and reads each
   tensor value once (`_Values`): a packed one (the worker's wire form,
   `GraphRecord.to_wire`) from its header, refused over the entry limit
   before its data is decoded; a listed one (files, tests, what could not be
   packed) walked entry by entry. Either way it is then a rectangular nest of
   numbers;
3. `_Checker` checks what types cannot say: counts under hard limits,
   every id referring to something that exists, every tensor value's shape
   its node's, module calls forming a tree of bounded depth, text under a
   length limit.

Over a limit the result is refused with one line that says which limit
("the program's result is larger than this server accepts: 612,000 nodes,
the limit is 100,000"), and nothing else runs on it. The limits are named
fields of `Limits`; an operator can change each with an environment variable
(`AUTOGRAD_EXPLORER_MAX_NODES=...`, see docs/hosting.md). Everything the
trusted side then does with a record (reachability per pass, folding, labels,
DOT) is linear in these sizes, so the limits bound its time and memory too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from math import prod
from typing import Any

from graphs.record.check import CheckResult
from graphs.record.codec import MAX_DIMS, CodecError, from_plain
from graphs.record.gate_findings import Checks, check_findings
from graphs.record.loops import LOOP_KINDS, PATH_PREFIX, loop_line
from graphs.record.model import ChainLink, GraphRecord, Nested, Numbers, Pass, Summary, listed
from graphs.record.packing import Unpacker
from graphs.sandbox.config import SandboxConfig, from_environment
from graphs.sandbox.failure import SandboxError

# The builder's node ids, which the DOT writer puts in unquoted.
NODE_ID = re.compile(r"n[0-9]{1,9}")
# An int entry beyond this cannot become a float for formatting.
_LARGEST_INT = 2**64
# What a decoded record holds in memory, per part (`footprint`).
_PER_NODE, _PER_EDGE, _PER_ENTRY, _PER_LOSS = 2_000, 200, 34, 150


@dataclass(frozen=True)
class Limits:
    """The most a result may hold. Each is far above what the catalogue's real
    models need (GPT-2's shape: 739 nodes, 124 module calls, 1 pass) and low
    enough that the server's work on a result at every limit stays in seconds
    and hundreds of MB (tests/record/test_decode.py measures it)."""

    max_nodes: int = 25_000
    max_edges: int = 100_000
    max_passes: int = 64  # passes kept in full (a long loop keeps 6 plus a spread of 16)
    max_losses: int = 1_000_000
    max_steps: int = 1_000  # optimizer steps kept in full
    max_modules: int = 20_000
    max_module_depth: int = 64
    max_value_entries: int = 4_096  # one tensor's entries (the builder lists 1,024, a Jacobian 64 x 64)
    max_total_entries: int = 2_000_000
    max_text_chars: int = 10_000  # a name, op, attribute, title, rule or warning
    max_warnings: int = 1_000
    max_prints: int = 100_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Defaults overridden by `AUTOGRAD_EXPLORER_MAX_<NAME>` variables."""
        environ = os.environ if environ is None else environ
        return cls(**from_environment(environ, {spec.name: "int" for spec in fields(cls)}))


class TooLarge(SandboxError):
    """A result over one of the server's limits."""

    def __init__(self, what: str, count: int, limit: int) -> None:
        super().__init__(
            f"the program's result is larger than this server accepts: {count:,} {what}, "
            f"the limit is {limit:,}"
        )


class Malformed(SandboxError):
    """A result whose parts do not fit together (forged, or a bug in the worker)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"the program's result could not be read: {where}: {problem}")


def record(raw: Any, limits: Limits | None = None) -> GraphRecord:
    """A worker's record data as a checked `GraphRecord`; `SandboxError` otherwise."""
    limits = limits or Limits.from_env()
    if not isinstance(raw, dict):
        raise Malformed("record", f"expected dict, got {type(raw).__name__}")
    # Counts first, before building anything from them.
    for what, key, limit in (
        ("nodes", "nodes", limits.max_nodes),
        ("edges", "edges", limits.max_edges),
        ("edges", "no_grad_edges", limits.max_edges),
        ("passes", "passes", limits.max_passes),
        ("losses", "losses", limits.max_losses),
        ("steps", "steps", limits.max_steps),
        ("modules", "modules", limits.max_modules),
        ("warnings", "warnings", limits.max_warnings),
        ("prints", "prints", limits.max_prints),
        ("findings", "findings", limits.max_nodes),  # each names at most one node
    ):
        found = raw.get(key)
        if isinstance(found, list) and len(found) > limit:
            raise TooLarge(what, len(found), limit)
    try:
        built = from_plain(GraphRecord, raw, "record", _Values(limits))
    except CodecError as exc:
        raise Malformed("record", str(exc).removeprefix("record")) from None
    _Checker(built, limits).run()
    return built


class _Values:
    """The gate's value hook for `from_plain`, one per record: each tensor value
    read and checked once (a packed one from its header, before its data is
    decoded; a listed one walked), and counted against the limits before
    the next is read, so `_Checker` need not walk entries again."""

    def __init__(self, limits: Limits) -> None:
        self.limits, self.entries = limits, 0
        self.unpack = Unpacker(self._admit)

    def __call__(self, raw: Any) -> Any:
        if type(raw) is str:
            return self.unpack(raw)
        if isinstance(raw, list):  # a `Listed` too, when a record is checked in process
            self._admit(prod(nested_shape(raw)))
        elif raw is not None:
            _number(raw)
            self._admit(1)
        return raw

    def _admit(self, count: int) -> None:
        if count > self.limits.max_value_entries:
            raise TooLarge("value entries", count, self.limits.max_value_entries)
        self.entries += count
        if self.entries > self.limits.max_total_entries:
            raise TooLarge("total entries", self.entries, self.limits.max_total_entries)


class _Checker:
    """One linear walk over a typed record whose values `_Values` read."""

    def __init__(self, built: GraphRecord, limits: Limits) -> None:
        self.record, self.limits = built, limits
        self.shapes: dict[str, list[int]] = {}

    def run(self) -> None:
        self._nodes()
        self._edges()
        self._modules()
        for run in self.record.passes:
            self._pass(run)
        for step in self.record.steps:
            where = f"steps[{step.index}]"
            self._texts(where, [step.optimizer, step.rule])
            for change in step.changes:
                self._shape(where, change.shape)
                self._texts(where, [change.name or ""])
                self._value(where, change.before, change.shape)
                self._value(where, change.after, change.shape)
        self._values_of("final_grads", self.record.final_grads)
        check_findings(self.record, Checks(self._known, self._texts, self._shape, self._value, Malformed))
        self._text_totals()

    def _nodes(self) -> None:
        for position, node in enumerate(self.record.nodes):
            where = f"nodes[{position}]"
            if not NODE_ID.fullmatch(node.id):
                raise Malformed(where, f"not a node id: {node.id[:40]!r}")
            if node.id in self.shapes:
                raise Malformed(where, f"the id {node.id} is used twice")
            if node.kind == "op" and not node.op:
                raise Malformed(where, "an op without its name")
            self._shape(where, node.shape)
            self.shapes[node.id] = node.shape
            self._texts(where, [node.op or "", node.name or "", node.dtype, node.module or ""])
            self._texts(where, [*node.attrs, *node.attrs.values()])
            if len(node.attrs) > MAX_DIMS:
                raise Malformed(where, f"{len(node.attrs)} saved attributes")
            self._value(where, node.value, node.shape)

    def _edges(self) -> None:
        for name, edges in (("edges", self.record.edges), ("no_grad_edges", self.record.no_grad_edges)):
            for position, edge in enumerate(edges):
                self._known(f"{name}[{position}]", (edge.src, edge.dst))

    def _modules(self) -> None:
        """Each call's parent comes before it, so the calls form a tree; its depth is bounded."""
        depth: list[int] = []
        calls = set()
        for position, call in enumerate(self.record.modules):
            where = f"modules[{position}]"
            self._texts(where, [call.path, call.kind])
            if call.call < 0:
                raise Malformed(where, "a negative call number")
            if (call.kind in LOOP_KINDS or call.path.startswith(PATH_PREFIX)) and loop_line(call) is None:
                raise Malformed(where, "a loop iteration's path is not loop@L<line>")
            if call.parent is None:
                depth.append(1)
            elif 0 <= call.parent < position:
                depth.append(depth[call.parent] + 1)
            else:
                raise Malformed(where, f"its parent {call.parent} is not an earlier call")
            if depth[-1] > self.limits.max_module_depth:
                raise TooLarge("module depth", depth[-1], self.limits.max_module_depth)
            calls.add((call.path, call.call))
        for position, node in enumerate(self.record.nodes):
            if node.module is not None and (node.module, node.call) not in calls:
                raise Malformed(f"nodes[{position}]", "it names a module call the record does not have")

    def _pass(self, run: Pass) -> None:
        where = f"passes[{run.index}]"
        if run.index < 0:
            raise Malformed(where, "a negative pass index")
        self._texts(where, [run.title])
        self._known(where, run.roots)
        self._known(f"{where}.order", run.order)
        self._values_of(f"{where}.grads", run.grads)
        self._values_of(f"{where}.grad_after", run.grad_after)
        self._known(f"{where}.sent", run.sent)  # what it and `seed` hold: read by `_Values`
        self._known(f"{where}.chain", run.chain)
        for op, links in run.chain.items():
            self._known(f"{where}.chain", [link.input for link in links])
            self._jacobians(f"{where}.chain[{op!r}]", links, listed(run.grads.get(op)), run.sent.get(op, []))

    def _jacobians(self, where: str, links: list[ChainLink], incoming: Nested, sent: list[Nested]) -> None:
        """Each of an op's Jacobians out_numel x in_numel: as many rows as its
        gradient has entries, columns as what it sent along that edge (what
        `graphs.views.chain` multiplies them with)."""
        rows = None if incoming is None else prod(shape_of(incoming))
        for position, link in enumerate(links):
            went = sent[position] if position < len(sent) else None
            columns = None if went is None else prod(shape_of(went))
            found = None if link.jacobian is None else shape_of(link.jacobian)
            if found is not None and (
                len(found) != 2 or rows not in (None, found[0]) or columns not in (None, found[1])
            ):
                raise Malformed(where, f"a Jacobian of shape {list(found)} does not fit its edge")

    def _values_of(self, where: str, values: dict[str, Numbers]) -> None:
        """Values keyed by node id: each id known, each value of its node's shape."""
        self._known(where, values)
        for node_id, value in values.items():
            self._value(f"{where}[{node_id!r}]", value, self.shapes[node_id])

    def _known(self, where: str, ids: Iterable[str]) -> None:
        for node_id in ids:
            if node_id not in self.shapes:
                raise Malformed(where, f"{node_id[:40]!r} is not a node of the record")

    def _shape(self, where: str, shape: list[int]) -> None:
        if len(shape) > MAX_DIMS or any(size < 0 or size >= 2**40 for size in shape):
            raise Malformed(where, f"not a tensor shape: {shape[:8]}")

    def _value(self, where: str, value: Numbers, shape: list[int]) -> None:
        """A tensor's entries (`_Values` read and counted them: a rectangular nest
        of numbers), None or nested as `shape` says; or their summary (the
        codec checked its three numbers)."""
        if value is None or isinstance(value, Summary):
            return
        found = shape_of(value)
        if found != tuple(shape) and not (prod(found) == 0 and prod(shape) == 0):
            raise Malformed(where, f"its entries have shape {list(found)}, not {shape}")

    def _texts(self, where: str, texts: Iterable[str]) -> None:
        limit = self.limits.max_text_chars
        for text in texts:
            if len(text) > limit:
                raise TooLarge("text chars", len(text), limit)

    def _text_totals(self) -> None:
        built = self.record
        self._texts("warnings", built.warnings)
        self._texts("error", [built.error or ""])
        printed = sum(map(len, built.prints))
        most = SandboxConfig.from_env().output_chars
        if printed > most:
            raise TooLarge("printed chars", printed, most)


def nested_shape(value: Any, depth: int = 0) -> tuple[int, ...]:
    """The shape of a rectangular nest of numbers (a lone number: `()`), walking
    every entry; `CodecError` (where it sits added by the codec) otherwise."""
    if not isinstance(value, list):
        _number(value)
        return ()
    if depth >= MAX_DIMS:
        raise CodecError(f"nested more than {MAX_DIMS} lists deep")
    if not value:
        return (0,)
    if type(value[0]) is not list:
        for item in value:
            if type(item) is not float:  # the common case, kept cheap
                _number(item)
        return (len(value),)
    inner = nested_shape(value[0], depth + 1)
    for item in value[1:]:
        if type(item) is not list or nested_shape(item, depth + 1) != inner:
            raise CodecError("its rows have different lengths")
    return (len(value), *inner)


def shape_of(value: Any) -> tuple[int, ...]:
    """The shape of a nest known to be rectangular (`_Values` read it), from its
    first entries alone: no walk over the rest."""
    found = []
    while isinstance(value, list):  # the top may be a `Listed`
        found.append(len(value))
        if not value:
            break
        value = value[0]
    return tuple(found)


def _number(value: Any) -> None:
    kind = type(value)
    if kind is float or kind is bool or (kind is int and -_LARGEST_INT < value < _LARGEST_INT):
        return
    raise CodecError(f"a tensor entry is not a number ({kind.__name__})")


def check_result(raw: Any, limits: Limits | None = None) -> dict:
    """A worker's gradient check (`CheckResult.to_dict()`), checked and recomputed
    where it can be: `agrees` is worked out here from the leaves, never taken."""
    limits = limits or Limits.from_env()
    if not isinstance(raw, dict):
        raise Malformed("check", f"expected dict, got {type(raw).__name__}")
    data = {key: value for key, value in raw.items() if key != "agrees"}
    leaves = data.get("leaves")
    if isinstance(leaves, list) and len(leaves) > limits.max_nodes:
        raise TooLarge("nodes", len(leaves), limits.max_nodes)
    try:
        result = from_plain(CheckResult, data, "check")
    except CodecError as exc:
        raise Malformed("check", str(exc).removeprefix("check")) from None
    if not 0 <= result.pass_index < max(result.pass_count, 1) or result.leaves_unchecked < 0:
        raise Malformed("check", "its pass is not one of the program's")
    for position, leaf in enumerate(result.leaves):
        where = f"check.leaves[{position}]"
        if len(leaf.name) > limits.max_text_chars:
            raise TooLarge("text chars", len(leaf.name), limits.max_text_chars)
        sizes = {len(leaf.entries), len(leaf.autograd), len(leaf.numeric)}
        if len(sizes) != 1 or len(leaf.entries) > limits.max_value_entries:
            raise Malformed(where, "its entries and numbers do not pair up")
        if len(leaf.shape) > MAX_DIMS or any(not 0 <= entry < prod(leaf.shape) for entry in leaf.entries):
            raise Malformed(where, "an entry lies outside its shape")
    return result.to_dict()


def footprint(found: GraphRecord) -> int:
    """About how many bytes a decoded record holds in memory, for the app's
    byte-bounded caches: per node, per edge, per listed entry and per loss,
    calibrated on the catalogue's records (tests/record/test_decode.py keeps it
    within 2x of what tracemalloc measures)."""
    shapes = {node.id: node.shape for node in found.nodes}
    entries = sum(prod(node.shape) for node in found.nodes if isinstance(node.value, list))
    for run in found.passes:
        for values in (run.grads, run.grad_after):
            entries += _listed_entries(shapes, values)
        unshaped = [value for sent in run.sent.values() for value in sent]
        unshaped += [link.jacobian for links in run.chain.values() for link in links]
        entries += sum(prod(shape_of(value)) for value in unshaped if isinstance(value, list))
    entries += _listed_entries(shapes, found.final_grads)
    texts = sum(map(len, found.prints)) + sum(len(node.name or "") for node in found.nodes)
    return (
        _PER_NODE * len(found.nodes)
        + _PER_EDGE * (len(found.edges) + len(found.no_grad_edges))
        + _PER_ENTRY * entries
        + _PER_LOSS * len(found.losses)
        + texts
    )


def _listed_entries(shapes: dict[str, list[int]], values: dict[str, Numbers]) -> int:
    """Entries of the listed values among `values` (node id -> value), by their nodes' shapes."""
    return sum(prod(shapes[node_id]) for node_id, value in values.items() if isinstance(value, list))
