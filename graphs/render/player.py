"""Backward, step by step: one CSS rule set per step of a pass, over one SVG.

Graphviz lays the figure out once; each step only changes what is shown:
the node the engine runs at that step is outlined, the edges that brought it
its gradient are lit, and gradient numbers (drawn in the theme's gradient
colour) are hidden on nodes the pass has not reached yet. Steps are plain
CSS, so the same list serves the app's player, the zip of SVG frames and
the self-contained HTML player (`graphs/web/player.js` swaps the rules).

In a figure folded by module (`graphs.views.folding`) most nodes are inside a
collapsed box; a step that runs one of them outlines its box instead, lights
the edges drawn into the box from what the pass has reached, and the box's
gradient summary shows from the first of its nodes the pass reaches.
Every node is still a step of its own, so a box stays outlined while the
caption names each node it runs.

Step 0 is the start: only the outputs, which hold the seed, show a gradient.
Captions are English templates (`Note`) the app fills in the page's language.
When the record traces a NaN or Inf to a node of the pass (`origin`), the
player offers to jump to the step that runs it.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace

from graphs import web
from graphs.record.model import Finding, GraphRecord, Node
from graphs.render.themes import theme
from graphs.views.folding import Box, FoldedView, key_of
from graphs.views.passes import ALL_PASSES, PassView
from graphs.views.pitfalls import Note

ACTIVE = "#ff4b4b"
_EDGE = re.compile(r'<g id="(edge\d+)" class="edge">\s*<title>([^<]*)</title>')
# Nodes ("n3") and collapsed module boxes ("m3") as Graphviz draws them.
_DRAWN = re.compile(r'<g id="([nm]\d+)" class="node">')
# A node's or box's outline: its own shapes, or those inside the <a> Graphviz wraps
# them in when it has a tooltip (a cut-off name, every box). A box3d has polylines.
_OUTLINE = ("> polygon", "> path", "> g > a > polygon", "> g > a > path", "> g > a > polyline")
_GROUPED_OUTLINE = ("> :is(polygon, path)", "> g > a > :is(polygon, path, polyline)")
# The captions (components/locale/build.sh reads their templates from this file).
START = Note("Pass {number}: {call}: start from the seed")
STEP = Note("step {step} of {count}: {label}")
STEP_IN_BOX = Note("step {step} of {count}: {label} (in {box})")


@dataclass(frozen=True)
class Step:
    """What one step of the player shows."""

    node: str | None  # the node run at this step (None: the start)
    caption: str
    css: str


@dataclass(frozen=True)
class Origin:
    """Where the record says a NaN or Inf first appeared, as a step of the player."""

    step: int  # a position in the steps
    finding: Finding


def origin(record: GraphRecord, found: list[Step]) -> Origin | None:
    """The step of the first NaN or Inf origin among these steps, or None.

    Each node of the pass is one step, the one that runs it: for a backward
    origin the step that sent the first non-finite gradient, for a forward
    one the step where backward first reaches the op whose output went bad
    (its gradient shows from there). An origin in another pass, or one the
    pass never runs, has no step here."""
    positions = {step.node: position for position, step in enumerate(found) if step.node is not None}
    for finding in record.findings:
        if finding.kind in ("nan", "inf") and finding.node in positions:
            return Origin(positions[finding.node], finding)
    return None


def edge_ids(svg: str) -> dict[tuple[str, str], list[str]]:
    """(src, dst) -> the SVG ids of the edges drawn between them."""
    found: dict[tuple[str, str], list[str]] = {}
    for edge_id, title in _EDGE.findall(svg):
        src, _, dst = html.unescape(title).partition("->")
        found.setdefault((src, dst), []).append(edge_id)
    return found


def steps(
    record: GraphRecord,
    pass_index: int | None,
    svg: str,
    theme_name: str = "light",
    scope: str = "",
    folded: FoldedView | None = None,
    gettext: Callable[[str], str] | None = None,
    grouped: bool = False,
) -> list[Step]:
    """The steps of the chosen pass (a position in `record.passes`; None or "All passes": the last).
    `scope` prefixes every selector (a container's class in a page holding several SVGs).
    `folded` is the view the SVG was drawn from (None: unfolded); `gettext` translates the captions.
    `grouped` writes the selectors with `:is(...)`, for a browser: the app sends every
    step on each rerun, and the folded LSTM's 2,606 steps were 3.3 MB with plain
    selectors. The SVG frames keep plain ones, which every SVG viewer reads."""
    run = PassView(record, None if pass_index == ALL_PASSES else pass_index).chosen
    if run is None:
        return []
    grad = theme(theme_name).grad
    edges = edge_ids(svg)
    drawn = _Drawn.of(svg, folded)
    captions = _Captions(record, drawn.boxes, gettext)
    order = sorted((step, node_id) for node_id, step in run.order.items() if drawn.stands_for(node_id))
    # Insertion-ordered (a dict), so the lit edges come in the same order on every run.
    reached = dict.fromkeys(shown for shown in map(drawn.stands_for, run.roots) if shown)
    hidden = [shown for shown in drawn.ids if shown not in reached]
    start = replace(START, values={"number": run.index + 1, "call": run.title or run.kind})
    result = [Step(None, captions.text(start), _css(scope, hidden, None, [], grad, grouped))]
    for step, node_id in order:
        target = drawn.stands_for(node_id)
        lit = [edge for src in reached if src != target for edge in edges.get((src, target), [])]
        reached[target] = None
        caption = captions.step(node_id, step, len(order), target)
        css = _css(scope, [n for n in hidden if n not in reached], target, lit, grad, grouped)
        result.append(Step(node_id, caption, css))
    return result


@dataclass(frozen=True)
class _Drawn:
    """What the SVG draws: node and box ids, and the folded view's boxes among them."""

    ids: set[str]
    boxes: dict[str, Box]
    folded: FoldedView | None

    @classmethod
    def of(cls, svg: str, folded: FoldedView | None) -> _Drawn:
        ids = set(_DRAWN.findall(svg))
        boxes = {} if folded is None else {box.id: box for box in folded.boxes if box.id in ids}
        return cls(ids, boxes, folded)

    def stands_for(self, node_id: str) -> str | None:
        """What stands for a node in the SVG: itself, the box it is folded into, or nothing."""
        if node_id in self.ids:
            return node_id
        box_id = None if self.folded is None else self.folded.hidden.get(node_id)
        return box_id if box_id in self.boxes else None


class _Captions:
    """Each step's caption, in the page's language when given `gettext`."""

    def __init__(
        self, record: GraphRecord, boxes: dict[str, Box], gettext: Callable[[str], str] | None
    ) -> None:
        self.record, self.boxes, self.gettext = record, boxes, gettext
        self.by_id = {node.id: node for node in record.nodes}
        self.calls = (
            {(call.path, call.call): index for index, call in enumerate(record.modules)} if boxes else {}
        )

    def text(self, note: Note) -> str:
        return note.text if self.gettext is None else note.translated(self.gettext)

    def step(self, node_id: str, step: int, count: int, target: str | None) -> str:
        """The node run at `step` of `count`, and the box it is in when `target` is one."""
        node = self.by_id[node_id]
        label = " ".join(part for part in (node.op, node.name) if part) or node_id
        values = {"step": step, "count": count, "label": label}
        if target in self.boxes:
            box = _box_name(self.record, self.calls, node, self.boxes[target])
            return self.text(replace(STEP_IN_BOX, values={**values, "box": box}))
        return self.text(replace(STEP, values=values))


def _box_name(record: GraphRecord, calls: dict[tuple[str, int], int], node: Node, box: Box) -> str:
    """A box as a caption names it: its title, or for a run of repeats (×N) the
    member whose call made the node (`model.cell@37`), as backward walks back through them.
    `calls` finds a module call's index in `record.modules`."""
    if box.count > 1:
        index = calls.get((node.module, node.call))
        while index is not None:
            if index in box.members:
                return key_of(record.modules[index])
            index = record.modules[index].parent
    return box.title


def _css(
    scope: str, hidden: list[str], active: str | None, lit: list[str], grad: str, grouped: bool = False
) -> str:
    rules = []
    if hidden and grouped:
        ids = ",".join(f"#{shown}" for shown in sorted(hidden))
        rules.append(f'{scope}:is({ids}) text[fill="{grad}"] {{ visibility: hidden; }}')
    elif hidden:
        rules.append(
            ", ".join(f'{scope}g#{shown} text[fill="{grad}"]' for shown in sorted(hidden))
            + " { visibility: hidden; }"
        )
    if active:
        shapes = _GROUPED_OUTLINE if grouped else _OUTLINE
        rules.append(
            ", ".join(f"{scope}g#{active} {shape}" for shape in shapes)
            + f" {{ stroke: {ACTIVE}; stroke-width: 4; }}"
        )
    if lit and grouped:
        ids = ",".join(f"#{edge}" for edge in lit)
        rules.append(
            f"{scope}:is({ids}) :is(path, polygon) {{ stroke: {ACTIVE}; stroke-width: 3; fill: {ACTIVE}; }}"
        )
    elif lit:
        rules.append(
            ", ".join(f"{scope}g#{edge} path, {scope}g#{edge} polygon" for edge in lit)
            + f" {{ stroke: {ACTIVE}; stroke-width: 3; fill: {ACTIVE}; }}"
        )
    return "\n".join(rules)


def frame(svg: str, step: Step) -> str:
    """The SVG of one step: its rules in a <style> element right after the <svg> tag."""
    opening = svg.index(">", svg.index("<svg")) + 1
    return f"{svg[:opening]}\n<style>{step.css}</style>{svg[opening:]}"


def frames_zip(svg: str, found: list[Step]) -> bytes:
    """One SVG per step, numbered so a file browser keeps their order."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, step in enumerate(found):
            archive.writestr(f"step_{index:03d}.svg", frame(svg, step))
    return out.getvalue()


def player_html(svg: str, found: list[Step], title: str, jump: dict[str, object] | None = None) -> str:
    """A self-contained page (no network) that plays the steps: ◀ ▶, play/pause,
    a scrubber and the arrow keys; `jump` (`{"index": step, "label": text}`)
    adds a button that goes to that step (the NaN origin's)."""
    steps = [{"css": s.css, "caption": s.caption} for s in found]
    data = json.dumps({"steps": steps, "jump": jump})
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        f'<!doctype html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{web.text('player.css')}</style></head><body>\n"
        f'<div class="ae-player">{web.text("player.html")}'
        f'<div class="ae-stage">{svg}</div></div>\n'
        f"<script>{web.text('player.js')}\n"
        f"const data = {data};\n"
        "autogradPlayer(document.querySelector('.ae-player'), data.steps, null, data.jump);</script>"
        "</body></html>\n"
    )
