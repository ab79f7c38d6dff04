"""Safe retries of ``POST /api/dokument``: the ``Idempotency-Key`` header (IETF draft
draft-ietf-httpapi-idempotency-key-header) and one submission per content.

The same key from the same user with the same body within 24 h answers the first submission again (its id);
with another body, 422 naming the key; while the first request with a key is still being answered, 409.
Without a key, content that is already registered, or submitted and still on its way, answers 409 with the
earlier submission's id (and diarienummer, once it has one) instead of a 202 that would fail in the watcher.
"""
from __future__ import annotations

import hashlib
import time

from sqlalchemy.exc import IntegrityError

from ..errors import problem
from ..pipeline import Engine
from ..store import sessions
from .submit import Refused, status

HEADER = "Idempotency-Key"
KEPT_FOR = 24 * 3600


def body_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def key_of(headers) -> str | None:
    """The request's key, or None; Refused (400) when it cannot be one."""
    key = headers.get(HEADER.lower())
    if key is None:
        return None
    key = key.strip().strip('"')
    if not key or len(key) > 200 or not key.isprintable():
        raise Refused(400, [problem(HEADER, "Idempotency-Key ska vara 1–200 synliga tecken.",
                                    "Idempotency-Key must be 1–200 printable characters.").to_dict()])
    return key


def replay(engine: Engine, user: str, key: str, digest: str) -> str | None:
    """The submission id this key already answered with, or None after taking the key for this request.
    Refused: 422 if the key came with another body (``digest``), 409 if its first request is still being answered."""
    since = int(time.time()) - KEPT_FOR
    with engine.store.read() as conn:
        prior = sessions.idempotent(conn, user, key, since)
    if prior is None:
        try:
            with engine.store.tx() as conn:
                sessions.claim_key(conn, user, key, digest, since)
            return None
        except IntegrityError:
            with engine.store.read() as conn:
                prior = sessions.idempotent(conn, user, key, since)
            if prior is None:
                raise _in_progress(key) from None
    if prior["sha256"] != digest:
        raise Refused(422, [problem(HEADER, f"Idempotency-Key {key!r} användes redan för en annan indata.",
                                    f"Idempotency-Key {key!r} was already used for another input.",
                                    "använd en ny nyckel för ny indata.", "use a new key for a new input.").to_dict()])
    if not prior["inskickning"]:
        raise _in_progress(key)
    return prior["inskickning"]


def settle(engine: Engine, user: str, key: str, submission_id: str | None) -> None:
    """What the key answers from now on (None: the request was refused and the key is free again)."""
    with engine.store.tx() as conn:
        sessions.settle_key(conn, user, key, submission_id)


def _in_progress(key: str) -> Refused:
    return Refused(409, [problem(HEADER, f"en begäran med Idempotency-Key {key!r} behandlas redan.",
                                 f"a request with Idempotency-Key {key!r} is already being answered.",
                                 "vänta på svaret och försök sedan igen.", "wait for its answer, then retry.").to_dict()])


def once_per_content(engine: Engine, content: str | None = None):
    """A ``before_inbox`` for ``submit``: refuses (409) content submitted before and neither failed nor sent back by
    its decision maker (the content is the input's canonical hash, or ``content`` for an input with attachments:
    see ``uploads``)."""
    def check(sid: str, job) -> None:
        digest = content or job.doc.sha256
        with engine.store.read() as conn:
            prior = sessions.submitted_content(conn, digest)
        if prior:
            st = status(engine, prior)
            if st.status not in ("fel", "återvisat"):
                raise _duplicate(prior, st.diarienummer)
        try:
            with engine.store.tx() as conn:
                sessions.record_content(conn, sid, digest, prior)
        except IntegrityError:  # submitted at this very moment by another request
            with engine.store.read() as conn:
                raise _duplicate(sessions.submitted_content(conn, digest) or "", None) from None
    return check


def _duplicate(prior: str, dnr: str | None) -> Refused:
    where_sv = f"registrerad som {dnr}" if dnr else "inskickad och på väg att registreras"
    where_en = f"registered as {dnr}" if dnr else "submitted and on its way to registration"
    return Refused(409, [problem("", f"samma indata är redan {where_sv} (id {prior}).",
                                 f"the same input is already {where_en} (id {prior}).",
                                 "följ den första inskickningen (status_url) i stället för att skicka igen.",
                                 "follow the first submission (status_url) instead of sending again.").to_dict()],
                   id=prior, status_url=f"/api/v1/dokument/{prior}", diarienummer=dnr)
