"""Export through the real `dot` binary: formats, PNG resolution, missing
Graphviz, runaway layouts, and the limits on what hostile DOT can make `dot` do."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import time
import tracemalloc
import zlib

import pytest

import graphs.render.export
from graphs.record.model import Edge, GraphRecord, Node
from graphs.render import RenderOptions, dot_source, to_dot
from graphs.render.export import (
    MAX_PIXELS,
    OUTPUT_MB_VARIABLE,
    SLIDE_DPI,
    DotMissing,
    ExportError,
    LayoutTimeout,
    check_dot,
    export,
    png_dpi,
)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_svg_keeps_node_ids(small_record):
    svg = export(to_dot(small_record), "svg").decode()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    for node in small_record.nodes:
        assert f'<g id="{node.id}" class="node">' in svg


def test_png_pixels_scale_with_dpi(small_record):
    source = dot_source(small_record)
    low = png_size(export(source, "png", dpi=72))
    high = png_size(export(source, "png", dpi=144))
    assert abs(high[0] - 2 * low[0]) <= 2 and abs(high[1] - 2 * low[1]) <= 2


def test_default_png_fits_a_1080p_slide(small_record):
    width, height = png_size(export(dot_source(small_record), "png"))
    assert width <= 1921 and height <= 1081
    assert abs(width - 1920) <= 1 or abs(height - 1080) <= 1


def test_png_size_is_capped():
    nodes = [Node(f"n{i}", "op", "AddBackward0", f"h_{i}", [], "float32", value=1.0) for i in range(60)]
    edges = [Edge(f"n{i}", f"n{i + 1}") for i in range(59)]
    source = dot_source(GraphRecord(nodes=nodes, edges=edges), RenderOptions(rankdir="LR"))
    width, height = png_size(export(source, "png", dpi=600))
    assert width <= MAX_PIXELS + 1 and height <= MAX_PIXELS + 1
    assert width > 4000  # scaled down to the cap, not to nothing


def test_pdf_and_dot_text(small_record):
    source = dot_source(small_record)
    assert export(source, "pdf").startswith(b"%PDF")
    assert export(source, "dot") == source.encode()


def test_bad_requests_are_export_errors(small_record):
    with pytest.raises(ExportError, match="unknown format 'gif'"):
        export(dot_source(small_record), "gif")
    with pytest.raises(ExportError, match="dpi must be between"):
        export(dot_source(small_record), "png", dpi=5000)
    with pytest.raises(ExportError, match="`dot` failed: .*syntax error"):
        export("digraph { a -> }", "svg")


def test_missing_dot_says_how_to_install(small_record, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DotMissing) as caught:
        export(dot_source(small_record), "svg")
    assert "apt-get install graphviz" in str(caught.value) and "brew install graphviz" in str(caught.value)
    assert export(dot_source(small_record), "dot")  # the DOT text needs no Graphviz


def tangled() -> str:
    """A graph our own writer draws that takes `dot` many seconds: 3,000 nodes, crossing edges."""
    nodes = [Node(f"n{i}", "op", "MulBackward0", None, [], "float32", value=1.0) for i in range(3000)]
    edges = [Edge(f"n{i}", f"n{(i * 7 + 3) % 3000}") for i in range(3000)]
    return dot_source(GraphRecord(nodes=nodes, edges=edges))


@pytest.mark.parametrize(
    "fmt, options", [("svg", {}), ("png", {}), ("png", {"dpi": 150}), ("pdf", {}), ("pdf", {"slide": True})]
)
def test_every_export_path_stops_at_the_time_limit(fmt, options):
    started = time.perf_counter()
    with pytest.raises(LayoutTimeout, match="layout took longer than 0.3 s; try the LR direction"):
        export(tangled(), fmt, timeout=0.3, **options)
    assert time.perf_counter() - started < 15  # the DOT is written in about 1 s; dot stops at 0.3 s


def test_layout_memory_is_limited(small_record):
    # With the limit in force from its start, dot cannot even start pango's font
    # thread in 64 MB (it needs about 80 MB for this PNG), whatever the timing.
    with pytest.raises(ExportError, match="layout needed more than 64 MB of memory"):
        export(dot_source(small_record), "png", memory_mb=64)
    assert export(dot_source(small_record), "png")  # the default limit leaves room


def test_memory_limit_needs_no_prlimit(small_record, monkeypatch, tmp_path):
    """Only `dot` on PATH (no `prlimit`, as on a system without util-linux): the limit holds."""
    (tmp_path / "dot").symlink_to(shutil.which("dot"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("prlimit") is None
    with pytest.raises(ExportError, match="layout needed more than 64 MB of memory"):
        export(dot_source(small_record), "png", memory_mb=64)
    assert export(dot_source(small_record), "png")


def test_limits_and_environment_hold_from_the_first_instruction(monkeypatch, tmp_path):
    """A `dot` whose first commands report its limits and environment sees them set: the
    limits are not applied to the process after it started, and it is not told where to
    read files from."""
    probe = tmp_path / "dot"
    probe.write_text(
        '#!/bin/sh\nulimit -v\nulimit -H -v\nulimit -t\necho "$SERVER_NAME" "${GV_FILE_PATH:-unset}"\n'
    )
    probe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GV_FILE_PATH", str(tmp_path))
    reported = export("digraph {}", "pdf", memory_mb=64, timeout=4.9).split()
    assert reported == [b"65536", b"65536", b"6", b"autograd-explorer", b"unset"]  # KiB, CPU seconds


def amplifier(nodes: int) -> str:
    """A DOT of a few KB that only uses attributes our writers use, whose SVG is about
    17 KB per node: one long label for every node of a chain."""
    label = "\\n".join(["x" * 1000] * 15)
    return f'digraph {{ node [label="{label}"] {" -> ".join(f"n{i}" for i in range(nodes))} }}'


def test_output_cap_stops_an_amplifier():
    """`dot` is stopped at the cap, and the server never holds the whole drawing."""
    source = amplifier(300)  # 17 KB of DOT, 5 MB of SVG
    assert len(source) < 20_000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ExportError, match=r"^the drawing is larger than 1 MB; try the LR direction"):
            export(source, "svg", output_mb=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 60
    assert peak < 3 * 1024 * 1024
    assert len(export(amplifier(100), "svg", output_mb=4)) > 1024 * 1024  # uncapped it is larger


def test_operator_sets_the_output_cap(monkeypatch):
    monkeypatch.setenv(OUTPUT_MB_VARIABLE, "1")
    with pytest.raises(ExportError, match="the drawing is larger than 1 MB"):
        export(amplifier(100), "svg")
    monkeypatch.setenv(OUTPUT_MB_VARIABLE, "lots")
    with pytest.raises(ExportError, match=f"{OUTPUT_MB_VARIABLE} must be a whole number of megabytes"):
        export("digraph { a }", "svg")


def test_png_states_its_dpi_and_a_capped_one_its_real_dpi(small_record):
    source = dot_source(small_record)
    assert round(png_dpi(export(source, "png", dpi=150))) == 150
    assert round(png_dpi(export(source, "png"))) == SLIDE_DPI
    nodes = [Node(f"n{i}", "op", "AddBackward0", f"h_{i}", [], "float32", value=1.0) for i in range(60)]
    edges = [Edge(f"n{i}", f"n{i + 1}") for i in range(59)]
    long = dot_source(GraphRecord(nodes=nodes, edges=edges), RenderOptions(rankdir="LR"))
    capped = export(long, "png", dpi=600)
    width, _ = png_size(capped)
    assert 30 < png_dpi(capped) < 600  # the cap lowered it, and the file says so
    uncapped = png_size(export(long, "png", dpi=30))[0]  # 30 dpi: well under the cap
    assert abs(width - png_dpi(capped) / 30 * uncapped) < 0.01 * width


def test_slide_pdf_is_a_16_9_page(small_record):
    pdf = export(dot_source(small_record), "pdf", slide=True)
    [box] = re.findall(rb"MediaBox \[ *0 0 (\d+) (\d+) *\]", pdf)
    width, height = map(int, box)
    assert abs(width / height - 16 / 9) < 0.02 and height >= 530


def red_png(size: int = 40) -> bytes:
    """A small, plain red PNG: drawn into a figure, it changes the figure's pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_dot_reads_no_file_a_graph_names(tmp_path, monkeypatch):
    """The gate refuses `image=` and <IMG SRC>; and behind it, `dot` itself (SERVER_NAME
    set) draws the same PNG whether the named file exists or not."""
    marker, absent = tmp_path / "marker.png", tmp_path / "absent.png"
    marker.write_bytes(red_png())
    image = 'digraph {{ a [image="{}" label=""] }}'
    table = 'digraph {{ a [label=<<TABLE><TR><TD><IMG SRC="{}"/></TD></TR></TABLE>>] }}'
    with pytest.raises(ExportError, match="sets 'image', an attribute the app never writes"):
        export(image.format(marker), "png")
    with pytest.raises(ExportError, match="HTML label with 'SRC'"):
        export(table.format(marker), "png")
    # Run as it stands, `dot` does read the file: the red square is drawn.
    dot = shutil.which("dot")
    drawn = [
        subprocess.run([dot, "-Tpng"], input=image.format(p).encode(), capture_output=True).stdout
        for p in (marker, absent)
    ]
    assert drawn[0] != drawn[1]
    monkeypatch.setattr(graphs.render.export, "check_dot", lambda source: None)
    assert export(image.format(marker), "png") == export(image.format(absent), "png")
    with pytest.raises(ExportError, match="file loading is disabled"):
        export(table.format(marker), "png")


