"""DOT -> SVG / PNG / PDF bytes through the real Graphviz `dot` binary.

On the public demo the DOT is written from a stranger's program, and `dot`
amplifies: a layout can take minutes, a tiny DOT can ask for a gigabyte of
SVG, and `dot` reads any file an `image` attribute names. So `check_dot`
refuses DOT with attributes or HTML tags our writers never emit; `dot` runs
with wall-clock, CPU and memory limits and capped output (`_run`), unable to
load files (`_environment`); and every SVG is cut down to an allow-list
(`graphs.render.svgsafe`) that keeps the node ids (`<g id="n3" class="node">`)
the app links clicks with. Every failure is an `ExportError` of one sentence.
"""

from __future__ import annotations

import math
import os
import re
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass

import graphviz

from graphs.render.svgsafe import UnsafeSvg, clean_svg

FORMATS = ("svg", "png", "pdf", "dot")
DEFAULT_TIMEOUT = 20.0  # the app's own view allows as much; the unfolded LSTM (2,809 nodes) takes 15 s
DEFAULT_MEMORY_MB = 2048
DEFAULT_OUTPUT_MB = 64  # the largest catalogue drawing, the unfolded RNN, is a 7 MB SVG
OUTPUT_MB_VARIABLE = "AUTOGRAD_EXPLORER_DOT_OUTPUT_MB"  # an operator's override of the output cap
STDERR_KEPT = 64 * 1024  # of `dot`'s messages, enough for the first line; the rest is read and dropped
_CHUNK = 1 << 16  # bytes per read from and write to `dot`: a pipe's buffer
# What `dot` inherits: fonts, its plugins and a locale; no directory to read graph files from.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "GVBINDIR")
_INHERITED += ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_DIRS")
MIN_DPI, MAX_DPI = 24, 600  # beyond 600 dpi a big graph's bitmap runs to gigabytes
MAX_PIXELS = 8192  # per side: a big graph at high dpi is scaled down, not a 1 GB bitmap
SLIDE_DPI = 100  # with SLIDE_SIZE: a default PNG fills a 1920x1080 slide
SLIDE_SIZE = "19.2,10.8!"  # inches; "!" scales small graphs up as well as big ones down
PDF_SLIDE_SIZE = "13.333,7.5!"  # inches: a 16:9 presentation page (960 x 540 pt)
METRES_PER_INCH = 0.0254
ADVICE = "try the LR direction, hiding values and gradients, or a smaller network"
INSTALL_HINT = (
    "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS) or `conda install -c conda-forge graphviz`"
)


class ExportError(Exception):
    """`dot` failed or was not run; the message is one sentence for the user."""


class DotMissing(ExportError):
    def __init__(self) -> None:
        super().__init__(f"the Graphviz `dot` program was not found on PATH; {INSTALL_HINT}")


class LayoutTimeout(ExportError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"layout took longer than {seconds:g} s; {ADVICE}")


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
    output_mb: int | None = None,
) -> bytes:
    """The figure in format `fmt`.

    `dpi` applies to PNG; without it the image fills a 1920x1080 slide (scaled
    to fit, then the layout spread to the slide's other side: `ratio=fill`
    moves nodes apart, it does not stretch text). No side exceeds
    `MAX_PIXELS`: a capped PNG records the resolution it really has in its
    pHYs chunk, which `png_dpi` reads back. `slide=True` gives a PDF of a 16:9
    presentation page. The whole export gets `timeout` seconds (a capped PNG
    runs `dot` twice within them) and `dot` `memory_mb` of address space: a
    tangled graph can otherwise take minutes and gigabytes (an unrolled RNN of
    5,000 nodes: over 2 minutes, 4 GB). `output_mb` caps what `dot` may write
    (None: `OUTPUT_MB_VARIABLE`, else `DEFAULT_OUTPUT_MB`).
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if dpi is not None and not MIN_DPI <= dpi <= MAX_DPI:
        raise ExportError(f"dpi must be between {MIN_DPI} and {MAX_DPI}, not {dpi}")
    source = graph.source if isinstance(graph, graphviz.Digraph) else graph
    check_dot(source)
    if fmt == "dot":
        return source.encode("utf-8")
    limits = _Limits(timeout, time.monotonic() + timeout, memory_mb, output_mb or output_limit_mb())
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
    out = _run(command, source.encode("utf-8"), limits)
    if fmt == "svg":
        return _safe_svg(out)
    if fmt != "png":
        return out
    if dpi is None:
        return with_dpi(out, SLIDE_DPI)
    width, height = png_pixels(out)
    if max(width, height) < MAX_PIXELS - 1:
        return with_dpi(out, dpi)
    # Capped: the true resolution is the cap over the natural size, which the SVG's points give.
    svg = _run([dot_command(), "-Tsvg"], source.encode("utf-8"), limits).decode("utf-8")
    points = max(float(v) for v in re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"', svg).groups())
    return with_dpi(out, min(dpi, max(width, height) * 72 / points))


def output_limit_mb() -> int:
    """The output cap in MB: the operator's `OUTPUT_MB_VARIABLE`, else `DEFAULT_OUTPUT_MB`."""
    text = os.environ.get(OUTPUT_MB_VARIABLE, "").strip() or str(DEFAULT_OUTPUT_MB)
    if not text.isdigit() or int(text) == 0:
        raise ExportError(f"{OUTPUT_MB_VARIABLE} must be a whole number of megabytes, not {text!r}")
    return int(text)


