"""Signing in: the landing page, Flask-Dance sign-in per platform (linking a Fitbit account that moves to
Google), sign-out and leaving."""

from app.web.signin.platforms import register_platforms
from app.web.signin.views import blueprint

__all__ = ["blueprint", "register_platforms"]
