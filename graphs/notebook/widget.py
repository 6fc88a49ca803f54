"""The live view: an Explorer as an anywidget that redraws when a module is clicked.

The static page (`Explorer._repr_html_`) has no kernel behind it, so a click
on a folded box can only name `view.expand(key)`. Here the page is a synced
trait: the front end (widget.js, which mounts the same view.js the static
page runs) sends `{"action": "expand" | "collapse", "key": key}`, this side
draws `explorer.expand(key)` with Graphviz and sets the new page, and the
front end swaps it in keeping the reader's zoom. A bad key sets `error`, the
one line the widget shows, and leaves the figure as it was.

Importing this module needs anywidget (the `notebook` extra); nothing in the
core imports it. It does not import the Explorer either: `Explorer.widget()`
hands itself in, and all the widget needs of it is the `View` below.
"""

from __future__ import annotations

from typing import Protocol

import anywidget
import traitlets

from graphs import web

ACTIONS = ("expand", "collapse")


class View(Protocol):
    """What the widget asks of the view it shows (an `Explorer`): its page,
    and the same view with a module call opened or closed (ValueError for a
    key the graph does not have)."""

    def page(self, live: bool = False) -> str: ...

    def expand(self, *modules: str) -> View: ...

    def collapse(self, *modules: str) -> View: ...


class ExplorerWidget(anywidget.AnyWidget):
    """`explorer.widget()`: the view, kept in step with the kernel."""

    # One module for the front end: the shared pan/zoom, the view, the widget glue.
    _esm = "\n".join(web.text(name) for name in ("panzoom.js", "view.js", "widget.js"))
    page = traitlets.Unicode("").tag(sync=True)  # the view's HTML without its script
    error = traitlets.Unicode("").tag(sync=True)  # one line on what the last click could not do

    def __init__(self, explorer: View) -> None:
        super().__init__(page=explorer.page(live=True))
        self.explorer = explorer
        self.on_msg(self._clicked)

    def _clicked(self, _widget, content: dict, _buffers) -> None:
        action, key = content.get("action"), content.get("key")
        try:
            if action not in ACTIONS or not isinstance(key, str):
                raise ValueError(f"cannot {action!r} {key!r}: a click asks to expand or collapse a module")
            explorer = getattr(self.explorer, action)(key)
            page = explorer.page(live=True)
        except ValueError as err:
            self.error = ""  # the same line again must still reach the front end as a change
            self.error = str(err)
            return
        self.explorer = explorer
        with self.hold_sync():
            self.error = ""
            self.page = page
