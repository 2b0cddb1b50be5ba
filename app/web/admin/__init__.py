"""The operator's view: `/admin` for the accounts ADMIN_USERS names, and `/metrics` behind METRICS_TOKEN."""

from app.web.admin.views import blueprint

__all__ = ["blueprint"]
