"""Issue 17 in a real browser (Debian's chromium, headless, Playwright) against
`streamlit run app.py`: a share link opens the classic (torchviz) view with
saved attributes on a program whose custom autograd Function is named like a
Graphviz HTML label, with a `javascript:` link and an `<IMG SRC>` naming a
file on the server. torchviz's label for its node then starts with `<` and
ends with `>`; the page must show it as text, with no link, no image, and
nothing of the file, in the page (its shadow roots and frames included) or
in any download of the export panel.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from components.share import encode_code
from tests.e2e.test_e2e_browser import FIRST_RUN_MS
from tests.e2e.test_e2e_classroom import app_url, browser, settle  # noqa: F401
from tests.serving import require_chromium
from tests.worker.test_classic import RED, hostile_program, marker_png

require_chromium(module=True)

# Every attribute through which an element points somewhere, in the document,
# every (open) shadow root and, run per frame, every frame.
POINTERS = """() => {
  const found = [];
  const visit = (root) => {
    for (const element of root.querySelectorAll('*')) {
      for (const attribute of element.attributes) {
        if (/^(href|xlink:href|src|srcdoc|action|formaction)$/i.test(attribute.name)) {
          found.push([element.tagName.toLowerCase(), attribute.name, attribute.value]);
        }
      }
      if (element.shadowRoot) visit(element.shadowRoot);
    }
  };
  visit(document);
  return found;
}"""
# What the graph's SVG holds besides its text: links, images, anything with an href.
GRAPH_MARKUP = (
    """(svg) => [...svg.querySelectorAll('a, image, [href], [*|href]')].map((el) => el.outerHTML)"""
)


@pytest.fixture(scope="module")
def marker(tmp_path_factory) -> Path:
    """A server file the program names in its `<IMG SRC>`; red, so any export that drew it shows."""
    return marker_png(tmp_path_factory.mktemp("server") / "marker.png")


def pointers(page: Page) -> list[tuple[str, str, str]]:
    return [tuple(found) for frame in page.frames for found in frame.evaluate(POINTERS)]


def downloaded(page: Page, button: str) -> bytes:
    with page.expect_download() as download:
        page.locator("[data-testid=stDownloadButton] button", has_text=button).click()
    return Path(download.value.path()).read_bytes()


def harmless_svg(svg: str, marker: Path) -> None:
    markup = re.sub(r"<text\b[^>]*>[^<]*</text>", "", svg)  # what is not the figure's text
    assert "javascript:" not in markup and not re.search(r"<a\b|<image\b|href=", markup)
    assert marker.name not in markup


def test_a_classic_share_link_shows_a_hostile_label_as_text_and_exports_no_file(
    browser,  # noqa: F811
    app_url,  # noqa: F811
    marker,
):
    page = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="en-GB", accept_downloads=True
    ).new_page()
    link = f"{app_url}/?code={encode_code(hostile_program(marker))}&classic=1&show_attrs=1"
    page.goto(link)
    label = page.locator(".viewport svg text", has_text='<<TABLE HREF="javascript:alert(1)">')
    label.first.wait_for(timeout=FIRST_RUN_MS)  # torchviz's label, drawn as the text it is
    settle(page)
    expect(page.locator(".viewport svg text", has_text="tail: </TD></TR></TABLE>>")).to_have_count(1)
    assert page.locator(".viewport svg").evaluate(GRAPH_MARKUP) == []

    found = pointers(page)
    assert found, "the scan found no links at all: it did not reach the page"
    assert not [p for p in found if p[2].strip().lower().startswith("javascript:")], found
    assert not [p for p in found if marker.name in p[2]], found
    assert not [p for p in found if not own(*p, app_url)], found
    print(f"\n{len(found)} links and sources in the page, its shadow roots and frames: all the app's own")

    page.locator(".st-key-pane button", has_text="Export").click()
    harmless_svg(downloaded(page, "SVG").decode(), marker)
    png = Image.open(io.BytesIO(downloaded(page, "PNG"))).convert("RGB")
    assert RED not in {colour for _, colour in png.getcolors(1 << 24)}  # dot never drew the file
    assert b"/Subtype /Image" not in downloaded(page, "PDF")
    dot = downloaded(page, "DOT").decode()
    assert "digraph" in dot and not re.search(r"label=<", dot)
    page.context.close()


def own(tag: str, attribute: str, value: str, origin: str) -> bool:
    """A pointer within the app: relative, a fragment, on the app's own origin,
    or the page icon Streamlit inlines as a data URI."""
    scheme = re.match(r"[a-z][a-z0-9+.-]*:", value.strip(), re.IGNORECASE)
    return scheme is None or value.startswith(origin) or (tag == "link" and value.startswith("data:image/"))
