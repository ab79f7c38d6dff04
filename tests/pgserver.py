"""A real PostgreSQL server for the tests, started from Debian's packages (``postgresql``, version 15).

initdb refuses to run as root, so the cluster lives in a temporary folder owned by ``postgres`` and every
server command runs as that user (``runuser -u postgres``). It listens on 127.0.0.1 on a free port (its
unix socket in the same temporary folder), with ``fsync=off``: tests, not durability. One server per
test session (a process-wide singleton, so several test modules share it); each test gets a database of
its own (``pg_url``). The server is stopped and its folder removed when the session ends, also when it
fails (atexit).

    from tests.pgserver import pg_server, pg_url  # noqa: F401  (fixtures)
"""
from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

BIN = Path(os.environ.get("DOCGEN_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_postgres(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    cmd = list(args)
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """One PostgreSQL cluster in a temporary folder."""

    def __init__(self, extra_options: str = ""):
        self.extra_options = extra_options
        if not (BIN / "initdb").exists():
            pytest.skip(f"PostgreSQL is not installed ({BIN}/initdb); `make test` installs the package postgresql")
        self.root = Path(tempfile.mkdtemp(prefix="docgen-pg-"))
        os.chmod(self.root, 0o755)
        self.data = self.root / "data"
        self.port = _free_port()
        self.log = self.root / "server.log"
        self._lock = threading.Lock()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        _as_postgres(str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--no-instructions", "--locale=C.UTF-8" if _has_locale("C.UTF-8") else "--locale=C")
        self.start()

    def _options(self) -> str:
        return (f"-c listen_addresses=127.0.0.1 -c port={self.port} -k {self.root} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                f"-c shared_buffers=64MB {self.extra_options}")

    def start(self) -> None:
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", self._options(),
                     "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self, down_for: float = 0.0) -> None:
        """Stop the server (fast: every session is cut), stay down ``down_for`` seconds, start it again."""
        with self._lock:
            self.stop("fast")
            time.sleep(down_for)  # a clock by design: how long the server is away
            self.start()

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        import psycopg

        with psycopg.connect(self.url(driver="postgresql"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def _has_locale(name: str) -> bool:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=10).stdout.lower()
    except OSError:
        return False
    return name.lower().replace("-", "") in out.replace("-", "")


_server: PgServer | None = None
_server_lock = threading.Lock()


#: PostgreSQL counts every client statement per database (tests/pgcost.py reads it).
COUNTING = "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top"


def server() -> PgServer:
    """The session's server, started on first use and stopped when the process exits."""
    global _server
    with _server_lock:
        if _server is None:
            _server = PgServer(COUNTING)
            atexit.register(_server.close)
        return _server


@pytest.fixture(scope="session")
def pg_server() -> PgServer:
    return server()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty PostgreSQL database for this test (SQLAlchemy URL, postgresql+psycopg://)."""
    return pg_server.create_database()
