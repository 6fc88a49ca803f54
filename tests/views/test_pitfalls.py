"""Pitfalls drawn where they happen (issue 9 §5) and the code<->graph link (§6):
the record's facts against torch's own numbers and messages, the figure's DOT,
and the app through AppTest."""

from __future__ import annotations

import gettext
import re

import pytest
import torch

from components.i18n import DOMAIN, LOCALE_DIR
from graphs.api import run_in_process
from graphs.catalogue import get
from graphs.errors import ProgramError
from graphs.record.codec import CodecError
from graphs.record.model import GraphRecord, NoGradEdge
from graphs.render import RenderOptions, dot_source
from graphs.views.pitfalls import CUT_NOTES, FREED_NOTE, IN_PLACE_NOTE, NOTES, node_notes
from tests.app.test_app import component_data, graph_svg, node_picker, pane, run_program, start

CUTS = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
h = x * 3
c = h.detach()
with torch.no_grad():
    m = x * 2
k = torch.tensor([5.0, 6.0])
y = (c * x + m * x + k).sum()
y.backward()
"""
IN_PLACE = """import torch
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
s = torch.sigmoid(x)
t = s * 2
s.mul_(3)
s.add_(1)
t.sum().backward()
"""


def node_line(dot: str, node_id: str) -> str:
    [line] = [line for line in dot.splitlines() if line.startswith(f"\t{node_id} [")]
    return line


def unescaped(text: str) -> str:
    """Markdown as the reader sees it (the app escapes program text and notes)."""
    return re.sub(r"\\(.)", r"\1", text)


def torch_error(source: str) -> str:
    """What the program raises when it runs as plain Python, without us."""
    with pytest.raises(RuntimeError) as caught:
        exec(compile(source, "<plain>", "exec"), {})
    return str(caught.value)


def test_detach_and_no_grad_are_drawn_as_cuts_to_the_node_they_came_from():
    record = run_in_process(CUTS)
    c, m, k, x, h = (record.named(name) for name in ("c", "m", "k", "x", "h"))
    assert [n.requires_grad for n in (c, m, k)] == [False, False, False] and x.requires_grad
    assert (c.value, m.value, k.value) == ([3.0, 6.0], [2.0, 4.0], [5.0, 6.0])
    assert (c.line, m.line) == (4, 6)  # where the cut happened
    cuts = {(e.src, e.dst): e.kind for e in record.no_grad_edges}
    assert cuts[(c.id, h.id)] == "detach"  # to h's MulBackward0, the node it was computed from
    assert cuts[(m.id, x.id)] == "no_grad"
    product = next(n for n in record.nodes if n.name == "c * x")
    assert cuts[(product.id, c.id)] == "constant" and (k.id, x.id) not in cuts
    (run,) = record.passes
    assert h.id not in run.order and h.id not in run.grads  # the cut: no gradient reaches h
    plain_x = torch.tensor([1.0, 2.0], requires_grad=True)
    ((plain_x * 3).detach() * plain_x + (plain_x * 2).detach() * plain_x).sum().backward()
    assert run.grad_after[x.id] == plain_x.grad.tolist() == [5.0, 10.0]

    dot = dot_source(record)
    assert f"\t{c.id} -> {h.id} [style=dashed" in dot and 'label="detach(): no gradient flows back"' in dot
    assert f"\t{m.id} -> {x.id} [style=dashed" in dot and 'label="no_grad(): not recorded"' in dot
    assert f"\t{product.id} -> {c.id} [style=dotted" in dot


@pytest.mark.parametrize("theme", ["light", "dark", "slides"])
def test_a_constant_is_a_dashed_leaf_that_says_requires_grad_false(theme):
    record = run_in_process(get("two_layer_sigmoid").source)
    dot = dot_source(record, RenderOptions(theme=theme))
    for name in ("x", "y"):  # the data and the target of seed 003
        line = node_line(dot, record.named(name).id)
        assert 'STYLE="rounded,dashed"' in line and "requires_grad=False" in line
        assert ">grad<" not in line and ">sent" not in line
    w1 = node_line(dot, record.named("w1").id)
    assert 'STYLE="rounded"' in w1 and "requires_grad=False" not in w1


def test_the_projector_option_leaves_plain_constants_out_but_keeps_cuts():
    record = run_in_process(CUTS)
    dot = dot_source(record, RenderOptions(show_constants=False))
    assert f"\t{record.named('k').id} [" not in dot
    assert f"\t{record.named('c').id} [" in dot and "detach(): no gradient flows back" in dot


def test_a_training_loop_draws_each_pass_with_its_own_inputs():
    source = """import torch
