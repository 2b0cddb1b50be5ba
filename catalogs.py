#!/usr/bin/env python3
"""The translation catalogs: `python3 catalogs.py` extracts every message, brings each catalog up to date and
compiles it; `python3 catalogs.py --check` (CI, and tests/unit/test_catalogs.py) fails, naming each message, when
a catalog is stale (a message in the code it lacks, or one it keeps that the code no longer has), a message has
no translation in some language, a translation drops or adds a placeholder, or a compiled .mo is not its .po.

Each feature package keeps the words of its own pages in `app/web/<package>/translations/<language>/LC_MESSAGES/`
(domain `messages`), the shared layout and error pages in `app/translations/` (domain `messages`), and the texts
we send by SMS in `app/translations/` too (domain `texts`, marked with `sms_text(...)` so they never mix with
the pages' words: a text must fit one segment, a page need not). English is the source language: no catalog.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dev import ROOT, run_inside_environment

APP = ROOT / "app"
LANGUAGES = ("de", "fr", "es")  # app/texts/languages.py TRANSLATED; read here without importing the app
# The operator's page is for the people who run the service and stays in English.
UNTRANSLATED_PACKAGES = {"admin"}
# Where the shared catalogs' Python comes from: the root modules, what every page shares, and the role packages
# below the web (a word in a rule or a table is shown on pages and in texts alike).
SHARED_PACKAGES = ("domain", "rules", "texts", "adapters", "models")
PAGE_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "lazy_ngettext": (1, 2),
                 "pgettext": ((1, "c"), 2)}
TEXT_KEYWORDS = {"sms_text": None, "sms_plural": (1, 2)}
FIX = "run python3 catalogs.py"
PLACEHOLDER = re.compile(r"%\((\w+)\)|\{(\w+)\}")


@dataclass(frozen=True)
class Home:
    """One catalog: where it lives, which files its messages come from, and how they are marked."""

    folder: Path
    domain: str
    sources: tuple[tuple[Path, str], ...]  # (file or folder, "python" | "jinja2")
    keywords: dict = field(default_factory=lambda: PAGE_KEYWORDS, hash=False)

    def po(self, language: str) -> Path:
        return self.folder / language / "LC_MESSAGES" / f"{self.domain}.po"


def homes() -> list[Home]:
    """Every catalog of the app: the shared pages', the texts', and one per feature package with words."""
    shared_files = [*APP.glob("*.py"), *(APP / "web").glob("*.py")]
    shared_files += [path for package in SHARED_PACKAGES for path in (APP / package).rglob("*.py")]
    shared_python = tuple((path, "python") for path in sorted(shared_files))
    found = [
        Home(APP / "translations", "messages", ((APP / "templates", "jinja2"), *shared_python)),
        Home(APP / "translations", "texts", (*shared_python, (APP / "tasks", "python")), TEXT_KEYWORDS),
    ]
    web = APP / "web"
    for package in sorted(path for path in web.iterdir() if path.is_dir() and (path / "__init__.py").exists()):
        if package.name in UNTRANSLATED_PACKAGES:
            continue
        sources = [(path, "python") for path in sorted(package.rglob("*.py"))]
        if (package / "templates").is_dir():
            sources.append((package / "templates", "jinja2"))
        found.append(Home(package / "translations", "messages", tuple(sources)))
    return found


def source_files(home: Home) -> Iterator[tuple[Path, str]]:
    for path, method in home.sources:
        files = sorted(path.rglob("*.html")) if path.is_dir() and method == "jinja2" else (
            sorted(path.rglob("*.py")) if path.is_dir() else [path])
        for file in files:
            yield file, method


def extract(home: Home):
    """The messages the code of `home` marks for translation, as a Babel catalog (the .pot, in memory)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    template = Catalog(project="Battery Text", domain=home.domain, fuzzy=False)
    options = {"jinja2": {"trimmed": "true"}}  # as app/web/i18n.py sets Jinja's policy: {% trans %} text is trimmed
    for file, method in source_files(home):
        method_ref = "jinja2.ext:babel_extract" if method == "jinja2" else "python"
        for line, message, comments, context in extract_from_file(
            method_ref, str(file), keywords=home.keywords, options=options.get(method, {}), strip_comment_tags=True,
            comment_tags=("Translators:",),
        ):
            where = file.relative_to(ROOT) if file.is_relative_to(ROOT) else file
            template.add(message, None, [(str(where), line)], auto_comments=comments, context=context)
    return template


