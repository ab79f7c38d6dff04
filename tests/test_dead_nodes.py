"""Dead processes are forgotten from ``process`` and listed as dead nodes (with when they were last seen)
until the configured time has passed (real SQLite diarium)."""
from __future__ import annotations

import time

from docgen import liveness
from docgen.owners import owner_id
from docgen.store import Store, events, processes


def test_a_dead_process_is_listed_as_a_dead_node_then_forgotten(tmp_path):
    st = Store(f"sqlite:///{tmp_path / 'diarium.db'}")
    try:
        gone, me = "annan-vard:4242:17", owner_id()
        with st.tx() as conn:
            processes.register(conn, gone, "annan-vard", "worker")
            processes.register(conn, me, "här", "worker")
            conn.execute(processes.process.update().where(processes.process.c.agare == gone).values(
                puls=int(time.time()) - 3600))
        removed = liveness.forget_dead(st, forget_after=7 * 24 * 3600)
        assert [r["agare"] for r in removed] == [gone]
        assert [p["agare"] for p in st.query("SELECT agare FROM process")] == [me]  # a live one stays
        with st.read() as conn:
            dead = events.per_host(conn)["annan-vard"]["dead"]
        assert [d["owner"] for d in dead] == [gone] and abs(dead[0]["last_seen"] - (time.time() - 3600)) < 60
        liveness.forget_dead(st, forget_after=7 * 24 * 3600)  # not yet forgotten, not recorded twice
        with st.read() as conn:
            assert len(events.per_host(conn)["annan-vard"]["dead"]) == 1
        liveness.forget_dead(st, forget_after=-1)  # the configured time has passed
        with st.read() as conn:
            assert "annan-vard" not in events.per_host(conn)
    finally:
        st.close()
