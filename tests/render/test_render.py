"""Render: what each node's label says, which options change it, and that no
program text can escape its label. Checked on the DOT text and, where layout
matters, on the SVG the real `dot` makes of it."""

from __future__ import annotations

import copy
import html
import re
import subprocess

import pytest

from graphs.record.model import Edge, GraphRecord, Node, Pass, Summary
from graphs.render import HUGE_GRAPH, LARGE_GRAPH, RenderOptions, dot_source, layout_plan, plan_for, to_dot
from graphs.render.export import export
from graphs.render.labels import NAME_LIMIT
from graphs.render.layout import crossed_ranks
from graphs.render.themes import THEMES


def svg_of(source: str) -> str:
    done = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=True)
    assert b"Error" not in done.stderr, done.stderr
    return done.stdout.decode()


def node_line(source: str, node_id: str) -> str:
    return next(line for line in source.splitlines() if line.strip().startswith(f"{node_id} ["))


def cells(line: str) -> list[str]:
    """The right-aligned matrix entries in a node's label, in order."""
    return re.findall(r'<TD ALIGN="RIGHT"><FONT COLOR="[^"]+">([^<]*)</FONT></TD>', line)


def test_labels_show_op_name_value_grad_and_step(small_record):
    source = dot_source(small_record)
    mm = node_line(source, "n2")
    assert "<B>MmBackward0</B>" in mm and ">z</FONT>" in mm and "2×1" in mm
    assert cells(mm) == ["2.", "5.", "1.", "1."]  # value [[2],[5]] then grad [[1],[1]]
    assert "<B>2</B>" in mm  # backward step badge
    leaf = node_line(source, "n3")
    assert "<B>w</B>" in leaf
    assert cells(leaf) == ["1.", "2.", "3.", "4.", "1.0000", "0.5000", "1.0000", "0.5000"]
    assert leaf.count('<TR><TD ALIGN="RIGHT">') == 4  # two 2x2 matrices: four rows
    assert "7." in node_line(source, "n0") and "<B>loss</B>" in node_line(source, "n0")


def test_fills_follow_node_kind(small_record):
    source = dot_source(small_record)
    light = THEMES["light"]
    assert f'BGCOLOR="{light.output_fill}"' in node_line(source, "n0")
    assert f'BGCOLOR="{light.op_fill}"' in node_line(source, "n2")
    assert f'BGCOLOR="{light.leaf_fill}"' in node_line(source, "n3")
    small_record.nodes[3].requires_grad = False
    constant = node_line(dot_source(small_record), "n3")
    assert f'BGCOLOR="{light.const_fill}"' in constant and ">grad" not in constant


def test_digits_override_torch_precision(small_record):
    leaf = node_line(dot_source(small_record, RenderOptions(digits=2)), "n3")
    assert cells(leaf)[4:] == ["1.00", "0.50", "1.00", "0.50"]
    assert "0.5000" not in leaf


def test_large_tensors_show_shape_and_statistics(small_record):
    big = Node(
        "n4",
        "leaf",
        None,
        "b",
        [3, 5],
        "float32",
        value=[[float(i + 5 * r) for i in range(5)] for r in range(3)],
    )
    small_record.nodes.append(big)
    small_record.edges.append(Edge("n2", "n4"))
    small_record.passes[0].grads["n4"] = Summary(min=-1.5, mean=0.25, max=2.0)
    line = node_line(dot_source(small_record), "n4")
    assert "3×5" in line
    assert "value min 0.  mean 7.  max 14." in line  # computed from the nested list
    assert "sent min -1.5000  mean 0.2500  max 2.0000" in line  # a leaf: what the pass sent
    assert cells(line) == []


def test_show_options_change_the_dot(small_record):
    full = node_line(dot_source(small_record, RenderOptions(show_attrs=True)), "n2")
    assert "mat2_sym_sizes = (2, 1)" in full
    plain = node_line(dot_source(small_record), "n2")
    assert "mat2_sym_sizes" not in plain
    no_values = node_line(dot_source(small_record, RenderOptions(show_values=False)), "n2")
    assert ">value<" not in no_values and ">grad<" in no_values and cells(no_values) == ["1.", "1."]
    no_grads = node_line(dot_source(small_record, RenderOptions(show_grads=False)), "n2")
    assert ">grad<" not in no_grads and cells(no_grads) == ["2.", "5."]
    badge = THEMES["light"].badge_fill
    assert badge in plain
    assert badge not in dot_source(small_record, RenderOptions(show_order=False))


