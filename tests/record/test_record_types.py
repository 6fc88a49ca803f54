"""Reading a record from untrusted data: each check's error says what is wrong and where.

`GraphRecord.from_dict` checks with one function per annotation, made once
(graphs.record.model._check); these pin down that the fast path refuses what the
field-by-field reading refused, in the same words, wherever in a long list
the bad entry sits."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import warnings

import numpy as np
import pytest

from graphs.api import run_in_process
from graphs.record.codec import CodecError, from_plain
from graphs.record.model import GraphRecord, Loss, Operand
from graphs.record.numbers import Listed, entries_of

PROGRAM = """import torch
w = torch.tensor([1.0, -2.0], requires_grad=True)
for step in range(40):
    loss = (w * w).sum()
    loss.backward()
"""


@pytest.fixture(scope="module")
def data() -> dict:
    return json.loads(run_in_process(PROGRAM).to_json())


def refused(data: dict, path: tuple, value) -> str:
    changed = json.loads(json.dumps(data))
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(CodecError) as caught:
        GraphRecord.from_dict(changed)
    return str(caught.value)


def test_a_good_record_reads_back_equal_with_every_loss(data):
    record = GraphRecord.from_dict(data)
    assert record == run_in_process(PROGRAM) and len(record.losses) == 40
    assert all(type(loss) is Loss for loss in record.losses)


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("losses", 37), [37, 4, 1.0], "record.losses[37]: expected dict, got list"),
        (("losses", 37, "index"), True, "record.losses[37].index: expected int, got bool"),
        (("losses", 37, "index"), 3.5, "record.losses[37].index: expected int, got float"),
        (("losses", 37, "line"), "4", "record.losses[37].line: expected int, got str"),
        (("losses", 37, "value"), False, "record.losses[37].value: expected a number, got bool"),
        (("losses", 37, "value"), [1.0], "record.losses[37].value: expected a number, got list"),
        (("losses", 37, "score"), 1.0, "record.losses[37]: unknown field 'score'"),
        (("losses",), {"0": 1.0}, "record.losses: expected list, got dict"),
        (("passes", 0, "order", "n0"), "1", "record.passes[0].order['n0']: expected int, got str"),
        (("passes", 0, "grads"), {"n0": {"min": 0, "mean": 0}}, "record.passes[0].grads['n0']: "),
        (
            ("passes", 0, "grads"),
            {"n0": {"min": 0, "mean": "0", "max": 1}},
            "record.passes[0].grads['n0'].mean",
        ),
        (("nodes", 1, "kind"), "box", "record.nodes[1].kind: expected one of ('op', 'leaf', 'output')"),
    ],
)
def test_a_mistyped_entry_is_refused_with_its_place(data, path, value, message):
    assert refused(data, path, value).startswith(message)


def test_a_loss_missing_a_field_is_refused(data):
    assert refused(data, ("losses", 5), {"index": 5, "line": 4}).startswith("record.losses[5]: ")


def test_nullable_fields_take_none_and_numbers_take_ints(data):
    changed = json.loads(json.dumps(data))
    changed["losses"][3] = {"index": 3, "line": None, "value": 2}
    assert GraphRecord.from_dict(changed).losses[3] == Loss(3, None, 2)


def test_a_value_hooks_refusal_names_where_the_value_sits(data):
    """`from_plain` calls its value hook on tensor contents only, in document
    order, and puts the path in front of the hook's one-line problem."""
    met = []

    def refuse_marked(raw):
        met.append(raw)
        if raw == [1234.5]:
            raise CodecError("the marked value")
        return raw

    changed = json.loads(json.dumps(data))
    node_id = next(iter(changed["passes"][3]["grads"]))
    changed["passes"][3]["grads"][node_id] = [1234.5]
    with pytest.raises(CodecError, match=rf"^record\.passes\[3\]\.grads\['{node_id}'\]: the marked value$"):
        from_plain(GraphRecord, changed, "record", refuse_marked)
    assert met[-1] == [1234.5] and all(not isinstance(value, (dict, str)) for value in met)


def test_a_bad_key_is_named_before_its_value(data):
    assert refused(data, ("passes", 0, "order"), {7: "x"}).startswith("record.passes[0].order key: ")


def test_listed_numbers_survive_being_copied_from_their_entries():
    """`dataclasses.asdict` and `copy.deepcopy` rebuild a list subclass from its
    entries alone: the copy still knows its summary, and Inf with -Inf averages
    to NaN without a numpy warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        entries = entries_of(np.array([math.inf, -math.inf] + [1.0] * 16))
        assert (entries.summary.min, entries.summary.max) == (-math.inf, math.inf)
        plain = dataclasses.asdict(Operand("input 1", [18], entries))["value"]
        deep = copy.deepcopy(entries)
    assert isinstance(entries, Listed)
    for copied in (plain, deep):
        assert list(copied) == list(entries)
        assert (copied.summary.min, copied.summary.max) == (-math.inf, math.inf)
        assert math.isnan(copied.summary.mean)
