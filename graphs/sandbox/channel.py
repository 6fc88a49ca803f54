"""Length-prefixed frames and bounded JSON: the only formats that cross a process boundary.

Nothing here ever unpickles.  A worker runs a stranger's Python, so every
byte it produces is hostile: the caller reads at most a bounded number of
bytes, refuses deep nesting, and checks the shape of what it decoded.  Frames between the caller and the
monitor (both run only our code) use the same helpers, with the same limits.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import struct
from typing import Any

import numpy as np

_LENGTH = struct.Struct("!Q")
# The monitor's first frame: the worker is forked and its deadline is running.
STARTED = b"started"
# A worker's report of how far it has got: a line with this mark, before its
# document (which starts with `{`), relayed to the caller as a frame.
REPORT = b"report:"
# The longest report line a monitor relays, mark included; a longer one ends reporting.
MAX_REPORT = 1024
# The caller's request that the running call stop early, and the signal it reaches the worker as.
STOP = b"stop"
STOP_SIGNAL = signal.SIGUSR1
_report_fd: int | None = None  # set in a worker by `report_to`: where `report` writes
# Deep enough for any tensor torch can make (at most 64 dimensions) inside a record.
MAX_DEPTH = 100


class ChannelError(Exception):
    """A frame or a document broke the protocol; the text says how, in plain words."""


def send_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(_LENGTH.pack(len(payload)) + payload)


def recv_frame(sock: socket.socket, limit: int) -> bytes:
    """One frame of at most `limit` bytes; EOF or a longer frame is a `ChannelError`."""
    (length,) = _LENGTH.unpack(_recv_exactly(sock, _LENGTH.size))
    if length > limit:
        raise ChannelError(f"a message of {length} bytes is over the limit of {limit}")
    return _recv_exactly(sock, length)


def report_to(fd: int) -> None:
    """Called in a worker, once locked in: `report` writes its lines on `fd`."""
    global _report_fd
    _report_fd = fd


def report(document: Any) -> None:
    """Tell the caller how far the job has got (a REPORT line); nothing outside a worker."""
    if _report_fd is None:
        return
    view = memoryview(REPORT + dumps(document) + b"\n")
    while view:
        view = view[os.write(_report_fd, view) :]


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, missing = [], size
    while missing:
        chunk = sock.recv(min(missing, 1 << 20))
        if not chunk:
            raise ChannelError("the other side closed the connection mid-message")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def dumps(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def loads(data: bytes, max_depth: int = MAX_DEPTH, max_values: int | None = None) -> Any:
    """Decode JSON nested at most `max_depth` deep, of at most `max_values` values.

    Decoding makes a Python object per value, and a small one costs tens of
    bytes per byte of JSON (`[],` is 3 bytes and a 64-byte list), so before
    anything is decoded the values are counted from the bytes: separators
    and containers, strings included, an upper bound at C speed. A container
    counts as eight values: an empty dict or list costs eight times a float.

    The C decoder stops at the interpreter's recursion limit (RecursionError),
    so megabytes of `[` cost nothing. Once it has accepted the document, every
    string in it is terminated, so the depth is read from the bytes at C
    speed: strings cut out (a linear expression on valid JSON), the brackets
    left over summed as +1/-1. Walking the decoded document in Python instead
    cost a 2,000-step loop's result 15 ms. The bytes must be UTF-8 (what
    `dumps` writes): `json.loads` would also guess UTF-16 or UTF-32, where a
    bracket byte can hide inside another character.
    """
    if max_values is not None:
        values = data.count(b",") + 1 + 8 * (data.count(b"[") + data.count(b"{"))
        if values > max_values:
            raise ChannelError(f"it holds more than {max_values:,} values ({values:,})")
    try:
        document = json.loads(data.decode())
    except RecursionError:
        raise ChannelError(f"it is nested more than {max_depth} levels deep") from None
    except ValueError as exc:  # UnicodeDecodeError is one too
        raise ChannelError(f"it is not valid JSON ({type(exc).__name__})") from None
    if depth(data) > max_depth:
        raise ChannelError(f"it is nested more than {max_depth} levels deep")
    return document


# A JSON string, escapes and all; linear because a backslash always takes the next byte.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Bracket bytes as steps of depth: opening +1, closing -1 (as int8); every other byte dropped.
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def depth(data: bytes) -> int:
    """How deep the containers of a valid UTF-8 JSON document nest (0 for a bare value)."""
    steps = _STRING.sub(b"", data).translate(_STEPS, _NOT_BRACKETS)
    if not steps:
        return 0
    return int(np.frombuffer(steps, dtype=np.int8).cumsum(dtype=np.int64).max())
