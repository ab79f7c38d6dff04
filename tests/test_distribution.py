"""Distribution: named lists, the document's distribution section, .eml per recipient, SMTP, secrecy."""
from __future__ import annotations

import email
import ssl
import subprocess
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import set_setting, example, write_yaml
from docgen.cli import cli
from docgen.config import load_config
from docgen.recipients import load_lists
from docgen.errors import ConfigError
from docgen.pipeline import Engine
from helpers import assert_in_order, free_port

LISTS = """
listor:
  ledning:
    namn: Ledningsgruppen
    medlemmar:
      - namn: Anna Berg
        titel: Regiondirektör
        epost: anna.berg@example.se
      - lista: kansli
  kansli:
    namn: Kansliet
    medlemmar:
      - namn: Per Ek
        titel: Registrator
        organisation: Regionstyrelsens kansli
        epost: per.ek@example.se
      - namn: Lina Berg
        epost: lina.berg@example.se
      - namn: Utan Adress
"""


def write_lists(ws: Path, text: str = LISTS) -> None:
    (ws / "distribution.yaml").write_text(text, encoding="utf-8")


def beslut_with_distribution() -> dict:
    data = example("beslut")
    data["skickas_till"] = [
        {"syfte": "för genomförande", "mottagare": [{"namn": "Lina Berg", "titel": "Verksamhetsutvecklare", "epost": "lina.berg@example.se"}]},
        {"syfte": "för kännedom", "mottagare": [{"lista": "ledning"}, {"part": "föredragande"}]},
        {"syfte": "för distribution till berörda enheter", "mottagare": [{"namn": "Extern Partner", "epost": "kontakt@partner.org"}]},
    ]
    return data


@pytest.mark.parametrize("text, words", [
    ("listor:\n  a:\n    medlemmar:\n      - lista: a\n", "includes itself: a → a"),
    ("listor:\n  a:\n    medlemmar:\n      - lista: b\n  b:\n    medlemmar:\n      - lista: a\n", "includes itself"),
    ("listor:\n  a:\n    medlemmar:\n      - titel: Chef\n", "has no namn"),
    ("listor:\n  a:\n    medlemmar:\n      - namn: X\n        epost: x@@y\n", "malformed e-mail address"),
])
def test_list_file_errors(tmp_path, text, words):
    path = tmp_path / "distribution.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words.replace("(", r"\(")):
        load_lists(path)


def test_lists_expand_and_dedupe_in_document(workspace, pool):
    write_lists(workspace)
    with Engine(load_config(workspace), pool=pool) as eng:
        result = eng.process(write_yaml(workspace / "inbox", "b.yaml", beslut_with_distribution()))
        assert result.ok, result.error
        text = "\n".join(p.extract_text() for p in PdfReader(result.files["pdf"]).pages)
        assert_in_order(text, ["Beslutet skickas till", "För genomförande", "Lina Berg, Verksamhetsutvecklare, lina.berg@example.se",
                               "För kännedom", "Anna Berg, Regiondirektör, anna.berg@example.se",
                               "Per Ek, Registrator, Regionstyrelsens kansli, per.ek@example.se", "Utan Adress",
                               "Oskar Lind, Utvecklingsstrateg", "För distribution till berörda enheter", "Extern Partner"])
        assert text.count("lina.berg@example.se") == 1, "de-duplicated by address"
        statuses = {(d["namn"], d["status"]) for d in result.deliveries}
        assert ("Utan Adress", "ej_levererad") in statuses and ("Oskar Lind", "ej_levererad") in statuses
        assert ("Anna Berg", "skapad") in statuses and ("Extern Partner", "skapad") in statuses

        folder = Path(result.folder)
        emls = sorted((folder / "utskick").glob("*.eml"))
        assert [p.name.split("-", 1)[1] for p in emls] == ["Lina Berg.eml", "Anna Berg.eml", "Per Ek.eml", "Extern Partner.eml"]
        msg = email.message_from_bytes(emls[0].read_bytes(), policy=policy.default)
        assert msg["To"] == "Lina Berg <lina.berg@example.se>"
        assert msg["Subject"] == f"{result.diarienummer} {result.rubrik}"
        body = msg.get_body(("plain",)).get_content()
        assert "för genomförande" in body and result.diarienummer in body and "Hej Lina Berg" in body
        pdf = [p for p in msg.iter_attachments()][0]
        assert pdf.get_content_type() == "application/pdf" and pdf.get_content() == Path(result.files["pdf"]).read_bytes()
        for path in emls:  # one attachment serves every message (encoded once): each still carries all of it
            raw = path.read_bytes()
            assert raw.isascii() and max(map(len, raw.split(b"\r\n"))) <= 78 and b"\n" not in raw.replace(b"\r\n", b"")
            each = email.message_from_bytes(raw, policy=policy.default)
            name = path.stem.split("-", 1)[1]
            assert each["To"].addresses[0].display_name == name and f"Hej {name}" in each.get_body(("plain",)).get_content()
            [attached] = each.iter_attachments()
            assert attached.get_content() == Path(result.files["pdf"]).read_bytes()
        rows = eng.store.query("select namn, status, meddelande from leverans order by id")
        assert [r["namn"] for r in rows] == ["Lina Berg", "Anna Berg", "Per Ek", "Utan Adress", "Oskar Lind", "Extern Partner"]
        assert all((r["meddelande"] is None) == (r["status"] == "ej_levererad") for r in rows)


def test_unknown_list_in_input_lists_known_ones(workspace, pool):
    write_lists(workspace)
    with Engine(load_config(workspace), pool=pool) as eng:
        data = example("beslut") | {"skickas_till": [{"syfte": "för kännedom", "mottagare": [{"lista": "ledningen"}]}]}
        result = eng.process(write_yaml(workspace / "inbox", "b.yaml", data))
        assert not result.ok
        p = result.problems[0]
        assert p["field"] == "skickas_till[1].mottagare[1].lista" and "kansli, ledning" in p["fix_sv"]


def test_secrecy_marks_document_and_refuses_external_delivery(workspace, pool):
    write_lists(workspace)
    with Engine(load_config(workspace), pool=pool) as eng:
        data = beslut_with_distribution() | {"sekretess": {"bestämmelse": "25 kap. 1 § OSL", "datum": "2026-03-10"}}
        result = eng.process(write_yaml(workspace / "inbox", "b.yaml", data))
        assert result.ok, result.error
        reader = PdfReader(result.files["pdf"])
        assert "SEKRETESS enligt 25 kap. 1 § OSL (sekretessmarkering 2026-03-10)" in reader.pages[0].extract_text()
        assert "Sekretess 25 kap. 1 § OSL" in reader.metadata["/Keywords"].split(", ")  # one whole phrase
        assert "Sekretess 25 kap. 1 § OSL" in reader.xmp_metadata.pdf_keywords
        assert result.delivery_errors and "Extern Partner <kontakt@partner.org>" in result.delivery_errors[0]
        refused = [d for d in result.deliveries if d["status"] == "nekad"]
        assert [d["namn"] for d in refused] == ["Extern Partner"]
        assert not list((Path(result.folder) / "utskick").glob("*Extern*"))
        assert len(list((Path(result.folder) / "utskick").glob("*.eml"))) == 3


# -- a real SMTP server ---------------------------------------------------------------------------

@pytest.fixture
def smtp_server(tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")

    class Handler:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, envelope.content))
            return "250 OK"

    def auth(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"docgen", b"hemligt"))

    class Server:
        """A local SMTP server with STARTTLS and login; stop() and start() again on the same port."""

        def __init__(self):
            self.handler = Handler()
            self.port = free_port()
            self.ca = tmp_path / "cert.pem"
            self.ctrl = None

        def start(self):
            self.ctrl = Controller(self.handler, hostname="127.0.0.1", port=self.port, tls_context=ctx,
                                   require_starttls=True, authenticator=auth, auth_require_tls=True)
            self.ctrl.start()

        def stop(self):
            if self.ctrl is not None:
                self.ctrl.stop()
                self.ctrl = None

    server = Server()
    server.start()
    yield server
    server.stop()


