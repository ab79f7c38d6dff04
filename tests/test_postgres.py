"""The diarium on a real PostgreSQL server (started by tests/pgserver.py): every guarantee that holds on
SQLite holds there under concurrency. Also the schema upgrade of existing SQLite diariums to version 4."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from docgen.config import load_config
from docgen.errors import RegistryError
from docgen.model import Job
from docgen.queue.submit import _Checker
from docgen.pipeline import CHECK_STEP, LOAD
from docgen.steps import number
from docgen.store import Store
from docgen.store.schema import LATEST_VERSION, MIGRATIONS, metadata, schema_version
from tests.conftest import ROOT, example, set_setting, wait_until, write_yaml
from tests.pgserver import pg_server, pg_url  # noqa: F401  (fixtures)


@pytest.fixture
def pg_config(workspace, pg_url):
    set_setting(workspace, "sokvagar", "register", pg_url)
    return load_config(workspace)


@pytest.fixture
def pg_store(pg_config):
    st = Store(pg_config.registry_url)
    yield st
    st.close()


def make_doc(checker, folder: Path, name: str, data: dict):
    """A checked document (load and check, as the pipeline does before it takes a number)."""
    path = write_yaml(folder, name, data)
    job = Job(str(path), path)
    for step in (LOAD, CHECK_STEP):
        job = step.run(job, checker)
    return job.doc


def at_once(fns) -> list:
    """Run the functions in threads released together; each result or exception, in order."""
    barrier = threading.Barrier(len(fns))
    out = [None] * len(fns)

    def run(i, fn):
        barrier.wait()
        try:
            out[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def test_same_input_twice_at_once_takes_one_number(pg_config, pg_store, workspace):
    """The same input reserved by two processes at the same instant: one number, one duplicate (30 trials)."""
    checker = _Checker(pg_config, pg_store)
    for trial in range(30):
        doc = make_doc(checker, workspace / "inbox", f"d{trial}.yaml", example("beslut") | {"rubrik": f"Samma {trial}"})
        results = at_once([lambda: number.reserve(pg_store, doc, pg_config)] * 2)
        kinds = sorted(type(r).__name__ for r in results)
        assert kinds == ["DuplicateInput", "Reservation"], results
    rows = pg_store.query("SELECT input_sha256, COUNT(*) AS n FROM handling GROUP BY input_sha256")
    assert len(rows) == 30 and all(r["n"] == 1 for r in rows)
    assert pg_store.query("SELECT senaste FROM nummerserie")[0]["senaste"] == 30  # no number lost either


def test_first_number_of_a_series_and_year_at_once(pg_config, pg_store):
    """Four processes take the first number of a new year at once (20 years): 1, 2, 3, 4, no failure."""
    for year in range(3000, 3020):
        results = at_once([lambda: number.allocate_number(pg_store, pg_config, "RS", "Första", year)] * 4)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sorted(dnr for _, dnr in results) == [f"RS {year}-{n:05d}" for n in range(1, 5)]


def test_running_numbers_in_one_case_at_once(pg_config, pg_store, workspace):
    """16 documents into one case at the same instant (3 cases): running numbers 1..16, none twice."""
    checker = _Checker(pg_config, pg_store)
    for case in range(3):
        _, dnr = number.allocate_number(pg_store, pg_config, "RS", f"Ärende {case}")
        docs = []
        for i in range(16):
            data = example("lagesrapport-program") | {"diarienummer": dnr, "rubrik": f"Rapport {case}.{i}"}
            data.pop("serie", None)
            docs.append(make_doc(checker, workspace / "inbox", f"c{case}-{i}.yaml", data))
        results = at_once([lambda d=d: number.reserve(pg_store, d, pg_config) for d in docs])
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sorted(r.lopnummer for r in results) == list(range(1, 17))
        assert {r.diarienummer for r in results} == {dnr}


def test_external_case_opened_once_at_once(workspace, pg_url):
    """Two inputs naming the same external case docgen has not seen, at once: the case is opened once."""
    set_setting(workspace, "numrering", "externa_serier", ["RD"])
    set_setting(workspace, "sokvagar", "register", pg_url)
    cfg = load_config(workspace)
    st = Store(cfg.registry_url)
    try:
        checker = _Checker(cfg, st)
        docs = []
        for i in range(2):
            data = example("lagesrapport-program") | {"diarienummer": "RD 2024-05699", "rubrik": f"Extern {i}"}
            data.pop("serie", None)
            docs.append(make_doc(checker, workspace / "inbox", f"e{i}.yaml", data))
        results = at_once([lambda d=d: number.reserve(st, d, cfg) for d in docs])
        assert sorted(r.lopnummer for r in results) == [1, 2], results
        assert st.query("SELECT COUNT(*) AS n FROM arende")[0]["n"] == 1
    finally:
        st.close()


MIGRATE = """
import sys
from docgen.store import Store
from docgen.queue import ensure_schema
print("ready", flush=True)
sys.stdin.read()  # until the test closes the pipe: every process starts at once
st = Store(sys.argv[1])
ensure_schema(st)
print(st.query("SELECT MAX(version) AS v FROM schema_version")[0]["v"])
"""


def test_eight_processes_start_on_an_empty_database(pg_url):
    """8 processes open an empty diarium at the same instant: each finds it migrated, none fails; the
    queue's tables are created once."""
    go_read, go = os.pipe()
    ps = [subprocess.Popen([sys.executable, "-c", MIGRATE, pg_url], cwd=ROOT, stdin=go_read, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True) for _ in range(8)]
    os.close(go_read)
    ready = [p.stdout.readline().strip() for p in ps]  # each has imported docgen and waits
    os.close(go)  # end of input for all eight at the same instant
    assert ready == ["ready"] * 8, ready
    outs = [p.communicate(timeout=120) for p in ps]
    assert [p.returncode for p in ps] == [0] * 8, [e[-2000:] for _, e in outs]
    assert {o.strip() for o, _ in outs} == {str(LATEST_VERSION)}
    st = Store(pg_url)
    try:
        versions = [r["version"] for r in st.query("SELECT version FROM schema_version ORDER BY version")]
        assert versions == list(range(1, LATEST_VERSION + 1))
        assert st.query("SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS t")[0]["t"]
    finally:
        st.close()


