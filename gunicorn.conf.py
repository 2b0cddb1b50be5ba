"""Gunicorn settings for the web dyno: bind the platform's port, size from WEB_CONCURRENCY, log to stdout."""

import os
import signal

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Each open live dashboard holds a thread while it waits for events; webhooks and pages keep 8 more (app.config:
# WEB_THREADS, REQUEST_THREADS, LIVE_MAX_STREAMS). An idle thread costs about 15 KB of resident memory: its
# 8 MB stack is address space, touched only as deep as a request goes, so the stack size is left alone.
threads = int(os.environ.get("GUNICORN_THREADS", "128"))
worker_class = "gthread"
# The platform's router gives up after 30 s; a webhook must answer well inside Fitbit's 5 s.
timeout = 30
# On SIGTERM (sent to every process of the dyno; SIGKILL follows 30 s later) requests in hand get this long.
graceful_timeout = 25
keepalive = 5
accesslog = "-"
# The default format logs the request line with its query string (%(r)s) and the referrer (%(f)s), which can
# carry a phone number or an OAuth code: log the method, the path alone and the protocol instead.
# Each line ends with the request id the app answered with (app/logs.py), as the app's own lines for it do.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" [request=%({x-request-id}o)s]'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Forwarded headers are read in one place, the app's ProxyFix (FORWARDED_HOPS, app/__init__.py); gunicorn
# believes none, from any peer. Trusting "*" took X-Forwarded-Proto, -Ssl and -Protocol, and SCRIPT_NAME and
# PATH_INFO headers, from any client; the default trusts 127.0.0.1, and a UNIX socket peer always.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
forwarder_headers = ""


def post_worker_init(worker):
    """On SIGTERM a worker lets go of the listening socket at once, then finishes the requests in hand.

    gthread stops calling accept() but keeps the socket open until its last request ends, so for up to
    graceful_timeout the kernel still accepts connections nobody will serve, and resets them at exit. Once
    the master (which closes its copy first) and every worker have let go, a new connection is refused at
    once. Closing this process's copy leaves the socket to any worker still serving (a graceful reload).
    """
    finish_requests = worker.handle_exit

    def stop_taking_connections(signum, frame):
        worker.worker_connections = 0  # gthread would take up accepting again below this limit
        worker.set_accept_enabled(False)  # off the poller before the socket closes under it
        for listener in worker.sockets:
            listener.close()
        finish_requests(signum, frame)

    signal.signal(signal.SIGTERM, stop_taking_connections)