def test_pass_index_selects_that_pass(small_record):
    second = Pass(
        1,
        "backward",
        ["n0"],
        order={"n1": 1, "n2": 2, "n3": 3},
        grads={"n1": 2.0, "n2": [[2.0], [2.0]]},
        grad_after={"n3": [[2.0, 1.0], [2.0, 1.0]]},
    )
    small_record.passes.append(second)
    first = dot_source(small_record, RenderOptions(pass_index=0))
    latest = dot_source(small_record, RenderOptions(pass_index=1))
    assert cells(node_line(first, "n2"))[2:] == ["1.", "1."]
    assert cells(node_line(latest, "n2"))[2:] == ["2.", "2."]
    assert cells(node_line(latest, "n3"))[4:] == ["2.", "1.", "2.", "1."]
    with pytest.raises(ValueError, match="pass 5 does not exist"):
        dot_source(small_record, RenderOptions(pass_index=5))


HOSTILE = ["<b>x</b>", '"];evil[label="', "&amp;", "\\l", "a\\", "]>}<TABLE>"]


@pytest.mark.parametrize("name", HOSTILE)
def test_user_strings_cannot_inject_dot_or_html(small_record, name):
    for node in small_record.nodes:
        node.name = name
    small_record.nodes[2].op = name
    small_record.nodes[2].attrs = {name: name}
    small_record.nodes[0].name = name + "_" * NAME_LIMIT  # long enough for a tooltip
    source = dot_source(small_record, RenderOptions(show_attrs=True))
    svg = svg_of(source)
    assert svg.count('class="node"') == len(small_record.nodes)
    assert '<g id="n3" class="node">' in svg
    assert svg.count('class="edge"') == len(small_record.edges)
    assert "evil" not in re.findall(r'<g id="([^"]+)" class="node"', svg)
    shown = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert shown in texts  # the name is drawn, escaped, as typed
    assert f"{shown} = {shown}" in texts  # and so is the attribute
    titles = re.findall(r'xlink:title="([^"]*)"', svg)
    assert titles == [shown + "_" * NAME_LIMIT]


def test_themes_differ_and_slides_are_large(small_record):
    sources = {name: dot_source(small_record, RenderOptions(theme=name)) for name in THEMES}
    assert len(set(sources.values())) == 3
    assert "bgcolor=white" in sources["light"] and 'bgcolor="#1e1f22"' in sources["dark"]
    size = float(re.search(r"fontsize=([\d.]+)", sources["slides"]).group(1))
    pen = float(re.search(r"penwidth=([\d.]+)", sources["slides"]).group(1))
    assert size >= 20 and pen >= 2.5
    with pytest.raises(ValueError, match="unknown theme"):
        RenderOptions(theme="neon")


def test_rankdir_lays_the_chain_out_sideways(small_record):
    def extent(rankdir):
        svg = svg_of(dot_source(small_record, RenderOptions(rankdir=rankdir)))
        width, height = re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', svg).groups()
        return int(width), int(height)

    tall, wide = extent("TB"), extent("LR")
    assert tall[1] > tall[0] and wide[0] > wide[1]
    with pytest.raises(ValueError):
        RenderOptions(rankdir="BT")


def test_node_ids_reach_the_svg(small_record):
    svg = svg_of(to_dot(small_record).source)
    for node in small_record.nodes:
        assert f'<g id="{node.id}" class="node">' in svg


