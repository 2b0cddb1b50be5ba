"""Jobs the worker tests queue: one stuck on a platform that never answers, one that leaves its transaction open,
one that reads what the database holds."""

from __future__ import annotations

import socket

from sqlalchemy import func, select

from app.extensions import db
from app.models import Platform, User


def wait_for_an_answer(port: int) -> bytes:
    """Stuck as a job whose outside service accepted the connection and never answers."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        return connection.recv(1)


def add_a_user_and_leave_it_uncommitted(platform_user_id: str) -> None:
    db.session.add(User(platform=Platform.GOOGLE, platform_user_id=platform_user_id))
    db.session.flush()


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))
