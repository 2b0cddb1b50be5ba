"""Serve a WSGI app on a free local port in a background thread: the emulator, or a test's subscriber."""
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from sandbox import create_app


class QuietRequestHandler(WSGIRequestHandler):
    """No access log lines in test output."""

    def log_request(self, code="-", size="-"):
        pass


class LiveServer:
    """A threaded werkzeug server on 127.0.0.1 and a free port (https with an `ssl_context`); `.url` to reach it,
    `.stop()` to end it."""

    def __init__(self, wsgi_app, ssl_context=None):
        self.wsgi_app = wsgi_app
        self._server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=QuietRequestHandler,
                                   ssl_context=ssl_context)
        self.port = self._server.server_port
        self.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"live-server-{self.url}",
            daemon=True,
        )
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


class LiveEmulator(LiveServer):
    """The emulator served over real HTTP, for tests and benchmarks."""

    def __init__(self, config=None):
        self.app = create_app(config)
        self.world = self.app.extensions["sandbox"]["world"]
        super().__init__(self.app)

    def stop(self):
        # Release held requests and background redeliveries before the server goes.
        self.world.stopping.set()
        super().stop()
