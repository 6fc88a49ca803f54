"""`python -m graphs render PROGRAM -o OUT.zip`: every kept pass of a program,
one file each in a ZIP (`graphs.render.kept_passes`), as the app's export pane
offers it: how the gradients evolved over a training loop, for slides and notes.

Each pass is drawn with the view options `render` was given, captioned in
English (`pass 3 · loss 0.27`), as everything else the command line writes is.
A pass the export could not draw is named with its reason in the ZIP's
problems.txt and counted on stderr; when no pass could be drawn, or the
program made none, there is nothing to write: one error line instead.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from graphs.record.model import GraphRecord
from graphs.render.export import ExportError
from graphs.render.kept_passes import PROBLEMS, drawings, passes_zip
from graphs.render.options import RenderOptions

SUFFIX = "zip"
DEFAULT_FORMAT = "svg"


@dataclass(frozen=True)
class Zipped:
    """The ZIP's bytes, how many passes it draws and why the others are not drawn."""

    data: bytes
    drawn: int
    problems: list[str]

    def note(self, name: str) -> str | None:
        """The stderr line for passes left out (None: every pass drawn)."""
        if not self.problems:
            return None
        total = self.drawn + len(self.problems)
        return f"{len(self.problems)} of {total} passes not drawn: {PROBLEMS} in {name} says why"


def every_pass(record: GraphRecord, options: RenderOptions, fmt: str, seconds: float) -> Zipped:
    """Every kept pass of `record` drawn with `options` as `fmt` files, within
    `seconds` for the whole export; an ExportError when nothing can be drawn."""
    if not record.passes:
        raise ExportError(
            "the program made no backward pass, so a .zip of passes would be empty; "
            "-o OUT.svg draws its forward graph"
        )
    data = passes_zip(drawings(record, options), fmt, seconds=seconds)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        problems = archive.read(PROBLEMS).decode("utf-8").splitlines() if PROBLEMS in names else []
    drawn = len(names) - (PROBLEMS in names)
    if not drawn:
        raise ExportError(f"no pass could be drawn: {problems[0]}")
    return Zipped(data, drawn, problems)
