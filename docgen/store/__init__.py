"""The diarium's store: tables, migrations and every SQL statement docgen makes (SQLAlchemy Core).

``Store`` opens the database and upgrades its schema; the modules beside it hold the statements,
each taking a connection from ``Store.tx()`` (one write transaction), ``Store.transact(fn)`` (one write
transaction, run again when the database was away or the transaction lost a race) or ``Store.read()``:
``numbers`` (reserving and voiding numbers), ``documents`` (registering versions, archiving),
``deliveries`` (sending), ``search`` (the registrar's queries), ``submissions`` (the job queue's inputs),
``events`` (lost attempts, takeovers, failures and dead processes per node).

The same guarantees hold on SQLite (the embedded default: every write transaction is ``BEGIN
IMMEDIATE``, so writers queue) and on PostgreSQL (READ COMMITTED with row locks where numbers are taken,
a unique index on the input of every live document, migrations under an advisory lock). A connection
is checked before use (``pool_pre_ping``); opening a transaction waits for a database that is restarting
(up to ``RECONNECT_FOR`` seconds) instead of failing.
"""
from __future__ import annotations

import logging
import random
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from ..errors import RegistryError
from .schema import LATEST_VERSION, MIGRATIONS, make_engine, now, schema_version

__all__ = ["Store", "now", "transient", "RECONNECT_FOR", "quick_check", "DamagedDiarium"]

log = logging.getLogger("docgen")

#: How long opening a transaction waits for a database that is away (restarting, failing over), seconds.
RECONNECT_FOR = 60.0
#: How often a transaction that lost a race or its connection is run again (``Store.transact``).
ATTEMPTS = 6
#: The key of PostgreSQL's advisory lock that docgen's schema changes (and the queue's schema) run under.
MIGRATION_LOCK = 0x646F6367  # "docg"

# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available (the transaction was rolled back);
# and the connection classes (08xxx), admin shutdown / crash shutdown / cannot connect now (57P01-57P03).
_RETRY_STATES = {"40001", "40P01", "55P03"}
_GONE_STATES = {"57P01", "57P02", "57P03"}


#: How long the check of a SQLite diarium at opening may take, seconds; a larger file is opened unchecked.
QUICK_CHECK_SECONDS = 10.0


class DamagedDiarium(RegistryError):
    """The SQLite diarium file is damaged; docgen does not write to it."""


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL, or None."""
    return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None


def quick_check(path: Path, seconds: float = QUICK_CHECK_SECONDS) -> str | None:
    """What is wrong with the SQLite file at ``path`` (``PRAGMA quick_check``, read-only, at most ``seconds``),
    or None if it is sound, absent, or the check ran out of time (logged)."""
    if not path.is_file():
        return None
    deadline = time.monotonic() + seconds
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=seconds)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        conn.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
        rows = [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
    except sqlite3.OperationalError as exc:
        if time.monotonic() > deadline and "interrupt" in str(exc).lower():
            log.warning("the check of the diarium %s did not finish within %g s; opened unchecked", path, seconds)
            return None
        return str(exc)
    except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
        return str(exc)
    finally:
        conn.close()
    return None if rows == ["ok"] else "; ".join(rows)[:500]


def transient(exc: BaseException) -> bool:
    """Whether a database error means "try again" (connection lost, database restarting, lost a race)
    rather than a bug or a refused statement."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if state and (state in _RETRY_STATES or state in _GONE_STATES or state.startswith("08")):
            return True
        orig = exc.orig
        if type(orig).__module__ == "sqlite3":  # only "busy" is worth another try on SQLite
            return "database is locked" in str(orig).lower() or "busy" in str(orig).lower()
        if isinstance(exc, IntegrityError):
            return False
        # psycopg: OperationalError without a SQLSTATE is a connection that failed or broke
        return type(orig).__name__ in ("OperationalError", "InterfaceError") and state is None
    # psycopg errors that escape SQLAlchemy (e.g. from the queue's own connections)
    name = type(exc).__name__
    return name in ("OperationalError", "InterfaceError", "ConnectionTimeout", "PoolTimeout") and \
        type(exc).__module__.startswith(("psycopg", "psycopg_pool"))


def _is_rolled_back(exc: BaseException) -> bool:
    """An error at COMMIT that proves nothing was committed (a lost race, not a lost connection)."""
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return state in _RETRY_STATES


