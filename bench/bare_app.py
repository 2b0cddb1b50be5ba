"""The baseline for the webhook benchmark: a bare Flask app that answers every POST with 204 and does nothing else.

Served by the same gunicorn settings as ours: `gunicorn bench.bare_app:app --config gunicorn.conf.py`.
"""

from flask import Flask

app = Flask(__name__)


@app.post("/webhooks/<platform>")
def push(platform: str):
    return "", 204
