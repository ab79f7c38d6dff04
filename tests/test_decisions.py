"""The digital decision (issue 22), on the engine: a decided document that names its beslutsfattare waits
unnumbered; only a named decision maker decides it, on the draft they fetched, once; a decision gives it its
number, its decision line and its record; a sent-back or undecided one costs no number."""
from __future__ import annotations

import json
import threading
import tomllib

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import example, run, set_setting, write_yaml
from docgen import decisions
from docgen.cli import cli
from docgen.config import load_config
from docgen.web.auth import User

MAJA = User("Maja Beslutsam", "beslutsfattare", "Regiondirektör", "lösenord")
ERIK = User("Erik Avgör", "beslutsfattare", "Hälso- och sjukvårdsdirektör", "api-token")


@pytest.fixture
def ws(workspace):
    for user in (MAJA, ERIK):
        r = run(workspace, "user", "add", user.namn, "--role", "beslutsfattare", "--titel", user.titel)
        assert r.exit_code == 0, r.output
    assert run(workspace, "user", "add", "Hanna Handläggare", "--role", "handlaggare").exit_code == 0
    return workspace


def beslut(**changes) -> dict:
    return {**example("beslut"), "beslutsfattare": ["Maja Beslutsam"], **changes}


def numbers_taken(engine) -> int:
    """Every number the diarium has handed out (registered, reserved or voided)."""
    return engine.store.query("SELECT count(*) AS n FROM handling")[0]["n"]


def pdf_text(path) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(path).pages).replace("\n", " ")


