"""Is any English left on a page rendered in another language? The English of every page message whose
translation differs from it (read from the catalogs), looked for in the page's visible text and attributes."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser

import catalogs

# A fragment this short ("OK", "%", a name) may honestly be the same in two languages.
SHORTEST_FRAGMENT = 8
READ_ATTRIBUTES = {"aria-label", "alt", "title", "placeholder", "value", "content"}


class VisibleText(HTMLParser):
    """The words a reader or a screen reader meets: text outside script and style, and the labelling attributes."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self.hidden += 1
        self.parts += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self.hidden = max(0, self.hidden - 1)

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@cache
def english_fragments(language: str) -> frozenset[str]:
    """Pieces of English that a page in `language` should not contain: each translated message cut at its
    placeholders and markup, pieces long enough to mean something."""
    fragments = set()
    for home in catalogs.homes():
        if home.domain != "messages" or not home.po(language).exists():
            continue
        for message in catalogs.read(home.po(language), language):
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not message.id or set(ids) & set(strings):
                continue
            for english in ids:
                for piece in re.split(r"%\(\w+\)\w|\{\w+\}|<[^>]*>|%%", english):
                    piece = " ".join(piece.split())
                    if len(piece) >= SHORTEST_FRAGMENT:
                        fragments.add(piece)
    return frozenset(fragments)


def english_left(html: str, language: str) -> list[str]:
    """The English pieces found on a page meant to be in `language` (empty: none)."""
    text = visible_text(html)
    return sorted(piece for piece in english_fragments(language) if piece in text)
