"""A job that fails holding what must never leave the process: a phone number, a code and a token."""

from __future__ import annotations


def text_the_code(phone: str, code: str, token: dict[str, str]) -> None:
    """Fails as a job that had a number, a code and a token in hand would: in its arguments, its locals and its
    message."""
    access_token = token["access_token"]
    raise RuntimeError(f"could not text code {code} to {phone} with {access_token}")
