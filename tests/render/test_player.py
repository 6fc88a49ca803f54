"""The backward player: steps in the engine's execution order, over one SVG.

Unit tests read the steps and frames; the browser tests open the offline HTML
player file in headless Chromium (no network) and step it with the buttons,
the arrow keys and the scrubber, checking which gradient numbers are visible
and, in a figure folded by module, which node or box is outlined.
"""

from __future__ import annotations

import functools
import gettext
import io
import re
import zipfile

from components.i18n import DOMAIN, LOCALE_DIR
from graphs.api import run_in_process
from graphs.catalogue import get
from graphs.record.model import GraphRecord
from graphs.render import RenderOptions, dot_source, folded_view, player
from graphs.render.export import export
from graphs.views.folding import FoldedView
from tests.app.test_app_folding import ENCODER
from tests.frontends.test_notebook import opened

GRAD = 'text[fill="#b3261e"]'  # the light theme's gradient colour
ACTIVE = re.compile(r"g#([nm]\d+) > polygon")  # the outlined node or box of a step


@functools.cache
def figure(slug: str) -> tuple[GraphRecord, str]:
    record = run_in_process(get(slug).source)
    return record, export(dot_source(record, RenderOptions()), "svg").decode("utf-8")


@functools.cache
def folded_figure() -> tuple[GraphRecord, FoldedView, str]:
    """A four-layer transformer encoder (225 nodes): drawn folded, layers 1-2 one ×2 box."""
    record = run_in_process(ENCODER)
    view = folded_view(record, RenderOptions())
    return record, view, export(dot_source(record, RenderOptions()), "svg").decode("utf-8")


def drawn(svg: str) -> set[str]:
    return set(re.findall(r'<g id="([nm]\d+)" class="node">', svg))


def test_steps_follow_the_execution_order_and_light_the_edge_that_brought_the_gradient():
    record, svg = figure("two_layer_sigmoid")
    (run,) = record.passes
    found = player.steps(record, None, svg)
    assert [step.node for step in found[1:]] == sorted(run.order, key=run.order.get)
    assert found[0].node is None and "start from the seed" in found[0].caption
    edges = player.edge_ids(svg)
    first = found[1]
    assert first.node == next(iter(sorted(run.order, key=run.order.get)))
    (edge,) = edges[(run.roots[0], first.node)]
    assert f"g#{edge} path" in first.css  # output -> first op is lit
    assert f"g#{run.roots[0]} {GRAD}" not in found[0].css  # the seed shows from the start
    for index, step in enumerate(found[1:], start=1):
        assert ACTIVE.findall(step.css) == [step.node]
        for later in found[index + 1 :]:
            assert f"g#{later.node} {GRAD}" in step.css  # not reached yet: no gradient
        assert f"g#{step.node} {GRAD}" not in step.css  # reached: its gradient shows


def test_frames_zip_has_one_svg_per_step_with_its_rules():
    record, svg = figure("sum_of_squares")
    found = player.steps(record, None, svg)
    with zipfile.ZipFile(io.BytesIO(player.frames_zip(svg, found))) as archive:
        names = archive.namelist()
        assert names == [f"step_{i:03d}.svg" for i in range(len(found))]
        last = archive.read(names[-1]).decode()
    assert last.startswith(svg[: svg.index("<svg")]) and f"<style>{found[-1].css}</style>" in last


def test_a_program_without_a_pass_has_no_steps():
    record = run_in_process("import torch\nx = torch.ones(2, requires_grad=True)\ny = (x * 2).sum()\n")
    assert player.steps(record, None, "<svg></svg>") == []


