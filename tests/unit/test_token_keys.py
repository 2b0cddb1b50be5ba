"""TOKEN_ENCRYPTION_KEY takes Fernet keys or the long random secrets a PaaS generates for app.json."""

from __future__ import annotations

import secrets

import pytest
from cryptography.fernet import Fernet, InvalidToken

from app.extensions import SHORTEST_SECRET, fernet_for


def test_a_fernet_key_is_used_as_it_is():
    key = Fernet.generate_key().decode()
    assert Fernet(key).decrypt(fernet_for(key).encrypt(b"refresh-token")) == b"refresh-token"


def test_a_generated_secret_keys_a_cipher_that_reads_back_what_it_wrote():
    secret = secrets.token_hex(32)  # what `"generator": "secret"` makes
    sealed = fernet_for(secret).encrypt(b"refresh-token")
    assert fernet_for(secret).decrypt(sealed) == b"refresh-token"


def test_different_secrets_key_different_ciphers():
    sealed = fernet_for("a" * SHORTEST_SECRET).encrypt(b"refresh-token")
    with pytest.raises(InvalidToken):
        fernet_for("b" * SHORTEST_SECRET).decrypt(sealed)


def test_a_secret_of_the_shortest_allowed_length_keys_a_cipher():
    assert fernet_for("s" * SHORTEST_SECRET).decrypt(fernet_for("s" * SHORTEST_SECRET).encrypt(b"t")) == b"t"


def test_a_secret_one_character_shorter_is_refused_with_the_rule():
    with pytest.raises(ValueError, match=f"at least {SHORTEST_SECRET} characters"):
        fernet_for("s" * (SHORTEST_SECRET - 1))
