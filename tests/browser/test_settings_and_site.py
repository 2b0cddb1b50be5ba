"""Settings and the rest: a time zone found by its city, errors that take the focus, pausing undone in one click,
focus and borders people can see, a chart that survives forced colours, the footer, help, 404 and a dark theme.
In Chromium at desktop and phone width, axe-core on each state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from app.extensions import db
from app.models import User
from tests.support.browser import PHONE, assert_accessible, share_session
from tests.support.journeys import settled, signed_up_user

pytestmark = pytest.mark.browser

NUMBER = "+447400123456"


def rgb(css: str) -> tuple[float, ...]:
    return tuple(float(part) for part in re.findall(r"[\d.]+", css)[:3])


def contrast(one: str, other: str) -> float:
    """WCAG contrast ratio of two computed CSS colours."""
    def luminance(colour):
        channels = [value / 255 for value in rgb(colour)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def signed_in(page, live_app, emulator, sign_in, **fields) -> tuple[dict, User]:
    person, user, session = signed_up_user(emulator, sign_in, "google", phone=NUMBER, **fields)
    share_session(page, live_app.url, session)
    return person, user


def test_a_time_zone_is_found_by_typing_its_city_with_the_platforms_first(page, screenshot, live_app, emulator, sign_in):
    _, user = signed_in(page, live_app, emulator, sign_in)
    db.session.execute(update(User).where(User.id == user.id).values(time_zone="Asia/Tokyo"))  # as setup reads it
    db.session.commit()
    page.goto(live_app.url + "/settings")
    expect(page).to_have_title("Settings · Battery Text")
    expect(page.get_by_label(re.compile("^As on Google"))).to_be_checked()
    expect(page.locator("#places option").first).to_have_text("Tokyo, Japan (as on Google)")
    assert page.locator("#places option").count() < 450
    screenshot(page, "settings")

    page.get_by_label("Another place").check()
    page.get_by_label(re.compile("^Place")).fill("Lisbon")
    page.get_by_role("button", name="Save settings").click()

    expect(page.get_by_role("status").first).to_contain_text("Your settings are saved")
    expect(page.get_by_label(re.compile("^Place"))).to_have_value("Europe/Lisbon")
    db.session.expire_all()
    assert db.session.get(User, user.id).time_zone == "Europe/Lisbon"


def test_the_error_summary_takes_the_focus_and_links_to_each_field(page, screenshot, live_app, emulator, sign_in):
    signed_in(page, live_app, emulator, sign_in)
    page.goto(live_app.url + "/settings")
    expect(page.locator("#quiet-hint")).not_to_contain_text("22:00")  # the hint names no format the field may not show
    page.get_by_label(re.compile("Text me when a battery")).fill("70")
    page.get_by_label("Another place").check()
    page.get_by_label(re.compile("^Place")).fill("Atlantis")
    page.get_by_role("button", name="Save settings").click()

    summary = page.get_by_role("alert").filter(has_text="Some settings need a fix")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Choose a whole number from 10 to 50.",
                                                      "Choose a place from the list, like London, United Kingdom."])
    screenshot(page, "settings-errors")
    summary.get_by_role("link", name=re.compile("^Choose a place")).click()
    expect(page.get_by_label(re.compile("^Place"))).to_be_focused()


def test_the_paused_banner_turns_texts_back_on_in_one_click(page, screenshot, live_app, emulator, sign_in):
    _, user = signed_in(page, live_app, emulator, sign_in)
    db.session.execute(update(User).where(User.id == user.id).values(paused=True))
    db.session.commit()
    page.goto(live_app.url + "/dashboard")
    paused = page.get_by_role("alert").filter(has_text="Alerts are paused")
    screenshot(page, "paused")

    paused.get_by_role("button", name="Turn them back on").click()

    expect(page).to_have_url(live_app.url + "/dashboard")
    expect(page.get_by_role("status").filter(has_text="Battery texts are back on.")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="Alerts are paused")).to_have_count(0)


def test_focus_rings_and_field_borders_stand_out_and_a_failed_submit_focuses_the_field(page, live_app, emulator, sign_in):
    person = emulator.person(devices=[{"product": "Charge 6", "battery_level": 80}])
    session, _ = sign_in("google", person["id"])
    share_session(page, live_app.url, session)
    page.goto(live_app.url + "/phone")
    expect(page.locator(".steps li.done")).to_have_text("Connect (done)")  # said, not only coloured

    field = page.get_by_label("Mobile number")
    background = page.locator(".phone-form").evaluate("form => getComputedStyle(form).backgroundColor")
    assert contrast(field.evaluate("field => getComputedStyle(field).borderTopColor"), background) >= 3
    page.keyboard.press("Tab")
    field.focus()
    page_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    ring = field.evaluate("field => getComputedStyle(field).outlineColor")
    assert contrast(ring, background) >= 3 and contrast(ring, page_background) >= 3

    field.fill("12")
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_label("Mobile number")).to_be_focused()
    expect(page.get_by_label("Mobile number")).to_have_attribute("aria-invalid", "true")


def test_the_chart_keeps_readable_labels_on_phones_and_its_lines_in_forced_colours(
    page, screenshot, live_app, emulator, sign_in, start_worker
):
    start_worker()
    person, user = signed_in(page, live_app, emulator, sign_in)
    settled(user, reads=1, emulator=emulator, person=person)
    page.set_viewport_size(PHONE)
    page.goto(live_app.url + "/dashboard")
    label = page.locator(".battery-chart .axis").first
    shown_px = label.evaluate("text => text.getScreenCTM().a * parseFloat(getComputedStyle(text).fontSize)")
    assert shown_px >= 12

    page.emulate_media(forced_colors="active")
    line = page.locator(".battery-chart .level").first
    assert line.evaluate("line => getComputedStyle(line).fill || getComputedStyle(line).stroke") != "none"
    stroke = page.locator(".battery-chart .threshold").first.evaluate("line => getComputedStyle(line).stroke")
    assert stroke not in ("none", "")
    screenshot(page, "dashboard-forced-colours")


def test_the_footer_help_favicon_404_and_titles_name_each_page(page, live_app, emulator, sign_in):
    signed_in(page, live_app, emulator, sign_in)
    page.goto(live_app.url + "/dashboard")
    expect(page).to_have_title("Your trackers · Battery Text")
    footer = page.get_by_role("contentinfo")
    expect(footer).to_contain_text("message and data rates may apply")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(live_app.url + icon).ok

    footer.get_by_role("link", name=re.compile("^Help")).click()
    expect(page).to_have_title("Help · Battery Text")
    expect(page.locator("dl.help dt")).to_have_text(["BATTERY", "STOP", "START", "HELP"])
    assert_accessible(page)

    page.goto(live_app.url + "/no-such-page")
    expect(page).to_have_title("Page not found · Battery Text")
    expect(page.get_by_role("heading", level=1)).to_have_text("We can't find that page")
    assert_accessible(page)


def test_a_dark_theme_follows_the_system(page, screenshot, live_app, emulator, sign_in, start_worker):
    start_worker()
    page.emulate_media(color_scheme="dark")
    page.goto(live_app.url + "/")
    assert contrast(page.evaluate("getComputedStyle(document.body).backgroundColor"), "rgb(0, 0, 0)") < 2
    screenshot(page, "landing-dark")

    person, user = signed_in(page, live_app, emulator, sign_in, level=12)
    settled(user, reads=1, emulator=emulator, person=person)
    page.goto(live_app.url + "/dashboard")
    expect(page.locator("#devices")).to_contain_text("12%")
    screenshot(page, "dashboard-dark")
    page.goto(live_app.url + "/settings")
    screenshot(page, "settings-dark")
    page.goto(live_app.url + "/phone")
    page.get_by_label("Mobile number").fill("12")
    page.get_by_role("button", name="Text me a code").click()
    # The answer page, not the form mid-submit: axe-core checked a page that was still navigating once.
    expect(page.locator("#phone-error")).to_be_visible()
    screenshot(page, "phone-error-dark")


def test_without_javascript_the_banners_and_settings_still_work(browser, live_app, emulator, sign_in):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _, user = signed_in(page, live_app, emulator, sign_in)
        db.session.execute(update(User).where(User.id == user.id).values(paused=True))
        db.session.commit()
        page.goto(live_app.url + "/dashboard")
        page.get_by_role("button", name="Turn them back on").click()
        expect(page.get_by_role("status").filter(has_text="Battery texts are back on.")).to_be_visible()

        page.goto(live_app.url + "/settings")
        page.get_by_label("Another place").check()
        page.get_by_label(re.compile("^Place")).fill("Lisbon")
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_label(re.compile("^Place"))).to_have_value("Europe/Lisbon")
    finally:
        context.close()