def test_in_a_folded_figure_a_node_inside_a_box_outlines_the_box():
    """Every node the pass runs is a step; one folded into a collapsed module
    outlines that module's box, lights the edges into it from what was reached,
    and the box's gradient summary shows from its first inner node on."""
    record, view, svg = folded_figure()
    (run,) = record.passes
    (box,) = [box for box in view.boxes if box.count > 1]
    found = player.steps(record, None, svg, folded=view)
    in_order = sorted(run.order, key=run.order.get)
    assert [step.node for step in found[1:]] == in_order  # the unfolded player skipped half
    outlined = [ACTIVE.findall(step.css) for step in found[1:]]
    assert outlined == [[view.hidden.get(node_id, node_id)] for node_id in in_order]
    assert {target for [target] in outlined} <= drawn(svg)
    inside = [index for index, [target] in enumerate(outlined, start=1) if target == box.id]
    assert len(inside) > 50  # the two layers' ops
    for index, step in enumerate(found):
        assert (f"g#{box.id} {GRAD}" in step.css) == (index < inside[0])
    # The member that made the node (each called once: its path), else (a weight) the box's title.
    names = {record.modules[member].path for member in box.members} | {box.title}
    into = {edge for (src, dst), ids in player.edge_ids(svg).items() if dst == box.id for edge in ids}
    for index in inside:
        step = found[index]
        head, _, name = step.caption.partition(" (in ")
        assert head.startswith(f"step {run.order[step.node]} of {len(in_order)}: ")
        assert name.removesuffix(")") in names
        lit = set(re.findall(r"g#(edge\d+) path", step.css))
        assert lit and lit <= into
    first_below = next(i for i in range(inside[-1] + 1, len(found)) if found[i].node not in view.hidden)
    assert not any(f"g#{edge} path" in found[first_below].css for edge in into)


def test_a_module_box_of_one_call_is_named_by_its_title():
    """Everything folded (no module open): the top-level module is one box."""
    record = run_in_process(get("two_layer_batch").source)
    options = RenderOptions(folding=frozenset())
    view = folded_view(record, options)
    svg = export(dot_source(record, options), "svg").decode("utf-8")
    titles = {box.id: box.title for box in view.boxes}
    found = player.steps(record, None, svg, folded=view)
    boxed = [step for step in found[1:] if step.node in view.hidden]
    assert boxed and len(found) - 1 == len(record.passes[-1].order)
    for step in boxed:
        assert step.caption.endswith(f" (in {titles[view.hidden[step.node]]})")


def test_the_same_figure_unfolded_has_node_steps_only():
    record = run_in_process(ENCODER)
    options = RenderOptions(folding=frozenset({"*"}))  # graphs.views.folding.UNFOLDED
    svg = export(dot_source(record, options), "svg").decode("utf-8")
    assert folded_view(record, options) is None
    found = player.steps(record, None, svg)
    assert [ACTIVE.findall(step.css) for step in found[1:]] == [[step.node] for step in found[1:]]
    assert not re.search(r"g#m\d", "".join(step.css for step in found))


def test_captions_in_chinese():
    record, view, svg = folded_figure()
    zh = gettext.translation(DOMAIN, LOCALE_DIR, languages=["zh"]).gettext
    found = player.steps(record, None, svg, folded=view, gettext=zh)
    (box,) = [box for box in view.boxes if box.count > 1]
    assert found[0].caption.startswith("第 1 次：") and "初始梯度" in found[0].caption
    assert found[1].caption.startswith(f"第 1 步，共 {len(found) - 1} 步：")
    assert any(step.caption.endswith(f"（在 {record.modules[box.members[0]].path} 中）") for step in found)


def test_the_offline_player_steps_with_buttons_and_arrow_keys(tmp_path):
    record, svg = figure("two_layer_sigmoid")
    (run,) = record.passes
    found = player.steps(record, None, svg)
    page_file = tmp_path / "player.html"
    page_file.write_text(player.player_html(svg, found, "two_layer_sigmoid"), encoding="utf-8")
    in_order = sorted(run.order, key=run.order.get)

    def visible_grads(page, node_id: str) -> int:
        shown = "els => els.filter(e => getComputedStyle(e).visibility !== 'hidden').length"
        return page.eval_on_selector_all(f"g#{node_id} {GRAD}", shown)

    with opened(page_file) as page:
        assert page.get_attribute(".ae-player", "data-step") == "0"
        assert visible_grads(page, run.roots[0]) > 0 and visible_grads(page, in_order[0]) == 0
        page.click('[data-act="next"]')
        assert page.get_attribute(".ae-player", "data-step") == "1"
        assert visible_grads(page, in_order[0]) > 0 and visible_grads(page, in_order[1]) == 0
        page.focus(".ae-player")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert page.get_attribute(".ae-player", "data-step") == "3"
        assert visible_grads(page, in_order[2]) > 0
        page.keyboard.press("ArrowLeft")
        assert visible_grads(page, in_order[2]) == 0
        assert "step 2 of" in page.text_content(".ae-caption")
        page.click('[data-act="play"]')
        page.wait_for_function(
            f"document.querySelector('.ae-player').dataset.step === '{len(found) - 1}'", timeout=30_000
        )
        with_grads = [
            node_id
            for node_id in in_order
            if page.eval_on_selector_all(f"g#{node_id} {GRAD}", "els => els.length")
        ]
        assert len(with_grads) > len(in_order) // 2
        assert all(visible_grads(page, node_id) > 0 for node_id in with_grads)  # the end: all reached


