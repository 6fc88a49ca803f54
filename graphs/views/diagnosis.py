"""Why a network does not learn: findings read from a record's gradients.

The worker notes what only it can see (graphs.worker.health: where a NaN or
Inf first appeared, each gradient's norm, each ReLU's dead units); this
module turns those numbers into findings, with the thresholds below, as pure
data. A healthy network gives none: tests/programs/test_diagnosis.py holds
every catalogue program to that.

A *layer* is what a student would call one: a module call (`model.3`), one
iteration of a loop the pass runs through (`loop@L7@2`, graphs.worker.loopmarks),
or, in a program of plain tensors, a leaf that requires grad (`w1`). Ops
outside any module or such loop (the loss, usually) are no layer: a
well-fitted loss makes every gradient below it small, and that is no
vanishing. The output's layer is the first one a pass reaches; each later
layer's gradient norm is measured against it.

A layer's gradient is the signal flowing back through its ops (the largest
among them), never its parameters' own (`parameter_side`): a weight's
gradient is the signal times the layer's input, and in a deep stack the
input grows as fast as the signal shrinks (or the other way), so parameter
gradients stay level, or move against the signal, while it vanishes or
explodes. A plain leaf's layer is measured at the op that took it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from graphs.record.loops import PATH_PREFIX
from graphs.record.model import Finding, GraphRecord, Pass

# Vanishing: a layer's gradient norm at most this fraction of the output layer's
# (four orders of magnitude: a healthy network's layers differ by one or two).
VANISHING = 1e-4
# Exploding: a layer's gradient norm at least this multiple of the output layer's,
# or a loss growing to this multiple of the first one.
EXPLODING = 1e3
# Dead ReLU: at least this share of a ReLU's units got no gradient for a whole batch
# of at least DEAD_BATCH samples; for smaller batches (one sample), all of them.
DEAD_SHARE = 0.5
DEAD_BATCH = 8
# Findings of one kind, line and op are told once (a training loop repeats them).
_STAGES = {"forward": 0, "backward": 1}


@dataclass
class Layer:
    """One layer in a pass: its largest gradient norm, and the node that names
    it: the first the pass reached that has a program line."""

    first_step: int
    norm: float
    node: str


def diagnose(record: GraphRecord, origins: list[Finding] = ()) -> list[Finding]:
    """Every finding of `record`: `origins` (where a NaN or Inf appeared,
    found by the worker) and the gradients' health, in the order they
    happened, each kind at one line and op told once."""
    from_losses = _losses(record)
    if from_losses and from_losses[0].kind in ("nan", "inf"):
        # The worker's origin, unless a loss was NaN or Inf before it: made in a
        # stretch run without capture, where the origin's NaN came from.
        if origins and _sooner(origins[0], from_losses[0]):
            from_losses = []
        else:
            origins = []
    found = [*origins, *from_losses]
    for run in record.passes:
        found.extend(_norms(record, run))
        found.extend(_dead_relus(record, run))
    found.sort(key=lambda f: (math.inf if f.pass_index is None else f.pass_index, _STAGES[f.stage]))
    told: set[tuple] = set()
    kept = []
    for finding in found:
        key = (finding.kind, finding.line, finding.op)
        if key not in told:
            told.add(key)
            kept.append(finding)
    return kept


def layers(record: GraphRecord, run: Pass) -> list[Layer]:
    """The pass's layers in the order it reached them, each with its largest
    finite, non-zero gradient norm (a zero one is a dead ReLU's or a cut's
    business, not a vanishing gradient's). A loop's iterations are layers
    when the pass runs through several of them (an RNN's steps), not when
    it lives in one (a training loop's epoch: its loss is no layer). Leaves
    (parameters) are the layers of a program without modules or loops only:
    among a module's, a bias before a batch norm gets no gradient at all."""
    nodes = {node.id: node for node in record.nodes}
    reached = [
        (nodes[node_id], step) for node_id, step in sorted(run.order.items(), key=lambda item: item[1])
    ]
    iterations: dict[str, set[int | None]] = {}
    for node, _ in reached:
        if node.module is not None and node.module.startswith(PATH_PREFIX):
            iterations.setdefault(node.module, set()).add(node.call)
    looped = {path for path, calls in iterations.items() if len(calls) > 1}
    own = parameter_side(record)
    in_layer = [
        (node, step)
        for node, step in reached
        if node.module is not None
        and node.id not in own
        and (node.module in looped or not node.module.startswith(PATH_PREFIX))
    ]
    found = _grouped(in_layer, run, lambda node: (node.module, node.call), nodes)
    if not found:
        takers: dict[str, list[str]] = {}
        for edge in record.edges:
            if nodes[edge.src].line is not None:
                takers.setdefault(edge.dst, []).append(edge.src)
        leaves = [(node, step) for node, step in reached if node.kind == "leaf"]
        found = _grouped(leaves, run, lambda node: node.id, nodes, takers)
    return sorted(found.values(), key=lambda layer: layer.first_step)


def parameter_side(record: GraphRecord) -> set[str]:
    """The nodes whose gradient is a parameter's own rather than the signal
    flowing back: the leaves, and each op whose one input is such a node (a
    Linear's `TBackward0` of its weight, a bias's `ExpandBackward0`, a
    weight's view), since what it receives is that parameter's gradient."""
    inputs: dict[str, list[str]] = {}
    for edge in record.edges:
        inputs.setdefault(edge.src, []).append(edge.dst)
    own = {node.id for node in record.nodes if node.kind == "leaf"}
    settled: set[str] = set(own)
    for node in record.nodes:  # each node's inputs settled before it, without recursion
        stack = [node.id]
        while stack:
            node_id = stack[-1]
            pending = [dst for dst in inputs.get(node_id, ()) if dst not in settled]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if node_id not in settled:
                settled.add(node_id)
                taken = inputs.get(node_id, ())
                if len(taken) == 1 and taken[0] in own:
                    own.add(node_id)
    return own


def _grouped(reached, run: Pass, key_of, nodes, takers: dict[str, list[str]] | None = None) -> dict:
    """Layers of `reached` (node, step) by `key_of(node)`. A parameter's layer
    is the ops that took it (`takers`), which have the program line: measured
    by the largest gradient they received, and named by the op receiving it."""
    found: dict[object, Layer] = {}
    for node, step in reached:
        at = [node.id] if takers is None else takers.get(node.id, [node.id])
        usable = [(run.norms[i], i) for i in at if i in run.norms and math.isfinite(run.norms[i])]
        usable = [(norm, i) for norm, i in usable if norm != 0]
        if not usable:
            continue
        norm, named = max(usable)
        layer = found.get(key_of(node))
        if layer is None:
            found[key_of(node)] = layer = Layer(step, norm, named)
        layer.norm = max(layer.norm, norm)
        if nodes[named].line is not None and nodes[layer.node].line is None:
            layer.node = named  # the first node with a line names the layer (not linear's transpose)
    return found


def _norms(record: GraphRecord, run: Pass) -> list[Finding]:
    """The first vanishing and the first exploding layer of a pass, against its output layer."""
    found: dict[str, Finding] = {}
    ordered = layers(record, run)
    if not ordered:
        return []
    output = ordered[0].norm
    for layer in ordered[1:]:
        ratio = layer.norm / output
        kind = "vanishing" if ratio <= VANISHING else "exploding" if ratio >= EXPLODING else None
        if kind is not None and kind not in found:
            node = record.node(layer.node)
            found[kind] = Finding(
                kind=kind,
                stage="backward",
                line=node.line,
                op=node.op,
                node=node.id,
                pass_index=run.index,
                norm=layer.norm,
                reference=output,
            )
    return list(found.values())


def _dead_relus(record: GraphRecord, run: Pass) -> list[Finding]:
    found = []
    for node_id, counts in run.relu.items():
        enough = counts.dead >= DEAD_SHARE * counts.units if counts.batch >= DEAD_BATCH else False
        if counts.units and (enough or counts.dead == counts.units):
            node = record.node(node_id)
            found.append(
                Finding(
                    kind="dead_relu",
                    stage="backward",
                    line=node.line,
                    op=node.op,
                    node=node_id,
                    pass_index=run.index,
                    units=counts.units,
                    dead=counts.dead,
                    batch=counts.batch,
                )
            )
    return found


def _losses(record: GraphRecord) -> list[Finding]:
    """What the losses alone tell, whichever came first: a loss that grew to
    EXPLODING times its first value (a training loop diverging), or the first
    loss that is not finite (its origin is the worker's business, unless the
    loop ran that stretch without capture)."""
    first = next((loss.value for loss in record.losses if loss.value is not None), None)
    for loss in record.losses:
        if loss.value is None or first is None:
            continue
        if not math.isfinite(loss.value):
            kind = "nan" if math.isnan(loss.value) else "inf"
        elif first != 0 and math.isfinite(first) and abs(loss.value) >= EXPLODING * abs(first):
            kind = "exploding"
        else:
            continue
        line, op = _loss_site(record, loss.line)
        return [Finding(kind=kind, stage="forward", line=line, op=op, pass_index=loss.index)]
    return []


def _sooner(origin: Finding, loss: Finding) -> bool:
    """Whether the worker saw its NaN or Inf appear no later than the loss
    showed one: in an earlier pass, or in the forward of the loss's own pass."""
    if origin.pass_index is None:  # after the last pass
        return False
    same_pass = origin.pass_index == loss.pass_index
    return origin.pass_index < loss.pass_index or same_pass and origin.stage == "forward"


def _loss_site(record: GraphRecord, call_line: int | None) -> tuple[int | None, str | None]:
    """Where a loss whose pass was not kept was made, and by which op: as the
    kept passes called from the same line made theirs (the loss line of a
    training loop), else the backward call's line alone."""
    children = {edge.src: edge.dst for edge in record.edges}
    for run in record.passes:
        if run.line == call_line and run.roots:
            root = record.node(run.roots[0])
            made_by = children.get(root.id)
            op = None if made_by is None else record.node(made_by).op
            return (call_line if root.line is None else root.line), op
    return call_line, None


def describe(finding: Finding) -> str:
    """A finding as one line of English (the command line's `diagnose`)."""
    where = "" if finding.line is None else f"line {finding.line}: "
    node = "" if finding.node is None else f" (node {finding.node})"
    in_pass = "" if finding.pass_index is None else f" pass {finding.pass_index}"
    what = {"nan": "NaN", "inf": "Inf"}.get(finding.kind)
    if what is not None and finding.op is None:
        return f"{where}{what} loss in{in_pass}: the loop ran that stretch without capture"
    if what is not None:
        made = "from finite inputs" if finding.stage == "forward" else "from a finite gradient"
        stage = f"the {finding.stage}" + ("" if finding.pass_index is None else f" of{in_pass}")
        return f"{where}{what} first appears in {stage}: {finding.op} made it {made}{node}"
    if finding.kind == "dead_relu":
        return (
            f"{where}dead ReLU in{in_pass}: {finding.dead} of {finding.units} units of {finding.op} got no "
            f"gradient for the whole batch of {finding.batch}{node}"
        )
    if finding.norm is None or not finding.reference:
        return f"{where}exploding loss in{in_pass}: it grew to {EXPLODING:g} times the first pass's"
    ratio = finding.norm / finding.reference
    return (
        f"{where}{finding.kind} gradient in{in_pass}: the layer of {finding.op} has gradient norm "
        f"{finding.norm:.3g}, {ratio:.3g} x the output layer's {finding.reference:.3g}{node}"
    )
