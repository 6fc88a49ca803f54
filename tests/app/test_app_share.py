"""Share links: the URL form of a view, read back exactly, and safe to open
whatever a link contains (a link is user input)."""

from __future__ import annotations

import base64
import zlib

from hypothesis import given
from hypothesis import strategies as st

from components.display import DEFAULTS, ViewOptions
from components.share import MAX_CODE_CHARS, decode_code, encode_code, from_params, to_params

options = st.builds(
    ViewOptions,
    show_values=st.booleans(),
    show_grads=st.booleans(),
    show_attrs=st.booleans(),
    show_order=st.booleans(),
    digits=st.sampled_from([None, 0, 2, 4, 8]),
    rankdir=st.sampled_from(["auto", "TB", "LR"]),
    theme=st.sampled_from(["light", "dark", "slides"]),
    classic=st.booleans(),
    pass_index=st.none() | st.integers(-1, 20),
)


@given(st.text(max_size=2000), options)
def test_a_typed_program_and_options_survive_the_url(source, view):
    params = to_params(None, source, view)
    assert all(value.isascii() and "=" not in value and "+" not in value for value in params.values())
    assert from_params(params) == (None, source, view)
    assert to_params(None, source, view, quiz=True, lang="zh")["quiz"] == "1"


@given(options)
def test_a_catalogue_entry_is_named_not_copied(view):
    params = to_params("two_layer_sigmoid", "ignored", view)
    assert params["entry"] == "two_layer_sigmoid" and "code" not in params
    assert from_params(params) == ("two_layer_sigmoid", None, view)


def test_default_options_leave_the_url_short():
    assert to_params("add_one", "", DEFAULTS) == {"entry": "add_one", "lang": "en"}


def test_damaged_or_oversized_code_is_refused():
    token = encode_code("x = torch.ones(3)\n")
    assert decode_code(token[:-4]) is None  # cut short
    assert decode_code("not base64 at all!") is None
    assert decode_code(base64.urlsafe_b64encode(b"plain").decode()) is None  # not zlib
    bomb = zlib.compress(b"a" * (MAX_CODE_CHARS * 100))
    assert decode_code(base64.urlsafe_b64encode(bomb).decode()) is None


def test_unreadable_options_fall_back_to_defaults():
    view = ViewOptions.from_params(
        {"digits": "99", "theme": "neon", "rankdir": "XY", "pass_index": "-2", "show_values": "0"}
    )
    assert view == ViewOptions(show_values=False)
