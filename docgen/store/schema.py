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
    Column, ForeignKey, Integer, LargeBinary, MetaData, String, Table, Text, UniqueConstraint, create_engine, event,
    inspect,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

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
    # skapad / skickas (claimed by a sender) / skickad / misslyckad / oklar (the sender died while sending) /
    # ej_levererad / nekad
    Column("status", String(20), nullable=False),
    Column("resultat", Text),
    Column("expedierad", String(40)),
    Column("agare", Text),  # the process sending it (status skickas)
    Column("paborjad", String(40)),  # when that process claimed it
)

# Every docgen process that holds something (claims, reservations, deliveries, jobs) and its heartbeat.
# Liveness across hosts is the heartbeat; on the same host the pid is checked as well.
process = Table(
    "process", metadata,
    Column("agare", String(200), primary_key=True),  # docgen.owners.owner_id()
    Column("vard", Text, nullable=False),  # host name
    Column("roll", String(40), nullable=False),  # watch / render / worker / serve / send / registrar
    Column("startad", String(40), nullable=False),
    Column("puls", Integer, nullable=False),  # last heartbeat, seconds since the epoch (UTC)
    Column("inkorg", Text),  # the inbox a watcher serves, if any
)

# People and systems of the HTTP API and the web pages.
anvandare = Table(
    "anvandare", metadata,
    Column("id", Integer, primary_key=True),
    Column("namn", String(200), nullable=False, unique=True),
    Column("roll", String(20), nullable=False),  # handlaggare / registrator / lasare / beslutsfattare
    Column("token_sha256", String(64), unique=True),  # the API token, hashed
    Column("losenord", Text),  # argon2 hash of the web password, if any
    Column("aktiv", Integer, nullable=False, server_default="1"),
    Column("skapad", String(40), nullable=False),
    Column("titel", Text),  # a beslutsfattare's title, printed in the decision line (schema version 8)
)

# Every view or download of a confidential document: who, when, what.
atkomst = Table(
    "atkomst", metadata,
    Column("id", Integer, primary_key=True),
    Column("tid", String(40), nullable=False),
    Column("anvandare", String(200), nullable=False),
    Column("diarienummer", String(64)),
    Column("handling_id", Integer),
    Column("atgard", String(40), nullable=False),  # visning / nedladdning
    Column("detalj", Text),
)

# A form an officer saved on the web without submitting it (resumable from "Mina dokument").
utkast = Table(
    "utkast", metadata,
    Column("id", Integer, primary_key=True),
    Column("anvandare", String(200), nullable=False, index=True),
    Column("dokumenttyp", String(100), nullable=False),
    Column("variant", String(100)),
    Column("rubrik", Text),
    Column("indata", Text, nullable=False),  # the form's input as JSON, as far as it was filled in
    Column("andrad", String(40), nullable=False),
)

# An input submitted to the job queue (`docgen submit`, PostgreSQL): the input as it was read (its bytes,
# so the worker loads exactly what was validated), its attachments, and what became of it.
inlamning = Table(
    "inlamning", metadata,
    Column("id", Integer, primary_key=True),
    Column("kalla", Text, nullable=False),  # the input's name, as reports name it
    Column("filnamn", Text, nullable=False),  # the file name (its suffix says YAML or JSON)
    Column("indata", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False, index=True),  # canonical hash of the input (handling.input_sha256)
    # koad (queued) / pagar (a worker has it) / klar (registered) / nekad (refused: report in resultat) /
    # fel (failed for good)
    Column("status", String(20), nullable=False),
    Column("jobb_id", Integer),  # the queue's job
    Column("agare", Text),  # the worker process (owner) of the latest attempt
    Column("forsok", Integer, nullable=False, server_default="0"),
    Column("resultat", Text),  # the outcome, JSON
    Column("inlamnad_av", Text),  # who submitted it (owner)
    Column("skapad", String(40), nullable=False),
    Column("andrad", String(40), nullable=False),
)

# The files a submitted input's attachments (bilagor) name, as they were at submission.
inlamning_fil = Table(
    "inlamning_fil", metadata,
    Column("id", Integer, primary_key=True),
    Column("inlamning_id", Integer, ForeignKey("inlamning.id"), nullable=False, index=True),
    Column("namn", Text, nullable=False),  # the reference in the input (relative to the input's folder)
    Column("data", LargeBinary, nullable=False),
    UniqueConstraint("inlamning_id", "namn"),
)

