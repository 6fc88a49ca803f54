"""The wire form of tensor values (`graphs.record.packing`: `pack`, `Packer`, `Unpacker`):
exact both ways, packed only where that is exact, and a forged packed value
refused before its data is decoded.

A worker sends its record with `GraphRecord.to_wire()`; the server reads it
with `graphs.record.decode.record`, which must give back the record the worker
built, number for number and type for type."""

from __future__ import annotations

import base64
import json
import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.api import run_in_process, run_source
from graphs.catalogue import get
from graphs.errors import ProgramError
from graphs.record import decode
from graphs.record.codec import CodecError
from graphs.record.model import GraphRecord
from graphs.record.numbers import Listed, Summary
from graphs.record.packing import Packed, Packer, Unpacker, pack
from graphs.sandbox import channel
from graphs.views import format as fmt

CATALOGUE = ["two_layer_sigmoid", "accumulation", "second_derivatives", "jacobian_rows", "gpt2_small"]


def unpacked(text: str) -> list:
    return Unpacker(lambda count: None)(text)


def same(a: object, b: object) -> bool:
    """Equal entry for entry, each of the same type, NaN equal to NaN (a
    `Listed` is a list: one that knows its summary)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is not type(b):
        return False
    if type(a) is float and math.isnan(a):
        return math.isnan(b)
    return a == b and (type(a) is not float or math.copysign(1, a) == math.copysign(1, b))


@pytest.fixture(scope="module")
def records() -> dict[str, GraphRecord]:
    return {slug: run_in_process(get(slug).source) for slug in CATALOGUE}


@pytest.mark.parametrize("slug", CATALOGUE)
def test_a_catalogue_record_reads_back_from_its_wire_form_equal(records, slug):
    data = channel.dumps({"ok": records[slug].to_wire()})
    found = decode.record(channel.loads(data)["ok"])
    assert found == records[slug]
    assert found.to_json() == records[slug].to_json()  # 1 and 1.0 and true told apart


def test_a_worker_sends_packed_values_and_the_server_reads_the_same_record(records):
    assert run_source(get("jacobian_rows").source) == records["jacobian_rows"]


def test_a_failing_programs_partial_record_arrives_whole():
    source = "import torch\nw = torch.ones(4, 8, requires_grad=True)\n(w * 2).sum().backward()\n1 / 0\n"
    with pytest.raises(ProgramError, match="ZeroDivisionError") as caught:
        run_source(source)
    assert caught.value.record.named("w").value == [[1.0] * 8] * 4


def test_gpt2s_record_is_a_fifth_of_its_json_on_the_wire(records):
    built = records["gpt2_small"]
    assert len(channel.dumps(built.to_wire())) < len(built.to_json()) / 5


def test_the_in_process_forms_keep_plain_lists(records):
    """`to_dict`/`to_json` (the CLI's --json, downloads, files) never pack."""
    built = records["gpt2_small"]
    data = built.to_dict()
    values = [node["value"] for node in data["nodes"]] + list(data["final_grads"].values())
    assert not any(isinstance(value, str) for value in values)
    assert any(isinstance(value, list) and len(value) >= 16 for value in values)
    assert GraphRecord.from_dict(json.loads(built.to_json())) == built


@pytest.mark.parametrize(
    "value, code",
    [
        ([0.1, -2.5, 1e300, -0.0], "f8"),
        ([[1.5, 2.0], [3.25, -4.0]], "f4"),
        ([float("nan"), float("inf"), -float("inf"), -0.0], "f4"),
        ([[[1, -(2**63)], [2**63 - 1, 0]]], "i8"),
        ([True, False, True, False], "b1"),
        ([1e-310, 1.0, 2.0, 3.0], "f8"),  # a float32 would flush it to zero
        ([3.4e39, 1.0, 2.0, 3.0], "f8"),  # past float32's range
    ],
)
def test_a_rectangular_nest_of_one_kind_packs_and_reads_back_exactly(value, code):
    value = [value] * 4  # 16 entries or more: fewer travel as lists
    packed = pack(value)
    assert packed.startswith(code + ":")
    assert same(unpacked(packed), value)


@pytest.mark.parametrize(
    "value",
    [
        None,
        1.5,
        7,
        True,
        [],
        [[]] * 20,
        [1.0] * 15,  # too few entries to be worth it
        [1.0, 2] * 8,  # mixed: numpy would make 2.0 of 2
        [True, 1] * 8,  # numpy would make 1 of True
        [2**63] * 16,  # past int64
        [-(2**64)] * 16,
        [[1.0] * 16, [2.0] * 17],  # ragged
        [[1.0] * 16, 2.0],
        [1.0, None] * 8,
        [1 + 2j] * 16,
        ["1.0"] * 16,
    ],
)
def test_what_cannot_pack_exactly_travels_as_it_is(value):
    assert pack(value) is value


def test_a_repeated_value_travels_as_a_reference_and_reads_back_as_new_lists():
    packer, value, other = Packer(), [[1.0, 2.0] * 8], [3.0] * 16
    first, again, third = packer(value), packer(json.loads(json.dumps(value))), packer(other)
    assert again == "@0" and third.startswith("f4:16:") and packer(other) == "@1"
    reader = Unpacker(lambda count: None)
    values = [reader(first), reader(again), reader(third)]
    assert values == [value, value, other] and values[0] is not values[1]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(width=64), min_size=16, max_size=40)
    | st.lists(st.floats(width=32), min_size=16, max_size=40)
    | st.lists(st.integers(-(2**63), 2**63 - 1), min_size=16, max_size=40)
    | st.lists(st.booleans(), min_size=16, max_size=40),
    st.integers(1, 3),
)
def test_any_packable_value_round_trips(entries, rows):
    value = [list(entries) for _ in range(rows)]
    packed = pack(value)
    assert type(packed) is str and same(unpacked(packed), value)


