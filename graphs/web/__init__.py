"""Every browser asset of the explorer, and the one reader of them.

The HTML, CSS and JavaScript of the app's components, the notebook's view
and widget, and the step-by-step player are plain files in this folder (not
strings in Python), so an editor, a linter and a reader see them as what
they are. `panzoom.js` and `player.js` are shared by the app and the
notebook. `editor/` holds the program editor: its source, the CodeMirror
bundle built from it (`editor/build.sh`) and CodeMirror's licence.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def text(name: str) -> str:
    """The asset `name` (a path under this folder, `editor/editor.html`), read once per process."""
    return resources.files(__package__).joinpath(*name.split("/")).read_text(encoding="utf-8")


def path(name: str) -> str:
    """Where the asset `name` is on disk (Streamlit's page icon and `st.html` take a path)."""
    return str(resources.files(__package__).joinpath(*name.split("/")))