w = torch.tensor([0.5], requires_grad=True)
for step in range(3):
    x = torch.tensor([float(step + 1)])
    loss = (w * x).sum()
    loss.backward()
"""
    record = run_in_process(source)
    inputs = [n for n in record.nodes if n.name == "x"]
    assert sorted(n.value for n in inputs) == [[1.0], [2.0], [3.0]]
    for position in range(3):
        shown = {n.value[0] for n in inputs if n.id in record.shown_nodes(position)}
        assert shown == {position + 1.0}


def test_a_record_without_no_grad_edges_still_loads_and_a_wrong_kind_is_refused():
    data = run_in_process(CUTS).to_dict()
    assert GraphRecord.from_dict(data).no_grad_edges[0] == NoGradEdge(**data["no_grad_edges"][0])
    old = {key: value for key, value in data.items() if key != "no_grad_edges"}
    assert GraphRecord.from_dict(old).no_grad_edges == []
    data["no_grad_edges"][0]["kind"] = "grad"
    with pytest.raises(CodecError, match="no_grad_edges"):
        GraphRecord.from_dict(data)


def test_an_in_place_change_of_a_saved_tensor_is_noted_on_the_op_that_saved_it():
    found, expected = re.search(
        r"is at version (\d+); expected version (\d+)", torch_error(IN_PLACE)
    ).groups()
    assert (found, expected) == ("2", "0")  # two in-place ops after sigmoid saved its output
    with pytest.raises(ProgramError, match="line 7: RuntimeError: one of the variables") as caught:
        run_in_process(IN_PLACE)
    record = caught.value.record
    sigmoid = record.named("s")
    assert sigmoid.op == "SigmoidBackward0"
    notes = node_notes(record)
    assert list(notes) == [sigmoid.id]  # not the freed-by-backward note, which torch's message is not
    assert notes[sigmoid.id].text == "modified in place after it was saved: version 2, expected 0"
    assert notes[sigmoid.id] != FREED_NOTE
    assert "version 2, expected 0" in node_line(dot_source(record), sigmoid.id)


def test_an_in_place_note_picks_the_op_of_the_shape_torch_names():
    source = """import torch
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
ea = a.exp()
eb = b.exp()
eb.add_(1)
(ea.sum() + eb.sum()).backward()
"""
    assert "[torch.FloatTensor [3]]" in torch_error(source)
    with pytest.raises(ProgramError) as caught:
        run_in_process(source)
    record = caught.value.record
    assert list(node_notes(record)) == [record.named("eb").id]  # not ea's ExpBackward0
    assert node_notes(record)[record.named("eb").id] == IN_PLACE_NOTE.__class__(
        IN_PLACE_NOTE.template, {"found": 1, "expected": 0}
    )


def test_an_optimizer_step_before_backward_is_noted_on_the_leaf_it_changed():
    source = """import torch
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = torch.tensor([1.0, 2.0], requires_grad=True)
opt = torch.optim.SGD([w, b], lr=0.1)
loss = (w * w).sum() + b.sum()
loss.backward(retain_graph=True)
opt.step()
loss.backward()
"""
    assert "[torch.FloatTensor [3]] is at version 1; expected version 0" in torch_error(source)
    with pytest.raises(ProgramError) as caught:
        run_in_process(source)
    record = caught.value.record
    notes = node_notes(record)
    assert list(notes) == [record.named("w").id]  # torch names no op: the one leaf of shape [3]
    assert notes[record.named("w").id].text.endswith("version 1, expected 0")


def test_the_highlight_option_outlines_exactly_the_chosen_nodes():
    record = run_in_process(get("two_layer_sigmoid").source)
    z_2 = record.named("z_2")
    dot = dot_source(record, RenderOptions(highlight=frozenset({z_2.id})))
    outlined = [n.id for n in record.nodes if 'BORDER="3"' in node_line(dot, n.id)]
    assert outlined == [z_2.id] and 'COLOR="#f29c1f"' in node_line(dot, z_2.id)


def test_every_note_has_chinese():
    zh = gettext.translation(DOMAIN, LOCALE_DIR, languages=["zh"])
    for note in NOTES:
        assert re.search(r"[\u4e00-\u9fff]", zh.gettext(note.template)), note.template


# The app (AppTest: real script runs, real torch, real dot).


def test_the_app_draws_the_cuts_and_the_inspector_names_them():
    at = run_program(start(), CUTS)
    assert not at.exception
    svg = graph_svg(at)
    assert "detach(): no gradient flows back" in svg and "no_grad(): not recorded" in svg
    record = run_in_process(CUTS)
    node_picker(pane(at, "inspect")).set_value(record.named("c").id).run()
    [info] = [unescaped(info.value) for info in at.info if "Cut from" in info.value]
    assert "MulBackward0" in info and CUT_NOTES["detach"].text in info
    assert any(
        "requires_grad=False: autograd sends no gradient here." in unescaped(c.value) for c in at.caption
    )
    assert not [table for table in at.table if "0." in str(table.value)]  # no zeros as a gradient
    at.segmented_control(key="lang").set_value("zh").run()
    assert any("detach()：梯度不会流回去" in unescaped(info.value) for info in at.info)


def test_the_app_keeps_a_failing_in_place_program_graph_with_the_versions_on_its_node():
    at = run_program(start(), IN_PLACE)
    assert not at.exception
    [error] = at.error
    assert "is at version 2; expected version 0" in unescaped(error.value)
    graph = component_data(at, "failed_graph")["svg"]
    assert "SigmoidBackward0" in graph and "version 2, expected 0" in graph
    assert any(
        "modified in place after it was saved: version 2, expected 0" in unescaped(c.value)
        for c in at.caption
    )


def test_before_any_backward_the_inspector_shows_no_gradient_at_all():
    at = run_program(start(), "import torch\nw = torch.ones(2, requires_grad=True)\nout = (w * 3).sum()\n")
    record = run_in_process("import torch\nw = torch.ones(2, requires_grad=True)\nout = (w * 3).sum()\n")
    for node in record.nodes:
        node_picker(pane(at, "inspect")).set_value(node.id).run()
        assert any(
            "No backward pass yet: the program never called backward()" in unescaped(c.value)
            for c in at.caption
        )
        assert len(at.table) == 2  # the node's facts and its value: no gradient table
    assert ">grad<" not in graph_svg(at)


def test_the_non_leaf_grad_note_is_shown_in_the_inspector():
    source = (
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 3\ny.sum().backward()\nprint(y.grad)\n"
    )
    at = run_program(start(), source)
    node_picker(pane(at, "inspect")).set_value(run_in_process(source).named("y").id).run()
    assert any("use retain_grad(), or read it from the graph" in unescaped(w.value) for w in at.warning)


def test_a_line_clicked_in_the_editor_outlines_its_nodes_and_a_picked_node_marks_its_line():
    source = get("two_layer_sigmoid").source
    record = run_in_process(source)
    z_2 = record.named("z_2")
    at = start()
    pane(at, "program")
    at.session_state["linked_line"] = (source, z_2.line, True)  # what the editor's "line" event sets
    at.run()
    svg = graph_svg(at)
    made = {n.id for n in record.nodes if n.line == z_2.line}
    outlined = set(re.findall(r'<g id="(n\d+)" class="node">(?:(?!</g>).)*stroke-width="3"', svg, re.DOTALL))
    assert outlined == made and z_2.id in made
    assert component_data(at, "editor")["linkedLine"] == z_2.line
    at.session_state["linked_line"] = (source, z_2.line, False)  # picked in the graph: the figure stays
    at.run()
    assert 'stroke-width="3"' not in graph_svg(at)
    assert component_data(at, "editor")["linkedLine"] == z_2.line


def test_every_node_knows_its_line_leaves_and_outputs_too():
    record = run_in_process(get("two_layer_sigmoid").source)
    lines = get("two_layer_sigmoid").source.splitlines()
    for name in ("x", "y", "w1", "w2", "z_1", "y_1", "z_2", "y_2"):  # constants, leaves, ops
        assert lines[record.named(name).line - 1].startswith(f"{name} = "), name
    (output,) = [n for n in record.nodes if n.kind == "output"]
    assert lines[output.line - 1].startswith("loss = ")
