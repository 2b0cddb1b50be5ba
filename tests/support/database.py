"""The test database itself: emptied completely before the migrations build it again."""

from __future__ import annotations

from sqlalchemy import MetaData, text


def drop_everything(engine) -> None:
    """Empty the test database whatever an earlier run left in it."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        return
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)