def test_decided_input_waits_unnumbered_then_is_registered_with_the_decision(ws, make_engine):
    engine = make_engine(ws)
    path = write_yaml(ws / "inbox", "beslut.yaml", beslut())
    waiting = engine.process(path)
    assert waiting.ok and waiting.waiting is not None and waiting.diarienummer is None
    assert numbers_taken(engine) == 0
    assert not list((ws / "outbox").glob("*/*.pdf"))
    # dropped again while it waits: the same waiting document, not a second one
    assert engine.process(path).waiting == waiting.waiting
    pid = waiting.waiting
    [p] = decisions.pending_for(engine.store, MAJA.namn)
    assert (p.id, p.status, p.beslutsfattare, p.dokumenttyp) == (pid, "väntar", ["Maja Beslutsam"], "beslut")
    assert p.indata["rubrik"] == example("beslut")["rubrik"]
    assert decisions.pending_for(engine.store, ERIK.namn) == []

    draft = decisions.draft_pdf(engine, pid, MAJA)
    (ws / "utkast.pdf").write_bytes(draft)
    assert "Beslutet har fattats digitalt av Maja Beslutsam, Regiondirektör" in pdf_text(ws / "utkast.pdf")
    assert numbers_taken(engine) == 0  # the draft costs no number either

    decided = decisions.decide(engine, pid, MAJA, "fattat")
    assert decided.status == "fattat" and decided.beslutad_av == MAJA.namn and decided.autentisering == "lösenord"
    # the decided input is back in the inbox for the watcher; here the engine takes it
    [handed_on] = [f for f in (ws / "inbox").iterdir() if f.is_file() and f != path]
    done = engine.process(handed_on)
    assert done.ok and done.diarienummer, done.error
    assert numbers_taken(engine) == 1
    text = pdf_text(done.files["pdf"])
    assert "Beslutet har fattats digitalt av Maja Beslutsam, Regiondirektör" in text
    assert "saknar därför namnunderskrift" not in text
    # the signature block is the decision maker who decided, not the names the input listed
    assert "Helena Sjö Ordförande" not in text and "Maja Beslutsam Regiondirektör" in text
    # the record: the JSON beside the files and the diarium's row, linked to the version
    record = json.loads(open(done.files["json"], encoding="utf-8").read())
    assert record["beslutat"]["beslutad_av"] == MAJA.namn and record["beslutat"]["titel"] == MAJA.titel
    assert record["beslutat"]["autentisering"] == "lösenord"
    assert len(record["beslutat"]["utkast_sha256"]) == 64
    assert record["beslutat"]["beslutad"][10] == "T" and record["beslutat"]["beslutad"][-6] in "+-"  # seconds, offset
    row = decisions.get(engine.store, pid)
    assert (row.diarienummer, row.lopnummer) == (done.diarienummer, done.lopnummer)
    assert row.utkast_sha256 == record["beslutat"]["utkast_sha256"]
    # `docgen registry show` shows the record, in text and JSON
    shown = run(ws, "registry", "show", done.diarienummer)
    assert "decided by Maja Beslutsam, Regiondirektör" in shown.output and row.utkast_sha256 in shown.output
    [version] = json.loads(run(ws, "registry", "show", done.diarienummer, "--json").output)["handlingar"][0]["versioner"]
    assert version["beslutat"]["beslutad_av"] == MAJA.namn and version["beslutat"]["autentisering"] == "lösenord"
    assert version["beslutat"]["inskickad_av"] == p.inskickad_av
    # decided once: a second decision is refused
    with pytest.raises(decisions.AlreadyDecided):
        decisions.decide(engine, pid, MAJA, "fattat")
    # a new version (after a template change) keeps the decision: its line, its signature, its record
    engine.close()
    regenerated = run(ws, "regenerate", "--dnr", done.diarienummer, "--force")
    assert regenerated.exit_code == 0, regenerated.output
    [v2] = (ws / "outbox").glob("*/* v2.pdf")
    assert "Beslutet har fattats digitalt av Maja Beslutsam, Regiondirektör" in pdf_text(v2)
    assert json.loads(v2.with_suffix(".json").read_text(encoding="utf-8"))["beslutat"]["beslutad_av"] == MAJA.namn
    # the archive package keeps the decision in its descriptive metadata, valid against the package's schema
    from eark import schema_errors
    from lxml import etree

    packed = run(ws, "archive", "--out", str(ws / "arkiv"), "--json", "--dnr", done.diarienummer)
    assert packed.exit_code == 0, packed.output
    pkg = ws / "arkiv" / json.loads(packed.stdout.splitlines()[0])["paket"]
    assert schema_errors(pkg)["metadata/descriptive/arende.xml"] == []
    ns = {"erms": "https://docgen.invalid/xml/erms/1"}
    desc = etree.parse(str(pkg / "metadata" / "descriptive" / "arende.xml")).getroot()
    [made] = desc.findall(".//erms:fattat_digitalt", ns)
    assert (made.get("av"), made.get("tid"), made.get("autentisering"), made.get("utkast_sha256")) == (
        MAJA.namn, row.beslutad, "lösenord", row.utkast_sha256)
    assert desc.findtext(".//erms:datum/erms:beslutad", namespaces=ns) == row.beslutad
    assert f"{MAJA.namn}, {MAJA.titel}" in [a.text for a in desc.iterfind(".//erms:agent[@roll='beslutsfattare']", ns)]


def test_only_a_named_decision_maker_decides_and_only_on_a_draft_they_fetched(ws, make_engine):
    engine = make_engine(ws)
    pid = engine.process(write_yaml(ws / "inbox", "b.yaml", beslut())).waiting
    with pytest.raises(decisions.NotAllowed) as not_named:
        decisions.decide(engine, pid, ERIK, "fattat")
    assert not_named.value.status == 403 and "Erik Avgör" in not_named.value.problem.sv
    with pytest.raises(decisions.NotAllowed):
        decisions.draft_pdf(engine, pid, ERIK)
    with pytest.raises(decisions.Incomplete) as no_draft:
        decisions.decide(engine, pid, MAJA, "fattat")
    assert no_draft.value.status == 422
    with pytest.raises(decisions.Incomplete) as unknown:
        decisions.decide(engine, pid, MAJA, "kanske")
    assert unknown.value.status == 422 and "kanske" in unknown.value.problem.sv
    with pytest.raises(decisions.NotFound):
        decisions.decide(engine, pid + 100, MAJA, "fattat")
    assert decisions.get(engine.store, pid).status == "väntar"
    listed = run(ws, "att-besluta", "list")
    assert f"{pid}  väntar" in listed.output and "beslutsfattare: Maja Beslutsam" in listed.output
    [row] = [json.loads(line) for line in run(ws, "att-besluta", "list", "--json").output.splitlines()]
    assert (row["id"], row["status"], row["beslutsfattare"]) == (pid, "väntar", ["Maja Beslutsam"])


