"""The phone step: take a mobile number, text it a code, confirm it."""

from app.web.phone.views import blueprint

__all__ = ["blueprint"]
