"""The chart's expected drain: after the last reading, dotted, into a seventh of the chart past now."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta

from app.web.dashboard.chart import LEFT, PLOT_WIDTH, battery_chart

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"
READINGS = [(NOW - timedelta(hours=hours), 80 - 2 * (10 - hours)) for hours in range(10, 0, -1)]  # 62 % an hour ago


def lines(svg: str, kind: str) -> list[list[tuple[float, float]]]:
    return [[tuple(float(n) for n in pair.split(",")) for pair in line.get("points").split()]
            for line in ElementTree.fromstring(svg).iter(SVG + "polyline") if line.get("class") == kind]


def two_an_hour(moment: datetime) -> float:
    return max(0.0, 62 - 2 * (moment - (NOW - timedelta(hours=1))) / timedelta(hours=1))


def test_the_expected_drain_starts_at_the_last_reading_and_runs_past_now():
    svg = battery_chart(READINGS, NOW, days=7, threshold=20, expected=two_an_hour,
                        expected_until=NOW + timedelta(hours=30))
    (measured,) = lines(svg, "level")
    (expected,) = lines(svg, "expected")
    assert expected[0] == measured[-1]  # it goes on from the last reading
    now_x = LEFT + PLOT_WIDTH * 7 / 8  # seven days of history, one day ahead
    assert expected[-1][0] > now_x and expected[-1][0] <= LEFT + PLOT_WIDTH
    assert [y for _, y in expected] == sorted(y for _, y in expected)  # falling
    assert "the expected drain" in ElementTree.fromstring(svg).get("aria-label")


def test_the_expected_drain_stops_where_the_battery_empties():
    svg = battery_chart(READINGS, NOW, days=7, expected=two_an_hour, expected_until=NOW + timedelta(hours=3))
    (expected,) = lines(svg, "expected")
    assert expected[-1][0] < LEFT + PLOT_WIDTH * (7 + 3 / 24) / 8 + 1


def test_without_an_expected_drain_the_chart_ends_at_now_as_before():
    plain = battery_chart(READINGS, NOW, days=7)
    assert lines(plain, "expected") == []
    assert lines(plain, "level")[0][-1][0] == round(LEFT + PLOT_WIDTH * (1 - 1 / (7 * 24)), 1)


def test_no_readings_no_expected_drain():
    assert lines(battery_chart([], NOW, days=7, expected=two_an_hour), "expected") == []
