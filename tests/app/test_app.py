"""The Streamlit app through AppTest: real script runs, real torch, real `dot`.

The graph component's data (the SVG it draws) is read from its element, so
these tests check the figure the user would see, number by number.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import pipeline
from components.share import encode_code
from graphs.api import run_source
from graphs.catalogue import TEACHING, get

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def start(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def component_data(at: AppTest, key: str) -> dict:
    """The data a components-v2 element (the graph, the editor) was given."""
    [element] = [el for el in at.get("bidi_component") if el.key == key]
    return json.loads(element.proto.json)


def graph_svg(at: AppTest) -> str:
    """The SVG the click-to-select graph component was given."""
    return component_data(at, "graph")["svg"]


def editor_data(at: AppTest) -> dict:
    """What the code editor shows (it lives in the Program pane)."""
    if at.segmented_control(key="pane").value != "program":
        pane(at, "program")
    return component_data(at, "editor")


def editor_text(at: AppTest) -> str:
    return editor_data(at)["text"]


def node_picker(at: AppTest):
    """The inspector's node select box (its key names the current selection)."""
    [box] = [box for box in at.selectbox if (box.key or "").startswith("node_pick_")]
    return box


def pane(at: AppTest, name: str) -> AppTest:
    """Open one of the side panes: inspect, program, tensors (and the gradient check), export."""
    return at.segmented_control(key="pane").set_value(name).run()


def type_program(at: AppTest, source: str) -> None:
    """What the editor does when the user pauses typing: it reports the text
    (AppTest cannot drive the component's JavaScript; the browser test does)."""
    at.session_state["source"] = source


def node_count(svg: str) -> int:
    return len(re.findall(r'class="node"', svg))


def shown(frame):
    """A table's cells as the reader sees them (the app escapes Markdown)."""
    return frame.map(lambda cell: re.sub(r"\\(.)", r"\1", cell) if isinstance(cell, str) else cell)


def table_with(at: AppTest, column: str):
    """The one st.table having `column`, as displayed."""
    [frame] = [shown(table.value) for table in at.table if column in table.value.columns]
    return frame


def run_program(at: AppTest, source: str) -> AppTest:
    if at.segmented_control(key="pane").value != "program":
        pane(at, "program")
    type_program(at, source)
    return at.button(key="run").click().run()


def test_first_load_is_seed_003_already_drawn():
    at = start()
    assert not at.exception and not at.error
    assert at.session_state["entry"] == "two_layer_sigmoid"
    svg = graph_svg(at)
    assert node_count(svg) == len(run_source(get("two_layer_sigmoid").source).nodes)
    assert ">z_1" in svg and ">0.4999<" in svg  # seed 003: loss 0.49987
    leaves = table_with(at, ".grad after this pass").set_index("leaf")
    assert leaves.loc["w1", ".grad after this pass"] == "[1.2243e-04; 7.8005e-05]"  # as the seed prints it
    assert leaves.loc["w1", "this pass sent"] == "[1.2243e-04; 7.8005e-05]"


@pytest.mark.parametrize("slug", [entry.slug for entry in TEACHING])  # real models: test_real_models.py
def test_every_catalogue_entry_loads_runs_and_draws(slug):
    at = start()
    at.button(key=f"pick_{slug}").click().run()
    assert not at.exception and not at.error
    assert at.session_state["entry"] == slug
    assert editor_text(at) == get(slug).source
    record = run_source(get(slug).source)
    assert node_count(graph_svg(at)) == len(record.shown_nodes(None) or record.nodes)  # the last pass
    assert at.query_params["entry"] == slug


def test_editing_and_running_updates_the_graph():
    at = start()
    before = graph_svg(at)
    program = "import torch\na = torch.tensor(3.0, requires_grad=True)\nsquare = a * a\nsquare.backward()\n"
    at = run_program(at, program)
    assert not at.exception and not at.error
    after = graph_svg(at)
    assert after != before and "square" in after and "z_1" not in after
    assert "9." in after and "6." in after  # a*a = 9, d(a*a)/da = 6
    assert at.session_state["entry"] is None
    assert at.query_params["code"] == encode_code(program)


