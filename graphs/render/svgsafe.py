"""Graphviz SVG cut down to an allow-list before any page shows it.

The text in the SVG comes from a stranger's program (op names, tensor
names, tooltips), and a browser runs script from an SVG in many ways:
`<script>`, `on*` handlers, `javascript:` links, HTML in `<foreignObject>`,
SMIL `<set>` rewriting an `href`, `<use>` or `<image>` pulling in another
document. Our DOT writers escape that text, and `graphs.render.export` refuses DOT
with link or image attributes; this module is the wall behind them, so one
escaping slip in a writer is not a script in a teacher's page.

It keeps what the app and its JavaScript use, in the same form: the
`<svg>` with its size and viewBox, `<g id="n3" class="node">` groups,
`<title>` text (the node's name), shapes and text, and the tooltip anchors
Graphviz wraps around a node (`<g id="a_n3"><a xlink:title="...">`), whose
`<a>` keeps its title and nothing else (no `href`: it links nowhere). Every
other element is dropped with all it contains, every other attribute is
dropped, and so is any kept attribute whose value names a `javascript:`,
`vbscript:` or `data:` URL or a `url(...)` other than a same-document
`url(#id)` (in any case or spacing; character references are already
decoded by the parser). Comments, processing instructions and the DOCTYPE
go; the output says its namespaces itself.

Parsing is expat without namespace processing: names are compared as
written, and since the output declares the SVG and XLink namespaces on its
root and drops every other `xmlns`, no prefix trick can bring in an element
or attribute that is not on the list. Entity declarations (the "billion
laughs") and references to undeclared entities are refused, and expat
loads no external entity or DTD.
"""

from __future__ import annotations

