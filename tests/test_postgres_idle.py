"""A docgen session left idle inside a transaction (its node frozen: SIGSTOP, a paused VM) is ended by
PostgreSQL, so its locks do not keep the other nodes from taking its job over."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from docgen.store import schema
from tests.pgserver import pg_server, pg_url  # noqa: F401  (fixtures)


def test_a_transaction_left_idle_is_ended_and_its_locks_released(pg_server, pg_url, monkeypatch):
    engine = schema.make_engine(pg_url)
    with engine.connect() as c:  # the setting docgen's sessions run with
        assert c.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "1min"
    engine.dispose()
    monkeypatch.setattr(schema, "IDLE_IN_TRANSACTION_MS", 500)  # the same, shorter
    frozen, other = schema.make_engine(pg_url), schema.make_engine(pg_url)
    try:
        with frozen.connect() as conn:
            conn.begin()
            conn.execute(text("SELECT pg_advisory_xact_lock(4711)"))  # held until the transaction ends
            with other.connect() as c:
                assert c.execute(text("SELECT pg_try_advisory_xact_lock(4711)")).scalar() is False
                c.rollback()
            time.sleep(2)  # the node is frozen: nothing more comes from it
            with other.connect() as c:
                assert c.execute(text("SELECT pg_try_advisory_xact_lock(4711)")).scalar() is True
                c.rollback()
            with pytest.raises(DBAPIError):  # the resumed node finds its transaction gone
                conn.execute(text("SELECT 1"))
    finally:
        frozen.dispose()
        other.dispose()
