"""Every kept pass as a file in a ZIP (graphs/render/kept_passes.py): one real
`dot` run per pass, each file's gradient numbers checked against the record."""

from __future__ import annotations

import functools
import io
import zipfile
from xml.etree import ElementTree

from graphs.api import run_in_process
from graphs.record.model import GraphRecord
from graphs.render import RenderOptions
from graphs.render.kept_passes import PROBLEMS, PassDrawing, drawings, passes_zip
from graphs.render.overlay import LEGEND_ID
from graphs.views.format import shown

# Gradient descent on one weight: each pass's gradient of w is a tenth of the one before.
DESCENT = """import torch
w = torch.tensor(2.0, requires_grad=True)
x, y = torch.tensor(3.0), torch.tensor(1.5)
for step in range(4):
    loss = (w * x - y) ** 2
    loss.backward()
    with torch.no_grad():
        w -= 0.05 * w.grad
        w.grad.zero_()
"""
SVG = "{http://www.w3.org/2000/svg}"


@functools.cache
def record() -> GraphRecord:
    return run_in_process(DESCENT)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def texts(svg: bytes) -> list[str]:
    """Every text the SVG draws; parsing it is the check that it is one well-formed SVG."""
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def w_grad(found: GraphRecord, position: int, digits: int | None = 4) -> str:
    """How the figure writes the gradient this pass sent into w (None: as torch prints it)."""
    run = found.passes[position]
    leaf = next(node for node in found.nodes if node.name == "w" and node.id in run.grads)
    return shown(run.grads[leaf.id], leaf.shape, digits).rows[0][0]


def test_one_svg_per_kept_pass_with_that_passes_gradients_and_its_caption():
    found = record()
    files = members(passes_zip(drawings(found, RenderOptions(digits=4)), "svg"))
    assert list(files) == ["pass-0001.svg", "pass-0002.svg", "pass-0003.svg", "pass-0004.svg"]
    grads = [w_grad(found, position) for position in range(4)]
    assert grads == ["27.", "2.7000", "0.2700", "0.0270"]  # 2 * 3 * (3w - 1.5) as torch prints it
    for position, (name, svg) in enumerate(files.items()):
        drawn = texts(svg)
        loss = found.losses[position].value
        assert f"pass {position + 1} · loss {loss:.4g}" in drawn
        assert grads[position] in drawn
        assert [grad for grad in grads if grad in drawn] == [grads[position]], name
    assert found.losses[0].value == 20.25 and "pass 1 · loss 20.25" in texts(files["pass-0001.svg"])


def test_the_overlay_and_a_translated_caption_are_kept_in_every_file():
    options = RenderOptions(overlay="grad_norm")
    files = members(passes_zip(drawings(record(), options, caption=lambda n, _loss: f"第 {n} 次"), "svg"))
    assert len(files) == 4
    for number, svg in enumerate(files.values(), start=1):
        assert f'<g id="{LEGEND_ID}" class="node">'.encode() in svg
        assert f"第 {number} 次" in texts(svg)


def test_png_and_pdf_files_are_real_images():
    found = list(drawings(record(), RenderOptions()))[:2]
    pngs = members(passes_zip(found, "png"))
    assert list(pngs) == ["pass-0001.png", "pass-0002.png"]
    assert all(data.startswith(b"\x89PNG\r\n\x1a\n") for data in pngs.values())
    pdfs = members(passes_zip(found, "pdf"))
    assert all(data.startswith(b"%PDF") for data in pdfs.values()) and len(pdfs) == 2


def test_a_pass_that_fails_is_named_in_the_problems_file_and_the_others_are_kept():
    good = list(drawings(record(), RenderOptions()))
    refused = PassDrawing(9, 'digraph { a [URL="file:///etc/passwd"] }')
    files = members(passes_zip([good[0], refused, good[1]], "svg"))
    assert list(files) == ["pass-0001.svg", "pass-0002.svg", PROBLEMS]
    reason = "the drawing's DOT sets 'URL', an attribute the app never writes"
    assert files[PROBLEMS].decode() == f"pass 9: not drawn: {reason}\n"


def test_the_budgets_leave_out_what_they_cannot_hold_and_say_so():
    out_of_time = members(passes_zip(drawings(record(), RenderOptions()), "svg", seconds=0))
    assert list(out_of_time) == [PROBLEMS]
    lines = out_of_time[PROBLEMS].decode().splitlines()
    reason = "the export's time budget was used up before this pass"
    assert lines == [f"pass {n}: not drawn: {reason}" for n in range(1, 5)]
    no_room = members(passes_zip(drawings(record(), RenderOptions()), "svg", output_mb=0))
    assert list(no_room) == [PROBLEMS] and "size budget" in no_room[PROBLEMS].decode()


def test_a_caption_cannot_break_out_of_its_dot_string():
    (first, *_) = drawings(record(), RenderOptions(), caption=lambda n, _loss: 'a"] b [URL="x\\')
    files = members(passes_zip([first], "svg"))
    assert list(files) == ["pass-0001.svg"]
    assert 'a"] b [URL="x\\' in texts(files["pass-0001.svg"])
