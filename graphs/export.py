"""DOT -> SVG / PNG / PDF bytes through the real Graphviz `dot` binary.

Layout can take minutes on some graphs, so every call has a time limit and
fails with a message saying what to try instead of hanging a page or a
terminal. Nothing is post-processed: the SVG keeps the node ids
(`<g id="n3" class="node">`) the app uses to link clicks to nodes.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib

import graphviz

FORMATS = ("svg", "png", "pdf", "dot")
DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY_MB = 2048
MIN_DPI, MAX_DPI = 24, 600  # beyond 600 dpi a big graph's bitmap runs to gigabytes
MAX_PIXELS = 8192  # per side: a big graph at high dpi is scaled down, not a 1 GB bitmap
SLIDE_DPI = 100  # with SLIDE_SIZE: a default PNG fills a 1920x1080 slide
SLIDE_SIZE = "19.2,10.8!"  # inches; "!" scales small graphs up as well as big ones down
PDF_SLIDE_SIZE = "13.333,7.5!"  # inches: a 16:9 presentation page (960 x 540 pt)
METRES_PER_INCH = 0.0254
INSTALL_HINT = (
    "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS) or `conda install -c conda-forge graphviz`"
)


class ExportError(Exception):
    """`dot` failed; the message is one sentence for the user."""


class DotMissing(ExportError):
    def __init__(self) -> None:
        super().__init__(f"the Graphviz `dot` program was not found on PATH; {INSTALL_HINT}")


class LayoutTimeout(ExportError):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"layout took longer than {seconds:g} s; try the LR direction, "
            "hide values and gradients, or a smaller network"
        )


def dot_command() -> str:
    """Path of `dot`, looked up on the current PATH every call (so a changed PATH counts)."""
    found = shutil.which("dot", path=os.environ.get("PATH", ""))
    if found is None:
        raise DotMissing()
    return found


def export(
    graph: str | graphviz.Digraph,
    fmt: str,
    dpi: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY_MB,
    slide: bool = False,
) -> bytes:
    """The figure in format `fmt`.

    `dpi` applies to PNG; without it the image fills a 1920x1080 slide (scaled
    to fit, then the layout spread to the slide's other side: `ratio=fill`
    moves nodes apart, it does not stretch text). No side exceeds
    `MAX_PIXELS`: a capped PNG records the resolution it really has in its
    pHYs chunk, which `png_dpi` reads back. `slide=True` gives a PDF of a 16:9
    presentation page. `dot` runs with `timeout` seconds and `memory_mb` of
    address space: a tangled graph can otherwise take minutes and gigabytes
    (an unrolled RNN of 5,000 nodes: over 2 minutes, 4 GB).
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
        command += (
            [f"-Gdpi={dpi}", f"-Gsize={MAX_PIXELS / dpi:.2f},{MAX_PIXELS / dpi:.2f}"]
            if dpi
            else [f"-Gdpi={SLIDE_DPI}", f"-Gsize={SLIDE_SIZE}", "-Gratio=fill"]
        )
    if fmt == "pdf" and slide:
        # margin=0: PDF pages otherwise add half an inch on every side.
        command += [f"-Gsize={PDF_SLIDE_SIZE}", "-Gratio=fill", "-Gmargin=0"]
    out = _run(command, source.encode("utf-8"), timeout, memory_mb)
    if fmt != "png":
        return out
    if dpi is None:
        return with_dpi(out, SLIDE_DPI)
    width, height = png_pixels(out)
    if max(width, height) < MAX_PIXELS - 1:
        return with_dpi(out, dpi)
    # Capped: the true resolution is the cap over the natural size, which the SVG's points give.
    svg = _run([dot_command(), "-Tsvg"], source.encode("utf-8"), timeout, memory_mb).decode("utf-8")
    points = max(float(v) for v in re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"', svg).groups())
    return with_dpi(out, min(dpi, max(width, height) * 72 / points))


def png_pixels(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (always the first)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ExportError("`dot` did not write a PNG")
    return struct.unpack(">II", png[16:24])


def with_dpi(png: bytes, dpi: float) -> bytes:
    """`png` with a pHYs chunk saying `dpi` (Graphviz's cairo writer leaves it
    out, so slide software and printers guessed 72 or 96)."""
    per_metre = round(dpi / METRES_PER_INCH)
    body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)
    chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body))
    end_of_ihdr = 8 + 8 + 13 + 4
    return png[:end_of_ihdr] + chunk + png[end_of_ihdr:]


def png_dpi(png: bytes) -> float | None:
    """The resolution a PNG's pHYs chunk states, or None without one."""
    at = png.find(b"pHYs")
    if at < 0:
        return None
    per_metre, _, unit = struct.unpack(">IIB", png[at + 4 : at + 13])
    return per_metre * METRES_PER_INCH if unit == 1 else None


def _run(command: list[str], data: bytes, timeout: float, memory_mb: int) -> bytes:
    """Run `dot` under a wall-clock limit and an address-space limit."""
    process = subprocess.Popen(
        _limited(command, memory_mb), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        out, err = process.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise LayoutTimeout(timeout) from None
    if process.returncode != 0:
        if process.returncode < 0 or b"memory" in err.lower():
            raise ExportError(
                f"layout needed more than {memory_mb} MB of memory; try the LR "
                "direction, hiding values and gradients, or a smaller network"
            )
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
