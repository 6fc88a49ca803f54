"""DOT -> SVG / PNG / PDF bytes through the real Graphviz `dot` binary.

Layout can take minutes on some graphs, so every call has a time limit and
fails with a message saying what to try instead of hanging a page or a
terminal. Nothing is post-processed: the SVG keeps the node ids
(`<g id="n3" class="node">`) the app uses to link clicks to nodes.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import graphviz

FORMATS = ("svg", "png", "pdf", "dot")
DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY_MB = 2048
MIN_DPI, MAX_DPI = 24, 600       # beyond 600 dpi a big graph's bitmap runs to gigabytes
MAX_PIXELS = 8192               # per side: a big graph at high dpi is scaled down, not a 1 GB bitmap
SLIDE_DPI = 100                 # with SLIDE_SIZE: a default PNG fills a 1920x1080 slide
SLIDE_SIZE = "19.2,10.8!"       # inches; "!" scales small graphs up as well as big ones down
INSTALL_HINT = ("install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
                "`brew install graphviz` (macOS) or `conda install -c conda-forge graphviz`")


class ExportError(Exception):
    """`dot` failed; the message is one sentence for the user."""


class DotMissing(ExportError):
    def __init__(self) -> None:
        super().__init__(f"the Graphviz `dot` program was not found on PATH; {INSTALL_HINT}")


class LayoutTimeout(ExportError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"layout took longer than {seconds:g} s; try the LR direction, "
                         "hide values and gradients, or a smaller network")


def dot_command() -> str:
    """Path of `dot`, looked up on the current PATH every call (so a changed PATH counts)."""
    found = shutil.which("dot", path=os.environ.get("PATH", ""))
    if found is None:
        raise DotMissing()
    return found


def export(graph: str | graphviz.Digraph, fmt: str, dpi: int | None = None,
           timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB) -> bytes:
    """The figure in format `fmt`.

    `dpi` applies to PNG; without it the image fits a 1920x1080 slide. Either
    way no side exceeds `MAX_PIXELS`. `dot` runs with `timeout` seconds and
    `memory_mb` of address space: a tangled graph can otherwise take minutes
    and gigabytes (an unrolled RNN of 5,000 nodes: over 2 minutes, 4 GB).
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if dpi is not None and not MIN_DPI <= dpi <= MAX_DPI:
        raise ExportError(f"dpi must be between {MIN_DPI} and {MAX_DPI}, not {dpi}")
    source = graph.source if isinstance(graph, graphviz.Digraph) else graph
    if fmt == "dot":
        return source.encode("utf-8")
    command = [dot_command(), f"-T{fmt}"]
    if fmt == "png":
        command += [f"-Gdpi={dpi}", f"-Gsize={MAX_PIXELS / dpi:.2f},{MAX_PIXELS / dpi:.2f}"] if dpi \
            else [f"-Gdpi={SLIDE_DPI}", f"-Gsize={SLIDE_SIZE}"]
    return _run(command, source.encode("utf-8"), timeout, memory_mb)


def _run(command: list[str], data: bytes, timeout: float, memory_mb: int) -> bytes:
    """Run `dot` under a wall-clock limit and an address-space limit."""
    process = subprocess.Popen(_limited(command, memory_mb), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = process.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise LayoutTimeout(timeout) from None
    if process.returncode != 0:
        if process.returncode < 0 or b"memory" in err.lower():
            raise ExportError(f"layout needed more than {memory_mb} MB of memory; try the LR "
                              "direction, hiding values and gradients, or a smaller network")
        raise ExportError(f"`dot` failed: {_first_line(err)}")
    return out


def _limited(command: list[str], memory_mb: int) -> list[str]:
    """`command` started by `prlimit`, so its memory limit holds from its first instruction.

    `prlimit` (util-linux) sets the address-space limit on itself and then execs
    `dot`: there is no moment when `dot` runs unlimited (setting the limit on
    `dot`'s pid after it started raced a fast layout), and no Python runs between
    fork and exec, which a `preexec_fn` would do and which can deadlock in the
    app's threaded server. Where there is no `prlimit` (not Linux) only the time
    limit applies.
    """
    launcher = shutil.which("prlimit")
    if launcher is None:
        return command
    return [launcher, f"--as={memory_mb * 1024 * 1024}", "--", *command]


def _first_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[0].strip() if lines else "no error message"
