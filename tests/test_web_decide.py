"""The digital decision in a real browser (Debian's chromium driven by Playwright) against the real server
(`docgen serve` with its watcher and LibreOffice): an officer submits a beslut naming a decision maker; it waits,
unnumbered; the decision maker signs in, finds it under "Att besluta", opens the draft and decides; the officer
sees it registered with its number; the PDF's decision line and the diarium's record name the decision maker.
A beslutsfattare who is not named gets 403; a document sent back returns to the officer with the comment and
costs no number. axe-core checks every new page and state. Screenshots go to /tmp/web-shots/."""
from __future__ import annotations

import io
import json
import re
import shutil
import signal
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from playwright.sync_api import expect, sync_playwright
from pypdf import PdfReader, PdfWriter

from conftest import ROOT, set_setting, wait_until
from docgen import decisions
from docgen.cli import cli
from docgen.config import load_config
from docgen.store import Store
from docgen.store import desk as desk_rows
from webutil import Server, add_user, axe_violations, bad_names, input_of, make_workspace

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "Vinter-i-Fjällbyn-26"
OFFICER, DECIDER, OTHER, REGISTRAR = "Hanna Handläggare", "Maja Beslutsam", "Bo Bredvid", "Rut Registrator"
LINE = f"Beslutet har fattats digitalt av {DECIDER}, Regiondirektör"


def blank_pdf() -> bytes:
    w = PdfWriter()
    w.add_blank_page(595, 842)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def add_decider(ws: Path, name: str, titel: str) -> str:
    """`docgen user add NAME --role beslutsfattare --titel …` with a password; returns the API token."""
    r = CliRunner().invoke(cli, ["-w", str(ws), "user", "add", name, "--role", "beslutsfattare", "--titel", titel,
                                 "--losenord"], input=f"{PASSWORD}\n", catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("webdecide"))
    shutil.copy(ROOT / "distribution.yaml", ws / "distribution.yaml")
    set_setting(ws, "beslutsfattande", "krav_godkannande", True)
    set_setting(ws, "webb", "betrodd_anvandarrubrik", "X-Remote-User")  # one test signs in through "the proxy"
    tokens = {OFFICER: add_user(ws, OFFICER, "handlaggare", PASSWORD), REGISTRAR: add_user(ws, REGISTRAR, "registrator", PASSWORD),
              DECIDER: add_decider(ws, DECIDER, "Regiondirektör"), OTHER: add_decider(ws, OTHER, "Ekonomidirektör")}
    server = Server(ws)
    shots = Path("/tmp/web-shots")
    shots.mkdir(exist_ok=True)
    store = Store(load_config(ws).registry_url)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield ws, server.url, browser, tokens, shots, store
        browser.close()
    store.close()
    assert server.stop() in (0, -signal.SIGTERM)


def login(browser, url, name, **kw):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, **({"locale": "sv-SE"} | kw))
    page.set_default_timeout(20_000)
    page.goto(url + "/logga-in")
    page.locator("#namn").fill(name)
    page.locator("#losenord").fill(PASSWORD)
    page.locator("form button[type=submit]").last.press("Enter")
    expect(page).to_have_url(re.compile(r"/sok"))
    return page


#: The fixed texts a page's structure shows (as test_web_desk checks them for the desk's English pages), less the
#: input's answers, whose labels are the type's own.
FIXED = "main :is(h1, h2, h3, caption, th, label, button, dt, summary, legend):not(dl.svar *)"


def untranslated(page) -> list[str]:
    """The page's fixed texts that are still a Swedish text of the catalog (one whose English differs)."""
    from docgen.web import i18n

    swedish = {sv for sv, en in i18n.catalog().items() if sv != en}
    return [t for t in (" ".join(t.split()) for t in page.locator(FIXED).all_inner_texts()) if t in swedish]


def check(page, what: str) -> None:
    assert axe_violations(page) == [], what
    assert bad_names(page, set()) == [], what


