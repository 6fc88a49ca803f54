"""The jump to where Inf first appeared, in a real browser (Debian's chromium
through Playwright, against `streamlit run app.py`): on the sqrt lesson, the
player's own button and the findings panel's *Jump to it* both bring the
player to the step that runs SqrtBackward0, and the inspector shows it. And
the export pane's ZIP of every kept pass, downloaded as a user would."""

from __future__ import annotations

import io
import zipfile

from playwright.sync_api import expect

from components.share import encode_code
from graphs.api import run_source
from graphs.catalogue import get
from tests.app.test_player_jump import TWO_PASSES
from tests.e2e.test_e2e_classroom import app_url, browser, open_page  # noqa: F401 (fixtures)


def test_the_player_and_the_findings_panel_jump_to_the_origin(browser, app_url):  # noqa: F811
    record = run_source(get("nan_sqrt").source)
    (finding,) = record.findings
    step = str(record.passes[0].order[finding.node])
    page = open_page(browser, f"{app_url}/?entry=nan_sqrt", 1600, 1150)
    page.get_by_text("Step through backward").click()
    player = page.locator(".ae-player")
    expect(player).to_have_attribute("data-step", "0")
    player.locator("[data-act=jump]").click()
    expect(player).to_have_attribute("data-step", step)
    expect(player.locator(".ae-caption")).to_contain_text("SqrtBackward0")
    expect(page.locator(".st-key-node_facts")).to_contain_text("SqrtBackward0")

    player.locator("[data-act=prev]").click()
    expect(player).to_have_attribute("data-step", str(int(step) - 1))
    page.locator(".st-key-findings").get_by_role("button", name="Jump to it").click()
    expect(player).to_have_attribute("data-step", step)
    expect(page.locator(".st-key-node_facts")).to_contain_text("SqrtBackward0")
    page.close()


def test_the_zip_of_every_kept_pass_downloads(browser, app_url):  # noqa: F811
    page = open_page(browser, f"{app_url}/?code={encode_code(TWO_PASSES)}", 1600, 1000)
    page.locator(".st-key-pane button", has_text="Export").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="2 passes (zip)").click()
    assert download.value.suggested_filename == "program_passes.zip"
    with zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())) as archive:
        assert archive.namelist() == ["pass-0001.svg", "pass-0002.svg"]
        assert "pass 1 · loss nan" in archive.read("pass-0001.svg").decode()
    page.close()