def test_two_decision_makers_deciding_at_once_exactly_one_wins(ws, make_engine):
    engine = make_engine(ws)
    pid = engine.process(write_yaml(ws / "inbox", "b.yaml",
                                    beslut(beslutsfattare=["Maja Beslutsam", "Erik Avgör"]))).waiting
    for who in (MAJA, ERIK):
        decisions.draft_pdf(engine, pid, who)
    results, start = {}, threading.Barrier(2)

    def decide(who):
        start.wait()
        try:
            results[who.namn] = decisions.decide(engine, pid, who, "fattat").beslutad_av
        except decisions.AlreadyDecided:
            results[who.namn] = "409"

    threads = [threading.Thread(target=decide, args=(w,)) for w in (MAJA, ERIK)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values())[0] == "409" and sorted(results.values())[1] in (MAJA.namn, ERIK.namn)
    winner = decisions.get(engine.store, pid).beslutad_av
    assert results[winner] == winner
    [handed_on] = [f for f in (ws / "inbox").iterdir() if f.is_file() and f.name != "b.yaml"]  # one decided copy
    # a process stopped between the decision and the inbox: `docgen att-besluta vidare` hands it on again
    handed_on.unlink()
    again = run(ws, "att-besluta", "vidare", str(pid))
    assert again.exit_code == 0 and handed_on.is_file(), again.output
    done = engine.process(handed_on)
    assert done.ok and done.diarienummer, done.error
    refused = CliRunner().invoke(cli, ["-w", str(ws), "att-besluta", "vidare", str(pid)])
    assert refused.exit_code == 2 and done.diarienummer in refused.output


def test_sent_back_document_keeps_the_comment_costs_no_number_and_reports_in_the_inbox(ws, make_engine):
    engine = make_engine(ws)
    pid = engine.process(write_yaml(ws / "inbox", "tillbaka.yaml", beslut())).waiting
    with pytest.raises(decisions.Incomplete) as no_comment:
        decisions.decide(engine, pid, MAJA, "återvisat", "  ")
    assert no_comment.value.problem.field == "kommentar"
    back = decisions.decide(engine, pid, MAJA, "återvisat", "Ange kostnaden per år, inte totalt.")
    assert (back.status, back.kommentar) == ("återvisat", "Ange kostnaden per år, inte totalt.")
    assert decisions.pending_for(engine.store, MAJA.namn) == []
    [report] = (ws / "inbox" / "fel").glob("*/tillbaka.yaml.fel.txt")
    assert "Ange kostnaden per år, inte totalt." in report.read_text(encoding="utf-8")
    assert (report.parent / "tillbaka.yaml").is_file()
    assert numbers_taken(engine) == 0
    assert CliRunner().invoke(cli, ["-w", str(ws), "att-besluta", "vidare", str(pid)]).exit_code == 2  # not decided
    # dropped again unchanged after it was sent back: it waits again, as a new submission
    again = engine.process(ws / "inbox" / "tillbaka.yaml")
    assert again.waiting not in (None, pid) and numbers_taken(engine) == 0