def api(url: str, token: str, path: str) -> dict:
    r = requests.get(url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def status_when(url: str, token: str, sid: str, wanted: set[str], timeout: float = 180) -> dict:
    """The API's status of a submission once it is one of ``wanted`` (or registrerad/fel: then the test says so)."""
    seen: list[dict] = []

    def final():
        seen.append(api(url, token, f"/api/v1/dokument/{sid}"))
        return seen[-1] if seen[-1]["status"] in wanted | {"registrerad", "fel"} else None

    return wait_until(final, timeout, every=0.3) or seen[-1]


def documents_titled(store: Store, rubrik: str) -> list[dict]:
    """The diarium's documents with this title (a document that took a number has a row, whatever its status)."""
    return store.query("SELECT id, status FROM handling WHERE rubrik = :r", r=rubrik)


def csrf_of(page) -> str:
    return page.locator("form.utloggning input[name=csrf]").get_attribute("value")


def submit_in_browser(page, url: str, store: Store, data: dict, shots: Path) -> str:
    """The officer's saved draft (without a decision maker) opened from "Mina dokument"; the workspace requires one,
    so the form asks for it; she picks the decision maker from the list, checks and registers: the submission id."""
    with store.tx() as conn:
        desk_rows.save_draft(conn, OFFICER, "beslut", None, {k: v for k, v in data.items() if k != "beslutsfattare"})
    page.goto(url + "/mina")
    page.get_by_role("link", name=re.compile(re.escape(data["rubrik"]))).click()
    expect(page.get_by_role("heading", name="Nytt dokument: Beslut")).to_be_visible()
    page.get_by_role("button", name="Fortsätt till granskning").click()
    expect(page.get_by_role("alert")).to_contain_text("Välj beslutsfattare 1.", timeout=60_000)  # required here
    chooser = page.locator("#f-beslutsfattare-0")
    assert chooser.get_attribute("aria-invalid") == "true"
    assert "(valfritt)" not in page.locator("#f-beslutsfattare-0").locator("xpath=ancestor::fieldset[1]/legend").inner_text()
    assert chooser.evaluate("e => e.tagName") == "SELECT"  # the workspace's decision makers, not a typed user name
    assert chooser.locator("option").all_inner_texts() == ["Välj …", f"{OTHER}, Ekonomidirektör", f"{DECIDER}, Regiondirektör"]
    check(page, "formulär: ingen beslutsfattare")
    page.get_by_role("alert").screenshot(path=str(shots / "49-ny-beslut-utan-beslutsfattare-fel.png"))
    chooser.locator("xpath=ancestor::fieldset[1]").screenshot(path=str(shots / "49-ny-beslut-utan-beslutsfattare.png"))
    chooser.select_option(label=f"{DECIDER}, Regiondirektör")
    page.get_by_role("button", name="Fortsätt till granskning").click()
    expect(page.get_by_role("heading", name="Granska innan du registrerar")).to_be_visible(timeout=60_000)
    expect(page.locator("main")).to_contain_text(f"{DECIDER}, Regiondirektör")
    page.get_by_role("button", name="Registrera", exact=True).click()
    expect(page).to_have_url(re.compile(r"/inskickat/"), timeout=60_000)
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def test_an_officer_submits_the_decision_maker_decides_and_the_record_and_pdf_name_her(office):
    ws, url, browser, tokens, shots, store = office
    rubrik = "Beslut om nya öppettider för stadsarkivet"
    data = input_of("beslut", rubrik=rubrik, datum="2026-03-02", beslutsfattare=[DECIDER])
    officer = login(browser, url, OFFICER)
    sid = submit_in_browser(officer, url, store, data, shots)
    # it waits for the decision, unnumbered; the status page says so (and stops asking)
    expect(officer.locator("#status")).to_contain_text("väntar på beslut", timeout=180_000)
    assert status_when(url, tokens[OFFICER], sid, {"väntar på beslut"})["status"] == "väntar på beslut"
    assert documents_titled(store, rubrik) == []
    check(officer, "inskickat: väntar på beslut")
    officer.screenshot(path=str(shots / "50-inskickat-vantar-pa-beslut.png"), full_page=True)
    officer.goto(url + "/mina")
    row = officer.get_by_role("table", name="Dokument du har skickat in för beslut").get_by_role("row", name=re.compile(rubrik))
    expect(row).to_contain_text("Väntar på beslut")
    expect(row).to_contain_text(DECIDER)
    check(officer, "mina: väntar på beslut")
    officer.screenshot(path=str(shots / "51-mina-vantar.png"), full_page=True)

    # the decision maker finds it under "Att besluta"
    decider = login(browser, url, DECIDER)
    expect(decider.get_by_role("navigation").get_by_role("link", name="Att besluta (1)", exact=True)).to_be_visible()
    decider.get_by_role("navigation").get_by_role("link", name="Att besluta").click()
    expect(decider.get_by_role("heading", name="Att besluta")).to_be_visible()
    listed = decider.get_by_role("table", name=re.compile("väntar på ditt beslut"))
    expect(listed.get_by_role("row", name=re.compile(rubrik))).to_contain_text(OFFICER)
    check(decider, "att besluta")
    decider.screenshot(path=str(shots / "52-att-besluta.png"), full_page=True)
    with decider.expect_response(lambda r: r.url.endswith("/utkast") and r.status == 200, timeout=120_000):
        listed.get_by_role("link", name=re.compile(rubrik)).click()
    pid = int(re.search(r"/att-besluta/(\d+)", decider.url).group(1))
    expect(decider.get_by_role("heading", name=f"Besluta: {rubrik}")).to_be_visible()
    main = decider.locator("main")
    expect(main).to_contain_text(data["beslutsinstans"])  # the input, "check your answers" style
    expect(decider.locator("#beslutsrad")).to_contain_text(LINE)
    check(decider, "besluta")
    decider.screenshot(path=str(shots / "53-besluta.png"), full_page=True)
    # the draft: no number, the decision line as it will read
    draft = decider.request.get(url + f"/att-besluta/{pid}/utkast")
    assert draft.status == 200 and draft.headers["content-type"] == "application/pdf"
    text = " ".join(pg.extract_text() for pg in PdfReader(io.BytesIO(draft.body())).pages)
    assert LINE in " ".join(text.split())
    # no choice: the error summary and the error on the field
    decider.get_by_role("button", name="Skicka beslutet").click()
    summary = decider.get_by_role("alert")
    expect(summary).to_contain_text("Välj om du fattar beslutet eller återvisar dokumentet.")
    expect(summary).to_be_focused()
    expect(decider.locator("#f-val-fel")).to_be_visible()
    check(decider, "besluta: inget val")
    decider.screenshot(path=str(shots / "54-besluta-inget-val.png"), full_page=True)
    # sent back without a comment: refused, the choice kept
    decider.get_by_label("Återvisa").check()
    decider.get_by_role("button", name="Skicka beslutet").click()
    expect(decider.get_by_role("alert")).to_contain_text("Skriv varför du återvisar dokumentet")
    assert decider.locator("#f-kommentar").get_attribute("aria-invalid") == "true"
    expect(decider.get_by_label("Återvisa")).to_be_checked()
    check(decider, "besluta: återvisa utan kommentar")
    decider.screenshot(path=str(shots / "55-besluta-utan-kommentar.png"), full_page=True)
    decider.get_by_role("alert").get_by_role("link", name=re.compile("Skriv varför")).click()
    expect(decider.locator("#f-kommentar")).to_be_focused()
    assert documents_titled(store, rubrik) == []  # nothing numbered by any of this
    # she decides
    decider.get_by_label("Fatta beslut").check()
    decider.get_by_role("button", name="Skicka beslutet").click()
    expect(decider.get_by_role("heading", name="Beslutet är fattat")).to_be_visible()
    check(decider, "beslutet är fattat")
    decider.screenshot(path=str(shots / "56-beslutet-ar-fattat.png"), full_page=True)
    decider.get_by_role("link", name="Tillbaka till Att besluta").click()
    expect(decider.get_by_text("Inget väntar på ditt beslut.")).to_be_visible()

    # the officer sees it registered with its number
    body = status_when(url, tokens[OFFICER], sid, set())
    assert body["status"] == "registrerad", body
    dnr = body["diarienummer"]
    officer.goto(url + f"/inskickat/{sid}")
    expect(officer.locator("#diarienummer")).to_have_text(dnr)
    officer.goto(url + "/mina")
    row = officer.get_by_role("table", name="Dokument du har skickat in för beslut").get_by_role("row", name=re.compile(rubrik))
    expect(row).to_contain_text("Beslutat")
    expect(row).to_contain_text(dnr)
    officer.screenshot(path=str(shots / "57-mina-beslutat.png"), full_page=True)
    # the case page shows the decision record
    officer.goto(url + f"/arende/{dnr}")
    record = officer.locator(".beslutsuppgifter")
    expect(record).to_contain_text(f"{DECIDER}, Regiondirektör")
    expect(record).to_contain_text("lösenord")
    expect(record).to_contain_text(OFFICER)
    seen = decisions.get(store, pid).utkast_sha256
    assert seen and seen in record.inner_text()
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d", record.inner_text())  # to the second, with the offset
    check(officer, "ärende med beslut")
    officer.screenshot(path=str(shots / "58-arende-med-beslut.png"), full_page=True)
    # the registered PDF's decision line names her
    folder = next(p.parent for p in (ws / "outbox").rglob("*.json")
                  if json.loads(p.read_text(encoding="utf-8")).get("diarienummer") == dnr)
    pdf = next(folder.glob("*.pdf"))
    text = " ".join(" ".join(pg.extract_text() for pg in PdfReader(pdf).pages).split())
    assert LINE in text and "UTKAST" not in text
    # and so does the diarium's record (`docgen registry show`)
    shown = CliRunner().invoke(cli, ["-w", str(ws), "registry", "show", dnr], catch_exceptions=False)
    assert shown.exit_code == 0 and DECIDER in shown.output, shown.output
    # someone else's decision: the other beslutsfattare cannot see or decide it
    other = login(browser, url, OTHER)
    assert other.goto(url + f"/att-besluta/{pid}").status == 403
    for page in (officer, decider, other):
        page.close()


def test_a_decision_maker_not_named_gets_403_and_a_sent_back_document_returns_to_the_officer(office):
    ws, url, browser, tokens, shots, store = office
    rubrik = "Beslut om ett nytt lånekort"
    attachment = blank_pdf()
    data = input_of("beslut", rubrik=rubrik, datum="2026-04-07", beslutsfattare=[DECIDER],
                    bilagor=[{"fil": "villkor.pdf", "titel": "Villkor för lånekort"}])
    r = requests.post(url + "/api/v1/dokument", data={"indata": json.dumps(data)}, headers={"Authorization": f"Bearer {tokens[OFFICER]}"},
                      files=[("bilaga", ("villkor.pdf", attachment, "application/pdf"))], timeout=30)
    assert r.status_code == 202, r.text
    sid = r.json()["status_url"].rstrip("/").rsplit("/", 1)[-1]
    assert status_when(url, tokens[OFFICER], sid, {"väntar på beslut"})["status"] == "väntar på beslut"
    pid = next(p.id for p in decisions.submitted_by(store, OFFICER) if p.rubrik == rubrik)

    # a beslutsfattare who is not named: not in the list, 403 on the page, the draft and the decision
    other = login(browser, url, OTHER)
    other.goto(url + "/att-besluta")
    expect(other.get_by_text("Inget väntar på ditt beslut.")).to_be_visible()
    answer = other.goto(url + f"/att-besluta/{pid}")
    assert answer.status == 403
    expect(other.get_by_role("heading", level=1)).to_have_text("Du är inte utsedd att fatta beslut om det här dokumentet.")
    check(other, "403")
    other.screenshot(path=str(shots / "59-inte-utsedd-403.png"), full_page=True)
    assert other.request.get(url + f"/att-besluta/{pid}/utkast").status == 403
    posted = other.request.post(url + f"/att-besluta/{pid}", form={"csrf": csrf_of(other), "val": "fattat", "kommentar": ""})
    assert posted.status == 403
    # an officer (not a beslutsfattare) has no such page at all
    officer = login(browser, url, OFFICER)
    assert officer.goto(url + "/att-besluta").status == 403
    expect(officer.get_by_role("navigation").get_by_role("link", name="Att besluta")).to_have_count(0)
    assert status_when(url, tokens[OFFICER], sid, {"väntar på beslut"})["status"] == "väntar på beslut"

    # the named one sends it back with a comment
    decider = login(browser, url, DECIDER)
    with decider.expect_response(lambda r: r.url.endswith("/utkast") and r.status == 200, timeout=120_000):
        decider.goto(url + f"/att-besluta/{pid}")
    decider.get_by_label("Återvisa").check()
    decider.get_by_label("Kommentar").fill("Skälen saknar hänvisning till biblioteksplanen. Lägg till den.")
    decider.get_by_role("button", name="Skicka beslutet").click()
    expect(decider.get_by_role("heading", name="Dokumentet är återvisat")).to_be_visible()
    expect(decider.locator("main")).to_contain_text("Lägg till den.")
    check(decider, "återvisat")
    decider.screenshot(path=str(shots / "60-aterviset.png"), full_page=True)
    # deciding it again is refused (409): it is no longer waiting
    again = decider.request.post(url + f"/att-besluta/{pid}", form={"csrf": csrf_of(decider), "val": "fattat", "kommentar": ""})
    assert again.status == 409

    # the officer sees it back with the comment, on the status page and under "Mina dokument"
    body = status_when(url, tokens[OFFICER], sid, {"återvisat"})
    assert body["status"] == "återvisat", body
    officer.goto(url + f"/inskickat/{sid}")
    expect(officer.locator("#status")).to_contain_text("Skälen saknar hänvisning till biblioteksplanen.")
    expect(officer.locator("#status")).to_contain_text(f"Återvisat av {DECIDER}.")
    check(officer, "inskickat: återvisat")
    officer.screenshot(path=str(shots / "61-inskickat-aterviset.png"), full_page=True)
    officer.goto(url + "/mina")
    row = officer.get_by_role("table", name="Dokument du har skickat in för beslut").get_by_role("row", name=re.compile(rubrik))
    expect(row).to_contain_text("Återvisat")
    expect(row).to_contain_text(f"av {DECIDER}")
    expect(row).to_contain_text("Skälen saknar hänvisning till biblioteksplanen. Lägg till den.")
    check(officer, "mina: återvisat")
    officer.screenshot(path=str(shots / "62-mina-aterviset.png"), full_page=True)
    # "change and submit again" opens the form with the sent-back input
    row.get_by_role("link", name=re.compile("Ändra och skicka in igen")).click()
    expect(officer.get_by_role("heading", name="Nytt dokument: Beslut")).to_be_visible()
    expect(officer.locator("#dokumentformular [name=rubrik]")).to_have_value(rubrik)
    attached = officer.get_by_role("table", name="1 bifogad fil")  # the attachment came back with it, as uploaded
    expect(attached).to_contain_text("villkor.pdf")
    expect(attached.get_by_label("Titel för bilaga 1")).to_have_value("Villkor för lånekort")
    kept = list((ws / ".docgen" / "webbilagor").rglob("*-villkor.pdf"))
    assert len(kept) == 1 and kept[0].read_bytes() == attachment
    # nothing numbered for a document sent back
    assert documents_titled(store, rubrik) == []
    for page in (officer, decider, other):
        page.close()


def test_the_decision_pages_are_english_when_the_browser_asks(office):
    ws, url, browser, tokens, shots, store = office
    rubrik = "Beslut om läsesalens sommartider"
    data = input_of("beslut", rubrik=rubrik, datum="2026-05-04", beslutsfattare=[DECIDER])
    r = requests.post(url + "/api/v1/dokument", json=data, headers={"Authorization": f"Bearer {tokens[OFFICER]}"}, timeout=30)
    assert r.status_code == 202, r.text
    sid = r.json()["status_url"].rstrip("/").rsplit("/", 1)[-1]
    assert status_when(url, tokens[OFFICER], sid, {"väntar på beslut"})["status"] == "väntar på beslut"
    decider = login(browser, url, DECIDER, locale="en-GB")
    decider.goto(url + "/att-besluta")
    expect(decider.get_by_role("heading", name="To decide")).to_be_visible()
    check(decider, "to decide (English)")
    assert untranslated(decider) == []
    with decider.expect_response(lambda r: r.url.endswith("/utkast") and r.status == 200, timeout=120_000):
        decider.get_by_role("link", name=re.compile(rubrik)).click()
    expect(decider.get_by_role("heading", name=f"Decide: {rubrik}")).to_be_visible()
    decider.get_by_label("Send back").check()
    decider.get_by_role("button", name="Send the decision").click()
    expect(decider.get_by_role("alert")).to_contain_text("Say why you send the document back")
    check(decider, "decide with an error (English)")
    assert untranslated(decider) == []
    decider.screenshot(path=str(shots / "63-decide-english.png"), full_page=True)
    decider.get_by_label("Comment").fill("Ändra skälen. " * 200)  # 2800 characters, 2799 once stripped
    decider.get_by_role("button", name="Send the decision").click()
    expect(decider.get_by_role("alert")).to_contain_text("The comment may have at most 2000 characters (now 2799).")
    assert status_when(url, tokens[OFFICER], sid, {"väntar på beslut"})["status"] == "väntar på beslut"
    decider.close()
    officer = login(browser, url, OFFICER, locale="en-GB")
    officer.goto(url + "/mina")
    row = officer.get_by_role("table", name="Documents you have submitted for a decision").get_by_role("row", name=re.compile(rubrik))
    expect(row).to_contain_text("Waiting for a decision")
    assert untranslated(officer) == []
    check(officer, "my documents with a decision (English)")
    officer.goto(url + f"/inskickat/{sid}")
    expect(officer.locator("#status")).to_contain_text("The document waits for a decision. ")
    expect(officer.locator("#status")).to_contain_text(f"Decision makers: {DECIDER}.")
    officer.close()


def test_a_decision_maker_cannot_decide_what_she_submitted_herself_and_an_undecided_document_has_no_number(office):
    ws, url, browser, tokens, shots, store = office
    rubrik = "Beslut om egna inköp av facklitteratur"
    data = input_of("beslut", rubrik=rubrik, datum="2026-06-01", beslutsfattare=[DECIDER, OTHER])
    r = requests.post(url + "/api/v1/dokument", json=data, headers={"Authorization": f"Bearer {tokens[DECIDER]}"}, timeout=30)
    assert r.status_code == 202, r.text  # a beslutsfattare submits like a handläggare
    sid = r.json()["status_url"].rstrip("/").rsplit("/", 1)[-1]
    assert status_when(url, tokens[DECIDER], sid, {"väntar på beslut"})["status"] == "väntar på beslut"
    pid = next(p.id for p in decisions.submitted_by(store, DECIDER) if p.rubrik == rubrik)
    decider = login(browser, url, DECIDER)
    decider.goto(url + f"/att-besluta/{pid}")
    expect(decider.locator("#egen")).to_contain_text("Du skickade in dokumentet själv och får inte besluta om det.")
    expect(decider.get_by_role("button", name="Skicka beslutet")).to_have_count(0)  # no form to decide with
    check(decider, "egen inskickning")
    decider.screenshot(path=str(shots / "64-egen-inskickning.png"), full_page=True)
    decider.request.get(url + f"/att-besluta/{pid}/utkast")
    posted = decider.request.post(url + f"/att-besluta/{pid}", form={"csrf": csrf_of(decider), "val": "fattat", "kommentar": ""})
    assert posted.status == 403  # [beslutsfattande] egen_beslut is false
    # the other named decision maker sees it in his list; left undecided, it has no number
    other = login(browser, url, OTHER)
    other.goto(url + "/att-besluta")
    expect(other.get_by_role("row", name=re.compile(rubrik))).to_contain_text(DECIDER)
    assert status_when(url, tokens[DECIDER], sid, {"väntar på beslut"})["status"] == "väntar på beslut"
    assert documents_titled(store, rubrik) == []
    for page in (decider, other):
        page.close()


def test_a_decision_made_behind_the_proxy_records_that_sign_in(office):
    ws, url, browser, tokens, shots, store = office
    rubrik = "Beslut om skyltning i läsesalen"
    data = input_of("beslut", rubrik=rubrik, datum="2026-06-12", beslutsfattare=[DECIDER])
    r = requests.post(url + "/api/v1/dokument", json=data, headers={"Authorization": f"Bearer {tokens[OFFICER]}"}, timeout=30)
    assert r.status_code == 202, r.text
    sid = r.json()["status_url"].rstrip("/").rsplit("/", 1)[-1]
    assert status_when(url, tokens[OFFICER], sid, {"väntar på beslut"})["status"] == "väntar på beslut"
    pid = next(p.id for p in decisions.submitted_by(store, OFFICER) if p.rubrik == rubrik)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE",
                                  extra_http_headers={"X-Remote-User": DECIDER})
    page = context.new_page()
    page.set_default_timeout(20_000)
    with page.expect_response(lambda r: r.url.endswith("/utkast") and r.status == 200, timeout=120_000):
        page.goto(url + f"/att-besluta/{pid}")
    page.get_by_label("Fatta beslut").check()
    page.get_by_role("button", name="Skicka beslutet").click()
    expect(page.get_by_role("heading", name="Beslutet är fattat")).to_be_visible()
    body = status_when(url, tokens[OFFICER], sid, set())
    assert body["status"] == "registrerad", body
    page.goto(url + f"/arende/{body['diarienummer']}")
    record = page.locator(".beslutsuppgifter")
    expect(record).to_contain_text(f"{DECIDER}, Regiondirektör")
    expect(record).to_contain_text("inloggning via organisationens proxy")
    assert decisions.get(store, pid).autentisering == "proxyrubrik"
    page.goto(url + f"/att-besluta/{pid}/klart")  # her confirmation now names the number
    expect(page.locator("#diarienummer")).to_have_text(body["diarienummer"])
    check(page, "beslutet är fattat och registrerat")
    context.close()
