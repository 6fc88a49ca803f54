"""One path from program text to graph record, shared by the app and the CLI."""
from __future__ import annotations

from graphs.capture import Recorder
from graphs.record import GraphRecord
from graphs.snippet import interpret, parse


def run_source(source: str) -> GraphRecord:
    """Check, run and capture a snippet; raises `SnippetError` on bad input."""
    program = parse(source)
    with Recorder() as recorder:
        outcome = interpret(program, recorder)
    return recorder.record(prints=outcome.prints, source=source)
