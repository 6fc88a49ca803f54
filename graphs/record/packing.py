"""Tensor values on the worker's wire: each listed value packed into one string of its bytes.

A worker's record is mostly numbers, and a JSON number cost the server about
half a microsecond to read; packed, a value is one string read at C speed.
`Packer` is the worker's value hook for `graphs.record.codec.to_plain`,
`Unpacker` the gate's (`graphs.record.decode`), which hears each value's
size from its header before a byte of its data is decoded.
"""

from __future__ import annotations

import base64
import binascii
import re
import typing
from dataclasses import dataclass
from math import prod
from typing import Any

import numpy as np

from graphs.record.codec import MAX_DIMS, CodecError
from graphs.record.numbers import entries_of

# The packed form of a tensor value: "<code>:<shape>:<base64 of its little-endian
# bytes>", one JSON string the server reads at C speed, where a JSON number cost
# it ~0.5 us (a float printed with 17 digits); a string, not a dict: one object
# to decode instead of four. Floats are float64, or float32 when every one is a
# float32 exactly (a float32 tensor's): half the bytes, the same floats back.
_CODES = {float: "f8", int: "i8", bool: "b1"}  # a Python entry's type -> its code
_DTYPES = {"f8": np.dtype("<f8"), "f4": np.dtype("<f4"), "i8": np.dtype("<i8"), "b1": np.dtype("?")}
# Each dimension at least 1 (an empty tensor is sent as lists, with no bytes to
# pack), so unpacking makes at most as many lists as the shape has entries.
_DIM = "[1-9][0-9]{0,9}"
_HEADER = re.compile(f"(f8|f4|i8|b1):({_DIM}(?:,{_DIM}){{0,{MAX_DIMS - 1}}}):")
# Fewer entries travel as JSON lists: the server reads them as fast (~10 us at 16).
_MIN_PACKED = 16
# A value equal to the record's n-th packed value (`Packer`).
_REFERENCE = re.compile(r"@([0-9]{1,9})")


def pack(value: Any) -> Any:
    """A tensor value's wire form: a rectangular nest of floats, ints (int64) or
    bools as one packed string, exactly; numbers, None, short lists and lists
    that cannot be packed exactly (mixed kinds, ints past int64, ragged) as they are."""
    if not isinstance(value, list):  # a `Listed` too
        return value
    try:
        array = np.array(value)
    except (ValueError, OverflowError, TypeError):  # ragged, or deeper than numpy goes
        return value
    code = _CODES.get(_entry_type(value, array.ndim))
    if code is None or array.size < _MIN_PACKED or array.dtype.kind != _DTYPES[code].kind:
        return value  # e.g. an int past int64 makes a uint64 or object array
    if code == "f8":
        with np.errstate(over="ignore"):  # a float past float32's range: stays float64
            narrow = array.astype(_DTYPES["f4"])
        if np.array_equal(narrow, array, equal_nan=True):
            code = "f4"
    data = base64.b64encode(array.astype(_DTYPES[code], copy=False).tobytes()).decode("ascii")
    return f"{code}:{','.join(map(str, array.shape))}:{data}"


def _entry_type(value: list, ndim: int) -> type | None:
    """The one Python type of a rectangular nest's entries, or None when they mix
    (numpy would silently make 1 of True, or 1.0 of 1)."""
    rows = [value]
    for _ in range(ndim - 1):
        rows = [row for outer in rows for row in outer]
    kinds: set[type] = set()
    for row in rows:
        kinds.update(map(type, row))
    return kinds.pop() if len(kinds) == 1 else None


class Packer:
    """`to_plain`'s value hook for the wire, one per record: each value packed,
    one equal to the n-th packed before it sent as `@<n>`. A leaf's gradient is
    in `grads`, `grad_after` and `final_grads`: 3/4 of gpt2_small's packed bytes."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def __call__(self, value: Any) -> Any:
        packed = pack(value)
        if type(packed) is not str:
            return packed
        number = self.numbers.get(packed)
        if number is not None:
            return f"@{number}"
        self.numbers[packed] = len(self.numbers)
        return packed


class Unpacker:
    """Reads one record's packed values and references to them (strings), in
    the order they come. `admit(count)` hears each one's entry count before
    its data is decoded or a reference copied, and raises to refuse it: a
    short reference can stand for thousands of entries."""

    def __init__(self, admit: typing.Callable[[int], None]) -> None:
        self.admit = admit
        self.arrays: list[np.ndarray] = []

    def __call__(self, text: str) -> list:
        reference = _REFERENCE.fullmatch(text)
        if reference is not None:
            number = int(reference.group(1))
            if number >= len(self.arrays):
                raise CodecError(f"it refers to packed value {number}, which was not sent before it")
            array = self.arrays[number]
            self.admit(array.size)
        else:
            packed = Packed.parse(text)
            self.admit(packed.count)
            array = packed.array()
            self.arrays.append(array)
        return entries_of(array)  # new lists, never shared between two values


@dataclass(frozen=True)
class Packed:
    """A packed value's header, read before any of its data is decoded."""

    code: str
    shape: tuple[int, ...]
    count: int  # entries
    data: str

    @classmethod
    def parse(cls, text: str) -> Packed:
        header = _HEADER.match(text)
        if header is None:
            raise CodecError("not a packed tensor (f8, f4, i8 or b1:shape:base64, or @n)")
        code, dims = header.groups()
        shape = tuple(map(int, dims.split(",")))
        return cls(code, shape, prod(shape), text[header.end() :])

    def array(self) -> np.ndarray:
        """The entries, shaped; the data's length is checked before it is decoded."""
        size = self.count * _DTYPES[self.code].itemsize
        if len(self.data) != 4 * -(-size // 3):
            raise CodecError(f"its data does not hold the {size:,} bytes of its shape")
        try:
            data = binascii.a2b_base64(self.data, strict_mode=True)
        except ValueError:  # binascii.Error, or a character beyond ASCII
            raise CodecError("its data is not base64") from None
        if len(data) != size:
            raise CodecError(f"its data does not hold the {size:,} bytes of its shape")
        return np.frombuffer(data, _DTYPES[self.code]).reshape(self.shape)
