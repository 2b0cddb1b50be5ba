"""CI and the pre-commit hook run the developers' own `python3 dev.py check`, so the checks a developer runs
before a commit are exactly the ones CI fails on: no list of its own in either place to drift from dev.py's."""

from __future__ import annotations

from dev import checks
from tests.support.paths import ROOT

DATABASE_FREE_TOOLS = ("lock.py", "ruff", "lint-imports", "mypy", "catalogs.py")


def commands_of(script: str) -> list[str]:
    """A shell script's command lines: comments and echoed headings left out."""
    lines = (line.strip() for line in script.splitlines())
    return [line for line in lines if line and not line.startswith(("#", "echo "))]


def test_check_runs_every_database_free_tool():
    commands = " ".join(" ".join(command) for _, command in checks())
    # lock.py checks the locks only on the Python they are compiled for; CI's .venv is made with that one.
    assert [tool for tool in DATABASE_FREE_TOOLS[1:] if tool not in commands] == []


def test_ci_runs_the_checks_by_the_developers_command_and_names_no_tool_itself():
    commands = commands_of((ROOT / ".ci" / "run").read_text())

    assert "python3 dev.py check" in commands
    assert [line for line in commands if any(tool in line for tool in DATABASE_FREE_TOOLS)] == []


def test_ci_lists_the_slowest_tests_after_the_readme_s_test_command():
    assert commands_of((ROOT / ".ci" / "run").read_text())[-1] == "exec python3 dev.py test --durations=25"


def test_the_pre_commit_hook_runs_the_same_command_on_the_whole_tree():
    hook = (ROOT / ".pre-commit-config.yaml").read_text()

    assert "entry: python3 dev.py check\n" in hook
    assert "language: system\n" in hook and "pass_filenames: false\n" in hook
