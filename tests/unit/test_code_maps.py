"""The maps a newcomer reads match the tree: docs/architecture.md names every module under app/, the README's code
map names every package, and neither names a path that is not there (a map that drifted once cannot again)."""

from __future__ import annotations

import re

from tests.support.paths import ROOT

APP = ROOT / "app"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
README = ROOT / "README.md"
# A path as the maps write it: app/rules/alerts.py, app/web/signin/, app/rules/drain/ (placeholders such as
# app/web/<package>/ end the path where they start).
MENTIONED_PATH = re.compile(r"(?<![\w/])app/[\w./-]*")


def packages() -> list[str]:
    """Every package under app/ as the maps name it: its folder with a trailing slash."""
    return sorted(f"{path.parent.relative_to(ROOT)}/" for path in APP.rglob("__init__.py") if path.parent != APP)


def modules() -> list[str]:
    """Every module under app/: a package by its folder, any other module by its file."""
    files = sorted(str(path.relative_to(ROOT)) for path in APP.rglob("*.py") if path.name != "__init__.py")
    return ["app/__init__.py", *packages(), *files]


def named_paths(text: str) -> set[str]:
    return {match.rstrip(".") for match in MENTIONED_PATH.findall(text)}


def test_the_architecture_map_names_every_module_under_app():
    named = named_paths(ARCHITECTURE.read_text())
    assert [module for module in modules() if module not in named] == []


def test_the_readme_code_map_names_every_package_and_every_module_at_the_root_of_app():
    named = named_paths(README.read_text())
    root_modules = sorted(str(path.relative_to(ROOT)) for path in APP.glob("*.py"))
    assert [path for path in [*root_modules, *packages()] if path not in named] == []


def test_the_maps_name_no_path_that_is_not_there():
    for document in (ARCHITECTURE, README):
        gone = sorted(path for path in named_paths(document.read_text()) if not (ROOT / path).exists())
        assert gone == [], f"{document.name} names paths that are not in the tree"


def test_nothing_but_the_factory_configuration_and_wiring_sits_at_the_root_of_app():
    root = sorted(path.name for path in APP.glob("*.py"))
    assert root == ["__init__.py", "config.py", "environment.py", "extensions.py", "logs.py"]
