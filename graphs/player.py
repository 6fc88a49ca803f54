"""Backward, step by step: one CSS rule set per step of a pass, over one SVG.

Graphviz lays the figure out once; each step only changes what is shown:
the node the engine runs at that step is outlined, the edges that brought it
its gradient are lit, and gradient numbers (drawn in the theme's gradient
colour) are hidden on nodes the pass has not reached yet. Steps are plain
CSS, so the same list serves the app's player, the zip of SVG frames and
the self-contained HTML player (`graphs/player.js` swaps the rules).

Step 0 is the start: only the outputs, which hold the seed, show a gradient.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from dataclasses import dataclass

from graphs.passview import ALL_PASSES, PassView, pass_title
from graphs.record import GraphRecord
from graphs.themes import theme

ACTIVE = "#ff4b4b"
_EDGE = re.compile(r'<g id="(edge\d+)" class="edge">\s*<title>([^<]*)</title>')


@dataclass(frozen=True)
class Step:
    """What one step of the player shows."""

    node: str | None  # the node run at this step (None: the start)
    caption: str
    css: str


def edge_ids(svg: str) -> dict[tuple[str, str], list[str]]:
    """(src, dst) -> the SVG ids of the edges drawn between them."""
    found: dict[tuple[str, str], list[str]] = {}
    for edge_id, title in _EDGE.findall(svg):
        src, _, dst = html.unescape(title).partition("->")
        found.setdefault((src, dst), []).append(edge_id)
    return found


def steps(
    record: GraphRecord, pass_index: int | None, svg: str, theme_name: str = "light", scope: str = ""
) -> list[Step]:
    """The steps of the chosen pass (a position in `record.passes`; None or "All passes": the last).
    `scope` prefixes every selector (a container's class in a page holding several SVGs)."""
    run = PassView(record, None if pass_index == ALL_PASSES else pass_index).chosen
    if run is None:
        return []
    grad = theme(theme_name).grad
    edges = edge_ids(svg)
    drawn = set(re.findall(r'<g id="(n\d+)" class="node">', svg))
    order = sorted((step, node_id) for node_id, step in run.order.items() if node_id in drawn)
    roots = [node_id for node_id in run.roots if node_id in drawn]
    hidden = [node_id for node_id in drawn if node_id not in roots]
    result = [Step(None, f"{pass_title(run)}: start from the seed", _css(scope, hidden, None, [], grad))]
    reached = set(roots)
    for step, node_id in order:
        lit = [edge for src in reached for edge in edges.get((src, node_id), [])]
        reached.add(node_id)
        name = record.node(node_id)
        label = " ".join(part for part in (name.op, name.name) if part) or node_id
        result.append(
            Step(
                node_id,
                f"step {step} of {len(order)}: {label}",
                _css(scope, [n for n in hidden if n not in reached], node_id, lit, grad),
            )
        )
    return result


def _css(scope: str, hidden: list[str], active: str | None, lit: list[str], grad: str) -> str:
    rules = []
    if hidden:
        rules.append(
            ", ".join(f'{scope}g#{node_id} text[fill="{grad}"]' for node_id in sorted(hidden))
            + " { visibility: hidden; }"
        )
    if active:
        rules.append(
            f"{scope}g#{active} > polygon, {scope}g#{active} > path {{ stroke: {ACTIVE}; stroke-width: 4; }}"
        )
    if lit:
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


def player_html(svg: str, found: list[Step], title: str) -> str:
    """A self-contained page (no network) that plays the steps: ◀ ▶, play/pause,
    a scrubber and the arrow keys."""
    from graphs.notebook import assets

    data = json.dumps({"steps": [{"css": s.css, "caption": s.caption} for s in found]})
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        f'<!doctype html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{assets.text('player.css')}</style></head><body>\n"
        f'<div class="ae-player">{assets.text("player.html")}'
        f'<div class="ae-stage">{svg}</div></div>\n'
        f"<script>{assets.text('player.js')}\n"
        f"autogradPlayer(document.querySelector('.ae-player'), {data}.steps, null);</script>"
        "</body></html>\n"
    )
