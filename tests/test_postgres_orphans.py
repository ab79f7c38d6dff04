"""A submission stored without a job (its submitter stopped in between; only an older release could leave
one, `docgen submit` now stores and queues in one transaction) is queued by a worker's recovery once its
submitter no longer runs, or refused with the reason when the same input already waits in the queue.
The suite's PostgreSQL, procrastinate's real tables and deferral."""
from __future__ import annotations

from docgen.queue import ensure_schema, make_app
from docgen.queue.submit import RENDER_TASK, Submitter, requeue_orphans
from docgen.store import Store, submissions
from tests.conftest import example, set_setting, write_yaml
from tests.pgserver import pg_server, pg_url  # noqa: F401  (fixtures)
from docgen.config import load_config
from docgen.owners import owner_id


def test_a_submission_without_a_job_is_queued_or_refused_with_a_reason(pg_server, pg_url, workspace):
    set_setting(workspace, "sokvagar", "register", pg_url)
    cfg = load_config(workspace)
    st = Store(cfg.registry_url)
    ensure_schema(st)
    app = make_app(st.url)
    app.open()
    try:
        def orphan(sha: str, by: str) -> int:
            return st.transact(lambda conn: submissions.add(conn, source=f"{sha}.yaml", filename=f"{sha}.yaml",
                                                            raw=b"rubrik: x\n", sha256=sha, files={}, by=by))

        def defer(sid: int, sha: str) -> int:
            return app.tasks[RENDER_TASK].configure(lock=sha, queueing_lock=sha).defer(submission_id=sid)

        dead = orphan("a" * 64, "annan-vard:4242:17")  # a submitter on another host, never registered: dead
        alive = orphan("b" * 64, owner_id())  # a submitter that still runs (this process): left alone
        # the same input as one already waiting in the queue (submitted properly)
        path = write_yaml(workspace / "inbox", "k.yaml", example("beslut") | {"rubrik": "Köad"})
        with Submitter(cfg, st) as sub:
            queued = sub.submit(path)
        assert queued["status"] == "koad" and queued["jobb"]
        sha = st.query("SELECT sha256 FROM inlamning WHERE id = :i", i=queued["inlamning"])[0]["sha256"]
        twin = orphan(sha, "annan-vard:4242:17")

        assert requeue_orphans(st, defer, older_than=3600) == []  # too young: its submitter may be slow
        done = requeue_orphans(st, defer, older_than=0)
        assert done == [dead]
        row = st.query("SELECT status, jobb_id FROM inlamning WHERE id = :i", i=dead)[0]
        job = st.query("SELECT status::text AS status, args FROM procrastinate_jobs WHERE id = :j", j=row["jobb_id"])
        assert row["status"] == "koad" and job == [{"status": "todo", "args": {"submission_id": dead}}]
        assert st.query("SELECT jobb_id FROM inlamning WHERE id = :i", i=alive)[0]["jobb_id"] is None
        refused = st.query("SELECT status, resultat FROM inlamning WHERE id = :i", i=twin)[0]
        assert refused["status"] == "nekad" and "väntar redan i kön" in refused["resultat"]
        assert requeue_orphans(st, defer, older_than=0) == []  # nothing twice
    finally:
        app.close()
        st.close()
