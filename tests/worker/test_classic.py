"""Classic view: torchviz's own figure of a program, captured in the worker as
data and written as DOT by the server; hostile labels and forged results stay
text; and the distutils guard that lets torchviz 0.0.3 import on Python 3.12+."""

from __future__ import annotations

import html
import io
import json
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import torch
from PIL import Image

from graphs.api import classic_source
from graphs.errors import ProgramError
from graphs.record.decode import Limits
from graphs.render.classic import classic_dot_source, plain_label
from graphs.render.export import export
from graphs.sandbox import SandboxError
from graphs.worker.capture import capture_program
from graphs.worker.classic import (
    ClassicGraph,
    KeepSaved,
    LooseVersion,
    classic_dot,
    recording_make_dot,
    torchviz_make_dot,
)

MAX_NODES, MAX_EDGES, MAX_LABEL_CHARS = Limits().max_nodes, Limits().max_edges, Limits().max_text_chars

TWO_ROOTS = """\
import torch
a = torch.tensor(2.0, requires_grad=True)
b = a * 3
c = a + 1
b.backward()
c.backward()
"""
# Every kind of box and arrow torchviz draws: a leaf (blue), a custom
# Function's saved tensor (orange, no arrowhead), an output that is a view
# (green) of its base (dark green, dotted).
EVERY_KIND = """\
import torch
class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g
w = torch.ones(3, requires_grad=True)
y = Square.apply(w * 2)
out = y[1]
out.backward()
"""
# A custom Function named like an HTML label, and a saved attribute that
# closes it: torchviz's label for its node starts with "<" and ends with ">".
HOSTILE = """\
import torch
NAME = '<<TABLE HREF="javascript:alert(1)"><TR><TD><IMG SRC="MARKER"/></TD><TD>'
def forward(ctx, x):
    ctx._saved_tail = '</TD></TR></TABLE>>'
    return x * 2
def backward(ctx, g):
    return g * 2
methods = {"forward": staticmethod(forward), "backward": staticmethod(backward)}
Evil = type(NAME, (torch.autograd.Function,), methods)
x = torch.ones(2, requires_grad=True)
Evil.apply(x).sum().backward()
"""
RED = (255, 0, 0)  # the marker image's only colour, in no box torchviz draws


def marker_png(path: Path) -> Path:
    """A 4x4 pure red PNG: if `dot` ever reads it, its pixels show in the export."""
    image = Image.new("RGB", (4, 4), RED)
    image.save(path)
    return path


def hostile_program(marker: Path) -> str:
    return HOSTILE.replace("MARKER", str(marker))


def test_classic_draws_torchviz_ops_and_names(small_source):
    source = classic_dot(small_source)
    for op in ("MmBackward0", "SumBackward0", "AccumulateGrad"):
        assert f'label="{op}"' in source
    assert 'label="w\\n (2, 2)" fillcolor=lightblue' in source  # leaf named as the program named it
    assert "fillcolor=darkolivegreen1" in source  # torchviz's green output box
    assert b'class="node"' in export(source, "svg")


def test_show_attrs_adds_saved_attributes(small_source):
    assert "mat2_sym_sizes" not in classic_dot(small_source)
    assert "mat2_sym_sizes" in classic_dot(small_source, show_attrs=True)


def test_every_backward_root_is_drawn():
    source = classic_dot(TWO_ROOTS)
    assert "MulBackward0" in source and "AddBackward0" in source
    assert source.count("fillcolor=darkolivegreen1") == 2


def test_graphs_deeper_than_the_recursion_limit():
    chain = (
        "import torch\nx = torch.tensor(1.0, requires_grad=True)\ny = x\nfor i in range(600):\n"
        "    y = y * 1.001\n    y = y + 0.5\ny.backward()\n"
    )
    before = sys.getrecursionlimit()
    source = classic_dot(chain)
    assert source.count('label="MulBackward0"') == 600 and source.count('label="AddBackward0"') == 600
    assert sys.getrecursionlimit() == before


def drawn_boxes(svg: str) -> list[tuple[tuple[str, ...], str, str]]:
    """Each box of an SVG: its lines of text, its fill and its corners, sorted."""
    boxes = []
    for group in re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg, re.DOTALL):
        texts = tuple(html.unescape(text) for text in re.findall(r">([^<]*)</text>", group))
        fill, points = re.search(r'<polygon fill="([^"]+)"[^>]* points="([^"]+)"', group).groups()
        boxes.append((texts, fill, points))
    return sorted(boxes)


