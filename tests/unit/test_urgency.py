"""What the dashboard puts first: empty, low, silent, fine; the one-line summary; which reply an answer answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.rules.devices import urgency
from app.texts import wording
from app.texts.wording import Reply

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


@pytest.mark.parametrize(("status", "level", "seen", "expected"), [
    pytest.param("Empty", None, NOW, "empty", id="empty word"),
    pytest.param(None, 0, NOW, "empty", id="zero"),
    pytest.param(None, 20, NOW, "low", id="at the alert level"),
    pytest.param(None, 21, NOW, "fine", id="one above"),
    pytest.param(None, 15, NOW - 3 * DAY, "low", id="low beats silent: charge it first"),
    pytest.param(None, 80, NOW - DAY, "silent", id="a day without a sync"),
    pytest.param(None, 80, NOW - DAY + timedelta(minutes=1), "fine", id="a minute short of a day"),
    pytest.param(None, 80, None, "fine", id="no sync time: cannot be judged silent"),
])
def test_urgency_at_its_edges(status, level, seen, expected):
    assert urgency(status, level, 20, seen, NOW, DAY) == expected


def test_the_summary_names_what_to_charge_now_and_soon():
    from app.web.dashboard.presenting import summary

    cards = [{"name": "Pixel Watch 3", "urgency": "empty"}, {"name": "Charge 6", "urgency": "low"},
             {"name": "Sense 2", "urgency": "silent"}, {"name": "Inspire 3", "urgency": "fine"}]
    assert summary(cards) == "Charge your Pixel Watch 3 now; your Charge 6 soon; check your Sense 2: not synced lately."
    assert summary([{"name": "Charge 6", "urgency": "low"}]) == "Charge your Charge 6 soon."
    assert summary([{"name": "Charge 6", "urgency": "fine"}]) == "All your trackers have enough charge."
    assert summary([{"name": "Aria", "urgency": None}]) is None


@pytest.mark.parametrize(("kind", "body", "reply"), [
    ("opt_out", wording.OPTED_OUT, Reply.STOP),
    ("reply", wording.OPTED_IN, Reply.START),
    ("reply", wording.ALREADY_IN, Reply.START),
    ("reply", wording.BATTERY.format(levels="Charge 6 80%."), Reply.BATTERY),
    ("reply", wording.BATTERY_NO_DEVICES, Reply.BATTERY),
    ("reply", wording.HELP, Reply.HELP),
    ("low", "Battery low: your Charge 6 is at 15%.", None),
])
def test_each_answer_names_the_reply_it_answers(kind, body, reply):
    assert wording.reply_answered(kind, body) == reply
