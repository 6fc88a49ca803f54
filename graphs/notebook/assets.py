"""The view's HTML, CSS and JavaScript, shipped as package data files.

They are plain files beside this module (not strings in Python) so an editor, a linter and a
reader see them as what they are; `text(name)` reads one once per process.
`panzoom.js` is shared with the app's graph component, and the app's components
read their own files here too: `text(name, __package__)`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def text(name: str, package: str = __package__) -> str:
    return (resources.files(package) / name).read_text(encoding="utf-8")