def test_an_unpacked_value_of_more_than_16_entries_carries_its_summary():
    """The figure shows it as min/mean/max: computed once here, from the array,
    not from its entries at every redraw."""
    value = [[float(i) - 5.0 for i in range(20)], [0.5] * 20]
    found = unpacked(pack(value))
    assert isinstance(found, Listed) and found == value
    assert found.summary == Summary(min=-5.0, mean=(sum(range(20)) - 100 + 10) / 40, max=14.0)
    assert fmt.summarize(found) is found.summary
    assert not isinstance(unpacked(pack([1.0] * 16)), Listed)  # 16 entries: shown entry by entry


def test_the_count_is_admitted_before_the_data_is_decoded():
    admitted = []

    def admit(count: int) -> None:
        admitted.append(count)
        raise OverflowError("refused")

    with pytest.raises(OverflowError):
        Unpacker(admit)("f8:1000000000,1000000000:not base64 at all")
    assert admitted == [10**18]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "not a packed tensor"),
        ("1.5", "not a packed tensor"),
        ("f2:2:AAAA", "not a packed tensor"),
        ("f8:0:", "not a packed tensor"),  # no empty dimensions
        ("f8:-1:", "not a packed tensor"),
        ("f8:٣:AAAA", "not a packed tensor"),  # digits are ASCII digits
        ("f8:" + ",".join(["1"] * 65) + ":AAAAAAAAAAA=", "not a packed tensor"),  # 65 dimensions
        ("f8:2:" + base64.b64encode(b"\0" * 8).decode(), "does not hold the 16 bytes"),
        ("f8:1:" + base64.b64encode(b"\0" * 8).decode() + "AAAA", "does not hold the 8 bytes"),
        ("f8:1:AAAAAAAAAA!=", "not base64"),
        ("f8:1:AAAAAAAAAAé=", "not base64"),
        ("f8:1:AAAA=AAAAAA=", "not base64"),
        ("@0", "was not sent before it"),
        ("@x", "not a packed tensor"),
    ],
)
def test_a_forged_packed_value_is_refused_in_one_line(text, problem):
    with pytest.raises(CodecError, match=problem) as caught:
        unpacked(text)
    assert "\n" not in str(caught.value)


def test_a_packed_bool_reads_any_nonzero_byte_as_true():
    data = base64.b64encode(bytes([0, 1, 2, 255])).decode()
    assert unpacked(f"b1:4:{data}") == [False, True, True, True]


def test_packed_floats_are_little_endian_float64_bytes():
    text = pack([0.1, 2.0] * 8)
    code, shape, data = text.split(":")
    assert (code, shape) == ("f8", "16") and base64.b64decode(data) == struct.pack("<16d", *[0.1, 2.0] * 8)
    assert Packed.parse(text).array().dtype == np.dtype("<f8")