@pytest.mark.parametrize(
    "bad, words",
    [
        ("import torch\nx = torch.ones(2, requires_grad=True)\ny = x *\n", "line 3, col 8: SyntaxError"),
        (
            "import torch\na = torch.ones(2, 3)\nb = torch.ones(4, 5)\nc = torch.mm(a, b)\n",
            "line 4: RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)",
        ),
    ],
)
def test_bad_program_shows_one_error_with_its_line_and_keeps_the_text(bad, words):
    at = run_program(start(), bad)
    assert not at.exception
    assert len(at.error) == 1 and words in at.error[0].value.replace("\\", "")
    assert editor_text(at) == bad
    assert not [el for el in at.get("bidi_component") if el.key == "graph"]


def test_display_options_change_the_figure():
    at = start()
    plain = graph_svg(at)
    at.toggle(key="opt_show_values").set_value(False).run()
    no_values = graph_svg(at)
    assert ">0.4999<" in plain and ">0.4999<" not in no_values  # drawn text, not tooltips
    at.selectbox(key="opt_digits").set_value(6).run()
    at.toggle(key="opt_show_values").set_value(True).run()
    assert ">0.499874<" in graph_svg(at)
    at.segmented_control(key="opt_theme").set_value("slides").run()
    slides = graph_svg(at)
    at.segmented_control(key="opt_rankdir").set_value("LR").run()
    assert len({plain, no_values, slides, graph_svg(at)}) == 4
    assert at.query_params["theme"] == "slides" and at.query_params["rankdir"] == "LR"
    at.toggle(key="opt_classic").set_value(True).run()
    assert not at.exception and "MmBackward0" in graph_svg(at)


def test_each_backward_pass_can_be_drawn():
    at = start(entry="accumulation")
    passes = at.selectbox(key="opt_pass_index")
    record = run_source(get("accumulation").source)
    assert passes.options == [
        "Last pass",
        "Pass 1: y1.backward()  line 9",
        "Pass 2: y2.backward()  line 16",
        "Pass 3: y3.backward()  line 26",
        "All passes",
    ]
    figures = set()
    for index in range(len(record.passes)):
        at.selectbox(key="opt_pass_index").set_value(index).run()
        assert not at.exception
        figures.add(graph_svg(at))
        leaves = table_with(at, ".grad after this pass").set_index("leaf")
        assert leaves.loc["w", ".grad after this pass"] == ["[10.]", "[11.]", "[1.]"][index]
        assert leaves.loc["w", "this pass sent"] == ["[10.]", "[1.]", "[1.]"][index]
    assert len(figures) == len(record.passes)  # each pass has its own gradients
    assert at.query_params["pass_index"] == str(index)
    at.selectbox(key="opt_pass_index").set_value(-1).run()  # All passes: every node, no mix
    assert node_count(graph_svg(at)) == len(record.nodes)
    assert table_with(at, ".grad at the end").set_index("leaf").loc["w", ".grad at the end"] == "[1.]"
    assert at.query_params["pass_index"] == "-1"


def test_a_shared_link_restores_entry_and_options():
    at = start(entry="accumulation", theme="dark", show_grads="0", digits="2")
    assert not at.exception
    assert at.session_state["entry"] == "accumulation"
    assert editor_text(at) == get("accumulation").source
    assert at.segmented_control(key="opt_theme").value == "dark"
    assert at.toggle(key="opt_show_grads").value is False
    assert at.selectbox(key="opt_digits").value == 2


def test_a_shared_link_restores_a_typed_program():
    program = (
        "import torch\np = torch.tensor([1.0, 2.0], requires_grad=True)\nq = (p ** 2).sum()\nq.backward()\n"
    )
    at = start(code=encode_code(program))
    assert not at.exception and not at.error
    assert editor_text(at) == program
    assert at.session_state["entry"] is None
    assert "q" in graph_svg(at)


def test_a_damaged_link_falls_back_to_the_default_lesson():
    at = start(code="not-a-program", entry="no-such-entry", theme="neon")
    assert not at.exception
    assert at.session_state["entry"] == "two_layer_sigmoid"
    assert at.segmented_control(key="opt_theme").value == "light"


