"""The queue's submissions on the suite's PostgreSQL, with procrastinate's own tables and functions: a worker
reads a submission without writing (a finished one stays finished, the previous attempt's owner is named),
and an attempt's writes are fenced by the job: only the worker and attempt that fetched it write, and the
queue cannot put the job back while such a write is uncommitted."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from docgen.queue import ensure_schema
from docgen.store import Store, submissions
from tests.pgserver import pg_server, pg_url  # noqa: F401  (fixtures)


def test_a_finished_submission_taken_again_stays_finished(pg_server, pg_url):
    st = Store(pg_url)
    try:
        sid = st.transact(lambda conn: submissions.add(conn, source="a.yaml", filename="a.yaml", raw=b"rubrik: a\n",
                                                       sha256="c" * 64, files={"bilaga.pdf": b"%PDF"}, by="nod:1:1"))
        with st.read() as conn:
            first = submissions.take(conn, sid)
        assert first["status"] == "koad" and first["tidigare_agare"] is None
        assert first["filer"] == {"bilaga.pdf": b"%PDF"} and first["indata"] == b"rubrik: a\n"
        st.transact(lambda conn: conn.execute(text("UPDATE inlamning SET agare = 'nod:2:2' WHERE id = :i"), {"i": sid}))
        assert st.transact(lambda conn: submissions.finish(conn, sid, submissions.DONE, '{"ok": true}'))
        with st.read() as conn:
            again = submissions.take(conn, sid)
        assert again["status"] == "klar" and again["tidigare_agare"] == "nod:2:2"
        row = st.query("SELECT status, agare, resultat FROM inlamning WHERE id = :i", i=sid)[0]
        assert row == {"status": "klar", "agare": "nod:2:2", "resultat": '{"ok": true}'}
    finally:
        st.close()


def _fetch(st: Store) -> dict:
    """A job fetched as procrastinate's worker fetches it (a registered worker, its fetch function)."""
    with st.read() as conn:
        worker = conn.execute(text("SELECT worker_id FROM procrastinate_register_worker_v1()")).scalar()
        job = conn.execute(text("SELECT id, attempts, worker_id FROM procrastinate_fetch_job_v2(NULL, :w)"),
                           {"w": worker}).first()
    return {"job": job.id, "worker": job.worker_id, "attempts": job.attempts}


def test_an_attempt_writes_only_while_it_has_its_job(pg_server, pg_url):
    st = Store(pg_url)
    try:
        ensure_schema(st)
        sid, job = st.transact(lambda conn: submissions.add_queued(
            conn, source="b.yaml", filename="b.yaml", raw=b"rubrik: b\n", sha256="d" * 64, files={}, by="nod:1:1",
            task="docgen:render_input"))
        stalled = _fetch(st)
        assert stalled["job"] == job
        assert st.transact(lambda conn: submissions.claim(conn, sid, "nod:2:2", stalled))
        # the worker stops beating: the queue puts its job back (procrastinate's retry) and another worker fetches it
        with st.read() as conn:
            conn.execute(text("SELECT procrastinate_retry_job_v2(:j, NOW(), NULL, NULL, NULL)"), {"j": job})
        winner = _fetch(st)
        assert winner["job"] == job and winner["worker"] != stalled["worker"]
        with st.read() as conn:
            taken = submissions.take(conn, sid)
        assert taken["status"] == "pagar" and taken["tidigare_agare"] == "nod:2:2" and taken["filer"] == {}

        # the stalled attempt, resumed, writes nothing
        assert not st.transact(lambda conn: submissions.holds_job(conn, stalled))
        assert not st.transact(lambda conn: submissions.claim(conn, sid, "nod:2:2", stalled))
        assert not st.transact(lambda conn: submissions.finish_attempt(conn, sid, "fel", '{"ok": false}', "nod:2:2",
                                                                       stalled))
        assert st.query("SELECT status, agare FROM inlamning WHERE id = :i", i=sid)[0] == {"status": "pagar",
                                                                                            "agare": "nod:2:2"}
        # the attempt that has the job does
        assert st.transact(lambda conn: submissions.claim(conn, sid, "nod:3:3", winner))
        assert st.query("SELECT agare, forsok FROM inlamning WHERE id = :i", i=sid)[0] == {"agare": "nod:3:3",
                                                                                           "forsok": 2}
        # while its fenced write is not committed, the queue cannot take the job back from it
        with st.tx() as conn:
            assert submissions.finish_attempt(conn, sid, "klar", '{"ok": true}', "nod:3:3", winner)
            with st.read() as other, pytest.raises(OperationalError) as exc:
                other.execute(text("SELECT id FROM procrastinate_jobs WHERE id = :j FOR UPDATE NOWAIT"), {"j": job})
            assert exc.value.orig.sqlstate == "55P03"  # lock_not_available
        assert st.query("SELECT status, resultat FROM inlamning WHERE id = :i", i=sid)[0] == {
            "status": "klar", "resultat": '{"ok": true}'}
    finally:
        st.close()