def _safe_svg(out: bytes) -> bytes:
    try:
        return clean_svg(out)
    except UnsafeSvg as exc:
        raise ExportError(f"`dot` wrote an SVG that was refused: {exc}") from None


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


# The DOT gate. The attribute names our writers emit (graphs.render, the wrapping in
# graphs.render.fit, the classic view); any other is refused before `dot` reads the text.
# Left out on purpose, among others: URL, href, target, image, imagepath, shapefile,
# fontpath, fontnames, stylesheet, charset (links and files), dpi, resolution,
# peripheries (a 31-byte DOT with peripheries=300000 is a 27 MB SVG), nodes' `class`.
DOT_ATTRIBUTES = frozenset(
    {"label", "tooltip", "shape", "style", "color", "fillcolor", "fontcolor", "fontname", "fontsize"}
    | {"penwidth", "arrowsize", "bgcolor", "rankdir", "nodesep", "ranksep", "rank", "size", "id"}
    | {"nslimit", "nslimit1", "mclimit", "splines", "layout", "labeljust", "constraint", "align", "height"}
)
_ALLOWED_VALUES = {"layout": frozenset({"dot", "sfdp"})}  # no engine of the text's own choosing
_REFUSED_VALUES = {
    "splines": re.compile(r"(?i)\s*ortho"),  # orthogonal edges held `dot` for the export's whole limit
    "fontname": re.compile(r"[/\\]"),  # a font named by its path is a file read
}
# HTML labels: tables and fonts, as graphs.render.labels writes them (no IMG, HREF, TITLE, ...).
HTML_TAGS = frozenset({"TABLE", "TR", "TD", "FONT", "B", "I", "U", "S", "O", "SUB", "SUP", "BR"})
HTML_ATTRIBUTES = frozenset(
    {"ALIGN", "BALIGN", "VALIGN", "BGCOLOR", "BORDER", "CELLBORDER", "CELLPADDING", "CELLSPACING"}
    | {"COLOR", "COLSPAN", "ROWSPAN", "SIDES", "STYLE", "POINT-SIZE", "FACE", "WIDTH", "HEIGHT"}
)
_ID = r"(?:[A-Za-z_\x80-\U0010ffff][\w\x80-\U0010ffff]*+|-?(?:\.\d++|\d++(?:\.\d*+)?))"
# Strings as Graphviz's scanner (cgraph/scan.l) reads them: a backslash and the
# character after it are a pair, so '"a\\"' ends at its last quote and '"a\"' goes on.
_QUOTED = r'"(?:[^"\\]++|\\.)*+"'
_HTML = r"<(?:[^<>]++|<[^<>]*+>)*+>"  # two levels of <>: the label and its tags, all our writers nest
_ESCAPE, _ESCAPED = re.compile(r"\\(.)", re.DOTALL), {'"': '"', "\n": ""}  # read left to right, in pairs
_TAG = re.compile(r"<[^<>]*+>")
_ELEMENT = re.compile(r'</?([A-Za-z]++)((?:\s++[A-Za-z-]++\s*+=\s*+"[^"]*+")*+)\s*+/?>', re.ASCII)
_HTML_ATTRIBUTE = re.compile(r'([A-Za-z-]++)\s*+=\s*+"[^"]*+"')
_DOT_TOKENS = re.compile(
    # `name = value`, then an HTML string, then a run of everything else DOT our writers use.
    rf"(?P<name>{_ID}|{_QUOTED})\s*+=\s*+(?P<value>{_ID}|{_QUOTED}|{_HTML})"
    rf"|(?P<html>{_HTML})"
    r"|(?:\s++|//[^\n]*+|/\*.*?\*/|(?<![^\n])#[^\n]*+|->|--|[{}\[\];,:]"
    rf"|{_QUOTED}(?!\s*+=)|{_ID}(?!\s*+=))++",
    re.DOTALL | re.ASCII,  # DOT's spaces and digits are ASCII; other characters are letters
)