# Web logins held on the server: the cookie carries a random id, the table its hash; logging out or a new
# password deletes the rows, so an old cookie is worth nothing.
sessionstabell = Table(
    "webbsession", metadata,
    Column("id_sha256", String(64), primary_key=True),
    Column("namn", String(200), nullable=False, index=True),
    Column("skapad", String(40), nullable=False),
    Column("utgar", Integer, nullable=False),  # seconds since the epoch (UTC)
)

# Idempotency-Key of API posts: a key, its user and the body's hash answer the first submission again.
idempotens = Table(
    "idempotens", metadata,
    Column("anvandare", String(200), primary_key=True),
    Column("nyckel", String(200), primary_key=True),
    Column("sha256", String(64), nullable=False),  # of the request body
    Column("inskickning", String(64), nullable=False),  # the submission id answered
    Column("skapad", Integer, nullable=False),  # seconds since the epoch (UTC)
)

# Inputs submitted through the API, by content (handling.input_sha256): a second post of the same content
# while the first is still on its way answers 409 instead of failing later in the watcher.
api_inskickning = Table(
    "api_inskickning", metadata,
    Column("id", String(64), primary_key=True),  # the submission id
    Column("sha256", String(64), nullable=False, unique=True),
    Column("skapad", String(40), nullable=False),
)

# Webhooks: a system's URL (within [webb] webhook_tillatna) and the secret its events are signed with.
webhook = Table(
    "webhook", metadata,
    Column("id", Integer, primary_key=True),
    Column("agare", String(200), nullable=False, index=True),  # the user whose submissions it is told about
    Column("url", Text, nullable=False),
    Column("hemlighet", Text, nullable=False),  # kept as given: it signs (HMAC-SHA256) every event
    Column("skapad", String(40), nullable=False),
    Column("skapad_epok", Integer, nullable=False),
)

