"""The web entry point: `gunicorn wsgi:app`, and what the `flask` command finds."""

import sys

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"Configuration error: {error}")
