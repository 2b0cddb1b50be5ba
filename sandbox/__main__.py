"""Serve the emulator on 127.0.0.1:$SANDBOX_PORT (default 5001): python -m sandbox."""
import os

from werkzeug.serving import run_simple

from sandbox import create_app

if __name__ == "__main__":
    run_simple("127.0.0.1", int(os.environ.get("SANDBOX_PORT", "5001")), create_app(), threaded=True)
