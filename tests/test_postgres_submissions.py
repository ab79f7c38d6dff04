"""The queue's submissions on the suite's PostgreSQL: a worker that takes a submission whose previous
attempt finished (its worker died after saying so, before the queue heard it; the queue runs the job
again) leaves it finished."""
from __future__ import annotations

from docgen.store import Store, submissions
from tests.pgserver import pg_server, pg_url  # noqa: F401  (fixtures)


def test_a_finished_submission_taken_again_stays_finished(pg_server, pg_url):
    st = Store(pg_url)
    try:
        sid = st.transact(lambda conn: submissions.add(conn, source="a.yaml", filename="a.yaml", raw=b"rubrik: a\n",
                                                       sha256="c" * 64, files={"bilaga.pdf": b"%PDF"}, by="nod:1:1"))
        first = st.transact(lambda conn: submissions.start(conn, sid, "nod:2:2"))
        assert first["status"] == "koad" and first["tidigare_agare"] is None
        assert first["filer"] == {"bilaga.pdf": b"%PDF"} and first["indata"] == b"rubrik: a\n"
        assert st.transact(lambda conn: submissions.finish(conn, sid, submissions.DONE, '{"ok": true}', "nod:2:2"))
        again = st.transact(lambda conn: submissions.start(conn, sid, "nod:3:3"))
        assert again["status"] == "klar" and again["tidigare_agare"] == "nod:2:2"
        row = st.query("SELECT status, agare, resultat FROM inlamning WHERE id = :i", i=sid)[0]
        assert row == {"status": "klar", "agare": "nod:2:2", "resultat": '{"ok": true}'}
        # a submission in progress is taken over (the previous attempt's owner is named)
        sid2 = st.transact(lambda conn: submissions.add(conn, source="b.yaml", filename="b.yaml", raw=b"rubrik: b\n",
                                                        sha256="d" * 64, files={}, by="nod:1:1"))
        st.transact(lambda conn: submissions.start(conn, sid2, "nod:2:2"))
        taken = st.transact(lambda conn: submissions.start(conn, sid2, "nod:3:3"))
        assert taken["status"] == "pagar" and taken["tidigare_agare"] == "nod:2:2" and taken["filer"] == {}
        assert st.query("SELECT agare, forsok FROM inlamning WHERE id = :i", i=sid2)[0] == {"agare": "nod:3:3",
                                                                                             "forsok": 2}
    finally:
        st.close()
