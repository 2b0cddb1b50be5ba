"""OAuth grants the emulated platforms hand out: authorization codes, access and refresh tokens."""
import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

# Both platforms: an authorization code is single-use and short-lived.
CODE_LIFETIME_SECONDS = 600

TOKEN_PREFIXES = {
    "fitbit": ("fitbit-at-", "fitbit-rt-"),
    # Google access tokens start "ya29.", refresh tokens "1//".
    "google": ("ya29.", "1//"),
}


def pkce_matches(verifier, challenge, method):
    """RFC 7636: S256 challenge = base64url(sha256(verifier)) without padding; plain compares as is."""
    if not verifier:
        return False
    if (method or "plain").upper() == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        expected = verifier
    return hmac.compare_digest(expected, challenge)


@dataclass
class Grant:
    platform: str
    person_id: str
    client_id: str
    scopes: list
    refresh_token: str | None = None
    revoked: bool = False


@dataclass
class AuthorizationCode:
    platform: str
    person_id: str
    client_id: str
    scopes: list
    redirect_uri: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    issue_refresh_token: bool
    issued_at: float = field(default_factory=time.time)


@dataclass
class AccessToken:
    token: str
    grant: Grant
    expires_at: float

    @property
    def expired(self):
        return time.time() >= self.expires_at


@dataclass
class RefreshAnswer:
    """What a spent Fitbit refresh token was answered with, kept for the grace window."""

    grant: Grant
    fingerprint: tuple
    answered_at: float
    answer: dict


class GrantBook:
    """Every grant and token; callers hold the world lock."""

    def __init__(self):
        self.grants = []
        self.codes = {}
        self.access_tokens = {}
        self.refresh_tokens = {}
        self.spent_refresh_tokens = {}

    def issue_code(self, **fields):
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthorizationCode(**fields)
        return code

    def take_code(self, code):
        """Codes are single-use: taking one removes it, expired or not."""
        authorization = self.codes.pop(code or "", None)
        if authorization is None or time.time() - authorization.issued_at > CODE_LIFETIME_SECONDS:
            return None
        return authorization

    def open_grant(self, platform, person_id, client_id, scopes, with_refresh_token):
        grant = Grant(platform, person_id, client_id, list(scopes))
        if with_refresh_token:
            self.rotate_refresh_token(grant)
        self.grants.append(grant)
        return grant

    def rotate_refresh_token(self, grant):
        if grant.refresh_token:
            self.refresh_tokens.pop(grant.refresh_token, None)
        grant.refresh_token = TOKEN_PREFIXES[grant.platform][1] + secrets.token_urlsafe(32)
        self.refresh_tokens[grant.refresh_token] = grant
        return grant.refresh_token

    def issue_access_token(self, grant, lifetime_seconds):
        token = TOKEN_PREFIXES[grant.platform][0] + secrets.token_urlsafe(32)
        access = AccessToken(token, grant, time.time() + lifetime_seconds)
        self.access_tokens[token] = access
        return access

    def access_token(self, token):
        return self.access_tokens.get(token or "")

    def grant_for_refresh_token(self, token):
        return self.refresh_tokens.get(token or "")

    def remember_refresh_answer(self, spent_token, grant, fingerprint, answer):
        self.spent_refresh_tokens[spent_token] = RefreshAnswer(grant, fingerprint, time.time(), answer)

    def refresh_answer(self, spent_token):
        return self.spent_refresh_tokens.get(spent_token or "")

    def grant_for_any_token(self, token, platform):
        access = self.access_token(token)
        if access is not None and access.grant.platform == platform:
            return access.grant
        grant = self.grant_for_refresh_token(token)
        if grant is not None and grant.platform == platform:
            return grant
        return None

    def active_grants(self, person_id, platform):
        return [
            grant
            for grant in self.grants
            if grant.person_id == person_id and grant.platform == platform and not grant.revoked
        ]

    def revoke(self, grant):
        grant.revoked = True
        if grant.refresh_token:
            self.refresh_tokens.pop(grant.refresh_token, None)
        for token in [t for t, access in self.access_tokens.items() if access.grant is grant]:
            del self.access_tokens[token]

    def expire_access_tokens(self, person_id, platform):
        expired = 0
        for access in self.access_tokens.values():
            grant = access.grant
            if grant.person_id == person_id and grant.platform == platform and not access.expired:
                access.expires_at = time.time() - 1
                expired += 1
        return expired
