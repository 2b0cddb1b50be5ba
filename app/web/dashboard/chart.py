"""The battery history chart: readings in, a small self-contained SVG out, drawn on the server: no script, no CDN.
Its words and day labels are in the page's language."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import ngettext

from app.web.dashboard import times

WIDTH, HEIGHT = 600, 180
LEFT, RIGHT, TOP, BOTTOM = 56, 10, 16, 26  # room for the level labels and the day labels
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_POINTS = PLOT_WIDTH // 2  # one point per two pixels is all the eye can see
GAP = {7: timedelta(hours=12), 30: timedelta(days=2)}  # longer without a reading breaks the line


def battery_chart(
    readings: Iterable[tuple[datetime, int | None]],
    now: datetime,
    days: int,
    time_zone: str = "UTC",
    threshold: int | None = None,
    label: str | None = None,
    since: datetime | None = None,
    expected: Callable[[datetime], float] | None = None,
    expected_until: datetime | None = None,
) -> str:
    """An SVG line of battery level over the last `days` days, ending at `now`, with the alert threshold dashed.

    With `expected` (the drain model's level at a moment, `drain.Forecast.level_at`), the chart runs a
    seventh of its span past `now` and draws the expected drain from the last reading on, dashed, until
    `expected_until` (when it empties) or the chart's end.

    A new account's chart starts on the local day of `since` (its first reading) rather than showing
    empty days before it. Readings without a level (some trackers report only High/Medium/Low) are left
    out. Each column keeps its lowest level, so a short dip below the threshold still shows at 30 days.
    """
    zone = ZoneInfo(time_zone)
    label = label or _("Battery")
    start = now - timedelta(days=days)
    title = ngettext("%(name)s: battery over the last %(num)d day", "%(name)s: battery over the last %(num)d days",
                     days, name=label)
    if since is not None and since > start:
        first_day = since.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        shown = max(1, min(days, (now - first_day).days + 1))
        start = now - timedelta(days=shown)
        if shown < days:
            title = _("%(name)s: battery since %(day)s", name=label, day=times.day(first_day, zone, weekday=True))
        days = shown
    points = sorted((at, level) for at, level in readings if level is not None and start <= at <= now)
    ahead = timedelta(days=days) / 7 if expected is not None and points else timedelta(0)
    span = timedelta(days=days) + ahead
    summary = _summary(points)
    if ahead:
        summary += " " + _("After the last reading, the expected drain if it is not charged.")
    parts = [
        f'<svg class="battery-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        # A title that ends on an abbreviation ("seit So., 29. Nov.") takes no second full stop.
        f'aria-label="{escape(title.removesuffix("."))}. {escape(summary)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(summary)}</desc>",
    ]
    for level in (0, 50, 100):
        y = _y(level)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4}" text-anchor="end">{level}%</text>')
    parts += _day_labels(start, span, days, zone)
    if threshold is not None:
        y = _y(threshold)
        parts.append(f'<line class="threshold" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}"/>')
    if not points:
        nothing = escape(_("No readings yet"))
        parts.append(f'<text class="empty" x="{LEFT + PLOT_WIDTH / 2}" y="{TOP + PLOT_HEIGHT / 2}" '
                     f'text-anchor="middle">{nothing}</text>')
    for run in _runs(_thin(points, start, days), GAP.get(days, timedelta(days=days / 15))):
        if len(run) == 1:
            at, level = run[0]
            parts.append(f'<circle class="level" cx="{_x(at, start, span)}" cy="{_y(level)}" r="3"/>')
        else:
            coordinates = " ".join(f"{_x(at, start, span)},{_y(level)}" for at, level in run)
            parts.append(f'<polyline class="level" points="{coordinates}"/>')
    if ahead and expected is not None:  # a line ahead only with an expected drain
        parts.append(_expected_line(expected, points[-1][0], min(expected_until or now + ahead, now + ahead), start,
                                    span))
    parts.append("</svg>")
    return "".join(parts)


def _day_labels(start: datetime, span: timedelta, days: int, zone: ZoneInfo) -> list[str]:
    """Each day's name along the bottom for a week ("Mon", "Mo"); every seventh day's date for a month."""
    labels = []
    for day in range(0, days + 1, 1 if days <= 7 else 7):
        at = start + timedelta(days=day)
        text = escape(times.weekday(at, zone) if days <= 7 else times.day(at, zone))
        anchor = "end" if day == days else "start" if day == 0 else "middle"
        x = _x(at, start, span)
        labels.append(f'<text class="axis" x="{x}" y="{HEIGHT - 6}" text-anchor="{anchor}">{text}</text>')
    return labels


def _summary(points: list[tuple[datetime, int]]) -> str:
    if not points:
        return _("No battery readings in this period.")
    levels = [level for _at, level in points]
    return ngettext("%(num)d reading; latest %(latest)d%%, lowest %(lowest)d%%, highest %(highest)d%%.",
                    "%(num)d readings; latest %(latest)d%%, lowest %(lowest)d%%, highest %(highest)d%%.",
                    len(points), latest=levels[-1], lowest=min(levels), highest=max(levels))


def _x(at: datetime, start: datetime, span: timedelta) -> float:
    return round(LEFT + PLOT_WIDTH * (at - start) / span, 1)


def _expected_line(level_at: Callable[[datetime], float], last: datetime, end: datetime, start: datetime,
                   span: timedelta) -> str:
    """The expected drain after the last reading, a point an hour (the model's rate changes through the day)."""
    if end <= last:
        return ""
    moments = [last + timedelta(hours=hour) for hour in range(int((end - last) / timedelta(hours=1)) + 1)]
    coordinates = " ".join(f"{_x(at, start, span)},{_y(round(level_at(at), 1))}" for at in [*moments, end])
    return f'<polyline class="expected" points="{coordinates}"/>'



def _y(level: float) -> float:
    return round(TOP + PLOT_HEIGHT * (1 - max(0, min(100, level)) / 100), 1)


def _thin(points: list[tuple[datetime, int]], start: datetime, days: int) -> list[tuple[datetime, int]]:
    """At most MAX_POINTS points: the lowest reading of each time column."""
    if len(points) <= MAX_POINTS:
        return points
    column_span = timedelta(days=days) / MAX_POINTS
    columns: dict[int, tuple[datetime, int]] = {}
    for at, level in points:
        column = min(int((at - start) / column_span), MAX_POINTS - 1)
        if column not in columns or level < columns[column][1]:
            columns[column] = (at, level)
    return [columns[column] for column in sorted(columns)]


def _runs(points: list[tuple[datetime, int]], gap: timedelta) -> list[list[tuple[datetime, int]]]:
    """Split the line where readings stop for a while, so silence does not look like a steady level."""
    runs: list[list[tuple[datetime, int]]] = []
    for point in points:
        if runs and point[0] - runs[-1][-1][0] <= gap:
            runs[-1].append(point)
        else:
            runs.append([point])
    return runs
