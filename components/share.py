"""The shareable view: what goes into the URL and how a link restores it.

The URL holds either a catalogue slug (`entry`) or the typed program
(`code`, zlib-compressed and URL-safe base64 encoded so a short program fits
comfortably in a link), plus every display option that differs from its
default, `quiz=1` in quiz mode and the page's language (`lang=zh`), and the
modules opened by hand (`folding=net,net.blocks,cell@499`: the keys of
`graphs.views.folding`, `-` for all collapsed). Opening such a link restores
exactly that view.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Mapping
from dataclasses import replace

import streamlit as st

from components.display import ViewOptions
from components.i18n import _
from graphs.views import folding

# The longest program a link may carry once decompressed; a link is user
# input, so it must not be able to make the server inflate a zip bomb.
MAX_CODE_CHARS = 20_000
# A module key as graphs.views.folding writes it: a dotted path, `@n` from its second call.
_MODULE_KEY = re.compile(rf"{folding.KEY.pattern}|\*")  # `*`: graphs.views.folding.UNFOLDED
NO_MODULES = "-"
MAX_FOLDING_CHARS = 20_000


def encode_code(source: str) -> str:
    """Compress a program into a URL-safe token."""
    packed = zlib.compress(source.encode("utf-8"), level=9)
    return base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode_code(token: str) -> str | None:
    """The program a token carries, or None when the token is damaged."""
    try:
        packed = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_CODE_CHARS * 4)
        if not inflater.eof or inflater.unconsumed_tail:
            return None
        return raw.decode("utf-8")
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError):
        return None


def encode_folding(keys: frozenset[str]) -> str:
    return ",".join(sorted(keys)) or NO_MODULES


def decode_folding(text: str | None) -> frozenset[str] | None:
    """The module keys a link opens, or None (automatic) when absent or damaged."""
    if text is None or len(text) > MAX_FOLDING_CHARS:
        return None
    if text == NO_MODULES:
        return frozenset()
    keys = text.split(",")
    return frozenset(keys) if all(_MODULE_KEY.fullmatch(key) for key in keys) else None


def to_params(
    entry: str | None, source: str, options: ViewOptions, quiz: bool = False, lang: str = "en"
) -> dict[str, str]:
    """The query parameters describing this view (defaults left out). The
    language is always written, so a link opens in the language it was shared
    in whatever the reader's browser prefers."""
    params = {"entry": entry} if entry else {"code": encode_code(source)}
    params.update(options.to_params())
    if options.folding is not None:
        params["folding"] = encode_folding(options.folding)
    if quiz:
        params["quiz"] = "1"
    params["lang"] = lang
    return params


def from_params(params: Mapping[str, str]) -> tuple[str | None, str | None, ViewOptions]:
    """(entry slug, typed program, options) read back from query parameters."""
    code = params.get("code")
    source = decode_code(code) if code else None
    options = replace(ViewOptions.from_params(params), folding=decode_folding(params.get("folding")))
    return params.get("entry"), source, options


def sync_url(entry: str | None, source: str, options: ViewOptions, quiz: bool, lang: str) -> None:
    """Make the browser's URL describe the current view (only when it changed,
    so the history does not fill with identical entries)."""
    wanted = to_params(entry, source, options, quiz, lang)
    if dict(st.query_params.to_dict()) != wanted:
        st.query_params.from_dict(wanted)


def copy_link(entry: str | None, source: str, options: ViewOptions, quiz: bool, lang: str) -> None:
    """A popover with the full link and a copy button (st.code has one)."""
    params = to_params(entry, source, options, quiz, lang)
    query = "&".join(f"{key}={value}" for key, value in params.items())
    base = (st.context.url or "").split("?")[0]
    with st.popover(_("Share"), icon=":material/link:", help=_("A link that reopens exactly this view")):
        st.caption(_("Copy this link (button at the right of the box):"))
        st.code(f"{base}?{query}", language=None, wrap_lines=True)