@pytest.mark.parametrize("show_attrs", [False, True])
@pytest.mark.parametrize("program", ["small", "every_kind"])
def test_the_figure_is_torchvizs_own(program, show_attrs, small_source):
    """make_dot's figure and ours, laid out by `dot`: the same boxes, text,
    fills and positions, and the same arrows."""
    source = small_source if program == "small" else EVERY_KIND
    recorder, _ = capture_program(source, lambda _: KeepSaved())
    target, params = recorder.roots()[0], recorder.named_leaves()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "distutils Version classes", DeprecationWarning)
        theirs = torchviz_make_dot()(target, params=params, show_attrs=show_attrs).source
        recorded = recording_make_dot()(target, params=params, show_attrs=show_attrs).graph()
    ours = classic_dot_source(ClassicGraph.from_dict(json.loads(json.dumps(recorded.to_dict()))))
    reference = subprocess.run(["dot", "-Tsvg"], input=theirs, capture_output=True, text=True, check=True)
    drawn = export(ours, "svg").decode()
    assert drawn_boxes(drawn) == drawn_boxes(reference.stdout)
    assert drawn.count('class="edge"') == reference.stdout.count('class="edge"')
    assert drawn.count("stroke-dasharray") == reference.stdout.count("stroke-dasharray")
    if program == "every_kind":
        fills = set(re.findall(r"fillcolor=(\w+)", ours))
        assert fills == {"lightgrey", "lightblue", "orange", "darkolivegreen1", "darkolivegreen3"}
        assert "[arrowsize=0]" in ours and "[style=dotted]" in ours


def test_a_hostile_function_name_is_text_from_the_real_worker(tmp_path):
    marker = marker_png(tmp_path / "marker.png")
    dot = classic_source(hostile_program(marker), show_attrs=True)
    assert not re.search(r"label=<", dot)  # every label a quoted string
    assert '<<TABLE HREF=\\"javascript:alert(1)\\">' in dot  # ... showing the name as it is
    svg = export(dot, "svg").decode()
    assert "&lt;&lt;TABLE HREF" in svg
    markup = re.sub(r"<text\b[^>]*>[^<]*</text>", "", svg)  # what is not the figure's text
    assert "javascript:" not in markup and not re.search(r"<a\b|<image\b|href=", markup)
    png = Image.open(io.BytesIO(export(dot, "png"))).convert("RGB")
    assert RED not in {colour for _, colour in png.getcolors(1 << 20)}  # dot never opened the marker
    assert b"/Subtype /Image" not in export(dot, "pdf")


def test_labels_are_plain_text_in_dot():
    assert plain_label("<b>bold</b>") == '"<b>bold</b>"'
    assert plain_label('say "hi"\\N\\l') == '"say \\"hi\\"\\\\N\\\\l"'  # no Graphviz escape survives
    assert plain_label("a\nb") == '"a\\nb"'
    assert plain_label("\x1b[2J\x07\x9b\ud800") == '"\\\\x1b[2J\\\\x07\\\\x9b\\\\ud800"'


def test_a_forged_graph_is_drawn_as_text_with_our_attributes_only():
    forged = {
        "nodes": [
            ["1", "<<TABLE><TR><TD HREF='javascript:x'>x</TD></TR></TABLE>>", 'red" URL="javascript:x'],
            ["2 [image=/etc/passwd]", "\\N", "lightblue"],
        ],
        "edges": [["1", "2 [image=/etc/passwd]", 'saved" href="javascript:x']],
    }
    dot = classic_dot_source(ClassicGraph.from_dict(forged))
    assert dot.splitlines()[3:] == [
        "\tc0 [label=\"<<TABLE><TR><TD HREF='javascript:x'>x</TD></TR></TABLE>>\" fillcolor=lightgrey]",
        '\tc1 [label="\\\\N" fillcolor=lightblue]',
        "\tc0 -> c1",
        "}",
    ]
    assert "<a" not in export(dot, "svg").decode()


@pytest.mark.parametrize(
    ("forged", "refusal"),
    [
        ("digraph { a [label=<<TABLE HREF='javascript:x'></TABLE>>] }", "wrong shape"),
        ({"nodes": [["a", "x", "orange"]], "edges": [["a", "b", "flow"]]}, "wrong shape"),
        ({"nodes": [["a", "x", "orange"], ["a", "y", "orange"]], "edges": []}, "wrong shape"),
        ({"nodes": [["a", 3, "orange"]], "edges": []}, "wrong shape"),
        ({"nodes": [], "edges": [], "graph": "size=1"}, "wrong shape"),
    ],
    ids=["dot_text", "edge_to_nothing", "id_twice", "label_not_text", "more_fields"],
)
def test_a_forged_result_from_the_real_worker_is_one_line(forged, refusal):
    with pytest.raises(SandboxError, match=refusal) as caught:
        classic_source(sending(json.dumps(forged)))
    assert "\n" not in str(caught.value)


