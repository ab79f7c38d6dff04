"""What documents cost the diarium's PostgreSQL, counted by PostgreSQL itself: client statements
(pg_stat_statements, this database only) and write transactions (transaction ids handed out: every
transaction that changes a row takes one, and each is one commit the server must make durable). A node's
heartbeats are per node and second, not per document: they are counted apart and left out. Used by
tests/test_postgres_cost.py and bench/bench.py; the server must preload pg_stat_statements
(``pgserver.COUNTING``), and autovacuum is off while counting (``start`` to ``stop``: transaction ids are
the server's, and its ANALYZE of other databases takes some)."""
from __future__ import annotations

from collections import Counter

#: Statements a node makes per unit of time, whatever it produces (and the write transactions each is).
HEARTBEATS = ("procrastinate_update_heartbeat", "UPDATE process SET puls")
#: Statements of the harness itself (waiting for results, reading these counters).
HARNESS = ("docgen wait_for", "pg_stat_statements", "/* pgcost */")


class Cost:
    """Counters from ``start()`` to ``stop()``; ``per(n)`` divides them by the documents made."""

    def __init__(self, store):
        self.store = store

    def _xid(self) -> int:
        """The next transaction id (this statement takes one, in a transaction of its own)."""
        return self.store.query("/* pgcost */ SELECT txid_current() + 0 AS x")[0]["x"]

    def _autovacuum(self, on: bool) -> None:
        """Autovacuum on or off for the whole server (a superuser's ALTER SYSTEM): its ANALYZE of other
        databases' tables writes pg_statistic, which takes transaction ids this count would include."""
        with self.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("/* pgcost */ ALTER SYSTEM " + ("RESET autovacuum" if on else "SET autovacuum = off"))
            conn.exec_driver_sql("/* pgcost */ SELECT pg_reload_conf()")

    def start(self) -> None:
        import time

        with self.store.tx() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        self._autovacuum(False)
        deadline = time.monotonic() + 120  # an autovacuum worker that had started finishes its table first
        while self.store.query("/* pgcost */ SELECT COUNT(*) AS n FROM pg_stat_activity WHERE backend_type = "
                               "'autovacuum worker'")[0]["n"] and time.monotonic() < deadline:
            time.sleep(0.2)
        self.store.query("/* pgcost */ SELECT pg_stat_statements_reset()")
        self.first_xid = self._xid()

    def stop(self) -> None:
        self.xids = self._xid() - self.first_xid - 1
        self._autovacuum(True)
        rows = self.store.query(
            "/* pgcost */ SELECT query, calls FROM pg_stat_statements WHERE dbid = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())")
        self.calls = Counter()
        for r in rows:
            q = " ".join(r["query"].split())
            if not any(h in q for h in HARNESS):
                self.calls[q] += r["calls"]

    def per(self, n: int) -> dict:
        """Statements and commits (write transactions) per document, and what they are made of."""
        beats = sum(c for q, c in self.calls.items() if any(h in q for h in HEARTBEATS))
        begin_commit = {q: c for q, c in self.calls.items() if q.upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))}
        # a heartbeat in a transaction of its own (docgen's) also costs its BEGIN and COMMIT
        wrapped = sum(c for q, c in self.calls.items() if HEARTBEATS[1] in q)
        statements = sum(self.calls.values()) - beats - 2 * wrapped
        return {"statements": statements / n, "commits": (self.xids - beats) / n,
                "begin_commit": (sum(begin_commit.values()) - 2 * wrapped) / n,
                "txid_current": sum(c for q, c in self.calls.items() if "txid_current" in q) / n,
                "queue": sum(c for q, c in self.calls.items() if "procrastinate" in q and q not in
                             [x for x in self.calls if any(h in x for h in HEARTBEATS)]) / n}

    def listing(self, n: int) -> list[str]:
        """Every statement with its calls per document, most called first (for tuning)."""
        return [f"{c / n:6.2f}  {q[:150]}" for q, c in self.calls.most_common()]
