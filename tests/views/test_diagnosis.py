"""graphs.views.diagnosis on records written by hand: the thresholds, the layers, the order."""

from __future__ import annotations

from graphs.record.model import Edge, Finding, GraphRecord, Loss, ModuleCall, Node, Pass, ReluUnits
from graphs.views.diagnosis import DEAD_BATCH, EXPLODING, VANISHING, describe, diagnose, layers


def chain(norms: list[float]) -> GraphRecord:
    """One pass down a chain of layers (module calls `layer.0`, ...), the output's first."""
    nodes = [
        Node(f"n{i}", "op", "MmBackward0", None, [2], "float32", line=10 + i, module="layer", call=i)
        for i in range(len(norms))
    ]
    run = Pass(
        index=0,
        kind="backward",
        roots=["n0"],
        order={f"n{i}": i + 1 for i in range(len(norms))},
        norms={f"n{i}": norm for i, norm in enumerate(norms)},
    )
    return GraphRecord(
        nodes=nodes,
        edges=[Edge(f"n{i}", f"n{i + 1}") for i in range(len(norms) - 1)],
        passes=[run],
        modules=[ModuleCall("layer", i, "Linear") for i in range(len(norms))],
    )


def test_a_healthy_chain_has_no_finding():
    assert diagnose(chain([1.0, 0.5, 2.0, 0.1, 30.0])) == []


def test_the_first_layer_at_the_vanishing_threshold_is_named():
    record = chain([2.0, 0.1, 2.0 * VANISHING, 1e-9])
    (found,) = diagnose(record)
    assert (found.kind, found.node, found.line, found.pass_index) == ("vanishing", "n2", 12, 0)
    assert (found.norm, found.reference) == (2.0 * VANISHING, 2.0)


def test_the_first_layer_past_the_exploding_threshold_is_named():
    (found,) = diagnose(chain([0.5, 3.0, 0.5 * EXPLODING * 1.01, 1e9]))
    assert (found.kind, found.node, found.line) == ("exploding", "n2", 12)


def test_zero_and_non_finite_norms_are_no_layer():
    record = chain([1.0, 0.0, float("nan"), float("inf"), 0.5])
    assert [layer.node for layer in layers(record, record.passes[0])] == ["n0", "n4"]
    assert diagnose(record) == []


def test_ops_outside_modules_and_loops_are_no_layer():
    """A well-fitted loss makes every gradient below it small: not vanishing."""
    record = chain([1e-7, 1e-7])
    loss = Node("n9", "op", "MeanBackward0", None, [], "float32", line=20)
    record.nodes.append(loss)
    record.passes[0].order = {"n9": 1, "n0": 2, "n1": 3}
    record.passes[0].norms["n9"] = 1.0
    assert diagnose(record) == []


def dead(units: int, dead_units: int, batch: int) -> list[Finding]:
    record = chain([1.0])
    record.nodes[0].op = "ReluBackward0"
    record.passes[0].relu = {"n0": ReluUnits(units, dead_units, batch)}
    return diagnose(record)


def test_dead_relus_half_of_a_batch_or_all_of_one_sample():
    assert [f.kind for f in dead(8, 4, DEAD_BATCH)] == ["dead_relu"]
    assert dead(8, 3, DEAD_BATCH) == []
    assert dead(8, 7, 1) == []  # one sample: most units are off for it, no finding
    (found,) = dead(8, 8, 1)
    assert (found.units, found.dead, found.batch, found.line) == (8, 8, 1, 10)


def test_a_loss_that_grows_a_thousandfold_explodes_and_a_nan_loss_is_named():
    record = GraphRecord(
        losses=[Loss(0, 7, 2.0), Loss(1, 7, 50.0), Loss(2, 7, 2500.0), Loss(3, 7, float("nan"))]
    )
    (found,) = diagnose(record)
    assert (found.kind, found.line, found.pass_index) == ("exploding", 7, 2)
    record.losses = [Loss(0, 7, 2.0), Loss(1, 7, float("inf"))]
    (found,) = diagnose(record)
    assert (found.kind, found.line, found.pass_index) == ("inf", 7, 1)
    origin = Finding(kind="nan", stage="forward", line=3, op="log", pass_index=1)
    assert diagnose(record, [origin]) == [origin]  # the worker saw where it appeared: that is the finding