HOSTILE_DOT = {
    "URL": 'digraph { a [URL="javascript:alert(1)"] }',
    "href": 'digraph { a [href="https://example.org" target="_top"] }',
    "imagepath": 'digraph { imagepath="/etc"; a }',
    "shapefile": 'digraph { a [shape=custom shapefile="/etc/hostname"] }',
    "fontpath": 'digraph { fontpath="/etc"; a }',
    "stylesheet": 'digraph { stylesheet="https://example.org/x.css"; a }',
    "peripheries": "digraph{a[peripheries=4000000]}",  # 31 bytes: a 374 MB SVG
    "dpi": "digraph { dpi=100000; a }",
    "ortho": 'digraph { splines="Ortho"; a -> b }',
    "engine": "digraph { layout=neato; a -> b }",
    "font file": 'digraph { a [fontname="/etc/hostname"] }',
    "quoted name": 'digraph { a ["image"="/etc/hostname"] }',
    "continued name": 'digraph { a ["ima\\\nge"="/etc/hostname"] }',
    "joined name": 'digraph { a ["im" + "age"="/etc/hostname"] }',
    "html name": 'digraph { a [<image>="/etc/hostname"] }',
    "lower-case img": 'digraph { a [label=<<table><tr><td><img src="/etc/hostname"/></td></tr></table>>] }',
    "html href": 'digraph { a [label=<<TABLE HREF="javascript:alert(1)"><TR><TD>x</TD></TR></TABLE>>] }',
    "single quotes": "digraph { a [label=<<TABLE><TR><TD TITLE='x'>x</TD></TR></TABLE>>] }",
    "html comment": "digraph { a [label=<<!-- x --><B>x</B>>] }",
    "deep nesting": 'digraph { a [label=<<B x="<IMG>">y</B>>] }',
    "escaped quote": 'digraph { a [label="x\\" image="/etc/hostname"] }',
    "unterminated": 'digraph { a [label="x] }',
}


