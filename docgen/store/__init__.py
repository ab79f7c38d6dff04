"""The diarium's store: tables, migrations and every SQL statement docgen makes (SQLAlchemy Core).

``Store`` opens the database and upgrades its schema; the modules beside it hold the statements,
each taking a connection from ``Store.tx()`` (one write transaction) or ``Store.read()``:
``numbers`` (reserving and voiding numbers), ``documents`` (registering versions, archiving),
``deliveries`` (sending), ``search`` (the registrar's queries).
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import func, select, text

from ..errors import RegistryError
from .schema import LATEST_VERSION, MIGRATIONS, make_engine, now, schema_version

__all__ = ["Store", "now"]


class Store:
    """The diarium of one workspace. One object per process; safe to share between threads."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.migrate()

    @contextmanager
    def tx(self):
        """One write transaction (BEGIN IMMEDIATE on SQLite)."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self):
        """A connection for reading."""
        with self.engine.connect() as conn:
            yield conn

    def migrate(self) -> None:
        with self.tx() as conn:
            schema_version.metadata.create_all(conn, tables=[schema_version])
            current = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
            if current > LATEST_VERSION:
                raise RegistryError(
                    f"the diarium {self.url} has schema version {current}, newer than this docgen "
                    f"({LATEST_VERSION}); upgrade docgen")
            for v in range(current + 1, LATEST_VERSION + 1):
                MIGRATIONS[v](conn)
                conn.execute(schema_version.insert().values(version=v))

    def close(self) -> None:
        self.engine.dispose()

    def query(self, sql: str, **params) -> list[dict]:
        """Rows of a read-only SQL statement, for tests and diagnostics (docgen's own code uses the modules)."""
        with self.read() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]
