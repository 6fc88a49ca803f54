"""A kept pass has one caption (graphs.render.kept_passes.Captions): the scrubber's
label for a pass and the caption under that pass in the export's ZIP are the
same text, in English and in Chinese."""

from __future__ import annotations

import pytest

from tests.app.test_app import pane, run_program, start
from tests.app.test_export_passes import ZIP_NAME, deferred, unzipped  # noqa: F401  (the fixture)
from tests.render.test_kept_passes import DESCENT, texts


@pytest.mark.parametrize(("lang", "first"), [("en", "pass 1 · loss 20.25"), ("zh", "第 1 次 · 损失 20.25")])
def test_the_slider_and_the_zip_caption_each_pass_alike(deferred, lang, first):  # noqa: F811
    at = pane(run_program(start(lang=lang), DESCENT), "export")
    assert not at.exception
    labels = at.select_slider(key="scrub_pass").options
    assert labels[0] == first and len(labels) == 4
    files = unzipped(deferred[ZIP_NAME]())
    for label, svg in zip(labels, files.values(), strict=True):
        assert label in texts(svg)
