"""The SVG allow-list (graphs.render.svgsafe): hostile SVG comes out harmless,
and real `dot` SVG comes out with everything the app reads from it."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from graphs.api import run_in_process
from graphs.render import RenderOptions, dot_source
from graphs.render.export import export
from graphs.render.svgsafe import ANCHOR_ATTRIBUTES, ATTRIBUTES, ELEMENTS, UnsafeSvg, clean_svg

SVG, XLINK = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
OPEN = f'<svg width="10pt" height="10pt" viewBox="0.00 0.00 10.00 10.00" xmlns="{SVG}" xmlns:xlink="{XLINK}">'
MODULES = """\
import torch
from torch import nn
model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 1))
loss = model(torch.ones(4, 3)).sum()
loss.backward()
"""


def cleaned(body: str, opening: str = OPEN) -> str:
    """`body` inside an SVG, cleaned, with the cleaned document's invariants checked."""
    out = clean_svg(f'<?xml version="1.0"?>\n{opening}{body}</svg>'.encode()).decode()
    assert_harmless(out)
    return out


def assert_harmless(svg: str) -> None:
    """Every element and attribute on the lists, no URL scheme or external url() anywhere."""
    root = ET.fromstring(svg)
    assert root.tag == f"{{{SVG}}}svg"
    for element in root.iter():
        tag = element.tag.removeprefix(f"{{{SVG}}}")
        assert tag in ELEMENTS, tag
        for name, value in element.attrib.items():
            name = name.replace(f"{{{XLINK}}}", "xlink:").replace(
                "{http://www.w3.org/XML/1998/namespace}", "xml:"
            )
            assert name in (ANCHOR_ATTRIBUTES if tag == "a" else ATTRIBUTES), name
            if name != "xlink:title":
                squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
                assert not re.search(r"javascript:|vbscript:|data:|url\((?!#)|\\", squeezed), value
    assert "<!" not in svg and "<?xml-stylesheet" not in svg


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        '<script xlink:href="https://evil.example/x.js"/>',
        "<g><script><![CDATA[alert(1)]]></script></g>",
        '<foreignObject width="9" height="9"><div xmlns="http://www.w3.org/1999/xhtml">'
        '<img src="x" onerror="alert(1)"/></div></foreignObject>',
        '<use xlink:href="https://evil.example/sprite.svg#a"/>',
        '<image xlink:href="file:///etc/hostname" width="9" height="9"/>',
        "<style>@import url(https://evil.example/x.css); g { fill: red }</style>",
        '<a xlink:href="#x"><set attributeName="xlink:href" to="javascript:alert(1)"/></a>',
        '<animate attributeName="href" values="javascript:alert(1)"/>',
        '<iframe src="javascript:alert(1)"/>',
        '<svg onload="alert(1)"/>',
        '<html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(1)</html:script>',
    ],
)
def test_dangerous_elements_go_with_all_they_hold(body):
    out = cleaned(f'<g id="n1" class="node"><title>n1</title>{body}<text x="1" y="2">kept</text></g>')
    assert (
        re.search(r"alert|evil|hostname|script|iframe|foreignObject|<use|<image|<style|<set|<animate", out)
        is None
    )
    kept = '<g id="n1" class="node"><title>n1</title><text x="1" y="2">kept</text></g>'
    assert kept in re.sub("<g/>|<a/>", "", out)  # a kept element around a dropped one stays, empty


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " \tjava\nscript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;&#x61;vascript&#x3A;alert(1)",
        "jav&#x09;ascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "DATA:image/svg+xml,<svg onload=alert(1)>".replace("<", "&lt;"),
        "https://evil.example/",
    ],
)
def test_links_lose_every_href_and_keep_their_tooltip(href):
    spellings = [f'xlink:href="{href}"', f'href="{href}"', f'x:href="{href}" xmlns:x="{XLINK}"']
    for spelling in spellings:
        out = cleaned(
            f'<g id="a_n3"><a {spelling} xlink:title="a &lt;tip&gt;" target="_top"><text>t</text></a></g>'
        )
        assert '<g id="a_n3"><a xlink:title="a &lt;tip&gt;"><text>t</text></a></g>' in out


@pytest.mark.parametrize(
    "attribute",
    [
        'onload="alert(1)"',
        'onclick="alert(1)"',
        'ONMOUSEOVER="alert(1)"',
        'fill="url(https://evil.example/a.svg#g)"',
        'fill="url(javascript:alert(1))"',
        "stroke=\"u\\72l('https://evil.example/x')\"",
        'style="background:url(https://evil.example/x)"',
        'style="fill:expression(alert(1))"',
        'style="fill:red;behavior:x"',
        'style="fill:\\75rl(x)"',
        'class="node&quot; onload=&quot;alert(1)"',
        'id="n1&quot;&gt;&lt;script&gt;"',
        'transform="url(data:x)"',
    ],
)
def test_unsafe_attributes_are_dropped(attribute):
    out = cleaned(f'<polygon points="0,0 1,1" {attribute}/>')
    assert '<polygon points="0,0 1,1"/>' in out


