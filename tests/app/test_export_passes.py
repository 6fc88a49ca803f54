"""The export pane's ZIP of every kept pass (components/export_panel.py), with
Streamlit's AppTest: the bytes the download button hands Streamlit are made by
calling the very callable the button registered, as a click would."""

from __future__ import annotations

import io
import zipfile

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from graphs.api import run_source
from tests.app.test_app import pane, run_program, start
from tests.render.test_kept_passes import DESCENT, texts, w_grad

ZIP_NAME = "program_passes.zip"


@pytest.fixture
def deferred(monkeypatch) -> dict[str, object]:
    """File name -> the callable a download button registered for it (made on click)."""
    found: dict[str, object] = {}
    register = MediaFileManager.add_deferred

    def recording(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        found[file_name] = data_callable
        return register(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", recording)
    return found


def passes_button(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.get("download_button") if b.proto.label.endswith("(zip)")]


def unzipped(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_zip_holds_every_kept_pass_as_drawn_with_its_loss(deferred):
    at = pane(run_program(start(), DESCENT), "export")
    assert not at.exception and not at.error
    assert passes_button(at) == ["4 passes (zip)"]
    files = unzipped(deferred[ZIP_NAME]())
    assert list(files) == [f"pass-000{n}.svg" for n in range(1, 5)]
    record = run_source(DESCENT)
    for position, svg in enumerate(files.values()):
        drawn = texts(svg)
        assert f"pass {position + 1} · loss {record.losses[position].value:.4g}" in drawn
        assert w_grad(record, position, digits=None) in drawn  # the page's digits: as torch prints


def test_the_chosen_format_and_language_reach_the_files(deferred):
    at = pane(run_program(start(lang="zh"), DESCENT), "export")
    at.selectbox(key="passes_format").set_value("png").run()
    assert not at.exception
    files = unzipped(deferred[ZIP_NAME]())
    assert list(files) == [f"pass-000{n}.png" for n in range(1, 5)]
    assert all(data.startswith(b"\x89PNG") for data in files.values())
    at.selectbox(key="passes_format").set_value("svg").run()
    first = unzipped(deferred[ZIP_NAME]())["pass-0001.svg"]
    assert "第 1 次 · 损失 20.25" in texts(first)


def test_not_offered_for_one_pass_or_while_a_quiz_hides_the_gradients():
    assert passes_button(pane(start(), "export")) == []  # the two-layer lesson: one pass
    at = run_program(start(quiz="1"), DESCENT)
    assert passes_button(pane(at, "export")) == []
