"""Our app as the PaaS router presents it: gunicorn serves wsgi.app with X-Forwarded-Proto: https set.

In production the platform's router terminates TLS and adds X-Forwarded-Proto; the app (ProxyFix, forced
https) relies on it. The emulator posts plain http on loopback, so the pipeline benchmarks serve
`bench.behind_router:app` instead of `wsgi:app`; nothing else differs.
"""

from wsgi import app as flask_app


def app(environ, start_response):
    environ.setdefault("HTTP_X_FORWARDED_PROTO", "https")
    environ.setdefault("HTTP_X_FORWARDED_FOR", "127.0.0.1")
    return flask_app(environ, start_response)
