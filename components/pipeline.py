"""The core behind Streamlit's cache: program text -> record -> figure -> bytes.

Every step is keyed by plain values (program text, options, DOT text), so a
rerun with an unchanged program and unchanged options is a cache hit and
never runs torch or Graphviz again. Errors are returned, not raised, so an
error message is cached too and a bad program is not re-run on every rerun.
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from components.options import ViewOptions
from graphs.api import classic_source, failed_source, run_source
from graphs.errors import ProgramError
from graphs.export import DotMissing, ExportError, export
from graphs.record import GraphRecord
from graphs.render import dot_source
from graphs.sandbox import SandboxError

CACHE_ENTRIES = 128
# The page waits for this layout; a graph that needs longer gets a message
# (and its DOT file) instead of a page that hangs for the export's full minute.
VIEW_LAYOUT_S = 20.0


@dataclass(frozen=True)
class Run:
    """A program's outcome: its record, or the one-line error and its line."""

    record: GraphRecord | None = None
    error: str | None = None
    line: int | None = None
    prints: tuple[str, ...] = ()  # what a failing program printed before it failed
    partial: GraphRecord | None = None  # a failing program's graph up to the failing line


@dataclass(frozen=True)
class Figure:
    """What the graph view shows: the DOT text, and its SVG when `dot` could
    lay it out (`problem` says why not otherwise)."""

    dot: str
    svg: str | None
    problem: str | None = None
    dot_missing: bool = False


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Running the program…")
def run(source: str) -> Run:
    try:
        return Run(record=run_source(source))
    except ProgramError as err:         # includes SandboxError: a limit stopped the worker
        # A second run draws the graph up to the failing line; not after a limit stopped the first.
        partial = None if isinstance(err, SandboxError) else failed_source(source)
        return Run(error=str(err), line=err.line, prints=tuple(getattr(err, "prints", ())), partial=partial)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Drawing the graph…")
def figure(source: str, options: ViewOptions) -> Figure:
    """The figure of an already successful program (`run(source)` is cached)."""
    if options.classic:
        text = classic_source(source, show_attrs=options.show_attrs)
    else:
        text = dot_source(run(source).record, options.render_options())
    try:
        return Figure(text, export(text, "svg", timeout=VIEW_LAYOUT_S).decode("utf-8"))
    except DotMissing as err:
        return Figure(text, None, str(err), dot_missing=True)
    except ExportError as err:
        return Figure(text, None, str(err))


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Exporting…")
def export_bytes(dot: str, fmt: str, dpi: int | None = None) -> bytes:
    """SVG/PNG/PDF bytes of a figure; the caller only asks when `dot` exists."""
    return export(dot, fmt, dpi=dpi)
