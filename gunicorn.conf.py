"""Gunicorn settings for the web dyno: bind the platform's port, size from WEB_CONCURRENCY, log to stdout."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads let a worker keep answering webhooks while it holds open live dashboard streams.
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
worker_class = "gthread"
# The platform's router gives up after 30 s; a webhook must answer well inside Fitbit's 5 s.
timeout = 30
graceful_timeout = 25
keepalive = 5
accesslog = "-"
# The default format logs the request line with its query string (%(r)s) and the referrer (%(f)s), which can
# carry a phone number or an OAuth code: log the method, the path alone and the protocol instead.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Behind the platform's router: trust its X-Forwarded-* headers.
forwarded_allow_ips = "*"