def placeholders(words: str | tuple[str, ...]) -> set[str]:
    """The named placeholders of a message, `%(level)s` and `{level}` alike (a plural's forms together)."""
    text = words if isinstance(words, str) else " ".join(words)
    return {name for pair in PLACEHOLDER.findall(text) for name in pair if name}


def read(path: Path, language: str):
    from babel.messages.pofile import read_po

    with path.open("rb") as file:
        return read_po(file, locale=language)


def compiled(catalog) -> bytes:
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def update() -> None:
    """Bring every catalog up to date with the code (new messages untranslated, gone ones dropped) and compile."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    for home in homes():
        template = extract(home)
        for language in LANGUAGES:
            path = home.po(language)
            if not len(template) and not path.exists():
                continue
            catalog = read(path, language) if path.exists() else Catalog(locale=language, domain=home.domain)
            # A run that changes no message changes no byte: the header keeps its first date.
            template.creation_date = catalog.creation_date
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
            catalog.fuzzy = False
            catalog.project, catalog.version, catalog.copyright_holder = "Battery Text", "", "the Battery Text team"
            catalog.msgid_bugs_address = catalog.last_translator = catalog.language_team = "the Battery Text team"
            catalog.revision_date = catalog.creation_date
            catalog.header_comment = (
                f"# Battery Text: the {home.domain} of {home.folder.parent.relative_to(ROOT)} in {language}.\n"
                "# Written by us, not machine-translated; see docs/languages.md."
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as file:
                write_po(file, catalog, width=120, omit_header=False, sort_output=True, include_lineno=False)
            path.with_suffix(".mo").write_bytes(compiled(read(path, language)))
            print(f"{path.relative_to(ROOT)}: {len(template)} messages")


def keys(catalog) -> set[tuple[str, str | None]]:
    """Each message of a catalog by its (singular) id and context."""
    return {(message.id if isinstance(message.id, str) else message.id[0], message.context)
            for message in catalog if message.id}


def translation_problems(catalog, where: str, language: str) -> list[str]:
    found = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            found.append(f"{where}: no {language} translation for {message.id!r}")
        found += [f"{where}: {message.id!r}: {error}" for error in message.check(catalog)]
        # A plural's forms together ("ein Tag" / "%(count)s Tage"); a single message on its own.
        if all(strings) and placeholders(tuple(strings)) != placeholders(message.id):
            found.append(f"{where}: {message.id!r}: a translation drops or adds a placeholder "
                         f"({', '.join(sorted(placeholders(message.id)))})")
    return found


def problems(checked: list[Home] | None = None) -> list[str]:
    """Everything that keeps the catalogs from matching the code, one line each (empty when all is well)."""
    found = []
    for home in homes() if checked is None else checked:
        wanted = keys(extract(home))
        for language in LANGUAGES:
            path = home.po(language)
            where = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
            if not path.exists():
                if wanted:
                    found.append(f"{where}: missing ({len(wanted)} messages to translate); {FIX}")
                continue
            catalog = read(path, language)
            have = keys(catalog)
            found += [f"{where}: stale, lacks {message!r}; {FIX}" for message, _ in sorted(wanted - have)]
            found += [f"{where}: stale, keeps {message!r} the code no longer has; {FIX}"
                      for message, _ in sorted(have - wanted)]
            found += translation_problems(catalog, where, language)
            mo = path.with_suffix(".mo")
            if not mo.exists() or mo.read_bytes() != compiled(catalog):
                found.append(f"{where[:-3]}.mo: not compiled from its .po; {FIX}")
    return found


def main(argv: list[str]) -> int:
    run_inside_environment(Path(__file__), argv)
    if argv[:1] == ["--check"]:
        found = problems()
        for line in found:
            print(line, file=sys.stderr)
        print(f"catalogs: {'stale or incomplete' if found else 'up to date, every message translated'}")
        return 1 if found else 0
    update()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
