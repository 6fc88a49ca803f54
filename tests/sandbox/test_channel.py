"""The result channel's depth bound, read from the bytes (graphs.sandbox.channel.depth).

The depth is no longer a walk over the decoded document, so these check it
against one on every kind of document JSON can hold, strings with brackets,
quotes and backslashes in them included, and that what `json.loads` would
guess as another encoding is refused before it is measured."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.sandbox.channel import ChannelError, depth, dumps, loads

TRICKY_TEXT = st.text(alphabet='[]{}"\\,:é\n\x00ab', max_size=8)
DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY_TEXT, inner, max_size=4),
    max_leaves=40,
)


def walked_depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((walked_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((walked_depth(item) for item in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS)
def test_depth_from_the_bytes_equals_a_walk_of_the_document(document):
    for data in (
        dumps(document),
        json.dumps(document, ensure_ascii=False).encode(),
        json.dumps(document, indent=1).encode(),
    ):
        assert depth(data) == walked_depth(document)
        assert loads(data, max_depth=100) == json.loads(data)


def test_the_bound_is_exact_and_counts_objects_and_lists_alike():
    deep = b'{"a":' * 50 + b"[" * 50 + b"1" + b"]" * 50 + b"}" * 50
    assert loads(deep, max_depth=100) is not None
    with pytest.raises(ChannelError, match="nested more than 99 levels"):
        loads(deep, max_depth=99)


def test_brackets_after_escaped_quotes_and_backslashes_stay_inside_their_string():
    data = json.dumps(["\\", '\\"[[[', '"', "]]]]]]\\\\"]).encode()
    assert depth(data) == 1


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_json_in_another_encoding_is_refused(encoding):
    with pytest.raises(ChannelError, match="not valid JSON"):
        loads('["\u5b5b\u5d5d"]'.encode(encoding))
