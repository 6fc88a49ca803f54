"""Loop folding: a program's own `for`/`while` loops fold like module calls.

Plain-loop teaching programs (tests/programs/loops: a 400-step RNN, a
char-RNN and a GRU from scratch, a Newton iteration, epochs x mini-batches)
open at most `MAX_BOXES` boxes with `python -m graphs render`, and on every
catalogue and corpus program expanding every key gives exactly the unfolded
graph."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from graphs.api import run_in_process
from graphs.catalogue import CATALOGUE
from graphs.record.loops import is_loop
from graphs.record.model import GraphRecord
from graphs.render import RenderOptions, dot_source
from graphs.views.folding import KEY, MAX_BOXES, all_keys, fold, view
from graphs.views.module_tree import ModuleTree

TESTS = Path(__file__).parents[1]
LOOP_PROGRAMS = sorted((TESTS / "programs" / "loops").glob("*.py"))
CORPUS = sorted((TESTS / "corpus").glob("*.py"))
# A node or a collapsed box as the renderer writes it (`n12 [label=...` / `m3 [label=...`).
DRAWN = re.compile(r"^\s*[nm]\d+ \[", re.MULTILINE)


def render(program: Path, out: Path, *expand: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "graphs", "render", str(program), "-o", str(out), *expand],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out.read_text()


@pytest.mark.parametrize("program", LOOP_PROGRAMS, ids=lambda path: path.stem)
def test_a_plain_loop_program_opens_at_most_150_boxes(program, tmp_path):
    out = tmp_path / "graph.dot"
    unfolded = len(DRAWN.findall(render(program, out, "--expand", "all")))
    first = render(program, out)
    assert unfolded > MAX_BOXES  # too many to draw unfolded: folding is what brings it down
    assert len(DRAWN.findall(first)) <= MAX_BOXES
    assert "loop, line" in first  # folded by its loops


def test_a_loop_folds_into_one_box_with_its_shared_weights_drawn_once():
    """The 400-step RNN: 399 iterations one box, the last open; W, U and b drawn once,
    one edge from the box to each; `loop@L12@5` opens the sixth iteration instead."""
    record = run_in_process(LOOP_PROGRAMS[-1].read_text())
    tree = ModuleTree(record)
    assert {call.path for call in record.modules} == {"loop@L12"} and all(map(is_loop, record.modules))
    assert [tree.keys[i] for i in tree.run_of[0]] == ["loop@L12"] + [f"loop@L12@{i}" for i in range(1, 400)]
    folded = fold(record, frozenset({"loop@L12@399"}))
    [box] = folded.boxes
    assert (box.count, box.title) == (399, "for t in range(steps)")
    assert box.kind == "for loop, line 12: iterations 0–398"
    assert [cluster.key for cluster in folded.clusters] == ["loop@L12@399"]
    weights = [node.id for node in record.nodes if node.kind == "leaf" and node.name in ("W", "U", "b")]
    assert len(weights) == 3 and all(folded.edges.count((box.id, leaf)) == 1 for leaf in weights)
    split = fold(record, frozenset({"loop@L12@5"}))
    assert sorted(box.count for box in split.boxes) == [5, 394]


def test_a_loop_statement_is_escaped_where_it_is_drawn():
    record = run_in_process(
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = x\n"
        "while y.sum() < 40 and '<b>' != '':\n    y = y * 2\ny.sum().backward()\n"
    )
    dot = dot_source(record, RenderOptions(folding=frozenset()))
    assert "&lt;b&gt;" in dot and "<b>" not in dot
    assert "while loop, line 4: iterations 0–4" in dot


def records() -> list[tuple[str, str]]:
    found = [(f"catalogue/{entry.slug}", entry.source) for entry in CATALOGUE]
    found += [(f"corpus/{path.stem}", path.read_text()) for path in CORPUS]
    found += [(f"loops/{path.stem}", path.read_text()) for path in LOOP_PROGRAMS]
    return found


@pytest.fixture(scope="module", params=records(), ids=lambda pair: pair[0])
def record(request) -> GraphRecord:
    return run_in_process(request.param[1])


def assert_unfolded(record: GraphRecord, shown: set[str] | None) -> None:
    folded = fold(record, all_keys(record, shown), shown)
    kept = [node.id for node in record.nodes if shown is None or node.id in shown]
    assert folded.nodes == tuple(kept)
    assert folded.edges == tuple(
        (edge.src, edge.dst) for edge in record.edges if edge.src in kept and edge.dst in kept
    )
    assert folded.boxes == () and folded.hidden == {}


def test_expanding_every_key_gives_the_unfolded_graph(record):
    """The whole record, and the figure the renderer draws by default (the last pass)."""
    assert_unfolded(record, None)
    assert_unfolded(record, record.shown_nodes(None))
    assert all(KEY.fullmatch(key) for key in all_keys(record))


def test_the_first_view_draws_every_node_once_in_at_most_150_boxes(record):
    shown = record.shown_nodes(None)
    folded, _keys = view(record, None, shown)
    assert folded.size <= MAX_BOXES
    kept = {node.id for node in record.nodes if shown is None or node.id in shown}
    assert set(folded.nodes).isdisjoint(folded.hidden) and set(folded.nodes) | set(folded.hidden) == kept


def test_iterations_fold_though_their_shapes_and_branches_differ():
    """A growing sequence changes shapes each step and an `if` runs now and then:
    still the loop's iterations, one ×N box beside the open last one."""
    record = run_in_process(
        "import torch\nw = torch.ones(3, requires_grad=True)\nseq = w[:1]\n"
        "for t in range(1, 200):\n"
        "    seq = torch.cat([seq, (seq[-1:] * 0.5).tanh()])\n"
        "    if t % 7 == 0:\n"
        "        seq = seq * w[t % 3]\n"
        "seq.sum().backward()\n"
    )
    folded, keys = view(record, None)
    assert folded.size <= MAX_BOXES and "loop@L4@198" in keys  # 199 iterations, numbered from 0
    assert [(box.count, box.kind) for box in folded.boxes] == [(198, "for loop, line 4: iterations 0–197")]
