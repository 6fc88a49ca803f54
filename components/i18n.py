"""The page's language: English or Chinese, through GNU gettext catalogues.

Interface strings are written in English in the code and wrapped in `_()`;
`components/locale/zh/LC_MESSAGES/autograd_explorer.po` holds their Chinese, compiled to
the `.mo` file beside it (`components/locale/build.sh`, run after editing the `.po`; a
test checks that every wrapped string has a translation and that the `.mo`
matches). The catalogue's own prose (titles, explanations) is long Markdown
with LaTeX, so its Chinese lives in `graphs/catalogue/entries_zh.py`, keyed by
slug, and `entry_text` picks it.

The language comes from the link (`?lang=zh`), else the browser
(`st.context.locale`), else English; the switch in the page changes it.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import streamlit as st

from graphs.catalogue import Entry
from graphs.catalogue.entries_zh import TOPICS_ZH, ZH

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"
KEY = "lang"
DOMAIN = "autograd_explorer"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def language() -> str:
    return st.session_state.get(KEY, DEFAULT)


def _(message: str) -> str:
    """`message` in the page's language."""
    return _catalogue(language()).gettext(message)


def translator():
    """`_` for the page's language now. Widgets' `format_func`s use it: Streamlit
    may call them outside the script run, where the language cannot be read."""
    return _catalogue(language()).gettext


def N_(message: str) -> str:
    """Marks a string for the catalogue where it is defined; `_()` translates it where shown."""
    return message


def from_browser(locale: str | None) -> str:
    """The supported language closest to a browser locale ("zh-CN" -> "zh")."""
    base = (locale or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else DEFAULT


def restore(params: Mapping[str, str]) -> None:
    """Set the language once per session: the link's, else the browser's."""
    if KEY in st.session_state:
        return
    wanted = params.get("lang")
    st.session_state[KEY] = wanted if wanted in LANGUAGES else from_browser(st.context.locale)


# Widgets whose options are shown translated. Streamlit keeps such a widget's
# value as its shown text, which a language switch would orphan, so the switch
# writes each value back through session state (the browser then gets it anew).
TRANSLATED_WIDGETS = (
    "opt_digits",
    "opt_rankdir",
    "opt_theme",
    "opt_pass_index",
    "pane",
    "png_size",
    "quiz_scope",
)


def _switched() -> None:
    for key in TRANSLATED_WIDGETS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def switch() -> None:
    """The English / 中文 switch."""
    st.segmented_control(
        "Language / 语言",
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        key=KEY,
        label_visibility="collapsed",
        required=True,
        on_change=_switched,
    )


def entry_title(entry: Entry) -> str:
    return ZH[entry.slug]["title"] if language() == "zh" else entry.title


def entry_explanation(entry: Entry) -> str:
    return ZH[entry.slug]["explanation"].strip() if language() == "zh" else entry.explanation


def topic_title(topic: str, english: str) -> str:
    return TOPICS_ZH[topic] if language() == "zh" else english