def test_plain_presentation_attributes_and_local_urls_stay():
    body = (
        '<defs><linearGradient id="l_1" x1="0" y1="0" x2="1" y2="1">'
        '<stop offset="0" style="stop-color:#ffffff;stop-opacity:1.;"/></linearGradient></defs>'
        '<polygon fill="url(#l_1)" stroke="#444444" stroke-width="2" points="0,0 1,1"/>'
        '<text text-anchor="start" x="1" y="-2" font-family="Helvetica,sans-Serif" font-size="9.00">'
        "a &amp; b</text>"
    )
    assert body in cleaned(body)


def test_entities_and_doctypes_with_their_own_dtd_are_refused():
    laughs = '<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    external = '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
    parameter = '<!DOCTYPE svg [<!ENTITY % p SYSTEM "https://evil.example/x.dtd"> %p;]>'
    for doctype, use in ((laughs, "&b;"), (external, "&x;"), (parameter, "")):
        with pytest.raises(UnsafeSvg, match="refused"):
            clean_svg(f"{doctype}{OPEN}<text>{use}</text></svg>".encode())
    with pytest.raises(UnsafeSvg, match="undeclared entity"):
        clean_svg(f'<!DOCTYPE svg SYSTEM "https://evil.example/x.dtd">{OPEN}<text>&x;</text></svg>'.encode())


def test_graphviz_doctype_comments_and_instructions_go():
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        '<?xml-stylesheet href="https://evil.example/x.css"?>\n<!-- Generated by graphviz -->\n'
        f'{OPEN}<!-- n1 --><g id="n1" class="node"><title>n1</title></g></svg>'
    )
    out = clean_svg(document.encode()).decode()
    assert out.startswith(
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<svg width="10pt" height="10pt"'
    )
    assert '<g id="n1" class="node"><title>n1</title></g></svg>' in out
    assert_harmless(out)


def test_text_is_escaped_whatever_the_input_wrote():
    out = cleaned(
        "<text>&lt;script&gt;alert(1)&lt;/script&gt; <![CDATA[<img src=x onerror=alert(1)>]]> &amp;</text>"
    )
    assert (
        "<text>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; &amp;</text>" in out
    )
    # A title is text only: markup inside it (an HTML integration point in a page) goes.
    assert "<title>n1</title>" in cleaned("<title>n1<a><b>x</b></a></title>")


def test_namespaces_are_ours_whatever_the_input_declared():
    opening = (
        '<svg xmlns="http://www.w3.org/1999/xhtml" xmlns:xlink="https://evil.example/" viewBox="0 0 1 1">'
    )
    out = cleaned('<g xmlns="http://www.w3.org/1999/xhtml" id="n1"/>', opening)
    assert out.count("xmlns") == 2 and f'xmlns="{SVG}" xmlns:xlink="{XLINK}"' in out
    assert '<g id="n1"/>' in out


@pytest.mark.parametrize(
    "document",
    [b"<html><script>alert(1)</script></html>", b"<svg><g></svg>", b"", b"not xml", b"<svg/><svg/>"],
)
def test_documents_that_are_not_one_svg_are_refused(document):
    with pytest.raises(UnsafeSvg):
        clean_svg(document)


def tree(svg: bytes) -> list[tuple]:
    """Every element's tag, attributes and text: the document as the app reads it."""
    return [(e.tag, sorted(e.attrib.items()), e.text, e.tail) for e in ET.fromstring(svg).iter()]


@pytest.mark.parametrize("folded", [False, True])
def test_real_dot_svg_comes_out_the_same(small_record, folded):
    """Graphviz's own SVG loses only its DOCTYPE and comments: node ids and classes,
    titles, tooltips and the viewBox are all there as `dot` wrote them."""
    if folded:
        source = dot_source(run_in_process(MODULES), RenderOptions(folding=frozenset({"model"})))
    else:
        small_record.nodes[0].name = 'a long name <with> & "quotes" ' * 3  # gets a tooltip
        source = dot_source(small_record)
    raw = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=True).stdout
    safe = export(source, "svg")
    assert tree(safe) == tree(raw)
    text = safe.decode()
    assert re.search(r'<g id="a_[nm]\d+"><a xlink:title="[^"]+">', text) or re.search(
        r'<g id="a_node\d+"><a xlink:title="[^"]+">', text
    )
    if folded:
        assert '<g id="clust1" class="cluster">\n<title>cluster_m0</title>' in text
    assert re.search(r'<g id="n0" class="node">\n<title>n0</title>', text)
    assert re.search(r'viewBox="[-\d.]+ [-\d.]+ [\d.]+ [\d.]+"', text)
