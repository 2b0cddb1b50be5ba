"""Tokens are encrypted with the first listed key and still readable after a key rotation."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import select, text

from app.extensions import db
from app.models import OAuth, Platform, User


def test_a_rotated_key_still_reads_old_tokens_and_new_writes_use_the_new_key(app, make_app, test_env):
    old_key = test_env["TOKEN_ENCRYPTION_KEY"]
    new_key = Fernet.generate_key().decode()
    with make_app().app_context():
        user = User(platform=Platform.GOOGLE, platform_user_id="rotation-user")
        db.session.add(user)
        db.session.flush()
        db.session.add(OAuth(provider="google", user_id=user.id, token={"access_token": "test-access"}))
        db.session.commit()

    with make_app(TOKEN_ENCRYPTION_KEY=f"{new_key},{old_key}").app_context():
        row = db.session.scalars(select(OAuth)).one()
        assert row.token == {"access_token": "test-access"}
        row.token = {"access_token": "test-access-2"}
        db.session.commit()
        stored = db.session.execute(text("SELECT token FROM oauth_tokens")).scalar_one()
        assert Fernet(new_key).decrypt(stored.encode()) == b'{"access_token": "test-access-2"}'
        db.session.execute(text("DELETE FROM oauth_tokens"))
        db.session.execute(text("DELETE FROM users"))
        db.session.commit()