# Every event to deliver, and what became of it: the durable queue of the webhook sender.
webhook_leverans = Table(
    "webhook_leverans", metadata,
    Column("id", Integer, primary_key=True),
    Column("webhook_id", Integer, nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("handelse", String(20), nullable=False),  # registrerad / fel / makulerad
    Column("inskickning", String(64), nullable=False),
    Column("kropp", Text, nullable=False),  # the JSON body, exactly as signed and sent
    # vantar (to send at nasta) / levererad / misslyckad (gave up after the last attempt)
    Column("status", String(20), nullable=False),
    Column("forsok", Integer, nullable=False, server_default="0"),
    Column("nasta", Integer, nullable=False),  # next attempt, seconds since the epoch (UTC)
    Column("senaste_svar", Text),  # the last attempt's answer (HTTP status or error)
    Column("skapad", String(40), nullable=False),
    Column("levererad", String(40)),
    UniqueConstraint("webhook_id", "inskickning", "handelse"),
)

# What happened to the nodes (hosts) of the job queue, for `docgen status`: an attempt that lost its job to
# another node (forlorad), a takeover of a dead or stalled node's job (overtagen), a job that failed for good
# (fel), a process found dead (dod; ``puls`` is when it was last seen). Old rows are forgotten
# (``events.forget_older_than``).
nodhandelse = Table(
    "nodhandelse", metadata,
    Column("id", Integer, primary_key=True),
    Column("tid", Integer, nullable=False),  # seconds since the epoch (UTC)
    Column("vard", Text, nullable=False),  # the host the event concerns
    Column("agare", Text),  # the process it concerns (docgen.owners)
    Column("typ", String(20), nullable=False),  # forlorad / overtagen / fel / dod
    Column("inlamning_id", Integer),
    Column("annan", Text),  # the other process (who took the job over, whose job was taken over)
    Column("puls", Integer),  # dod: the process's last heartbeat
    Column("detalj", Text),
)

# A decided document (``DocumentType.decided``) that names its beslutsfattare waits here, unnumbered, for the
# decision (docgen.decisions): its input, who submitted it, who may decide, and what was decided, by whom, when,
# how they were authenticated and the SHA-256 of the draft PDF they saw; once registered, its number.
beslut = Table(
    "beslutsunderlag", metadata,
    Column("id", Integer, primary_key=True),
    Column("dokumenttyp", String(100), nullable=False),
    Column("rubrik", Text, nullable=False),
    Column("indata", LargeBinary, nullable=False),  # the input as it was read (its bytes)
    Column("filnamn", Text, nullable=False),  # the input's file name (its suffix says YAML or JSON)
    Column("sha256", String(64), nullable=False, index=True),  # canonical hash of the input (handling.input_sha256)
    Column("inskickad_av", Text, nullable=False),
    Column("inskickad", String(40), nullable=False),  # local time with offset, to the second
    Column("kalla", Text, nullable=False),  # webb / api / inkorg / ko, and the source's name
    Column("inskickning", String(64)),  # the web's or API's submission id, if any
    Column("beslutsfattare", Text, nullable=False),  # JSON list of user names
    Column("status", String(20), nullable=False),  # väntar / fattat / återvisat
    Column("kommentar", Text),
    Column("beslutad_av", Text),
    Column("beslutad_titel", Text),
    Column("beslutad", String(40)),
    Column("autentisering", String(40)),  # losenord / proxyrubrik / api-token
    Column("utkast_sha256", String(64)),  # the draft PDF the decision maker saw (the last one shown to them)
    Column("diarienummer", String(64)),
    Column("lopnummer", Integer),
    Column("version_id", Integer),
)

# The attachment files a waiting input names, as they were when it was submitted.
beslut_fil = Table(
    "beslutsunderlag_fil", metadata,
    Column("id", Integer, primary_key=True),
    Column("beslut_id", Integer, ForeignKey("beslutsunderlag.id"), nullable=False, index=True),
    Column("namn", Text, nullable=False),  # the reference in the input (relative to the input's folder)
    Column("data", LargeBinary, nullable=False),
    UniqueConstraint("beslut_id", "namn"),
)

# Every draft PDF shown to a named decision maker: who, when, its SHA-256 (a decision is on the last one they saw).
beslut_utkast = Table(
    "beslutsunderlag_utkast", metadata,
    Column("id", Integer, primary_key=True),
    Column("beslut_id", Integer, ForeignKey("beslutsunderlag.id"), nullable=False, index=True),
    Column("anvandare", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("visat", String(40), nullable=False),
)

LATEST_VERSION = 8


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[nummerserie, arende, handling, version, fil, leverans])


def _v2(conn: Connection) -> None:
    """Cases of external series (arende.extern)."""
    columns = {c["name"] for c in inspect(conn).get_columns("arende")}
    if "extern" not in columns:  # a database made by _v1 of this release already has it
        conn.exec_driver_sql("ALTER TABLE arende ADD COLUMN extern INTEGER NOT NULL DEFAULT 0")


def _v3(conn: Connection) -> None:
    """Deliveries claimed before they are sent; processes with heartbeats; API users and the access log."""
    columns = {c["name"] for c in inspect(conn).get_columns("leverans")}
    for name, kind in (("agare", "TEXT"), ("paborjad", "VARCHAR(40)")):
        if name not in columns:
            conn.exec_driver_sql(f"ALTER TABLE leverans ADD COLUMN {name} {kind}")
    metadata.create_all(conn, tables=[process, anvandare, atkomst])


#: The statuses of a document that hold its input: at most one such document per input (content hash).
LIVE_STATUSES = ("reserverad", "registrerad", "arkiverad")
LIVE_INPUT_INDEX = "ux_handling_input_levande"


def _v4(conn: Connection) -> None:
    """One live document per input, enforced by the database (a partial unique index, so that concurrent
    processes on PostgreSQL cannot both reserve a number for the same input); submitted inputs (the queue)."""
    from ..errors import RegistryError

    live = ", ".join(f"'{s}'" for s in LIVE_STATUSES)
    dupes = conn.exec_driver_sql(
        f"SELECT input_sha256, COUNT(*) FROM handling WHERE status IN ({live}) GROUP BY input_sha256 "
        "HAVING COUNT(*) > 1").fetchall()
    if dupes:
        raise RegistryError(
            f"diariet har {len(dupes)} indata med mer än en levande handling (t.ex. {dupes[0][0][:12]}…); makulera "
            "dubbletterna innan uppgraderingen / the diarium holds more than one live document for the same input "
            f"({len(dupes)} inputs, e.g. input_sha256 {dupes[0][0]}); void the duplicates before upgrading "
            "(schema version 4)")
    conn.exec_driver_sql(
        f"CREATE UNIQUE INDEX IF NOT EXISTS {LIVE_INPUT_INDEX} ON handling (input_sha256) WHERE status IN ({live})")
    metadata.create_all(conn, tables=[inlamning, inlamning_fil])


def _v5(conn: Connection) -> None:
    """Drafts saved from the web form (idempotent: the table is made only where it is missing)."""
    metadata.create_all(conn, tables=[utkast])


def _v6(conn: Connection) -> None:
    """Server-side web sessions; Idempotency-Keys and submitted contents of the API; webhooks and their deliveries."""
    metadata.create_all(conn, tables=[sessionstabell, idempotens, api_inskickning, webhook, webhook_leverans])


def _v7(conn: Connection) -> None:
    """Events of the queue's nodes (lost attempts, takeovers, failures, dead processes)."""
    metadata.create_all(conn, tables=[nodhandelse])


WAITING_INPUT_INDEX = "ux_beslutsunderlag_vantar"


def _v8(conn: Connection) -> None:
    """Decision makers' titles (anvandare.titel); documents waiting for a decision, their attachments and the drafts
shown to their decision makers."""
    columns = {c["name"] for c in inspect(conn).get_columns("anvandare")}
    if "titel" not in columns:  # a database made by _v3 of this release already has it
        conn.exec_driver_sql("ALTER TABLE anvandare ADD COLUMN titel TEXT")
    metadata.create_all(conn, tables=[beslut, beslut_fil, beslut_utkast])
    # one waiting row per input: the same input submitted again while it waits is the same decision
    conn.exec_driver_sql(f"CREATE UNIQUE INDEX IF NOT EXISTS {WAITING_INPUT_INDEX} ON beslutsunderlag (sha256) "
                         "WHERE status = 'väntar'")


#: Ordered schema upgrades; migration N brings the schema from version N-1 to N.
MIGRATIONS = {1: _v1, 2: _v2, 3: _v3, 4: _v4, 5: _v5, 6: _v6, 7: _v7, 8: _v8}


def now() -> str:
    """Local time with its offset, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


#: Milliseconds a PostgreSQL transaction of docgen's may stay idle before the server ends it (see make_engine).
IDLE_IN_TRANSACTION_MS = 60_000


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        # Connections are kept (8, and up to 64 at a busy moment: the web desk's threads): opening one costs
        # about 0.7 ms of CPU (connect and the pragmas below), and a document takes several transactions.
        engine = create_engine(url, poolclass=QueuePool, pool_size=8, max_overflow=56, pool_timeout=120,
                               connect_args={"timeout": 60})

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
    if url.startswith(("postgresql:", "postgres:")):
        url = "postgresql+psycopg:" + url.split(":", 1)[1]  # docgen's driver (psycopg 3)
    if url.startswith("postgresql"):
        # Connections are checked before use (a database restart costs a reconnect, not a failed input);
        # READ COMMITTED, with explicit row locks where numbers are taken (docgen.store.numbers).
        # A handful of connections per process: 3 kept, at most 10 at a busy moment (transactions are short;
        # a thread waits for a free one rather than opening more; some checks read on a second connection
        # inside a transaction, so the ceiling stays above the threads of a worker node). With the queue's 3,
        # a worker node holds 4 to 13, typically 4 to 6.
        # A node frozen inside a transaction (SIGSTOP, a VM paused) would hold its row locks until it resumes,
        # and the other nodes could not take its job over: the server ends a transaction left idle for
        # IDLE_IN_TRANSACTION_MS (no docgen transaction waits on anything but the database), releasing them.
        return create_engine(url, pool_pre_ping=True, pool_size=3, max_overflow=7, pool_timeout=120, pool_recycle=1800,
                             connect_args={"connect_timeout": 10, "application_name": "docgen",
                                           "options": f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"})
    return create_engine(url, pool_pre_ping=True)
