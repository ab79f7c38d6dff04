"""Who is asking: an API token (``Authorization: Bearer``), a trusted header set by a reverse proxy
(``[webb] betrodd_anvandarrubrik``, off by default), or the signed login cookie of the web pages.

Tokens and passwords are stored hashed (SHA-256 for the random tokens, argon2 for passwords). The
login cookie is a random session id, signed and timestamped with itsdangerous, whose hash the diarium keeps
(``webbsession``) until logout, expiry or a new password: a forged or expired cookie is refused without asking
the diarium, and a logged-out one is refused by it. Cookies and form tokens (CSRF, HMAC-SHA256) are signed
under a secret kept in the workspace (``.docgen/webb-hemlighet``, created 0600 on first use).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..store import Store, sessions, users

COOKIE = "docgen_inloggning"
#: A random value the login form's CSRF token is bound to, set before anyone has logged in.
PRE_COOKIE = "docgen_fore"
_hasher = PasswordHasher()


#: How a request's user was authenticated (kept in the record of a decision).
PASSWORD, PROXY_HEADER, API_TOKEN = "lösenord", "proxyrubrik", "api-token"


@dataclass(frozen=True)
class User:
    namn: str
    roll: str
    titel: str | None = None  # a beslutsfattare's title
    auth: str = PASSWORD  # how this request's user was authenticated: PASSWORD, PROXY_HEADER or API_TOKEN

    @property
    def registrator(self) -> bool:
        return self.roll == "registrator"

    @property
    def decides(self) -> bool:
        """A beslutsfattare: decides the documents that name them."""
        return self.roll == users.DECISION_MAKER

    @property
    def may_submit(self) -> bool:
        return self.roll in ("handlaggare", "registrator", users.DECISION_MAKER)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def password_hash(password: str) -> str:
    return _hasher.hash(password)


def create_user(store: Store, namn: str, roll: str, password: str | None, titel: str | None = None) -> str:
    """Add a user (``titel``: a beslutsfattare's title); returns the API token (shown once, stored only as its hash)."""
    token = new_token()
    with store.tx() as conn:
        users.add(conn, namn, roll, token_hash(token), password_hash(password) if password else None, titel)
    return token


def secret(workspace: Path) -> bytes:
    """The workspace's cookie-signing secret, created (0600) on first use."""
    path = workspace / ".docgen" / "webb-hemlighet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


#: Failed web logins: after 5 for one name from one address, or 30 from one address (whatever the
#: names), within the window, that pair or address waits for the window to pass (others are not
#: locked out by someone guessing); at most this many password checks run at once.
MAX_FAILURES = {"namn": 5, "adress": 30}
FAILURE_WINDOW, VERIFICATIONS_AT_ONCE = 900.0, 2


class Authenticator:
    """Finds the user of a request, and signs and checks login cookies."""

    def __init__(self, store: Store, key: bytes, trusted_header: str, session_hours: float):
        self.store = store
        self.key = key
        self.trusted_header = trusted_header.strip().lower()
        self.session_seconds = session_hours * 3600
        self._failures: dict[str, list[float]] = {}  # "namn:..." / "adress:..." -> times of failed logins
        self._failures_lock = threading.Lock()
        self._verifications = threading.BoundedSemaphore(VERIFICATIONS_AT_ONCE)
        self._cookies = URLSafeTimedSerializer(key, salt="docgen-inloggning")

    def locked_out(self, *keys: str) -> bool:
        """Whether a key (``namn:…`` or ``adress:…``) failed ``MAX_FAILURES`` times within ``FAILURE_WINDOW`` s."""
        now = time.time()
        with self._failures_lock:
            for key in keys:
                recent = [t for t in self._failures.get(key, []) if now - t < FAILURE_WINDOW]
                self._failures[key] = recent
                if not recent:
                    del self._failures[key]
                if len(recent) >= MAX_FAILURES[key.split(":", 1)[0]]:
                    return True
        return False

    def failed(self, *keys: str) -> None:
        with self._failures_lock:
            for key in keys:
                self._failures.setdefault(key, []).append(time.time())

    def _user(self, row: dict | None, auth: str = PASSWORD) -> User | None:
        return User(row["namn"], row["roll"], row.get("titel"), auth) if row else None

    def from_token(self, token: str) -> User | None:
        with self.store.read() as conn:
            return self._user(users.by_token(conn, token_hash(token)), API_TOKEN)

    def from_name(self, namn: str, auth: str = PROXY_HEADER) -> User | None:
        with self.store.read() as conn:
            return self._user(users.by_name(conn, namn), auth)

    def login(self, namn: str, password: str) -> User | None:
        """The user, if the password is theirs (always one argon2 verification, so timing says nothing)."""
        with self.store.read() as conn:
            row = users.by_name(conn, namn)
        stored = row["losenord"] if row and row["losenord"] else _DUMMY
        with self._verifications:  # argon2 costs ~90 ms of CPU: a burst of logins cannot take every core
            try:
                ok = _hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                ok = False
        return self._user(row) if ok and row and row["losenord"] else None

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self.key, payload, hashlib.sha256).hexdigest()

    def cookie(self, user: User) -> str:
        """A new login held on the server: the cookie is a signed random id, the diarium keeps the id's hash until
        the login expires, the person logs out, or their password changes or account is removed."""
        value = secrets.token_urlsafe(32)
        with self.store.tx() as conn:
            sessions.open_session(conn, token_hash(value), user.namn, int(time.time() + self.session_seconds))
        return self._cookies.dumps(value)

    def _session_id(self, cookie: str) -> str | None:
        """The session id a cookie carries, if this workspace signed it and it has not expired."""
        if not cookie or len(cookie) > 200:
            return None
        try:
            value = self._cookies.loads(cookie, max_age=self.session_seconds)
        except BadSignature:  # also SignatureExpired
            return None
        return value if isinstance(value, str) else None

    def from_cookie(self, cookie: str) -> User | None:
        value = self._session_id(cookie)
        if value is None:
            return None
        with self.store.read() as conn:
            namn = sessions.session_user(conn, token_hash(value))
            row = users.by_name(conn, namn) if namn else None
        return self._user(row)

    def logout(self, cookie: str) -> None:
        """End the login this cookie holds (the cookie is worthless from now on)."""
        value = self._session_id(cookie)
        if value is not None:
            with self.store.tx() as conn:
                sessions.end_session(conn, token_hash(value))

    def csrf(self, cookie: str) -> str:
        """The form token that goes with a login cookie (forms that change something carry it)."""
        return self._sign(b"csrf|" + cookie.encode())

    def login_csrf(self, pre: str) -> str:
        """The login form's token, bound to the browser's pre-login cookie (``PRE_COOKIE``)."""
        return self._sign(b"login|" + pre.encode())

    def identify(self, headers, cookies) -> User | None:
        """The request's user: API token, then the proxy's trusted header, then the login cookie."""
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return self.from_token(auth[7:].strip())
        if self.trusted_header and headers.get(self.trusted_header):
            return self.from_name(_header_text(headers[self.trusted_header]).strip())
        if cookies.get(COOKIE):
            return self.from_cookie(cookies[COOKIE])
        return None


def _header_text(value: str) -> str:
    """A header value as the proxy meant it: HTTP servers decode headers as Latin-1, proxies send names
    such as "Lars Läsare" as UTF-8 bytes."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


_DUMMY = _hasher.hash(secrets.token_hex(16))