def test_decision_makers_are_checked_before_anything_waits(ws, make_engine):
    engine = make_engine(ws)
    out = engine.process(write_yaml(ws / "inbox", "okand.yaml",
                                    beslut(beslutsfattare=["Maja Beslutsam", "Ingen Alls", "Hanna Handläggare"])))
    assert not out.ok and out.waiting is None
    fields = {p["field"]: p for p in out.problems}
    assert set(fields) == {"beslutsfattare[1]", "beslutsfattare[2]"}
    assert "Ingen Alls" in fields["beslutsfattare[1]"]["sv"] and "docgen user add" in fields["beslutsfattare[1]"]["fix_en"]
    assert "handlaggare" in fields["beslutsfattare[2]"]["en"]
    # a type that is not decided has no beslutsfattare
    report = example("lagesrapport-program") | {"beslutsfattare": ["Maja Beslutsam"]}
    out = engine.process(write_yaml(ws / "inbox", "lage.yaml", report))
    assert not out.ok and [p["field"] for p in out.problems] == ["beslutsfattare"]
    assert numbers_taken(engine) == 0
    assert engine.store.query("SELECT count(*) AS n FROM beslutsunderlag")[0]["n"] == 0


def test_approval_required_refuses_a_decided_type_without_decision_makers(ws, make_engine):
    # without the setting (an existing docgen.toml): today's behaviour, the names the input lists
    engine = make_engine(ws)
    plain = engine.process(write_yaml(ws / "inbox", "gammal.yaml", example("beslut")))
    assert plain.ok and plain.diarienummer and plain.waiting is None
    assert "Beslutet har fattats digitalt och saknar därför namnunderskrift" in pdf_text(plain.files["pdf"])
    engine.close()
    set_setting(ws, "beslutsfattande", "krav_godkannande", True)
    engine = make_engine(ws)
    out = engine.process(write_yaml(ws / "inbox", "ny.yaml", example("beslut") | {"rubrik": "Ett annat beslut"}))
    assert not out.ok and [p["field"] for p in out.problems] == ["beslutsfattare"]
    assert "ange vem som fattar beslutet" in out.problems[0]["sv"]
    assert numbers_taken(engine) == 1
    # a draft is never decided: it needs no decision maker
    draft = engine.process(write_yaml(ws / "inbox", "utkast.yaml", example("beslut") | {"status": "utkast"}))
    assert draft.ok and draft.draft