def test_database_restart_is_a_retry(pg_server, pg_config, pg_store):
    """Numbers taken in a loop while PostgreSQL restarts (down 1 s): every call succeeds, no number twice,
    none skipped."""
    got, errors, stop = [], [], threading.Event()

    def loop():
        while not stop.is_set():
            try:
                got.append(number.allocate_number(pg_store, pg_config, "RS", "Omstart", 2999)[1])
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

    threads = [threading.Thread(target=loop) for _ in range(3)]
    for t in threads:
        t.start()
    assert wait_until(lambda: len(got) >= 5, 60), "numbers taken before the restart"
    before = len(got)
    pg_server.restart(down_for=1.0)
    after = len(got)
    wait_until(lambda: len(got) > after + 3, 60)  # it goes on after the restart (asserted below)
    stop.set()
    for t in threads:
        t.join(90)
    assert not errors, errors[:3]
    assert len(got) > before + 3  # it went on after the restart
    assert len(set(got)) == len(got)
    assert sorted(int(d.split("-")[-1]) for d in got) == list(range(1, len(got) + 1))


# -- SQLite stays the default; existing diariums upgrade -------------------------------------------------

def _old_sqlite(path: Path, upto: int) -> str:
    """A SQLite diarium at schema version ``upto`` (as an earlier docgen left it), with one document."""
    url = f"sqlite:///{path}"
    eng = create_engine(url)
    with eng.begin() as conn:
        metadata.create_all(conn, tables=[schema_version])
        for v in range(1, upto + 1):
            MIGRATIONS[v](conn)
            conn.execute(schema_version.insert().values(version=v))
        conn.execute(text("INSERT INTO nummerserie VALUES ('RS', 2026, 1)"))
        conn.execute(text("INSERT INTO arende (id, diarienummer, serie, ar, nummer, rubrik, status, skapad) "
                          "VALUES (1, 'RS 2026-00001', 'RS', 2026, 1, 'Gammal', 'oppen', '2026-01-01')"))
        conn.execute(text("INSERT INTO handling (arende_id, lopnummer, dokumenttyp, rubrik, datum, status, input_sha256) "
                          "VALUES (1, 1, 'beslut', 'Gammal', '2026-01-01', 'registrerad', 'abc')"))
    eng.dispose()
    return url


@pytest.mark.parametrize("upto", [2, 3])
def test_sqlite_diarium_upgrades_to_v4(tmp_path, upto):
    url = _old_sqlite(tmp_path / "old.sqlite", upto)
    st = Store(url)
    try:
        assert st.query("SELECT MAX(version) AS v FROM schema_version")[0]["v"] == LATEST_VERSION
        assert st.query("SELECT rubrik FROM handling")[0]["rubrik"] == "Gammal"
        names = {r["name"] for r in st.query("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")}
        assert {"inlamning", "inlamning_fil", "ux_handling_input_levande", "process"} <= names
        # the index refuses a second live document for the same input; a voided one does not count
        with pytest.raises(IntegrityError):
            with st.tx() as conn:
                conn.execute(text("INSERT INTO handling (arende_id, lopnummer, dokumenttyp, rubrik, datum, status, "
                                  "input_sha256) VALUES (1, 2, 'beslut', 'Igen', '2026-01-01', 'reserverad', 'abc')"))
        with st.tx() as conn:
            conn.execute(text("INSERT INTO handling (arende_id, lopnummer, dokumenttyp, rubrik, datum, status, "
                              "input_sha256, makulerad_orsak) VALUES (1, 2, 'beslut', 'Igen', '2026-01-01', 'makulerad', "
                              "'abc', 'test')"))
    finally:
        st.close()


def test_upgrade_refuses_duplicate_live_inputs_clearly(tmp_path):
    url = _old_sqlite(tmp_path / "dup.sqlite", 3)
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO handling (arende_id, lopnummer, dokumenttyp, rubrik, datum, status, input_sha256) "
                          "VALUES (1, 2, 'beslut', 'Dubblett', '2026-01-01', 'registrerad', 'abc')"))
    eng.dispose()
    with pytest.raises(RegistryError, match="void the duplicates"):
        Store(url)


def test_queue_commands_need_postgres(workspace):
    """On SQLite, submit and worker exit 2 with a clear message (no traceback)."""
    from tests.conftest import run

    path = write_yaml(workspace / "inbox", "a.yaml", example("beslut"))
    for args in (["submit", str(path)], ["worker"]):
        r = run(workspace, *args)
        assert r.exit_code == 2, r.output
        assert "PostgreSQL" in r.output and "Traceback" not in r.output


def test_queue_status_on_sqlite_and_postgres(pg_store, tmp_path):
    from docgen.queue import ensure_schema, format_status, queue_status

    sqlite = Store(f"sqlite:///{tmp_path / 'plain.sqlite'}")
    try:
        assert queue_status(sqlite) == {"available": False}
        assert "SQLite" in format_status(queue_status(sqlite))
    finally:
        sqlite.close()
    ensure_schema(pg_store)
    st = queue_status(pg_store)
    assert st["available"] and st["queued"] == 0 and st["failed"] == 0
    assert "queued" in format_status(st)
