"""People's control over their own data: download it, disconnect and keep the account, the privacy page."""

from app.web.yourdata.views import blueprint

__all__ = ["blueprint"]