def sending(expression: str) -> str:
    """A typed program that sends the value of `expression` as its result, then exits."""
    return textwrap.dedent(f"""\
        import json, os
        os.write(3, json.dumps({{"ok": {expression}}}).encode() + b"\\n")
        os._exit(0)
    """)


LARGER = "^the program's result is larger than this server accepts: "


def test_a_result_over_a_limit_from_the_real_worker_is_one_line():
    nodes = f'[[str(i), "", "orange"] for i in range({MAX_NODES + 1})]'
    with pytest.raises(SandboxError, match=f"{LARGER}{MAX_NODES + 1:,} nodes, the limit is {MAX_NODES:,}$"):
        classic_source(sending(f'{{"nodes": {nodes}, "edges": []}}'))


@pytest.mark.parametrize(
    ("graph", "refusal"),
    [
        (
            {"nodes": [["a", "", "orange"]], "edges": [["a", "a", "flow"]] * (MAX_EDGES + 1)},
            f"{MAX_EDGES + 1:,} edges, the limit is {MAX_EDGES:,}$",
        ),
        (
            {"nodes": [["a", "x" * (MAX_LABEL_CHARS + 1), "orange"]], "edges": []},
            f"{MAX_LABEL_CHARS + 1:,} characters in one label, the limit is {MAX_LABEL_CHARS:,}$",
        ),
    ],
    ids=["edges", "label"],
)
def test_a_graph_over_a_limit_is_refused_in_one_line(graph, refusal):
    """(Edges beyond the limit do not reach the check from a worker: the
    channel's count of JSON values refuses them first, in one line too.)"""
    with pytest.raises(SandboxError, match=LARGER + refusal):
        ClassicGraph.from_dict(graph)


def test_a_failing_program_is_one_line_error():
    with pytest.raises(ProgramError, match=r"^line 2: ZeroDivisionError: division by zero$"):
        classic_dot("import torch\nx = 1 / 0\n")


def test_nothing_to_draw_is_a_program_error():
    with pytest.raises(ProgramError, match="no tensor that requires grad"):
        classic_dot("import torch\nx = torch.tensor(1.0)\ny = x * 2\n")


def test_guard_supplies_distutils_when_python_has_none():
    # A None entry in sys.modules makes `import distutils` fail, as on Python 3.12.
    script = textwrap.dedent("""
        import sys
        sys.modules["distutils"] = None
        sys.modules["distutils.version"] = None
        import graphs.worker.classic as classic
        make_dot = classic.torchviz_make_dot()
        assert sys.modules["distutils.version"].LooseVersion is classic.LooseVersion
        import torch
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        print(make_dot((x * x).sum(), params={"x": x}).source.count("SumBackward0"))
    """)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


def test_loose_version_orders_like_distutils():
    assert LooseVersion("2.13.0") > LooseVersion("1.9")
    assert LooseVersion("1.10") > LooseVersion("1.9")
    assert LooseVersion("1.9.0a0+git") < LooseVersion("1.9.1")
    assert LooseVersion("2.0") == LooseVersion("2.0")


TRAINING = """\
import torch
w = torch.ones(2, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.1)
for i in range(3):
    opt.zero_grad()
    loss = (w * w).sum()
    loss.backward()
    opt.step()
"""


def test_a_training_loop_draws_and_attributes_changed_in_place_are_one_line():
    assert classic_dot(TRAINING).count("MulBackward0") == 3
    with pytest.raises(ProgramError, match="^torchviz could not read a saved attribute: one of the"):
        classic_dot(TRAINING, show_attrs=True)
    assert torch._C._len_torch_function_stack() == 0  # the modes left the stack in order


def test_a_custom_function_that_saves_tensors_draws_without_saved_attributes():
    source = (Path(__file__).parents[1] / "corpus" / "33_gradcheck.py").read_text(encoding="utf-8")
    dot = classic_dot(source, show_attrs=False)
    assert '[label="CubeBackward" fillcolor=lightgrey]' in dot and '[label="x\\n (3)"' in dot
