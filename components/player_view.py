"""Step through backward in the graph: ◀ ▶, play/pause, a scrubber and the arrow keys.

The same SVG as the graph view, with one CSS rule set per step (made by
`graphs.render.player`) swapped in by `graphs/web/player.js`, the script the
offline HTML player uses too; this component's own HTML, CSS and glue are the
`player_view.*` files beside this module. In a folded figure a step that runs
a node inside a collapsed module outlines the module's box. When the user
steps (not while playing), the step's node goes back to Python and becomes
the inspector's selection. Below the player: the steps as a zip of SVG frames
and as one offline HTML file.

Where the record traces a NaN or Inf to a node of this pass, a button beside
the controls jumps to the step that runs it (`player.origin`), in the offline
file too; the findings panel's button asks for the same step (`request_step`),
which the player shows when it is next drawn with that node among its steps.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from string import Template

import streamlit as st

from components.cache import cached
from components.i18n import _, translator
from graphs import web
from graphs.record.model import Finding, GraphRecord
from graphs.render import player
from graphs.views.folding import FoldedView

HEIGHT = 680
SCOPE = ".ae-player "
GOTO_KEY = "player_goto"  # a step asked for from outside: (the finding, a serial)
# Each request's serial, unique in this server, so the browser follows every request once.
_serials = itertools.count(1)

# The controls, their style and the stepping script are shared with the offline player.
_PLAYER = st.components.v2.component(
    "autograd_player",
    html=Template(web.text("player_view.html")).substitute(controls=web.text("player.html")),
    css=web.text("player.css") + web.text("player_view.css"),
    js=web.text("panzoom.js") + web.text("player.js") + web.text("player_view.js"),
)


@cached(lambda found: sum(map(len, found)))
def _downloads(
    svg: str, steps: tuple[player.Step, ...], name: str, jump: tuple[int, str] | None
) -> tuple[bytes, bytes]:
    """The steps as a zip of SVG frames and as an offline player, made once per figure:
    a folded RNN has 3,000 steps (tens of megabytes of frames), and every step the user
    takes reruns the page. (Bytes, not a callable made on the click: a click while
    a step's rerun is under way would ask for a callable the rerun has replaced.)"""
    offline = player.player_html(svg, list(steps), name, None if jump is None else _jump_data(*jump))
    return player.frames_zip(svg, list(steps)), offline.encode("utf-8")


def _jump_data(index: int, label: str) -> dict[str, object]:
    return {"index": index, "label": label}


def request_step(finding: Finding) -> None:
    """Ask the player to show the step that runs `finding`'s node when it is next drawn."""
    st.session_state[GOTO_KEY] = (finding, next(_serials))


def _requested(record: GraphRecord, found: list[player.Step]) -> dict[str, int] | None:
    """The step asked for by `request_step`, once, if it is one of these steps. A request
    waits while another pass is drawn, and is dropped once another record is shown."""
    finding, serial = st.session_state.get(GOTO_KEY, (None, 0))
    if finding is None:
        return None
    if finding not in record.findings:  # another program: the request was not for it
        del st.session_state[GOTO_KEY]
        return None
    index = next((i for i, step in enumerate(found) if step.node == finding.node), None)
    if index is None:  # another pass is drawn: wait for the finding's own
        return None
    del st.session_state[GOTO_KEY]
    return {"index": index, "serial": serial}


def _jump_label(origin: player.Origin) -> str:
    if origin.finding.kind == "nan":
        return _("Jump to where NaN first appeared")
    return _("Jump to where Inf first appeared")


def player_view(
    record: GraphRecord,
    svg: str,
    pass_index: int | None,
    theme: str,
    on_step: Callable[[str], None],
    name: str,
    key: str = "player",
    folded: FoldedView | None = None,
) -> None:
    """`folded` is the folded view `svg` was drawn from (None: the plain graph)."""
    gettext = translator()
    found = player.steps(record, pass_index, svg, theme, SCOPE, folded, gettext, grouped=True)
    if not found:
        st.info(_("No backward pass yet: nothing to step through."))
        return

    def stepped() -> None:
        node_id = st.session_state[key].get("step")
        if node_id:
            on_step(node_id)

    steps = [{"css": step.css, "caption": step.caption, "node": step.node} for step in found]
    origin = player.origin(record, found)
    jump = None if origin is None else (origin.step, _jump_label(origin))
    _PLAYER(
        key=key,
        data={
            "svg": svg,
            "steps": steps,
            "height": HEIGHT,
            "jump": None if jump is None else _jump_data(*jump),
            "goto": _requested(record, found),
        },
        height=HEIGHT + 90,
        on_step_change=stepped,
    )

    unscoped = player.steps(record, pass_index, svg, theme, folded=folded, gettext=gettext)
    zipped, offline = _downloads(svg, tuple(unscoped), name, jump)  # unscoped steps: standalone files
    left, right = st.columns(2)
    left.download_button(
        _("Steps as SVG frames (zip)"),
        zipped,
        file_name=f"{name}_backward_steps.zip",
        mime="application/zip",
        icon=":material/animated_images:",
        on_click="ignore",
        key="player_zip",
    )
    right.download_button(
        _("Offline HTML player"),
        offline,
        file_name=f"{name}_backward_player.html",
        mime="text/html",
        icon=":material/slideshow:",
        on_click="ignore",
        key="player_html",
    )