import re
from xml.parsers import expat

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
PROLOG = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
ELEMENTS = frozenset(
    {"svg", "g", "title", "a", "polygon", "polyline", "path", "ellipse", "text"}
    | {"defs", "linearGradient", "radialGradient", "stop"}  # Graphviz's gradient fills
)
ATTRIBUTES = frozenset(
    {"id", "class", "transform", "width", "height", "viewBox", "preserveAspectRatio", "points", "d"}
    | {"x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "rx", "ry", "r", "fx", "fy", "offset"}
    | {"fill", "fill-opacity", "stroke", "stroke-width", "stroke-dasharray", "stroke-opacity"}
    | {"stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "opacity", "style", "xml:space"}
    | {"font-family", "font-size", "font-weight", "font-style", "font-variant", "font-stretch"}
    | {"text-anchor", "text-decoration", "baseline-shift", "gradientUnits", "gradientTransform"}
)
ANCHOR_ATTRIBUTES = frozenset({"id", "class", "xlink:title"})  # a tooltip: its text, never a link
# Removed before matching, so "java\tscript:" and " JavaScript :" are caught too.
_IGNORED = re.compile(r"[\x00-\x20\x7f]+")
_SCHEMES = ("javascript:", "vbscript:", "data:")
_URL = re.compile(r"url\(")
_LOCAL_URL = re.compile(r"url\(#[\w.:-]+\)")
# A style attribute survives only as declarations of listed properties with plain
# values: no quotes, parentheses, backslashes (CSS escapes) or "@", so it can neither
# load nor run anything. Checked one declaration at a time: a single pattern over the
# whole attribute backtracked exponentially on a long hostile one.
_DECLARATION = re.compile(r"\s*([a-z-]+)\s*:[#\w .,%-]*")  # the value class holds the spaces
STYLE_PROPERTIES = ATTRIBUTES | {"stop-color", "stop-opacity"}
_ID = re.compile(r"[\w.:-]+")
_CLASS = re.compile(r"[\w -]*")
# Numbers, path data, colours and font names: nothing that could name a URL or
# needs escaping (no ":", "(", "\\", "&", "<", quotes or line breaks).
_PLAIN = re.compile(r"[\w .,#%+-]*")
_MARKUP = re.compile(r"[&<>]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIBUTE_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)


class UnsafeSvg(ValueError):
    """The SVG could not be read safely; the message is one line."""


def clean_svg(data: bytes) -> bytes:
    """`data` (an SVG document) with only allow-listed elements and attributes, as UTF-8."""
    cleaner = _Cleaner()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.ordered_attributes = True
    parser.StartDoctypeDeclHandler = _doctype
    parser.EntityDeclHandler = _entity
    parser.SkippedEntityHandler = _skipped
    parser.StartElementHandler = cleaner.start
    parser.EndElementHandler = cleaner.end
    parser.CharacterDataHandler = cleaner.text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise UnsafeSvg(f"the SVG is not well-formed XML ({expat.errors.messages[exc.code]})") from None
    if not cleaner.out:
        raise UnsafeSvg("the SVG has no <svg> element")
    return (PROLOG + "".join(cleaner.out) + "\n").encode("utf-8")


def _doctype(name: str, system_id: str | None, public_id: str | None, has_internal_subset: bool) -> None:
    """Graphviz writes a DOCTYPE naming the public SVG DTD and nothing more."""
    if has_internal_subset:
        raise UnsafeSvg("the SVG declares its own DTD, which is refused")


def _entity(*_: object) -> None:
    raise UnsafeSvg("the SVG declares an entity, which is refused")


def _skipped(name: str, is_parameter_entity: bool) -> None:
    raise UnsafeSvg(f"the SVG refers to an undeclared entity &{name};")


class _Cleaner:
    """Expat's callbacks, writing the kept part of the document as it is parsed.

    `skipping` counts the open elements inside a dropped one: all they hold
    goes with it. An element's start tag stays open (`pending`) until its first
    child or text, so an empty one is written `<polygon .../>` as Graphviz does.
    """

    def __init__(self) -> None:
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0
        self.pending = False
        # (name, value) -> its written form ("" when dropped): a figure repeats its
        # colours, fonts and sizes thousands of times, each checked once.
        self.written: dict[tuple[str, str], str] = {}

    def start(self, tag: str, attributes: list[str]) -> None:
        if self.skipping or not self._allowed(tag):
            self.skipping += 1
            return
        self._close_start()
        self.out.append(f"<{tag}{self._attributes(tag, attributes)}")
        if not self.open:
            self.out.append(f' xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}"')
        self.open.append(tag)
        self.pending = True

    def end(self, tag: str) -> None:
        if self.skipping:
            self.skipping -= 1
            return
        self.open.pop()
        self.out.append("/>" if self.pending else f"</{tag}>")
        self.pending = False

    def text(self, data: str) -> None:
        if self.skipping or not self.open:
            return
        self._close_start()
        self.out.append(data.translate(_TEXT_ESCAPES) if _MARKUP.search(data) else data)

    def _allowed(self, tag: str) -> bool:
        """The root must be <svg>; below it, listed elements, none inside a <title>."""
        if not self.open:
            if tag != "svg":
                raise UnsafeSvg(f"the SVG's root element is <{tag}>, not <svg>")
            return True
        return tag in ELEMENTS and tag != "svg" and self.open[-1] != "title"

    def _close_start(self) -> None:
        if self.pending:
            self.out.append(">")
            self.pending = False

    def _attributes(self, tag: str, flat: list[str]) -> str:
        """The kept attributes of one element, in their order, quoted and escaped."""
        if tag == "a":
            return "".join(_written(flat[i], flat[i + 1], ANCHOR_ATTRIBUTES) for i in range(0, len(flat), 2))
        kept = []
        for index in range(0, len(flat), 2):
            key = (flat[index], flat[index + 1])
            found = self.written.get(key)
            if found is None:
                found = self.written[key] = _written(*key, ATTRIBUTES)
            kept.append(found)
        return "".join(kept)


def _written(name: str, value: str, allowed: frozenset[str]) -> str:
    """` name="value"` escaped, or "" for an attribute that is not kept."""
    if name not in allowed:
        return ""
    plain = _PLAIN.fullmatch(value) is not None
    if not _harmless(name, value, plain):
        return ""
    return f' {name}="{value if plain else value.translate(_ATTRIBUTE_ESCAPES)}"'


def _harmless(name: str, value: str, plain: bool) -> bool:
    """Whether a listed attribute's value can load or run nothing.

    A tooltip is only ever shown as text, and a program's names may well
    contain "data:", so `xlink:title` is not checked for URLs."""
    if name == "xlink:title":
        return True
    if name == "id":
        return _ID.fullmatch(value) is not None
    if name == "class":
        return _CLASS.fullmatch(value) is not None
    if name == "style" and not _plain_style(value):
        return False
    if plain:
        return True
    squeezed = _IGNORED.sub("", value).lower()
    if "\\" in squeezed or any(scheme in squeezed for scheme in _SCHEMES):
        return False
    urls = len(_URL.findall(squeezed))
    return urls == 0 or (urls == 1 and _LOCAL_URL.fullmatch(squeezed) is not None)


def _plain_style(value: str) -> bool:
    """Whether every declaration in a style attribute is a listed property with a plain value."""
    for declaration in value.split(";"):
        if not declaration.strip():
            continue
        found = _DECLARATION.fullmatch(declaration)
        if found is None or found.group(1) not in STYLE_PROPERTIES:
            return False
    return True
