"""The signed-in user's pages: the dashboard with its battery charts and live stream, and the alert settings."""

from app.web.dashboard import stream
from app.web.dashboard.views import blueprint

__all__ = ["blueprint", "stream"]
