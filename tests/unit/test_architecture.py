"""The code stays easy to move in: no module in app/ grows past the size where it should become a package."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 250


def test_no_module_in_the_app_is_over_250_lines():
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in (ROOT / "app").rglob("*.py")
    }
    assert sizes, "found no modules under app/"
    too_long = {path: lines for path, lines in sizes.items() if lines > MAX_LINES}
    assert too_long == {}