def test_long_names_are_cut_in_the_label_and_whole_in_the_tooltip(small_record):
    expression = "1/2 * ((y_2 - y) ** 2).sum() + torch.sigmoid(z_1 & b) * 3"
    small_record.nodes[1].name = expression
    svg = svg_of(dot_source(small_record))
    texts = [html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    assert any(text.startswith("1/2 * ((y_2 - y)") and text.endswith("…") for text in texts)
    titles = [html.unescape(title) for title in re.findall(r'xlink:title="([^"]*)"', svg)]
    assert titles == ["SumBackward0 " + expression]


def chain(count: int) -> GraphRecord:
    """A synthetic chain of `count` nodes, as big as the layout rules care about."""
    nodes = [
        Node(f"n{i}", "op", "AddBackward0", f"h_{i}", [2], "float32", value=[1.0, 2.0], attrs={"alpha": "1"})
        for i in range(count)
    ]
    edges = [Edge(f"n{i}", f"n{i + 1}") for i in range(count - 1)]
    run = Pass(
        0,
        "backward",
        ["n0"],
        order={node.id: i + 1 for i, node in enumerate(nodes)},
        grads={node.id: [0.5, 0.25] for node in nodes},
    )
    return GraphRecord(nodes=nodes, edges=edges, passes=[run])


def test_layout_settings_follow_graph_size():
    assert layout_plan(LARGE_GRAPH).name == "default"
    small = dot_source(chain(20))
    assert "nslimit" not in small and "// layout default" in small
    large = dot_source(chain(LARGE_GRAPH + 1), RenderOptions(show_attrs=True))
    assert "nslimit=1" in large and "nslimit1=1" in large and "mclimit=0.1" in large
    assert "splines=false" in large and ">value<" in large and "alpha = 1" in large
    huge = dot_source(chain(HUGE_GRAPH + 1), RenderOptions(show_attrs=True))
    assert ">value<" not in huge and ">grad<" not in huge
    assert "alpha = 1" not in huge and "<B>AddBackward0</B>" in huge and ">h_2000<" in huge
    assert huge.startswith(
        "// layout unpositioned: nslimit=0 nslimit1=1 mclimit=0.1 splines=false, values hidden"
    )


def unrolled(steps: int) -> GraphRecord:
    """An RNN-like record: every step uses the same weight leaf `W` (n0)."""
    nodes = [Node("n0", "leaf", None, "W", [2, 2], "float32")]
    edges = []
    for step in range(steps):
        tanh, mm = f"n{2 * step + 1}", f"n{2 * step + 2}"
        nodes += [
            Node(tanh, "op", "TanhBackward0", f"h_{step}", [2], "float32"),
            Node(mm, "op", "MmBackward0", None, [2], "float32"),
        ]
        edges += [Edge(tanh, mm), Edge(mm, "n0")]
        if step:
            edges.append(Edge(mm, f"n{2 * step - 1}"))
    return GraphRecord(nodes=nodes, edges=edges)


def test_ids_outside_the_builders_form_are_refused():
    """Ids enter the DOT text unquoted, so a record from elsewhere (a worker,
    a JSON file) cannot smuggle DOT statements through them."""
    bad = GraphRecord(nodes=[Node('n0 [label="x"]; evil', "leaf", None, "w", [], "float32")])
    with pytest.raises(ValueError, match="not a node id"):
        dot_source(bad)
    bad_edge = unrolled(1)
    bad_edge.edges.append(Edge("n1", "n2 -> evil"))
    with pytest.raises(ValueError, match="not a node id"):
        dot_source(bad_edge)


def test_reused_weights_count_their_long_edges():
    # a -> b -> c and a -> c: the long edge crosses one rank.
    triangle = GraphRecord(
        nodes=[Node(i, "op", "X", None, [], "float32") for i in "abc"],
        edges=[Edge("a", "b"), Edge("b", "c"), Edge("a", "c")],
    )
    assert crossed_ranks(triangle) == 1
    # Step k's matmul sits at rank 2(n-1-k)+1 of 2n; its edge to W crosses the rest.
    assert crossed_ranks(unrolled(10)) == sum(2 * k for k in range(10))
    assert plan_for(unrolled(10)).name == "default"
    assert plan_for(unrolled(80)).name == "capped"  # 161 nodes, 6,320 ranks crossed
    assert plan_for(unrolled(100)).name == "unpositioned"
    assert "nslimit=0" in dot_source(unrolled(150))
    tangled = unrolled(700)  # 489,300 ranks crossed: dot cannot
    assert plan_for(tangled).name == "force"
    svg = export(dot_source(tangled), "svg").decode()
    assert svg.count('class="node"') == len(tangled.nodes) and '<g id="n0" class="node">' in svg


def test_render_does_not_change_the_record(small_record):
    before = copy.deepcopy(small_record)
    dot_source(small_record, RenderOptions(show_attrs=True, pass_index=0))
    assert small_record == before
