"""The platform as a deploy meets it: the environment `app.json` and the add-ons build, the `Procfile`'s lines
run by bash, and a router that ends TLS and adds the forwarded headers in front of the web dyno."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.middleware.http_proxy import ProxyMiddleware

from sandbox.server import LiveServer
from tests.support.paths import ROOT


def app_json() -> dict:
    return json.loads((ROOT / "app.json").read_text())


def procfile() -> dict[str, str]:
    """The Procfile's process types and their command lines, as written."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    entries = [line.split(":", 1) for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return {name.strip(): command.strip() for name, command in entries}


def config_vars(manifest: dict, filled_in: dict[str, str]) -> dict[str, str]:
    """The config vars a deploy from `manifest` gets: fixed values, generated secrets (64 hex characters, as
    the platform's `"generator": "secret"` makes them) and what the operator fills in for each required one.
    A required variable missing from `filled_in` raises KeyError: the deploy form would not submit."""
    values: dict[str, str] = {}
    for name, entry in manifest["env"].items():
        if "value" in entry:
            values[name] = entry["value"]
        elif entry.get("generator") == "secret":
            values[name] = secrets.token_hex(32)
        elif entry.get("required", True):
            values[name] = filled_in[name]
    return values


def run_line(command: str, env: dict[str, str], **options) -> subprocess.Popen:
    """A Procfile line started as the platform starts it: by bash, in the app's directory, leading its own
    process group (the dyno) so a signal reaches all of it."""
    return subprocess.Popen(["bash", "-c", command], cwd=ROOT, env=env, start_new_session=True, **options)


def dyno_environment(config: dict[str, str], dyno: str) -> dict[str, str]:
    """What a dyno's processes see: the config vars, the dyno's name and the slug's executables on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    return {"PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}", "HOME": os.environ.get("HOME", "/"),
            "LANG": "C.UTF-8", **config, "DYNO": dyno}


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, in `folder`: what the router and a TLS stand-in present."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class RouterHeaders:
    """What the PaaS router does to a request on its way to a dyno: it appends the client's address to
    X-Forwarded-For and sets X-Forwarded-Proto and X-Forwarded-Port to what the client used."""

    def __init__(self, wsgi_app, port: int):
        self.wsgi_app, self.port = wsgi_app, port

    def __call__(self, environ, start_response):
        earlier = environ.get("HTTP_X_FORWARDED_FOR")
        client = environ["REMOTE_ADDR"]
        environ["HTTP_X_FORWARDED_FOR"] = f"{earlier}, {client}" if earlier else client
        environ["HTTP_X_FORWARDED_PROTO"] = "https"
        environ["HTTP_X_FORWARDED_PORT"] = str(self.port)
        return self.wsgi_app(environ, start_response)


class _EveryPathProxied(ProxyMiddleware):
    """Werkzeug's proxy for every path: its prefix matching cannot express "all of them"."""

    def __call__(self, environ, start_response):
        options = next(iter(self.targets.values()))
        return self.proxy_to(options, environ["PATH_INFO"], "/")(environ, start_response)


def router(web_port: int, cert_path: Path, key_path: Path) -> LiveServer:
    """https://127.0.0.1:<port>, forwarding every request to the web dyno on `web_port` as the router does;
    the Host header is the client's."""
    target = {"/": {"target": f"http://127.0.0.1:{web_port}", "host": None}}
    headers = RouterHeaders(_EveryPathProxied(lambda environ, start_response: [], target, timeout=30), 0)
    server = LiveServer(headers, ssl_context=(str(cert_path), str(key_path)))
    headers.port = server.port
    return server
