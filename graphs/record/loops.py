"""Loop iterations in a record: module calls of a kind of their own.

The worker records each iteration of a program's `for` and `while` loops
as an entry of `GraphRecord.modules` (graphs.worker.loopmarks), so ops know
their iteration as they know their module call, and folding
(graphs.views.folding) folds iterations as it folds calls. This is the
vocabulary both sides share: an iteration's path is `loop@L<line>` (no module
path has an `@`), its kind `for loop` or `while loop` (no class name has a
space), its call number the iteration's.
"""

from __future__ import annotations

import re

from graphs.record.model import ModuleCall

LOOP_KINDS = ("for loop", "while loop")
PATH_PREFIX = "loop@L"
_LINE = re.compile(r"[0-9]{1,9}")  # a program line: ASCII digits, never a forged 5,000-digit number


def loop_path(line: int) -> str:
    """The path of a loop's iterations: `loop@L12` for the loop on line 12."""
    return f"{PATH_PREFIX}{line}"


def is_loop(call: ModuleCall) -> bool:
    """Whether `call` is a loop iteration (not a module call)."""
    return call.kind in LOOP_KINDS and call.path.startswith(PATH_PREFIX)


def loop_line(call: ModuleCall) -> int | None:
    """The program line of an iteration's loop statement (None: not an iteration)."""
    digits = call.path.removeprefix(PATH_PREFIX)
    return int(digits) if is_loop(call) and _LINE.fullmatch(digits) else None
