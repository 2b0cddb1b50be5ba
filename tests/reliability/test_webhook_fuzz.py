"""Webhook fuzzing: thousands of generated bad requests, none accepted as genuine, no 5xx, nothing queued.

Cases come from `random.Random(seed)`, so a failure names its seed and case number and can be replayed:
`FUZZ_SEED=<seed> python3 dev.py test tests/reliability/test_webhook_fuzz.py`. The CI run sends 2,000
cases; `python3 dev.py test -m slow tests/reliability/test_webhook_fuzz.py` sends 12,000.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import io
import json
import logging
import os
import random
import string
from dataclasses import dataclass, field

import pytest

from app.extensions import queues
from app.web.webhooks.platforms import fitbit_signature
from tests.support.queued_work import NOTHING_QUEUED, queued_work

SEED = int(os.environ.get("FUZZ_SEED", "20261123"))
FITBIT = "/webhooks/fitbit"
GOOGLE = "/webhooks/google-health"
CONTENT_TYPES = [
    "application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz",
    "application/xml", "", "application/json; charset=utf-16", "application/octet-stream", "text/html; charset=latin-1",
]


@dataclass
class Case:
    """One generated request and the answers it may get."""

    what: str
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    query: str = ""
    allowed: frozenset[int] = frozenset()


class CaseMaker:
    """Generates bad webhook requests: forged or missing credentials, broken bodies, wrong methods."""

    def __init__(self, rng: random.Random, fitbit_secret: str, google_secret: str, max_bytes: int):
        self.rng = rng
        self.fitbit_secret = fitbit_secret
        self.google_secret = google_secret
        self.max_bytes = max_bytes

    # --- bodies a platform would send ---------------------------------------------------------------
    def owner(self) -> str:
        return "".join(self.rng.choices(string.ascii_uppercase + string.digits, k=6))

    def fitbit_body(self) -> bytes:
        notes = [
            {"collectionType": self.rng.choice(["activities", "sleep", "body", "userRevokedAccess"]),
             "date": f"2026-11-{self.rng.randint(1, 28):02d}", "ownerId": self.owner(), "ownerType": "user",
             "subscriptionId": str(self.rng.randint(1, 10**6))}
            for _ in range(self.rng.randint(1, 4))
        ]
        return json.dumps(notes, separators=(",", ":")).encode()

    def google_body(self) -> bytes:
        item = {"data": {"version": "1", "clientProvidedSubscriptionName": "sub", "healthUserId": str(self.rng.randint(10**19, 10**20 - 1)),
                         "operation": self.rng.choice(["UPSERT", "DELETE"]), "dataType": "steps", "intervals": []}}
        return json.dumps([item, item] if self.rng.random() < 0.2 else item).encode()

    # --- broken bodies ------------------------------------------------------------------------------
    def broken_body(self, good: bytes) -> tuple[str, bytes]:
        rng = self.rng
        choice = rng.randrange(19)
        if choice == 0:
            return "truncated json", good[: rng.randrange(1, len(good))]
        if choice == 1:
            return "random bytes", rng.randbytes(rng.randint(1, 2000))
        if choice == 2:
            return "not json", rng.choice([b"hello", b"<xml/>", b"ownerId=ABC123&date=2026", b"", b" ", b"null,"])
        if choice == 3:
            return "json scalar", rng.choice([b"1", b'"ABC123"', b"null", b"true", b"3.5e400", b"[]" if rng.random() < 0 else b"{}"])
        if choice == 4:
            return "list of non-objects", json.dumps([1, "a", None, [2]][: rng.randint(1, 4)]).encode()
        if choice == 5:
            return "missing owner", json.dumps([{"collectionType": "activities"}, {"data": {}}]).encode()
        if choice == 6:
            value = rng.choice([123, None, [], {}, "", "A" * rng.randint(65, 5000), True])
            return "owner of the wrong type or size", json.dumps([{"ownerId": value, "data": {"healthUserId": value}}]).encode()
        if choice == 7:
            depth = rng.randint(1000, min(100_000, self.max_bytes // 2 - 1))
            return "deeply nested", b"[" * depth + b"]" * depth
        if choice == 8:
            return "utf-16", good.decode().encode(rng.choice(["utf-16", "utf-16-le", "utf-32"]))
        if choice == 9:
            return "utf-8 with bom", b"\xef\xbb\xbf" + good
        if choice == 10:
            return "invalid utf-8", good[:5] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"]) + good[5:]
        if choice == 11:
            return "nul bytes", good.replace(b":", b":\x00", 1)
        if choice == 12:
            escape = rng.choice(["\\ud800", "\\udfff", "\\u0000", "\\ud83d"])
            return "lone surrogate owner", ('[{"ownerId":"AB' + escape + '","data":{"healthUserId":"1' + escape + '"}}]').encode()
        if choice == 13:
            return "gzip", gzip.compress(good)
        if choice == 14:
            return "huge", b"[" + b'{"ownerId":"ABC123","data":{"healthUserId":"1"}},' * (self.max_bytes // 40) + b"{}]"
        if choice == 15:
            return "wrong operation", json.dumps({"data": {"healthUserId": "1", "operation": rng.choice(["", "PATCH", 7, None])}}).encode()
        if choice == 16:
            return "huge number", b'[{"ownerId": 1' + b"9" * rng.randint(5000, 100_000) + b"}]"
        if choice == 17:
            return "duplicate keys and trailing garbage", good + rng.choice([b"]", b"}", b",", b"\x00", b"x"])
        return "non-string data", json.dumps([{"data": rng.choice([[], "x", 1, None])}]).encode()

    # --- forged credentials -------------------------------------------------------------------------
    def forged_fitbit_signature(self, body: bytes) -> tuple[str, str | None]:
        rng = self.rng
        genuine = fitbit_signature(body, self.fitbit_secret)
        choice = rng.randrange(12)
        if choice == 0:
            return "missing signature", None
        if choice == 1:
            return "empty signature", ""
        if choice == 2:
            return "random signature", base64.b64encode(rng.randbytes(20)).decode()
        if choice == 3:
            return "truncated signature", genuine[: rng.randrange(0, len(genuine) - 1)]
        if choice == 4:
            flipped = list(genuine)
            spot = rng.randrange(len(flipped) - 1)
            flipped[spot] = "A" if flipped[spot] != "A" else "B"
            return "one character changed", "".join(flipped)
        if choice == 5:
            return "wrong secret", fitbit_signature(body, "not-" + self.fitbit_secret)
        if choice == 6:
            digest = hmac.new(self.fitbit_secret.encode(), body, hashlib.sha1).digest()
            return "secret without &", base64.b64encode(digest).decode()
        if choice == 7:
            return "hex digest", hmac.new((self.fitbit_secret + "&").encode(), body, hashlib.sha1).hexdigest()
        if choice == 8:
            digest = hmac.new((self.fitbit_secret + "&").encode(), body, hashlib.sha256).digest()
            return "sha-256", base64.b64encode(digest).decode()
        if choice == 9:
            return "signature of another body", fitbit_signature(self.fitbit_body(), self.fitbit_secret)
        if choice == 10:
            return "signature with extra characters", genuine + rng.choice(["A", "==", "x"])
        return "the client secret itself", self.fitbit_secret

    def forged_google_authorization(self) -> tuple[str, str | None]:
        rng = self.rng
        secret = self.google_secret
        options = [
            ("missing authorization", None),
            ("empty authorization", ""),
            ("wrong secret", "".join(rng.choices(string.ascii_letters, k=len(secret)))),
            ("truncated secret", secret[: rng.randrange(0, len(secret) - 1)]),
            ("secret with a suffix", secret + rng.choice(["x", "0", "=", "secret"])),
            ("bearer prefix", "Bearer " + secret),
            ("upper-cased secret", secret.upper()),
            ("basic auth", "Basic " + base64.b64encode(f"{secret}:".encode()).decode()),
            ("the fitbit secret", self.fitbit_secret),
            ("non-ascii", secret[:-1] + "\u00e9"),
        ]
        return rng.choice(options)

    # --- cases --------------------------------------------------------------------------------------
    def case(self) -> Case:
        rng = self.rng
        roll = rng.random()
        content_type = rng.choice(CONTENT_TYPES) if rng.random() < 0.3 else "application/json"
        if roll < 0.38:
            body = self.fitbit_body()
            what = "well-formed"
            if rng.random() < 0.3:
                what, body = self.broken_body(body)
            how, signature = self.forged_fitbit_signature(body)
            headers = {} if signature is None else {"X-Fitbit-Signature": signature}
            return Case(f"fitbit forged ({how}, {what}, {content_type or 'no content type'})", "POST", FITBIT, body,
                        headers, content_type, allowed=frozenset({404, 413}))
        if roll < 0.68:
            body = self.google_body() if rng.random() < 0.9 else b'{"type":"verification"}'
            what = "well-formed"
            if rng.random() < 0.3:
                what, body = self.broken_body(body)
            how, authorization = self.forged_google_authorization()
            headers = {} if authorization is None else {"Authorization": authorization}
            return Case(f"google forged ({how}, {what}, {content_type or 'no content type'})", "POST", GOOGLE, body,
                        headers, content_type, allowed=frozenset({401, 413}))
        if roll < 0.90:
            # Genuine credentials on a body no platform sends: a clear 400 (or 413), nothing queued.
            if rng.random() < 0.5:
                what, body = self.broken_body(self.fitbit_body())
                headers = {"X-Fitbit-Signature": fitbit_signature(body, self.fitbit_secret)}
                path = FITBIT
            else:
                what, body = self.broken_body(self.google_body())
                headers = {"Authorization": self.google_secret}
                path = GOOGLE
            return Case(f"signed but malformed ({path}, {what}, {content_type or 'no content type'})", "POST", path,
                        body, headers, content_type, allowed=frozenset({400, 413}))
        if roll < 0.95:
            verify = rng.choice(["", "wrong", "sandbox-verify-cod", "sandbox-verify-code-", "SANDBOX-VERIFY-CODE",
                                 "%00", "x" * 5000, "sandbox-verify-code\u00e9"])
            query = "" if rng.random() < 0.1 else "verify=" + verify
            return Case(f"fitbit wrong verification code ({verify[:20]!r})", "GET", FITBIT, query=query,
                        allowed=frozenset({404}))
        method = rng.choice(["PUT", "PATCH", "DELETE"]) if rng.random() < 0.7 else "GET"
        path = GOOGLE if method == "GET" else rng.choice([FITBIT, GOOGLE])
        return Case(f"wrong method ({method} {path})", method, path, self.google_body(), allowed=frozenset({405}))


def run_fuzz(app, client, caplog, cases: int) -> None:
    caplog.set_level(logging.INFO)
    config = app.config
    maker = CaseMaker(random.Random(SEED), config["FITBIT_CLIENT_SECRET"], config["GOOGLE_HEALTH_WEBHOOK_SECRET"],
                      int(config["WEBHOOK_MAX_BYTES"]))
    redis = queues.redis
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for number in range(cases):
        case = maker.case()
        # The body goes as a stream, byte for byte: given data=b"" and a multipart type, the test client
        # would build a multipart body of its own, and the bytes sent would not be the bytes signed.
        body = {"input_stream": io.BytesIO(case.body), "headers": {"Content-Length": str(len(case.body)), **case.headers}} \
            if case.body is not None else {"headers": case.headers}
        try:
            response = client.open(case.path, method=case.method, content_type=case.content_type or None,
                                   query_string=case.query or None, **body)
            status = response.status_code
        except Exception as error:  # noqa: BLE001 - an exception is the test client's way of showing a 500
            status = 500
            case.what += f" raised {type(error).__name__}: {error}"[:300]
        statuses[status] = statuses.get(status, 0) + 1
        if status not in case.allowed:
            failures.append(f"case {number} (seed {SEED}): {case.what} → {status}, wanted {sorted(case.allowed)}")
        if redis.hlen("sync:dirty"):
            failures.append(f"case {number} (seed {SEED}): {case.what} → {status} queued a sync")
            redis.flushdb()
    assert not failures, f"{len(failures)} of {cases} cases failed:\n" + "\n".join(failures[:40])
    assert queued_work() == NOTHING_QUEUED
    assert sum(statuses.values()) == cases and not any(status >= 500 for status in statuses)
    # The refusals are logged, the secrets never.
    for secret in (config["FITBIT_CLIENT_SECRET"], config["GOOGLE_HEALTH_WEBHOOK_SECRET"]):
        assert secret not in caplog.text


def test_two_thousand_bad_webhook_requests_are_refused_without_a_5xx_and_queue_nothing(app, client, caplog):
    run_fuzz(app, client, caplog, 2_000)


@pytest.mark.slow
def test_twelve_thousand_bad_webhook_requests_are_refused_without_a_5xx_and_queue_nothing(app, client, caplog):
    run_fuzz(app, client, caplog, 12_000)


def test_replayed_and_reordered_genuine_pushes_are_accepted_and_coalesced_into_one_sync_per_user(app, client):
    """A replay of a genuine push is genuine: 204. What keeps it from becoming a second text is coalescing and
    the outbox key; here, that every burst of replays becomes one queued sync per user."""
    rng = random.Random(SEED)
    secret = app.config["FITBIT_CLIENT_SECRET"]
    owners = [f"OWNER{n}" for n in range(5)]
    pushes = []
    for owner in owners:
        body = json.dumps([{"collectionType": "activities", "date": "2026-11-23", "ownerId": owner, "ownerType": "user",
                            "subscriptionId": "1"}], separators=(",", ":")).encode()
        pushes += [("fitbit", body)] * rng.randint(2, 10)
        google = json.dumps({"data": {"healthUserId": owner, "operation": "UPSERT", "dataType": "steps"}}).encode()
        pushes += [("google", google)] * rng.randint(2, 10)
    rng.shuffle(pushes)
    for platform, body in pushes:
        if platform == "fitbit":
            answer = client.post(FITBIT, data=body, content_type="application/json",
                                 headers={"X-Fitbit-Signature": fitbit_signature(body, secret)})
        else:
            answer = client.post(GOOGLE, data=body, content_type="application/json",
                                 headers={"Authorization": app.config["GOOGLE_HEALTH_WEBHOOK_SECRET"]})
        assert answer.status_code == 204
    work = queued_work()
    assert work["dirty_users"] == work["queued_flags"] == work["default_jobs"] == 2 * len(owners)
    assert work["pending_pushes"] == 0
