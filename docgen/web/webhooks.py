"""Webhooks: a system is told when its submissions are registered, fail or are voided, instead of polling.

A user registers a URL and a secret (``POST /api/v1/webhooks``); the URL must start with one of the
administrator's prefixes (``[webb] webhook_tillatna``; empty: no webhooks). The sender, a thread of
`docgen serve`, finds the owner's submissions whose outcome is known, writes one delivery per hook,
submission and event into the diarium (``webhook_leverans``: durable, so a restart loses nothing), and
POSTs each as JSON signed with HMAC-SHA256 over the exact body (``X-Docgen-Signature: sha256=<hex>``).
An answer other than 2xx is tried again with a growing pause (1 s, 2 s, 4 s … up to an hour, 24 tries);
a delivery given up is logged as an error and shown as ``misslyckad`` in the registrar's delivery log. At
least once: a receiver tells repeats apart by ``X-Docgen-Leverans`` (the delivery's id).

Many nodes (`docgen serve` on several machines, one PostgreSQL diarium): every node's sender looks, and each
event is still sent once. A delivery row is unique per hook, submission and event (a second node writing the
same one fails on that key and leaves it), and a node claims a due delivery before it posts with a
compare-and-set on the row (``store.webhooks.claim``: the row lock makes the other node's claim wait and then
find the row taken). A row claim rather than a queue job: the same code on SQLite and PostgreSQL, nothing
needed beyond the web nodes (no `docgen worker`), and the delivery log is the table itself. A node that stalls
longer than the claim's hold (``TIMEOUT`` + 30 s) may see its delivery sent again by another: at least once.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError

from ..store import webhooks as table
from .submit import refusal, status

log = logging.getLogger("docgen.web")
ATTEMPTS, FIRST_PAUSE, LONGEST_PAUSE, TIMEOUT = 24, 1.0, 3600.0, 10.0
#: Submissions still watched for being voided after they were registered.
VOID_WATCH_SECONDS = 30 * 24 * 3600


def allowed(config, url: str) -> bool:
    prefixes = config.settings.webb.webhook_tillatna
    return any(url.startswith(p) for p in prefixes if p)


def check_url(config, url: str) -> None:
    """Refused (422) unless the URL is http(s) and starts with a prefix the administrator allowed."""
    if not url.startswith(("https://", "http://")) or not allowed(config, url):
        raise refusal(422, "adressen är inte tillåten för webhooks ([webb] webhook_tillatna).",
                      "the URL is not allowed for webhooks ([webb] webhook_tillatna).",
                      "be administratören lägga till adressens början i webhook_tillatna.",
                      "ask the administrator to add the URL's beginning to webhook_tillatna.", field="url")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def event_body(handelse: str, sid: str, st) -> str:
    dnr = getattr(st, "diarienummer", None)
    links = {"status": f"/api/v1/dokument/{sid}"}
    if dnr and handelse == "registrerad":
        case = f"/api/v1/arenden/{quote(dnr, safe='')}"
        links.update(arende=case, pdf=f"{case}/handlingar/{st.lopnummer}/pdf")
    # fel: the number the input was given and that was voided (with the reason in the status), else null
    voided = getattr(st, "makulerat", None) if handelse == "fel" else None
    return json.dumps({"handelse": handelse, "id": sid, "diarienummer": dnr, "status": handelse, "makulerat": voided,
                       "lankar": links}, ensure_ascii=False)


class _Voided:
    def __init__(self, dnr: str):
        self.diarienummer, self.lopnummer = dnr, None


class Sender:
    """Finds events and delivers them, every ``interval`` seconds until stopped."""

    def __init__(self, engine, interval: float = 0.5):
        self.engine = engine
        self.store = engine.store
        self.interval = interval
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.engine.config.settings.webb.webhook_tillatna:
                    self.find_events()
                    self.deliver_due()
            except Exception:  # never stop the sender: the next round tries again
                log.exception("webhook sender")
            self._stop.wait(self.interval)

    def find_events(self) -> None:
        with self.store.read() as conn:
            hooks = table.listing(conn)
        for hook in hooks:
            with self.store.read() as conn:
                pending = table.unannounced(conn, hook)
            for sid in pending:
                st = status(self.engine, sid)
                if st.status in ("registrerad", "fel"):
                    self._enqueue(hook, st.status, sid, st)
            since = time.strftime("%Y-%m-%d", time.localtime(time.time() - VOID_WATCH_SECONDS))
            with self.store.read() as conn:
                registered = set(table.announced(conn, hook["id"], "registrerad", since))
                voided = set(table.announced(conn, hook["id"], "makulerad", since))
                found = {sid: table.voided_source(conn, sid) for sid in registered - voided}
            for sid, dnr in found.items():
                if dnr:
                    self._enqueue(hook, "makulerad", sid, _Voided(dnr))

    def _enqueue(self, hook: dict, handelse: str, sid: str, st) -> None:
        try:
            with self.store.tx() as conn:
                table.enqueue(conn, hook, handelse, sid, event_body(handelse, sid, st))
        except IntegrityError:
            pass  # another docgen serve wrote the same delivery at the same moment: once is enough

    def deliver_due(self) -> None:
        with self.store.read() as conn:
            due = table.due(conn)
        for d in due:
            with self.store.tx() as conn:
                if not table.claim(conn, d, hold=int(TIMEOUT) + 30):
                    continue
            ok, answer = self._post(d)
            tries = d["forsok"] + 1
            next_at = None if ok or tries >= ATTEMPTS else int(time.time() + min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** (tries - 1)))
            with self.store.tx() as conn:
                table.attempted(conn, d["id"], ok, answer, next_at)
            if not ok and next_at is None:
                log.error("webhook %s: gave up delivering %s of %s to %s after %d tries: %s", d["webhook_id"],
                          d["handelse"], d["inskickning"], d["url"], tries, answer)

    def _post(self, d: dict) -> tuple[bool, str]:
        if not allowed(self.engine.config, d["url"]):
            return False, "adressen är inte längre tillåten / the URL is no longer allowed"
        body = d["kropp"].encode("utf-8")
        req = urllib.request.Request(d["url"], data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "docgen-webhook",
            "X-Docgen-Signature": signature(d["hemlighet"], body), "X-Docgen-Handelse": d["handelse"],
            "X-Docgen-Leverans": str(d["id"])})
        try:
            with _opener.open(req, timeout=TIMEOUT) as resp:
                return 200 <= resp.status < 300, f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            return False, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            return False, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: the allowed URL is the only one docgen posts to."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))

