"""The dashboard's pure parts: the battery chart's SVG, and how long ago a time was, in words."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta

import pytest

from app.web.dashboard.chart import MAX_POINTS, PLOT_HEIGHT, TOP, battery_chart
from app.web.dashboard.times import ago

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


# The chart


def polylines(svg: str) -> list[list[tuple[float, float]]]:
    root = ElementTree.fromstring(svg)
    return [
        [tuple(float(number) for number in pair.split(",")) for pair in line.get("points").split()]
        for line in root.iter(SVG + "polyline")
    ]


def test_the_chart_draws_one_line_through_the_readings_in_range():
    readings = [(NOW - timedelta(hours=hours), level) for hours, level in [(200, 99), (10, 80), (6, 60), (1, 15)]]
    svg = battery_chart(readings + [(NOW - timedelta(hours=2), None)], NOW, days=7, threshold=20, label="Charge 6")
    (line,) = polylines(svg)
    assert len(line) == 3  # the 200-hour-old reading is outside 7 days; a reading without a level is not drawn
    assert [y for _, y in line] == sorted(y for _, y in line)  # falling battery: the line goes down the picture
    root = ElementTree.fromstring(svg)
    assert "Charge 6: battery over the last 7 days" in root.get("aria-label")
    assert "latest 15%, lowest 15%, highest 80%" in root.get("aria-label")
    assert root.get("role") == "img" and "style" not in svg


def test_the_threshold_is_a_dashed_line_at_its_level():
    svg = battery_chart([(NOW, 50)], NOW, days=7, threshold=20)
    root = ElementTree.fromstring(svg)
    threshold = next(line for line in root.iter(SVG + "line") if line.get("class") == "threshold")
    zero = next(line for line in root.iter(SVG + "line") if line.get("class") == "grid")  # the 0% line comes first
    hundred = [line for line in root.iter(SVG + "line") if line.get("class") == "grid"][-1]
    y0, y100, y20 = float(zero.get("y1")), float(hundred.get("y1")), float(threshold.get("y1"))
    assert y20 == pytest.approx(y0 + (y100 - y0) * 0.2)


def test_a_long_silence_breaks_the_line():
    readings = [(NOW - timedelta(days=6, hours=hour), 90) for hour in range(3)]
    readings += [(NOW - timedelta(hours=hour), 40) for hour in range(3)]
    assert len(polylines(battery_chart(readings, NOW, days=7))) == 2


def test_thirty_days_of_readings_are_thinned_but_keep_the_dip():
    readings = [(NOW - timedelta(minutes=15 * step), 70) for step in range(30 * 96)]
    readings[500] = (readings[500][0], 8)
    (line,) = polylines(battery_chart(readings, NOW, days=30))
    assert len(line) <= MAX_POINTS
    lowest_drawn = max(y for _, y in line)  # SVG's y grows downwards
    assert lowest_drawn == pytest.approx(TOP + PLOT_HEIGHT * (1 - 8 / 100), abs=0.1)


def test_no_readings_says_so():
    svg = battery_chart([], NOW, days=30)
    assert "No readings yet" in svg and "No battery readings in this period." in svg
    assert polylines(svg) == []


def test_day_labels_are_in_the_users_time_zone():
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    in_london = ElementTree.fromstring(battery_chart([], late, days=7, time_zone="Europe/London"))
    in_tokyo = ElementTree.fromstring(battery_chart([], late, days=7, time_zone="Asia/Tokyo"))
    labels = lambda root: [text.text for text in root.iter(SVG + "text") if text.get("y") == str(180 - 6)]  # noqa: E731
    assert labels(in_london)[-1] == "Mon" and labels(in_tokyo)[-1] == "Tue"


# Times


@pytest.mark.parametrize("elapsed, said", [
    (timedelta(seconds=20), "just now"),
    (timedelta(minutes=1), "1 minute ago"),
    (timedelta(minutes=59), "59 minutes ago"),
    (timedelta(hours=3, minutes=10), "3 hours ago"),
    (timedelta(days=1, hours=2), "1 day ago"),
    (timedelta(days=12), "12 days ago"),
])
def test_how_long_ago(elapsed, said):
    assert ago(NOW - elapsed, NOW) == said