@pytest.mark.parametrize("name", HOSTILE_DOT)
def test_gate_refuses_what_our_writers_never_write(name):
    with pytest.raises(ExportError) as refused:
        export(HOSTILE_DOT[name], "svg")
    assert "\n" not in str(refused.value) and str(refused.value).startswith("the drawing's DOT")


@pytest.mark.parametrize(
    "name", ["<b>x</b>", '"];evil[label="', "&amp;", "\\l", "a\\", "image=x URL=y <IMG SRC=z>"]
)
def test_gate_passes_our_writers_dot_whatever_the_names(small_record, name):
    for node in small_record.nodes:
        node.name = name
    small_record.nodes[0].name = name + "_" * 40  # long enough for a tooltip
    for options in (RenderOptions(show_attrs=True), RenderOptions(theme="slides", rankdir="LR")):
        check_dot(dot_source(small_record, options))
    check_dot('// comment\n# 1 "file"\ndigraph { /* x */ a -> b; {rank=same; a; b} a -> b [style=invis] }')
    # A string ending in an escaped backslash ends there, as Graphviz reads it: the rest is a string.
    check_dot('digraph { a [label="x\\\\" tooltip="  image=/etc/hostname  "] }')
    assert export(dot_source(small_record), "svg").count(b'class="node"') == len(small_record.nodes)


def test_gate_is_cheap():
    """Four tangled graphs' DOT (4 MB) pass in well under the time `dot` takes for one."""
    source = tangled() * 4
    started = time.perf_counter()
    check_dot(source)
    assert time.perf_counter() - started < 5 and len(source) > 2_000_000
