"""The locks follow from the .in files: `python3 lock.py --check` (CI) names what a stale lock gets wrong."""

from __future__ import annotations

import shutil

import pytest

from lock import declared, stale
from tests.support.paths import ROOT


@pytest.fixture
def project(tmp_path):
    """A copy of the .in files and their locks, to make stale."""
    for name in ("requirements.in", "requirements-dev.in", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_committed_locks_follow_from_the_in_files():
    assert stale() == []


def test_a_package_added_to_requirements_in_without_recompiling_makes_the_lock_stale(project):
    with (project / "requirements.in").open("a") as requirements:
        requirements.write("responses>=0.26.3\n")

    assert stale(project) == ["requirements.txt does not pin responses (requirements.in needs responses>=0.26.3)"]


def test_a_tool_added_to_requirements_dev_in_without_recompiling_makes_the_dev_lock_stale(project):
    with (project / "requirements-dev.in").open("a") as requirements:
        requirements.write("hypothesis\n")

    assert stale(project) == ["requirements-dev.txt does not pin hypothesis (requirements-dev.in needs hypothesis)"]


def test_a_package_dropped_from_requirements_in_leaves_pins_nothing_needs(project):
    edit(project / "requirements.in", "phonenumbers>=9.0.43\n", "")

    assert stale(project) == [
        "requirements-dev.txt pins phonenumbers, which nothing in requirements-dev.in needs",
        "requirements.txt pins phonenumbers, which nothing in requirements.in needs",
    ]


def test_a_raised_minimum_the_pin_no_longer_meets_makes_both_locks_stale(project):
    edit(project / "requirements.in", "Flask>=3.1.3", "Flask>=3.2")

    assert stale(project) == [
        "requirements-dev.txt pins flask==3.1.3 but requirements-dev.in needs Flask>=3.2",
        "requirements.txt pins flask==3.1.3 but requirements.in needs Flask>=3.2",
    ]


def test_a_dev_lock_that_pins_a_shared_package_differently_is_stale(project):
    edit(project / "requirements-dev.txt", "\nrq==2.12.0 ", "\nrq==2.11.0 ")

    assert "rq: requirements.txt pins 2.12.0, requirements-dev.txt 2.11.0" in stale(project)


def test_a_pin_without_its_hashes_is_stale(project):
    lock = project / "requirements.txt"
    lock.write_text("".join(line for line in lock.read_text().splitlines(True) if "--hash" not in line))

    assert "requirements.txt pins rq without a hash" in stale(project)


def test_a_pin_loosened_by_hand_is_stale(project):
    edit(project / "requirements.txt", "\nrq==2.12.0 ", "\nrq>=2.12.0 ")

    assert "requirements.txt pins rq without an exact version" in stale(project)


def test_rq_stays_on_the_major_version_the_worker_is_tested_on():
    (rq,) = [requirement for requirement in declared(ROOT / "requirements.in") if requirement.name == "rq"]

    assert rq.specifier.contains("2.99") and not rq.specifier.contains("3.0.0")