class Store:
    """The diarium of one workspace. One object per process; safe to share between threads."""

    def __init__(self, url: str, migrate: bool = True):
        self.url = url
        path = sqlite_path(url)
        damage = quick_check(path) if path is not None else None
        if damage:  # before the engine, whose connections set the journal mode (a write)
            raise DamagedDiarium(
                f"diariet {path} är skadat ({damage}); docgen skriver inte i det. Återställ det från en "
                f"säkerhetskopia (se README, ”Säkerhetskopia”). / the diarium {path} is damaged; docgen does not "
                "write to it. Restore it from a backup (README, \"Backup\").")
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name  # sqlite / postgresql
        if migrate:
            self.migrate()

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def _connect(self, wait: float = RECONNECT_FOR):
        """A pooled connection (checked before use), waiting for a database that is away."""
        deadline = time.monotonic() + wait
        delay = 0.1
        while True:
            try:
                return self.engine.connect()
            except DBAPIError as exc:
                if not transient(exc) or time.monotonic() > deadline:
                    raise
                log.warning("the diarium is not reachable (%s); trying again in %.1f s", _short(exc), delay)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    @contextmanager
    def tx(self):
        """One write transaction (BEGIN IMMEDIATE on SQLite). Opening it waits for a database that is away;
        an error inside it propagates (use ``transact`` for a transaction that is run again)."""
        conn = self._connect()
        try:
            with conn.begin():
                yield conn
        finally:
            conn.close()

    def transact(self, fn, attempts: int = ATTEMPTS, retry_integrity: bool = False, idempotent: bool = False,
                 committed=None, single: bool = False):
        """``fn(conn)`` in one write transaction, run again (bounded, with backoff) when the connection was
        lost or the database restarted, or the transaction lost a race (serialization failure, deadlock; with
        ``retry_integrity`` also a unique-key conflict with a concurrent transaction). Every attempt starts
        from nothing: a failed attempt was rolled back in full, so running it again never takes a second
        number.

        A connection lost *during* COMMIT leaves the outcome unknown. ``committed(conn)`` looks up what the
        transaction would have left (a reservation, a version) and returns the result if it is there, None if
        not; without it, on PostgreSQL the transaction's id (``SELECT txid_current()``, a round trip) is taken
        at its start and looked up after reconnecting (``txid_status``). An ``idempotent`` transaction (running
        it twice leaves what running it once does) is simply run again. With ``single`` (``fn`` makes one
        write statement, reads after it allowed) PostgreSQL runs it without BEGIN and COMMIT: the statement
        commits by itself, two round trips fewer."""
        single = single and self.is_postgres
        for attempt in range(1, attempts + 1):
            committing, xid = False, None
            conn = self._connect()
            try:
                if single:
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                    committing = True  # the statement is its own commit
                    return fn(conn)
                trans = conn.begin()
                try:
                    if self.is_postgres and not idempotent and committed is None:
                        xid = conn.execute(text("SELECT txid_current()")).scalar()
                    result = fn(conn)
                except BaseException:
                    try:
                        trans.rollback()
                    except Exception:
                        pass
                    raise
                committing = True
                trans.commit()
                return result
            except DBAPIError as exc:
                again = transient(exc) or (retry_integrity and isinstance(exc, IntegrityError))
                unknown = committing and not _is_rolled_back(exc) and not isinstance(exc, IntegrityError)
                if unknown and not idempotent:
                    if committed is not None:
                        found = self._look_up(committed)
                        if found is not None:
                            log.info("the connection was lost at COMMIT; the transaction had committed (%s)",
                                     _short(exc))
                            return found
                    else:
                        done = self._committed(xid)
                        if done:
                            log.info("the connection was lost at COMMIT; the transaction had committed (%s)",
                                     _short(exc))
                            return result
                        again = again and done is False
                if not again or attempt == attempts:
                    raise
                delay = min(0.05 * 2 ** attempt, 2.0) * (0.5 + random.random())
                log.info("transaction run again (%s, attempt %d of %d) in %.2f s", _short(exc), attempt + 1,
                         attempts, delay)
                time.sleep(delay)
            finally:
                conn.close()

    def _look_up(self, committed):
        """``committed(conn)`` on a new connection, waiting for a database that is away; raises if it cannot."""
        with self.read() as conn:
            return committed(conn)

    def _committed(self, xid) -> bool | None:
        """Whether the transaction ``xid`` committed (PostgreSQL), None if that cannot be known."""
        if xid is None:
            return None
        try:
            with self.read() as conn:
                state = conn.execute(text("SELECT txid_status(:x)"), {"x": xid}).scalar()
        except DBAPIError:
            return None
        return {"committed": True, "aborted": False}.get(state)

    @contextmanager
    def read(self):
        """A connection for reading. On PostgreSQL without BEGIN/ROLLBACK (autocommit): under READ COMMITTED
        every statement sees its own snapshot either way, and it saves two round trips per read."""
        conn = self._connect()
        if self.is_postgres:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        try:
            yield conn
        finally:
            conn.close()

    def migrate(self) -> None:
        """Bring the schema to this docgen's version. On PostgreSQL under an advisory lock (processes
        starting together on an empty database upgrade it one after the other: the first does the work, the
        others find it done); on SQLite BEGIN IMMEDIATE does the same."""
        if self.is_postgres and self._version_without_lock() == LATEST_VERSION:
            return  # the common case, without taking the lock

        def upgrade(conn):
            if self.is_postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            schema_version.metadata.create_all(conn, tables=[schema_version])
            current = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
            if current > LATEST_VERSION:
                raise RegistryError(
                    f"the diarium {self.url} has schema version {current}, newer than this docgen "
                    f"({LATEST_VERSION}); upgrade docgen")
            for v in range(current + 1, LATEST_VERSION + 1):
                MIGRATIONS[v](conn)
                conn.execute(schema_version.insert().values(version=v))

        self.transact(upgrade)

    def _version_without_lock(self) -> int | None:
        with self.read() as conn:
            exists = conn.execute(text("SELECT to_regclass('schema_version')")).scalar()
            if exists is None:
                return None
            return conn.execute(select(func.max(schema_version.c.version))).scalar()

    def close(self) -> None:
        self.engine.dispose()

    def query(self, sql: str, **params) -> list[dict]:
        """Rows of a read-only SQL statement, for tests and diagnostics (docgen's own code uses the modules)."""
        with self.read() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def _short(exc: BaseException) -> str:
    first = str(getattr(exc, "orig", exc) or exc).strip().splitlines()
    return f"{type(getattr(exc, 'orig', exc)).__name__}: {first[0][:200] if first else ''}"