def check_dot(source: str) -> None:
    """Refuse (ExportError) DOT asking `dot` for anything our writers never do: the last
    gate, so an escaping slip or DOT that came whole from a worker names no file, link or
    amplifier. One possessive (so linear) regular-expression pass finds each `name=value`
    and HTML string outside strings and comments; text it cannot read as our writers'
    DOT ("+" joins, a stray "=", deeper <> nesting) is refused too. The unfolded LSTM's
    1.4 MB of DOT takes about 50 ms."""
    html: list[str] = []
    position = 0
    # Anchored matches, not a search: a search would retry an unreadable spot (an
    # unclosed "/*") at every later position, quadratic in the text's length.
    while position < len(source) and (match := _DOT_TOKENS.match(source, position)):
        position = match.end()
        if match["name"] is not None:
            _check_attribute(_unquoted(match["name"]), match["value"], html)
        elif match["html"] is not None:
            html.append(match["html"])
    if position != len(source):
        raise ExportError(f"the drawing's DOT has text the app never writes (at character {position})")
    _check_html(html)


def _unquoted(token: str) -> str:
    """A DOT ID as `dot` reads it: quotes, escaped quotes and line continuations removed."""
    if not token.startswith('"'):
        return token
    return _ESCAPE.sub(lambda found: _ESCAPED.get(found[1], found[0]), token[1:-1])


def _check_attribute(name: str, value: str, html: list[str]) -> None:
    if name not in DOT_ATTRIBUTES:
        raise ExportError(f"the drawing's DOT sets {name[:40]!r}, an attribute the app never writes")
    if value.startswith("<"):
        html.append(value)
        return
    text = _unquoted(value)
    allowed, refused = _ALLOWED_VALUES.get(name), _REFUSED_VALUES.get(name)
    if (allowed is not None and text not in allowed) or (refused is not None and refused.search(text)):
        raise ExportError(f"the drawing's DOT sets {name}={text[:40]!r}, which the app never writes")


def _check_html(strings: list[str]) -> None:
    """Every tag in the HTML strings must be on the lists, with listed attributes.

    `_HTML` matched each string as text without "<" or ">" between tags without
    either, so every `<...>` inside is a whole tag, the one Graphviz's own
    parser sees; a tag that is not a plain element tag with double-quoted
    values (a comment, CDATA) is refused. Each distinct tag is read once: a
    figure repeats its few dozen thousands of times.
    """
    tags = set(_TAG.findall("\n".join(string[1:-1] for string in strings)))
    for tag in tags:
        found = _ELEMENT.fullmatch(tag)
        names = [] if found is None else [found[1], *_HTML_ATTRIBUTE.findall(found[2])]
        refused = [name for name in names[1:] if name.upper() not in HTML_ATTRIBUTES]
        if found is None or names[0].upper() not in HTML_TAGS or refused:
            what = tag if found is None else (refused or names)[0]
            raise ExportError(f"the drawing's DOT has an HTML label with {what[:40]!r}; refused")


@dataclass(frozen=True)
class _Limits:
    """What one export allows `dot`, over all its runs."""

    seconds: float  # the time limit asked for (the message names it)
    deadline: float  # time.monotonic() by which the export must be done
    memory_mb: int
    output_mb: int


