"""Length-prefixed frames and bounded JSON: the only formats that cross a process boundary.

Nothing here ever unpickles.  A worker runs a stranger's Python, so every
byte it produces is hostile: the caller reads at most a bounded number of
bytes, refuses deep nesting, and checks the shape of what it decoded.  Frames between the caller and the
monitor (both run only our code) use the same helpers, with the same limits.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

_LENGTH = struct.Struct("!Q")
# The monitor's first frame: the worker is forked and its deadline is running.
STARTED = b"started"
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


def loads(data: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Decode JSON nested at most `max_depth` deep.

    The C decoder stops at the interpreter's recursion limit (RecursionError),
    so megabytes of `[` cost nothing; what is decoded is then walked once,
    without recursion, so nothing downstream recurses deeper than `max_depth`.
    (A scan for brackets before decoding would have to skip strings, and a
    regular expression doing that is quadratic on unterminated ones.)
    """
    try:
        document = json.loads(data)
    except RecursionError:
        raise ChannelError(f"it is nested more than {max_depth} levels deep") from None
    except ValueError as exc:  # UnicodeDecodeError is one too
        raise ChannelError(f"it is not valid JSON ({type(exc).__name__})") from None
    if _depth(document) > max_depth:
        raise ChannelError(f"it is nested more than {max_depth} levels deep")
    return document


def _depth(document: Any) -> int:
    deepest, pending = 0, [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (list, dict)):
            deepest = max(deepest, depth)
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return deepest
