"""People who also get the texts: add an extra number, confirm it with its owner's code, choose its texts, remove it."""

from app.web.recipients.views import blueprint

__all__ = ["blueprint"]
