"""The app in sandbox mode signs in to the emulator with the client identities the emulator accepts.

Each side keeps its own copy, as a real platform and the app it registered each do (the app and the emulator
may never import each other); this test holds the two copies equal.
"""

from __future__ import annotations

from app.config import SANDBOX_DEFAULTS
from sandbox.config import DEFAULTS as EMULATOR_DEFAULTS


def test_every_identity_the_app_uses_against_the_emulator_is_the_one_the_emulator_accepts():
    assert SANDBOX_DEFAULTS, "the app names no sandbox identities"
    assert {name: EMULATOR_DEFAULTS.get(name) for name in SANDBOX_DEFAULTS} == SANDBOX_DEFAULTS