def _run(command: list[str], data: bytes, limits: _Limits) -> bytes:
    """`dot`'s output for `data`, within `limits`; an ExportError otherwise."""
    remaining = limits.deadline - time.monotonic()
    if remaining <= 0:
        raise LayoutTimeout(limits.seconds)
    process = subprocess.Popen(
        _limited(command, limits.memory_mb, remaining),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(),
    )
    try:
        out, err = _exchange(process, data, limits)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()
    if process.returncode == -signal.SIGXCPU:
        raise LayoutTimeout(limits.seconds)
    if process.returncode != 0:
        if process.returncode < 0 or b"memory" in err.lower():
            raise ExportError(f"layout needed more than {limits.memory_mb} MB of memory; {ADVICE}")
        raise ExportError(f"`dot` failed: {_first_line(err)}")
    return out


def _exchange(process: subprocess.Popen, data: bytes, limits: _Limits) -> tuple[bytes, bytes]:
    """Feed `data` to `dot` and read its output as it comes, until it exits; an ExportError
    (the caller then kills `dot`) the moment the output passes the cap or the deadline
    passes. `communicate()` read it all: a 31-byte DOT made a 374 MB SVG in the server."""
    cap = limits.output_mb * 1024 * 1024
    out: list[bytes] = []
    err = bytearray()
    size = 0
    pending = memoryview(data)
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        selector.register(process.stderr, selectors.EVENT_READ)
        os.set_blocking(process.stdin.fileno(), False)
        selector.register(process.stdin, selectors.EVENT_WRITE)
        while selector.get_map():
            remaining = limits.deadline - time.monotonic()
            if remaining <= 0:
                raise LayoutTimeout(limits.seconds)
            for key, _ in selector.select(remaining):
                if key.fileobj is process.stdin:
                    pending = _feed(selector, process.stdin, pending)
                    continue
                chunk = os.read(key.fd, _CHUNK)
                if not chunk:
                    selector.unregister(key.fileobj)
                elif key.fileobj is process.stderr:
                    err += chunk[: STDERR_KEPT - len(err)]
                else:
                    size += len(chunk)
                    if size > cap:
                        raise ExportError(f"the drawing is larger than {limits.output_mb} MB; {ADVICE}")
                    out.append(chunk)
    try:
        process.wait(max(0.0, limits.deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise LayoutTimeout(limits.seconds) from None
    return b"".join(out), bytes(err)


def _feed(selector: selectors.BaseSelector, stdin, pending: memoryview) -> memoryview:
    """Write what `dot` takes now of `pending`; close its input once all is written,
    or when it stopped reading (a syntax error: its stderr says why)."""
    try:
        pending = pending[os.write(stdin.fileno(), pending[:_CHUNK]) :]
    except BlockingIOError:
        return pending
    except BrokenPipeError:
        pending = pending[:0]
    if not pending:
        selector.unregister(stdin)
        stdin.close()
    return pending


def _limited(command: list[str], memory_mb: int, seconds: float) -> list[str]:
    """`command` exec'd by `/bin/sh` once it has limited its own CPU time and address space.

    One way everywhere (`prlimit`, used before, is util-linux only), with no
    Python between fork and exec (a `preexec_fn` can deadlock the threaded
    server), and no moment when `dot` runs unlimited; `exec` keeps the pid, so
    a kill reaches `dot`. The CPU limit backs up the wall-clock one when no one
    is left to enforce it (a server that died mid-export). Linux must apply
    the memory limit or `dot` does not run; macOS refuses `ulimit -v`, so
    there the time limits alone hold.
    """
    memory = f"ulimit -v {memory_mb * 1024}"
    if not sys.platform.startswith("linux"):
        memory = f"{{ {memory} || :; }} 2>/dev/null"
    script = f'ulimit -t {math.ceil(seconds) + 1} && {memory} && exec "$0" "$@"'
    return ["/bin/sh", "-c", script, *command]


def _environment() -> dict[str, str]:
    """A minimal environment with `SERVER_NAME` set and no `GV_FILE_PATH`: Graphviz then
    loads no file a graph names ("file loading is disabled"). Checked with strace on
    Graphviz 2.43: `image=`, `<IMG SRC>`, `shapefile`, `imagepath` and a font path open nothing."""
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env["SERVER_NAME"] = "autograd-explorer"
    return env


def _first_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[0].strip() if lines else "no error message"
