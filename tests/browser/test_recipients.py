"""Someone else gets the texts too: the account adds a second number, its owner's code confirms it, and the
dashboard shows both numbers, in a real browser at desktop and phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import share_session
from tests.support.journeys import signed_up_user
from tests.support.polling import wait_until

pytestmark = pytest.mark.browser

OWN = "+447400123450"
SECOND = "+447400123456"


def code_on_the_phone_of(page, emulator_url: str, number: str) -> tuple[str, str]:
    """Open the emulated phone of `number` in another tab: the code, and the text that carried it."""
    phone = page.context.new_page()

    def code_text():
        phone.goto(f"{emulator_url}/phone/{number}")
        text = phone.locator("table").inner_text()
        return text if re.search(r"\b\d{6}\b", text) else None

    try:
        text = wait_until(code_text, seconds=30, interval=0.5, what="the code text on the second phone")
        return re.search(r"\b(\d{6})\b", text).group(1), text
    finally:
        phone.close()


def test_a_second_number_is_added_confirmed_by_its_owner_and_shown_with_the_first(
    page, screenshot, live_app, live_emulator, emulator, sign_in, start_worker
):
    start_worker()
    _, _, session = signed_up_user(emulator, sign_in, "google", phone=OWN)
    share_session(page, live_app.url, session)

    page.goto(live_app.url + "/dashboard")
    people = page.locator("#recipients-section")
    expect(people).to_contain_text("Nobody else yet")
    page.get_by_role("link", name="Add someone who should also get these texts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Someone else who gets the texts")
    page.get_by_label("Your name, as they know you").fill("Sam")
    page.get_by_label("Their mobile number").fill("07400 123")
    page.get_by_label("A tracker has not synced for a day").uncheck()
    page.get_by_role("button", name="Text them a code").click()
    expect(page.locator("#phone-error")).to_be_visible()
    screenshot(page, "recipient-add-error")

    page.get_by_label("Their mobile number").fill("07400 123456")
    page.get_by_role("button", name="Text them a code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Type the code they got")
    screenshot(page, "recipient-code")
    code, text = code_on_the_phone_of(page, live_emulator.url, SECOND)
    assert "Sam asks to text you" in text and "To refuse, ignore this." in text

    page.get_by_label("Their code").fill(code)
    page.get_by_role("button", name="Confirm their number").click()

    expect(page).to_have_url(live_app.url + "/dashboard")
    expect(page.get_by_role("status").first).to_contain_text(f"{SECOND} is confirmed")
    rows = people.locator(".recipient")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(OWN)
    expect(rows.nth(0)).to_contain_text("Your number")
    expect(rows.nth(1)).to_contain_text(SECOND)
    expect(rows.nth(1)).to_contain_text("Gets the texts")
    screenshot(page, "dashboard-recipients")

    page.get_by_role("link", name=f"Choose texts or remove {SECOND}").click()
    expect(page.get_by_label("Battery low")).to_be_checked()
    expect(page.get_by_label("A tracker has not synced for a day")).not_to_be_checked()
    screenshot(page, "recipient-manage")