def test_findings_come_in_the_order_they_happened_each_once():
    record = chain([2.0, 1e-9])
    record.passes.append(
        Pass(
            index=1, kind="backward", roots=["n0"], order=record.passes[0].order, norms=record.passes[0].norms
        )
    )
    origin = Finding(kind="inf", stage="backward", line=5, op="SqrtBackward0", pass_index=0)
    kinds = [(f.kind, f.pass_index) for f in diagnose(record, [origin])]
    assert kinds == [("inf", 0), ("vanishing", 0)]  # the second pass's vanishing is told once


def test_a_training_loops_epoch_is_no_layer_but_an_rnns_steps_are():
    """A pass inside one iteration of a loop (an epoch) has its loss there: no layer.
    A pass through several iterations (time steps) has a layer per step."""
    record = chain([1.0, 1e-9])
    record.nodes.append(
        Node("n9", "op", "MeanBackward0", None, [], "float32", line=20, module="loop@L8", call=3)
    )
    record.modules.append(ModuleCall("loop@L8", 3, "for loop"))
    record.passes[0].order = {"n9": 1, "n0": 2, "n1": 3}
    record.passes[0].norms["n9"] = 1e6
    assert [layer.node for layer in layers(record, record.passes[0])] == ["n0", "n1"]
    for node in record.nodes[:2]:
        node.module = "loop@L8"  # the chain's two layers become two steps of the loop
    assert [layer.node for layer in layers(record, record.passes[0])] == ["n9", "n0", "n1"]


def with_leaves(record: GraphRecord, leaf_norms: list[float]) -> GraphRecord:
    """`record` with one parameter per layer, `w7` taken by n0, `w8` by n1, ..."""
    ids = [f"n{7 + i}" for i in range(len(leaf_norms))]
    record.nodes += [Node(i, "leaf", None, f"w{i[1:]}", [2], "float32", line=3) for i in ids]
    record.edges += [Edge(f"n{k}", leaf) for k, leaf in enumerate(ids)]
    record.passes[0].order.update({leaf: len(leaf_norms) + 1 + k for k, leaf in enumerate(ids)})
    record.passes[0].norms.update(dict(zip(ids, leaf_norms, strict=True)))
    return record


def test_a_parameters_own_gradient_is_no_layers_signal():
    # a bias before a batch norm gets no gradient to speak of, and a weight's gradient is
    # the signal times the layer's input: neither says how the signal flowing back fares
    assert diagnose(with_leaves(chain([1.0, 0.5]), [1.0, 1e-12])) == []
    assert diagnose(with_leaves(chain([1.0, 0.5]), [1.0, 1e12])) == []


def test_parameters_are_layers_of_a_program_without_modules_measured_at_the_op_taking_them():
    record = with_leaves(chain([1.0, 1e-12]), [1.0, 1.0])
    for node in record.nodes[:2]:
        node.module = None
    (found,) = diagnose(record)
    assert (found.kind, found.node, found.line, found.norm) == ("vanishing", "n1", 11, 1e-12)


def test_each_finding_is_one_line_of_english():
    nan = Finding(kind="nan", stage="forward", line=3, op="log", node="n0", pass_index=None)
    assert (
        describe(nan) == "line 3: NaN first appears in the forward: log made it from finite inputs (node n0)"
    )
    inf = Finding(kind="inf", stage="backward", line=5, op="SqrtBackward0", node="n1", pass_index=2)
    assert describe(inf) == (
        "line 5: Inf first appears in the backward of pass 2: "
        "SqrtBackward0 made it from a finite gradient (node n1)"
    )
    loss = Finding(kind="exploding", stage="forward", line=9, pass_index=4)
    assert describe(loss) == "line 9: exploding loss in pass 4: it grew to 1000 times the first pass's"
    dead = Finding(
        kind="dead_relu",
        stage="backward",
        line=7,
        op="ReluBackward0",
        pass_index=0,
        units=8,
        dead=8,
        batch=16,
    )
    assert "8 of 8 units of ReluBackward0 got no gradient for the whole batch of 16" in describe(dead)
