"""Reading figures off a rendered page: a table by its id, as {row heading: [cells]}."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.paragraphs: dict[str, str] = {}
        self._table: str | None = None
        self._paragraph: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table":
            self._table = attributes.get("id")
            self.tables[self._table] = []
        elif tag == "p" and attributes.get("id"):
            self._paragraph = attributes["id"]
            self.paragraphs[self._paragraph] = ""
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self._table and not self._in_head:
            self._row = []
        elif tag in {"td", "th"} and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in {"td", "th"} and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "table":
            self._table = None
        elif tag == "p":
            self._paragraph = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._paragraph is not None:
            self.paragraphs[self._paragraph] += data


def tables_of(html: str) -> tuple[dict[str, dict[str, list[str]]], dict[str, str]]:
    """Every table with an id as {row heading: the row's other cells} (its head left out), and every paragraph with an id as its text."""
    parser = _Tables()
    parser.feed(html)
    tables = {name: {row[0]: row[1:] for row in rows if row} for name, rows in parser.tables.items()}
    paragraphs = {name: " ".join(text.split()) for name, text in parser.paragraphs.items()}
    return tables, paragraphs
