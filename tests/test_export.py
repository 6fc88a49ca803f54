"""Export through the real `dot` binary: formats, PNG resolution, missing
Graphviz and runaway layouts."""

from __future__ import annotations

import os
import re
import struct
import time

import pytest

from graphs.export import MAX_PIXELS, SLIDE_DPI, DotMissing, ExportError, LayoutTimeout, export, png_dpi
from graphs.record import Edge, GraphRecord, Node
from graphs.render import RenderOptions, dot_source, to_dot


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


def test_slow_layout_stops_at_the_time_limit():
    nodes = [Node(f"n{i}", "op", "MulBackward0", None, [], "float32", value=1.0) for i in range(3000)]
    edges = [Edge(f"n{i}", f"n{(i * 7 + 3) % 3000}") for i in range(3000)]
    source = dot_source(GraphRecord(nodes=nodes, edges=edges))
    started = time.perf_counter()
    with pytest.raises(LayoutTimeout, match="layout took longer than 0.2 s; try the LR direction"):
        export(source, "svg", timeout=0.2)
    assert time.perf_counter() - started < 5


def test_layout_memory_is_limited(small_record):
    # With the limit in force from its start, dot cannot even start pango's font
    # thread in 64 MB (it needs about 80 MB for this PNG), whatever the timing.
    with pytest.raises(ExportError, match="layout needed more than 64 MB of memory"):
        export(dot_source(small_record), "png", memory_mb=64)
    assert export(dot_source(small_record), "png")  # the default limit leaves room


def test_memory_limit_holds_from_the_first_instruction(monkeypatch, tmp_path):
    """A `dot` whose first command reports its own address-space limit sees it set:
    the limit is not applied to the process after it has started."""
    probe = tmp_path / "dot"
    probe.write_text("#!/bin/sh\nulimit -v\nulimit -H -v\n")
    probe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert export("digraph {}", "svg", memory_mb=64).split() == [b"65536", b"65536"]  # KiB


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
