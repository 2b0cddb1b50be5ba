"""Sign-in: who the current user is."""

from __future__ import annotations

from flask import Blueprint

from app.extensions import db, login_manager
from app.models import User

blueprint = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None