def smtp_config(workspace: Path, port: int, ca: Path) -> None:
    for key, value in (("server", "127.0.0.1"), ("port", port), ("ca_fil", str(ca)), ("forsok", 2), ("timeout", 5.0)):
        set_setting(workspace, "smtp", key, value)


def test_messages_are_sent_over_starttls_with_login(workspace, pool, smtp_server, monkeypatch):
    monkeypatch.setenv("DOCGEN_SMTP_ANVANDARE", "docgen")
    monkeypatch.setenv("DOCGEN_SMTP_LOSENORD", "hemligt")
    write_lists(workspace)
    smtp_config(workspace, smtp_server.port, smtp_server.ca)
    with Engine(load_config(workspace), pool=pool) as eng:
        result = eng.process(write_yaml(workspace / "inbox", "b.yaml", beslut_with_distribution()))
        assert result.ok, result.error
        got = smtp_server.handler.messages
        assert sorted(r[0][0] for r in got) == ["anna.berg@example.se", "kontakt@partner.org", "lina.berg@example.se", "per.ek@example.se"]
        msg = email.message_from_bytes(got[0][1], policy=policy.default)
        assert msg["Subject"].startswith(result.diarienummer)
        rows = eng.store.query("select status, expedierad from leverans where epost is not null")
        assert {r["status"] for r in rows} == {"skickad"} and all(r["expedierad"] for r in rows)


def test_failed_send_keeps_message_and_rerun_sends_only_the_rest(workspace, pool, smtp_server, monkeypatch):
    monkeypatch.setenv("DOCGEN_SMTP_ANVANDARE", "docgen")
    monkeypatch.setenv("DOCGEN_SMTP_LOSENORD", "hemligt")
    write_lists(workspace)
    smtp_config(workspace, smtp_server.port, smtp_server.ca)
    smtp_server.stop()  # the server is down while the document is made
    with Engine(load_config(workspace), pool=pool) as eng:
        result = eng.process(write_yaml(workspace / "inbox", "b.yaml", beslut_with_distribution()))
        assert result.ok, result.error
        assert {d["status"] for d in result.deliveries if d["epost"]} == {"misslyckad"}
        assert len(list((Path(result.folder) / "utskick").glob("*.eml"))) == 4
        eng.store.query("select 1")  # connection still fine
        with eng.store.tx() as conn:  # one of them got through earlier by other means
            conn.exec_driver_sql("update leverans set status='skickad' where namn='Anna Berg'")
    smtp_server.start()
    out = CliRunner().invoke(cli, ["-w", str(workspace), "send"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert "3 skickade, 0 misslyckade" in out.output
    assert sorted(r[0][0] for r in smtp_server.handler.messages) == ["kontakt@partner.org", "lina.berg@example.se", "per.ek@example.se"]
    again = CliRunner().invoke(cli, ["-w", str(workspace), "send"], catch_exceptions=False)
    assert "0 skickade" in again.output and len(smtp_server.handler.messages) == 3
    show = CliRunner().invoke(cli, ["-w", str(workspace), "registry", "show", result.diarienummer], catch_exceptions=False)
    assert show.output.count("utskick skickad") == 4 and "ej_levererad" in show.output
