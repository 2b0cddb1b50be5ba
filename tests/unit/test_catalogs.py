"""The translation catalogs are kept honest: every message the code marks is in every language's catalog,
translated, with the same placeholders, and compiled (catalogs.py; CI runs `python3 catalogs.py --check` too)."""

from __future__ import annotations

import catalogs


def test_every_catalog_matches_the_code_and_every_message_is_translated():
    assert catalogs.problems() == []


def make_home(tmp_path, template: str, po: dict[str, str]) -> catalogs.Home:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(template)
    home = catalogs.Home(tmp_path / "translations", "messages", ((tmp_path / "templates", "jinja2"),))
    for language, body in po.items():
        home.po(language).parent.mkdir(parents=True)
        home.po(language).write_text(f'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n{body}')
    return home


def test_a_message_with_no_translation_or_a_new_message_fails_the_check(tmp_path):
    entry = 'msgid "Save"\nmsgstr "{}"\n'
    home = make_home(tmp_path, '{{ _("Save") }} {{ _("Cancel") }}', {
        "de": entry.format("Speichern"), "fr": entry.format(""), "es": entry.format("Guardar")})
    found = catalogs.problems([home])
    assert any("lacks 'Cancel'" in line and "/de/" in line for line in found)
    assert any("no fr translation for 'Save'" in line for line in found)
    assert not any("no de translation" in line or "no es translation" in line for line in found)


def test_a_message_the_code_dropped_and_a_lost_placeholder_fail_the_check(tmp_path):
    home = make_home(tmp_path, '{{ _("%(level)s%% left", level=5) }}', {
        language: f'msgid "Old words"\nmsgstr "x"\n\n#, python-format\nmsgid "%(level)s%% left"\nmsgstr "{words}"\n'
        for language, words in {"de": "noch %(level)s%%", "fr": "plus que", "es": "queda %(level)s%%"}.items()})
    found = catalogs.problems([home])
    assert any("keeps 'Old words'" in line for line in found)
    assert any("/fr/" in line and "placeholder" in line.lower() for line in found), found
    assert not any("/de/" in line and "placeholder" in line.lower() for line in found)