def test_new_workspaces_require_approval(tmp_path):
    ws = tmp_path / "ny"
    r = CliRunner().invoke(cli, ["init", str(ws), "--organisation", "Exempelregionen"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert tomllib.loads((ws / "docgen.toml").read_text(encoding="utf-8"))["beslutsfattande"]["krav_godkannande"] is True
    assert load_config(ws).settings.beslutsfattande.krav_godkannande is True


def test_own_submission_is_not_decided_by_its_submitter_unless_allowed(ws, make_engine):
    from docgen.web.submit import as_json, submit

    engine = make_engine(ws)
    data = json.loads(json.dumps(beslut(rubrik="Eget beslut"), default=str))
    sid = submit(engine, MAJA, as_json(data))  # Maja submits through the web/API, naming herself
    out = engine.process(ws / "inbox" / f"api-{sid}.json")
    p = decisions.get(engine.store, out.waiting)
    assert (p.inskickad_av, p.inskickning) == (MAJA.namn, sid)
    with pytest.raises(decisions.NotAllowed) as own:
        decisions.decide(engine, p.id, MAJA, "fattat")
    assert "egen_beslut" in own.value.problem.fix_sv
    engine.close()
    set_setting(ws, "beslutsfattande", "egen_beslut", True)
    engine = make_engine(ws)
    decisions.draft_pdf(engine, p.id, MAJA)
    assert decisions.decide(engine, p.id, MAJA, "fattat").status == "fattat"


def test_a_waiting_input_keeps_its_attachments_until_it_is_decided(ws, make_engine):
    import docx

    engine = make_engine(ws)
    d = docx.Document()
    d.add_paragraph("Budgetens enda sida")
    d.save(ws / "inbox" / "budget.docx")
    path = write_yaml(ws / "inbox", "med-bilaga.yaml", beslut(bilagor=[{"fil": "budget.docx", "titel": "Budget"}]))
    pid = engine.process(path).waiting
    # the watcher moves the input and its attachment out of the inbox while it waits
    path.unlink()
    (ws / "inbox" / "budget.docx").unlink()
    (ws / "utkast.pdf").write_bytes(decisions.draft_pdf(engine, pid, MAJA))
    assert "Budgetens enda sida" in pdf_text(ws / "utkast.pdf")
    decisions.decide(engine, pid, MAJA, "fattat")
    assert (ws / "inbox" / "budget.docx").is_file()
    done = engine.process(ws / "inbox" / "med-bilaga.yaml")
    assert done.ok and done.diarienummer, done.error
    text = pdf_text(done.files["pdf"])
    assert "Budgetens enda sida" in text and "Beslutet har fattats digitalt av Maja Beslutsam" in text


def test_a_decision_left_on_its_way_to_the_inbox_is_handed_on_by_the_watcher(ws, make_engine):
    """A process that stopped between recording a decision and writing its input into the inbox: the decision
    is not lost; the watcher hands it on (after a minute's grace, never twice, never over a copy that is on its way
    or failed) and registers it."""
    import signal

    from docgen.store import decisions as rows
    from helpers import start_watcher

    engine = make_engine(ws)
    path = write_yaml(ws / "inbox", "kvar.yaml", beslut())
    pid = engine.process(path).waiting
    done = ws / "inbox" / "behandlade" / "20260102-030000 kvar BESLUT-1"  # where the watcher moves a waiting input
    done.mkdir(parents=True)
    path.rename(done / path.name)
    decisions.draft_pdf(engine, pid, MAJA)
    # the decision committed, and its process gone before hand_on: what decide() does up to the crash
    seen = engine.store.query("SELECT sha256 FROM beslutsunderlag_utkast WHERE beslut_id = :i", i=pid)[0]["sha256"]
    engine.store.transact(lambda conn: rows.decide(conn, pid, "fattat", MAJA.namn, MAJA.titel, "lösenord", None, seen))
    assert decisions.hand_on_stranded(engine.config, engine.store) == []  # just decided: its process may be at it
    engine.store.transact(lambda conn: conn.exec_driver_sql(
        "UPDATE beslutsunderlag SET beslutad = '2026-01-02T03:04:05+01:00' WHERE id = ?", (pid,)))
    # decided, handed on and failed after its decision: the failed queue's to handle, not handed on again
    failed = ws / "inbox" / "fel" / "20260102-030405 kvar"
    failed.mkdir(parents=True)
    (failed / "kvar.yaml").write_bytes((done / "kvar.yaml").read_bytes())
    assert decisions.hand_on_stranded(engine.config, engine.store) == []
    (failed / "kvar.yaml").write_text("an older input of the same name that failed for its own reasons")
    assert not list((ws / "inbox").glob("*.yaml"))
    assert numbers_taken(engine) == 0
    engine.close()

    watcher = start_watcher(ws)
    try:
        from conftest import wait_until
        row = wait_until(lambda: engine.store.query(
            "SELECT diarienummer FROM beslutsunderlag WHERE id = :i AND diarienummer IS NOT NULL", i=pid), 120)
        assert row, (ws / "watch.log").read_text()[-3000:]
    finally:
        watcher.send_signal(signal.SIGTERM)
        watcher.wait(60)
    [pdf] = (ws / "outbox").glob(f"{row[0]['diarienummer'].replace(' ', '-')}-01 */*.pdf")
    assert "Beslutet har fattats digitalt av Maja Beslutsam" in pdf_text(pdf)
    assert numbers_taken(engine) == 1
    # registered: nothing is handed on again
    assert decisions.hand_on_stranded(load_config(ws), engine.store, older_than=0) == []
