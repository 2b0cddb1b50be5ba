"""The privacy page, reached from the footer, and the settings' "Your data" card, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import share_session
from tests.support.journeys import signed_up_user

pytestmark = pytest.mark.browser


def test_the_privacy_page_is_one_click_from_the_footer_and_the_settings_offer_the_download(
    page, screenshot, live_app, emulator, sign_in
):
    page.goto(live_app.url + "/")
    page.locator(".site-footer").get_by_role("link", name="Privacy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy")
    expect(page.get_by_role("heading", name="For how long")).to_be_visible()
    screenshot(page, "privacy")

    _, _, session = signed_up_user(emulator, sign_in, "google")
    share_session(page, live_app.url, session)
    page.goto(live_app.url + "/settings")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    assert download.value.suggested_filename == "battery-text-my-data.json"
    page.get_by_role("link", name="What we keep, why and for how long").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy")


def test_disconnecting_keeps_the_account_and_its_banner_offers_to_connect_again(page, screenshot, live_app, emulator,
                                                                                 sign_in):
    _, _, session = signed_up_user(emulator, sign_in, "google")
    share_session(page, live_app.url, session)
    page.goto(live_app.url + "/settings")

    page.get_by_role("button", name="Disconnect Google").click()

    expect(page.get_by_role("status").first).to_contain_text("Google is disconnected")
    expect(page.get_by_role("link", name="Connect Google again")).to_be_visible()
    page.get_by_role("link", name="Dashboard").click()
    banner = page.locator(".banner").first
    expect(banner).to_contain_text("You disconnected Google")
    expect(banner.get_by_role("link", name="Connect Google again")).to_have_attribute("href", "/login/google")
    expect(page.locator("#recipients-section")).to_contain_text("Your number")  # the account and its number stay
    expect(page.locator(".device-none")).to_contain_text("We are not reading your Google account")
    expect(page.get_by_role("button", name="Check now")).to_have_count(0)
    screenshot(page, "disconnected")
