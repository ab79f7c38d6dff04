"""The diarium's tables and their migrations, and the database engine (SQLite or any SQLAlchemy URL).

Cases (arende), their documents (handling), every version produced, its files (fil) and
deliveries (leverans). The schema is versioned (table ``schema_version``) and upgraded by the
ordered ``MIGRATIONS`` on open. On SQLite every write transaction is ``BEGIN IMMEDIATE``: writers
queue for the lock instead of failing, which is what makes number allocation safe across processes.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import (
    Column, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint, create_engine, event, inspect,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

nummerserie = Table(
    "nummerserie", metadata,
    Column("serie", String(20), primary_key=True),
    Column("ar", Integer, primary_key=True),
    Column("senaste", Integer, nullable=False),
)

arende = Table(
    "arende", metadata,
    Column("id", Integer, primary_key=True),
    Column("diarienummer", String(64), nullable=False, unique=True),
    Column("serie", String(20), nullable=False),
    Column("ar", Integer, nullable=False),
    Column("nummer", Integer, nullable=False),
    Column("rubrik", Text, nullable=False),
    # reserverad (number handed out, document in progress) / oppen / makulerad (voided, see orsak)
    Column("status", String(20), nullable=False),
    Column("makulerad_orsak", Text),
    Column("skapad", String(40), nullable=False),
    # 1: the number was allocated by another system (an external series); docgen opened the case when a
    # document first named it
    Column("extern", Integer, nullable=False, server_default="0"),
    UniqueConstraint("serie", "ar", "nummer"),
)

handling = Table(
    "handling", metadata,
    Column("id", Integer, primary_key=True),
    Column("arende_id", Integer, ForeignKey("arende.id"), nullable=False),
    Column("lopnummer", Integer, nullable=False),
    Column("dokumenttyp", String(64), nullable=False),
    Column("rubrik", Text, nullable=False),
    Column("datum", String(10), nullable=False),
    Column("enhet", Text),
    # reserverad / registrerad / makulerad / arkiverad
    Column("status", String(20), nullable=False),
    Column("makulerad_orsak", Text),
    Column("input_sha256", String(64), nullable=False, index=True),
    Column("agare", Text),  # the owner (docgen.owners) of the process working on a reservation
    Column("motpart", Text),  # sender/recipient (OSL 5 kap.)
    Column("beskrivning", Text),
    Column("sekretess", Text),
    Column("registrerad", String(40)),
    Column("arkivpaket", Text),
    Column("arkiverad", String(40)),
    UniqueConstraint("arende_id", "lopnummer"),
)

version = Table(
    "version", metadata,
    Column("id", Integer, primary_key=True),
    Column("handling_id", Integer, ForeignKey("handling.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("indata", Text, nullable=False),  # the validated input, JSON
    Column("kalla", Text),  # the input's file name
    Column("mall", Text, nullable=False),
    Column("mall_sha256", String(64), nullable=False),
    Column("plugin", Text, nullable=False),
    Column("docgen_version", String(20), nullable=False),
    Column("skapad_av", Text, nullable=False),
    Column("skapad", String(40), nullable=False),
    UniqueConstraint("handling_id", "version"),
)

fil = Table(
    "fil", metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, ForeignKey("version.id"), nullable=False),
    Column("typ", String(20), nullable=False),
    Column("sokvag", Text, nullable=False),  # relative to the outbox
    Column("sha256", String(64), nullable=False),
    Column("storlek", Integer, nullable=False),
)

leverans = Table(
    "leverans", metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, ForeignKey("version.id"), nullable=False),
    Column("syfte", Text, nullable=False),
    Column("namn", Text, nullable=False),
    Column("epost", Text),
    Column("meddelande", Text),  # the .eml file, relative to the outbox
    Column("status", String(20), nullable=False),  # skapad / skickad / misslyckad / ej_levererad / nekad
    Column("resultat", Text),
    Column("expedierad", String(40)),
)

LATEST_VERSION = 2


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[nummerserie, arende, handling, version, fil, leverans])


def _v2(conn: Connection) -> None:
    """Cases of external series (arende.extern)."""
    columns = {c["name"] for c in inspect(conn).get_columns("arende")}
    if "extern" not in columns:  # a database made by _v1 of this release already has it
        conn.exec_driver_sql("ALTER TABLE arende ADD COLUMN extern INTEGER NOT NULL DEFAULT 0")


#: Ordered schema upgrades; migration N brings the schema from version N-1 to N.
MIGRATIONS = {1: _v1, 2: _v2}


def now() -> str:
    """Local time with its offset, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url)