def download_labels(at: AppTest) -> set[str]:
    """The download buttons of the export and tensor panes."""
    labels = {button.proto.label for button in pane(at, "export").get("download_button")}
    return labels | {button.proto.label for button in pane(at, "tensors").get("download_button")}


def test_download_buttons_are_present():
    assert {"SVG", "PNG", "PDF", "DOT", "JSON record", "Download as CSV"} <= download_labels(start())


def test_inspector_follows_the_selection():
    at = start()
    record = run_source(get("two_layer_sigmoid").source)
    w1 = record.named("w1")
    node_picker(at).set_value(w1.id).run()
    assert not at.exception
    facts = table_with(at, "requires_grad")
    value, sent, after = (shown(table.value) for table in at.table if list(table.value.columns) == ["0"])
    assert facts["name"][0] == "w1" and facts["shape"][0] == "2×1"
    assert value.iloc[:, 0].tolist() == ["1.", "2."]
    assert sent.iloc[:, 0].tolist() == ["1.2243e-04", "7.8005e-05"]  # what the one pass sent
    assert after.iloc[:, 0].tolist() == ["1.2243e-04", "7.8005e-05"]  # seed 003's w1.grad


def test_without_dot_the_graph_is_still_shown(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    at = run_program(
        start(), "import torch\nk = torch.tensor(2.0, requires_grad=True)\nm = k * 5\nm.backward()\n"
    )
    assert not at.exception and not at.error
    assert at.get("graphviz_chart")
    assert any("Export needs Graphviz" in info.value for info in at.info)
    assert download_labels(at) == {"DOT", "JSON record", "Download as CSV"}


def test_a_layout_over_the_time_limit_gives_a_message_not_a_hung_page(monkeypatch):
    monkeypatch.setattr(pipeline, "VIEW_LAYOUT_S", 0.001)  # real `dot`, stopped at once
    at = run_program(
        start(), "import torch\ng = torch.tensor(4.0, requires_grad=True)\nh = g * 7\nh.backward()\n"
    )
    assert not at.exception and not at.error
    assert any("could not be drawn" in warning.value for warning in at.warning)
    assert download_labels(at) == {"DOT", "JSON record", "Download as CSV"}


def test_torch_warnings_are_shown_next_to_the_program():
    at = start()
    source = (
        "import torch\nimport torch.nn.functional as F\n"
        "x = torch.ones(2, 2, requires_grad=True)\n"
        "loss = F.mse_loss(x * 2, torch.ones(2))\nloss.backward()\n"
    )
    at = run_program(at, source)
    assert not at.exception and not at.error
    [warning] = [w.value for w in at.warning]
    assert "line 4" in warning and "target size" in warning
    assert editor_text(at) == source


TRAINING = """import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Linear(2, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(16, 2)
y = x @ torch.tensor([[2.0], [-1.0]])
for step in range(300):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
"""


def test_a_training_loop_shows_its_loss_curve_steps_and_every_kept_pass():
    at = run_program(start(), TRAINING)
    assert not at.exception and not at.error
    record = run_source(TRAINING)
    [chart] = at.get("vega_lite_chart")
    assert '"loss"' in chart.proto.spec
    passes = at.selectbox(key="opt_pass_index")
    # Counted from 1: head, the log-spaced spread between (graphs.worker.spread), tail.
    kept = [1, 2, 3, 4, 5, 7, 9, 11, 15, 20, 27, 36, 48, 65, 88, 119, 161, 219, 297, 298, 299, 300]
    assert passes.options[1:] == [f"Pass {n}: loss.backward()  line 11" for n in kept] + ["All passes"]
    assert any("Optimizer steps (300, 22 shown)" in expander.label for expander in at.expander)
    # The figure draws the last pass's graph alone: its ops, the two parameters, its output.
    assert node_count(graph_svg(at)) == len(record.shown_nodes(None)) < len(record.nodes)
    passes.set_value(3).run()
    assert "w ← w" not in graph_svg(at) and not at.exception


def test_the_loss_curve_turns_logarithmic_only_for_a_loss_falling_a_hundredfold():
    import pandas as pd

    from components.loss_curve import loss_chart

    def scale(values):
        spec = loss_chart(pd.DataFrame({"pass": range(1, len(values) + 1), "loss": values})).to_dict()
        return spec["encoding"]["y"]["scale"]

    assert scale([1.0, 0.1, 0.001]) == {"type": "log"}
    assert scale([1.0, 0.5, 0.2]) == {"zero": False}
    assert scale([1.0, 0.0, -0.5]) == {"zero": False}  # a log axis cannot show zero or below


def test_what_a_failing_program_printed_is_shown_under_its_error():
    at = run_program(start(), "print('loaded the data')\nraise ValueError('no labels')\n")
    assert len(at.error) == 1 and "line 2: ValueError: no labels" in at.error[0].value.replace("\\", "")
    [printed] = [e for e in at.expander if e.label.startswith("Printed before the error")]
    assert printed.label == "Printed before the error (1 print calls)"
    assert "loaded the data" in [block.value for block in at.code]


def test_picking_another_program_clears_the_node_selection():
    at = start()
    other = run_source(get("sum_of_squares").source)
    [output] = [node.id for node in other.nodes if node.kind == "output"]
    shared = next(node.id for node in other.nodes if node.id != output)  # an id both graphs have
    node_picker(at).set_value(shared).run()
    at.button(key="pick_sum_of_squares").click().run()
    assert node_picker(at).value == output  # the new output, not the old id


def test_an_edited_program_says_it_has_not_run_and_keeps_its_text_through_reruns():
    at = start()
    before = graph_svg(at)
    program = "import torch\nt = torch.tensor(2.0, requires_grad=True)\n(t * t).backward()\n"
    type_program(at, program)
    at.toggle(key="opt_show_order").set_value(False).run()  # any rerun
    assert any("not run yet" in caption.value for caption in at.caption)
    assert graph_svg(at) != before and ">z_1" in graph_svg(at)  # still the old program's graph
    assert editor_data(at)["ran"] != program
    at.button(key="run").click().run()
    assert not any("not run yet" in caption.value for caption in at.caption)
    assert editor_data(at)["ran"] == program and ">z_1" not in graph_svg(at)


def test_the_error_line_is_marked_in_the_editor():
    at = run_program(start(), "import torch\nx = torch.ones(2, 3)\ny = x @ x\n")
    assert at.error and editor_data(at)["errorLine"] == 3
    at = run_program(at, "import torch\nx = torch.ones(2, 3, requires_grad=True)\nx.sum().backward()\n")
    assert not at.error and editor_data(at)["errorLine"] is None


def test_a_catalogue_pick_replaces_the_editor_text_with_a_new_version():
    at = start()
    version = editor_data(at)["version"]
    at.button(key="pick_accumulation").click().run()
    data = editor_data(at)
    assert data["version"] == version + 1 and data["text"] == get("accumulation").source


def test_the_chain_rule_and_the_gradient_check_of_the_chosen_node():
    at = start(entry="sigmoid_layer")
    record = run_source(get("sigmoid_layer").source)
    mm = next(node for node in record.nodes if node.op == "MmBackward0")
    node_picker(at).set_value(mm.id).run()
    assert not at.exception
    latex = " ".join(element.value for element in at.latex)
    assert r"Z = X W" in latex and r"G\,W^{\top}" in latex and r"X^{\top} G" in latex
    ticks = [md.value for md in at.markdown if "✓" in md.value]
    assert len(ticks) == 2  # both of mm's outgoing gradients equal Jᵀ · incoming
    pane(at, "tensors").button(key="run_check").click().run()
    checked = table_with(at, "finite difference").set_index("leaf")
    assert list(checked["agrees"]) == ["✓", "✓"] and set(checked.index) == {"ws", "xs"}


def test_fan_out_shows_the_partials_and_their_sum():
    at = run_program(
        start(),
        "import torch\na = torch.tensor([2.0, 3.0], requires_grad=True)\nb = a * a + a\nb.sum().backward()\n",
    )
    record = run_source(
        "import torch\na = torch.tensor([2.0, 3.0], requires_grad=True)\nb = a * a + a\nb.sum().backward()\n"
    )
    pane(at, "inspect")
    node_picker(at).set_value(record.named("a").id).run()
    partial = table_with(at, "from")
    assert partial["gradient"].tolist()[-1] == "[5., 7.]" and partial["from"].tolist()[-1] == "sum"
    assert len(partial) == 4


def test_stepping_through_backward_selects_the_stepped_node_and_offers_the_exports():
    at = start(entry="two_layer_sigmoid")
    at.toggle(key="stepping").set_value(True).run()
    assert not at.exception
    [player] = [el for el in at.get("bidi_component") if el.key == "player"]
    data = json.loads(player.proto.json)
    record = run_source(get("two_layer_sigmoid").source)
    (run,) = record.passes
    assert [step["node"] for step in data["steps"][1:]] == sorted(run.order, key=run.order.get)
    labels = {button.proto.label for button in at.get("download_button")}
    assert {"Steps as SVG frames (zip)", "Offline HTML player"} <= labels


def test_backward_twice_keeps_the_graph_and_marks_the_freed_node():
    source = (
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = (x * x).sum()\ny.backward()\ny.backward()\n"
    )
    at = run_program(start(), source)
    assert not at.exception
    [error] = at.error
    text = re.sub(r"\\(.)", r"\1", error.value)  # as displayed (Markdown unescaped)
    assert "line 5: RuntimeError: Trying to backward through the graph a second time" in text
    assert "Specify retain_graph=True" in text  # torch's hint kept
    graph = component_data(at, "failed_graph")["svg"]
    assert "MulBackward0" in graph
    assert "saved tensors freed by an earlier backward" in graph


def test_the_inspector_quotes_the_line_that_made_the_node():
    at = start()
    record = run_source(get("two_layer_sigmoid").source)
    z_2 = record.named("z_2")
    node_picker(at).set_value(z_2.id).run()
    assert any(f"Made by line {z_2.line} of the program" in caption.value for caption in at.caption)
    assert "z_2 = torch.mm(w2, y_1)" in [block.value for block in at.code]


def test_a_vector_output_shows_its_jacobian_with_the_rows_each_pass_revealed():
    at = start(entry="jacobian_rows")
    record = run_source(get("jacobian_rows").source)
    node_picker(at).set_value(record.passes[0].roots[0]).run()
    assert not at.exception
    jacobian = table_with(at, "row")
    assert jacobian["row"].tolist() == ["0 ← pass 1", "1 ← pass 2", "2 ← pass 3"]
    assert jacobian.iloc[2, 1:].tolist() == ["0.", "0.", "27."]


def test_a_graph_before_any_backward_says_so_instead_of_showing_zeros():
    at = run_program(start(), "import torch\nw = torch.ones(2, requires_grad=True)\nout = (w * 3).sum()\n")
    assert not at.exception and not at.error
    assert any("No backward pass yet" in info.value for info in at.info)
    assert ">grad<" not in graph_svg(at) and ">sent<" not in graph_svg(at)


def test_a_quiz_hides_the_chain_rule_the_player_and_the_gradient_check():
    at = start(entry="sigmoid_layer", quiz="1")
    record = run_source(get("sigmoid_layer").source)
    mm = next(node for node in record.nodes if node.op == "MmBackward0")
    node_picker(at).set_value(mm.id).run()
    assert not at.exception and not at.latex
    assert not [e for e in at.expander if "Chain rule" in e.label]
    assert at.toggle(key="stepping").proto.disabled
    assert not [el for el in at.get("bidi_component") if el.key == "player"]
    checked = pane(at, "tensors")
    assert not [b for b in checked.button if b.key == "run_check"] and any("quiz" in i.value for i in at.info)
    at.toggle(key="quiz").set_value(False).run()
    assert [e for e in pane(at, "inspect").expander if "Chain rule" in e.label]
    assert not at.toggle(key="stepping").proto.disabled