# Every step through the scrubber, as a user drags it: which nodes and boxes
# have an outline in the step's colour, and whether a box's gradient text shows.
_SCRUB_ALL = """([boxId]) => {
  const scrub = document.querySelector(".ae-scrub");
  const active = "rgb(255, 75, 75)";
  const found = [];
  for (let index = 0; index <= Number(scrub.max); index++) {
    scrub.value = String(index);
    scrub.dispatchEvent(new Event("input"));
    const outlined = [...document.querySelectorAll("g.node")].filter((node) =>
      [...node.querySelectorAll("polygon, path, polyline")].some(
        (shape) => getComputedStyle(shape).stroke === active));
    const grads = [...document.querySelectorAll(`g#${boxId} text[fill="#b3261e"]`)];
    found.push({
      outlined: outlined.map((node) => node.id),
      boxGrad: grads.filter((text) => getComputedStyle(text).visibility !== "hidden").length,
      step: document.querySelector(".ae-player").dataset.step,
    });
  }
  return found;
}"""


def test_the_offline_player_outlines_a_module_box_in_a_folded_figure(tmp_path):
    record, view, svg = folded_figure()
    (run,) = record.passes
    (box,) = [box for box in view.boxes if box.count > 1]
    found = player.steps(record, None, svg, folded=view)
    page_file = tmp_path / "folded_player.html"
    page_file.write_text(player.player_html(svg, found, "encoder"), encoding="utf-8")
    with opened(page_file) as page:
        measured = page.evaluate(_SCRUB_ALL, [box.id])
    assert [frame["step"] for frame in measured] == [str(index) for index in range(len(found))]
    assert measured[0]["outlined"] == []
    expected = [[view.hidden.get(step.node, step.node)] for step in found[1:]]
    assert [frame["outlined"] for frame in measured[1:]] == expected  # nodes with tooltips too
    first = next(index for index, frame in enumerate(measured) if frame["outlined"] == [box.id])
    assert all(frame["boxGrad"] == 0 for frame in measured[:first])
    assert all(frame["boxGrad"] == 2 for frame in measured[first:])  # "out grad" and "in grad"
    print(f"\n{len(found) - 1} steps, {sum(e == [box.id] for e in expected)} of them in box {box.title}")


# Every step through the scrubber: what the step's rules style, element by element.
_STYLED = """() => {
  const scrub = document.querySelector(".ae-scrub");
  const active = "rgb(255, 75, 75)";
  const lit = (group) => [...group.querySelectorAll("polygon, path, polyline")].some(
    (shape) => getComputedStyle(shape).stroke === active);
  const found = [];
  for (let index = 0; index <= Number(scrub.max); index++) {
    scrub.value = String(index);
    scrub.dispatchEvent(new Event("input"));
    found.push({
      outlined: [...document.querySelectorAll("g.node")].filter(lit).map((node) => node.id),
      edges: [...document.querySelectorAll("g.edge")].filter(lit).map((edge) => edge.id),
      hidden: [...document.querySelectorAll('g.node text[fill="#b3261e"]')]
        .filter((text) => getComputedStyle(text).visibility === "hidden")
        .map((text) => text.closest("g.node").id),
    });
  }
  return found;
}"""


def test_grouped_selectors_style_exactly_what_plain_ones_do(tmp_path):
    """The app sends its steps with `:is(...)` selectors (half the bytes on every
    rerun); in Chromium, every step must outline, light and hide the same elements."""
    record, view, svg = folded_figure()
    styled = []
    for grouped in (False, True):
        found = player.steps(record, None, svg, folded=view, grouped=grouped)
        page_file = tmp_path / f"player_{grouped}.html"
        page_file.write_text(player.player_html(svg, found, "encoder"), encoding="utf-8")
        with opened(page_file) as page:
            styled.append(page.evaluate(_STYLED))
    plain, grouped = styled
    assert len(plain) == len(player.steps(record, None, svg, folded=view)) > 100
    assert all(step["outlined"] for step in plain[1:]) and any(step["edges"] for step in plain)
    assert any(step["hidden"] for step in plain)
    assert grouped == plain
