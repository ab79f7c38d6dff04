"""What a new user trips on with nothing but the README (issue 27): each item, as the user meets it."""
from __future__ import annotations

import json
import os
from importlib.metadata import version

from click.testing import CliRunner

from conftest import example, run, write_yaml
from docgen.cli import cli

BROKEN_LISTS = """listor:
  ledningsgruppen:
    namn: Ledningsgruppen
    medlemmar:
      - namn: Anna Berg
        epost: anna.berg@example.se
      - lista: kansliet
  styrgruppen:
    namn: Styrgruppen
    medlemmar:
      - namn: Per Ek
        epost: per.ek@example.se
"""


def test_a_list_including_an_unknown_list_breaks_only_inputs_that_use_it(workspace):
    (workspace / "distribution.yaml").write_text(BROKEN_LISTS, encoding="utf-8")
    plain = write_yaml(workspace, "utan-lista.yaml", example("uppdragshandling"))
    ok = run(workspace, "validate", str(plain))
    assert ok.exit_code == 0, ok.output
    assert run(workspace, "types").exit_code == 0
    other = example("uppdragshandling") | {"skickas_till": [{"syfte": "för kännedom", "mottagare": [{"lista": "styrgruppen"}]}]}
    assert run(workspace, "validate", str(write_yaml(workspace, "annan.yaml", other))).exit_code == 0
    using = example("uppdragshandling") | {"skickas_till": [{"syfte": "för kännedom", "mottagare": [{"lista": "ledningsgruppen"}]}]}
    bad = run(workspace, "validate", "--json", str(write_yaml(workspace, "med-lista.yaml", using)))
    assert bad.exit_code == 1
    [p] = json.loads(bad.output)["problem"]
    assert p["field"] == "skickas_till[1].mottagare[1].lista"
    assert "kansliet" in p["sv"] and "kansliet" in p["en"]
    assert "sändlistan" in p["sv"] and "distribution list" in p["en"]
    assert "unknown" not in p["sv"] and "okänd" not in p["en"]  # each text in one language


def test_the_list_file_loads_with_a_broken_list_and_marks_it(tmp_path):
    from docgen.recipients import load_lists

    path = tmp_path / "distribution.yaml"
    path.write_text(BROKEN_LISTS, encoding="utf-8")
    lists = load_lists(path)
    assert "fel" not in lists["styrgruppen"] and lists["styrgruppen"]["medlemmar"][0]["namn"] == "Per Ek"
    sv, en = lists["ledningsgruppen"]["fel"]
    assert "'kansliet'" in sv and "unknown list 'kansliet'" in en


def test_every_problem_of_an_input_is_reported_at_once(workspace):
    """An unknown unit, an unknown case and an unknown distribution list, besides schema errors: one report."""
    data = example("uppdragshandling")
    data.pop("serie", None)
    data |= {"enhet": "Finns inte-enheten", "diarienummer": "RS 2020-09999", "uppdragstagare": "inte en lista",
             "skickas_till": [{"syfte": "för kännedom", "mottagare": [{"lista": "ingen-sadan-lista"}]}]}
    r = run(workspace, "validate", "--json", str(write_yaml(workspace, "fel.yaml", data)))
    assert r.exit_code == 1
    fields = {p["field"] for p in json.loads(r.output)["problem"]}
    assert {"enhet", "diarienummer", "uppdragstagare", "skickas_till[1].mottagare[1].lista"} <= fields


def test_every_problem_without_schema_errors_too(workspace):
    data = example("uppdragshandling")
    data.pop("serie", None)
    data |= {"enhet": "Finns inte-enheten", "diarienummer": "RS 2020-09999",
             "skickas_till": [{"syfte": "för kännedom", "mottagare": [{"lista": "ingen-sadan-lista"}]}]}
    r = run(workspace, "validate", "--json", str(write_yaml(workspace, "fel.yaml", data)))
    fields = {p["field"] for p in json.loads(r.output)["problem"]}
    assert fields == {"enhet", "diarienummer", "skickas_till[1].mottagare[1].lista"}


def test_registry_list_status_takes_the_swedish_words_every_output_shows(workspace, registered):
    r = run(workspace, "registry", "list", "--status", "registrerad", "--json")
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.output.splitlines()]
    assert len(rows) == 3 and {x["status"] for x in rows} == {"registrerad"}
    assert run(workspace, "registry", "list", "--status", "makulerad").exit_code == 0
    assert run(workspace, "registry", "list", "--status", "REGISTERED").exit_code == 2


def test_one_version_everywhere(workspace, registered):
    """docgen --version, the diarium's records and the archive's software agent say the package's version."""
    want = version("docgen-diarium")
    out = CliRunner().invoke(cli, ["--version"]).output
    assert out.strip().endswith(want)
    case = json.loads(run(workspace, "registry", "show", registered[0]["diarienummer"], "--json").output)
    assert {v["docgen_version"] for d in case["handlingar"] for v in d["versioner"]} == {want}


def test_archive_without_a_filter_asks_for_alla_and_a_second_run_has_nothing_to_do(workspace, registered, tmp_path):
    out = tmp_path / "arkiv"
    r = run(workspace, "archive", "--out", str(out))
    assert r.exit_code == 2 and "--alla" in r.output and not out.exists()
    listed = [json.loads(line) for line in run(workspace, "registry", "list", "--json").output.splitlines()]
    assert {x["status"] for x in listed} == {"registrerad"}
    first = run(workspace, "archive", "--out", str(out), "--alla")
    assert first.exit_code == 0, first.output
    assert len(list(out.iterdir())) == 2
    again = run(workspace, "archive", "--out", str(out), "--alla")
    assert again.exit_code == 0 and "Nothing to archive" in again.output and "Inget att arkivera" in again.output
    filtered = run(workspace, "archive", "--out", str(out), "--ar", "2026")
    assert filtered.exit_code == 0 and "Nothing to archive" in filtered.output


KVITTO = '''
from docgen import hookimpl
from docgen.doctype import DocumentType


class Kvitto(DocumentType):
    name = "kvitto"
    title = "Kvitto"
    template = "kvitto.docx"
    schema = {"required": ["belopp", "mottagare_av"], "properties": {
        "belopp": {"type": "integer", "minimum": 1},
        "mottagare_av": {"type": "object", "required": ["namn"], "properties": {"namn": {"type": "string"}}}}}


@hookimpl
def docgen_document_types():
    return [Kvitto]
'''


def test_new_for_a_type_without_an_example_prints_the_schema_skeleton(workspace):
    import yaml

    folder = workspace / "egna-plugins"
    folder.mkdir()
    (folder / "kvitto.py").write_text(KVITTO, encoding="utf-8")
    toml = workspace / "docgen.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[sokvagar]\n", '[sokvagar]\nplugins = "egna-plugins"\n', 1), encoding="utf-8")
    r = run(workspace, "new", "kvitto")
    assert r.exit_code == 0
    assert "no example" in r.stderr and "inget exempel" in r.stderr
    data = yaml.safe_load(r.stdout)
    assert data["dokumenttyp"] == "kvitto" and data["belopp"] == 1 and set(data["mottagare_av"]) == {"namn"}
    assert {"rubrik", "datum"} <= set(data)


def test_new_works_outside_a_workspace_and_gives_json(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DOCGEN_WORKSPACE", raising=False)
    r = CliRunner().invoke(cli, ["new", "beslut"])
    assert r.exit_code == 0 and "dokumenttyp: beslut" in r.output
    j = CliRunner().invoke(cli, ["new", "beslut", "--json"])
    assert j.exit_code == 0 and json.loads(j.output)["dokumenttyp"] == "beslut"
    assert list(tmp_path.iterdir()) == []
    assert CliRunner().invoke(cli, ["render", "x.yaml"]).exit_code == 2  # the other commands still need one
    assert os.listdir(tmp_path) == []


def test_send_again_names_the_delivery_ids_that_registry_show_gives(workspace, registered):
    from docgen.config import load_config
    from docgen.store import Store, deliveries

    toml = workspace / "docgen.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[smtp]\n", '[smtp]\nserver = "127.0.0.1"\n', 1), encoding="utf-8")
    case = json.loads(run(workspace, "registry", "show", registered[0]["diarienummer"], "--json").output)
    sent = [u for d in case["handlingar"] for v in d["versioner"] for u in v["utskick"]]
    assert sent and all(isinstance(u["id"], int) for u in sent)
    shown = run(workspace, "registry", "show", registered[0]["diarienummer"]).output
    assert f"[id {sent[0]['id']}]" in shown
    unknown = run(workspace, "send", "--again", "999999")
    assert unknown.exit_code == 2 and "no delivery 999999" in unknown.output and "inget utskick 999999" in unknown.output
    not_uncertain = run(workspace, "send", "--again", str(sent[0]["id"]))
    assert not_uncertain.exit_code == 2 and "not uncertain" in not_uncertain.output
    store = Store(load_config(workspace).registry_url)
    with store.tx() as conn:
        assert deliveries.status_of(conn, sent[0]["id"]) == sent[0]["status"]
    store.close()


def test_a_template_using_a_name_its_context_lacks_is_refused_at_start(workspace):
    """A copied-and-edited template: the unknown name is a configuration error naming it, never a traceback."""
    import docx

    assert run(workspace, "template", "copy", "beslut").exit_code == 0
    copy = workspace / "templates" / "beslut.docx"
    d = docx.Document(copy)
    d.add_paragraph("{{ beslutsinstanz }} och {{ rubriker.beslut }}")
    d.save(copy)
    good = write_yaml(workspace, "b.yaml", example("uppdragshandling"))
    r = CliRunner().invoke(cli, ["-w", str(workspace), "validate", str(good)])
    assert r.exit_code == 2, r.output
    assert "beslutsinstanz" in r.output and "beslutsinstans" in r.output and "Traceback" not in r.output
    assert "namn som dokumenttypen beslut inte har" in r.output and "names the document type beslut does not have" in r.output
    d = docx.Document(copy)
    d.paragraphs[-1].text = "{{ beslutsinstans }} {% if sammanfattning %}{{ sammanfattning }}{% endif %}"
    d.save(copy)
    assert run(workspace, "validate", str(good)).exit_code == 0


def test_a_plugin_template_is_checked_against_its_types_context(workspace):
    import docx

    folder = workspace / "egna-plugins"
    folder.mkdir()
    (folder / "kvitto.py").write_text(KVITTO, encoding="utf-8")
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "{{ diarienummer }}"
    d.add_paragraph("{% if utkast %}UTKAST{% endif %}{% if sekretess %}{{ sekretess.markering }}{% endif %}")
    d.add_paragraph("{{ mottagare_av.namn }}: {{ beloop }} kr")
    d.add_paragraph("{% for b in bilagor %}{{ b.titel }}{% endfor %}{% for g in skickas_till %}{{ g.rubrik }}{% endfor %}")
    d.save(folder / "kvitto.docx")
    toml = workspace / "docgen.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[sokvagar]\n", '[sokvagar]\nplugins = "egna-plugins"\n', 1),
                    encoding="utf-8")
    k = write_yaml(workspace, "k.yaml", {"dokumenttyp": "kvitto", "rubrik": "Kvitto", "datum": "2026-01-10", "belopp": 5,
                                         "mottagare_av": {"namn": "Per Ek"}})
    r = CliRunner().invoke(cli, ["-w", str(workspace), "validate", str(k)])
    assert r.exit_code == 2 and "beloop" in r.output and "belopp" in r.output and "Traceback" not in r.output
    d = docx.Document(folder / "kvitto.docx")
    d.paragraphs[1].text = "{{ mottagare_av.namn }}: {{ belopp }} kr"
    d.save(folder / "kvitto.docx")
    ok = CliRunner().invoke(cli, ["-w", str(workspace), "validate", str(k)])
    assert ok.exit_code == 0, ok.output


def test_config_set_edits_the_key_in_its_section_and_refuses_a_wrong_value(tmp_path):
    ws = tmp_path / "ws"
    init = CliRunner().invoke(cli, ["init", str(ws), "--organisation", "Region Exempel"])
    assert init.exit_code == 0
    appended = (ws / "docgen.toml").read_text(encoding="utf-8") + '\n[organisation]\ntelefon = "010-000 00 00"\n'
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "docgen.toml").write_text(appended, encoding="utf-8")
    assert CliRunner().invoke(cli, ["-w", str(broken), "types"]).exit_code == 2  # why the README says: edit the section
    r = run(ws, "config", "set", "organisation.telefon", '"010-000 00 00"')
    assert r.exit_code == 0, r.output
    r = run(ws, "config", "set", "organisation.enheter", '["Kansliet", "Regionstyrelsens kansli"]')
    assert r.exit_code == 0, r.output
    r = run(ws, "config", "set", "organisation.enhetsuppgifter", '{ "Regionstyrelsens kansli" = { telefon = "010-111 11 11" } }')
    assert r.exit_code == 0, r.output
    rows = {(x["sektion"], x["nyckel"]): x for x in map(json.loads, filter(str.strip, run(ws, "config", "--json").output.splitlines()))}
    assert rows[("organisation", "telefon")]["varde"] == "010-000 00 00"
    assert rows[("organisation", "enhetsuppgifter")]["varde"] == {"Regionstyrelsens kansli": {"telefon": "010-111 11 11"}}
    text = (ws / "docgen.toml").read_text(encoding="utf-8")
    assert text.count("[organisation]") == 1 and text.count("\ntelefon = ") == 1
    before = text
    bad = CliRunner().invoke(cli, ["-w", str(ws), "config", "set", "smtp.port", "99999"])
    assert bad.exit_code == 2 and "nothing was changed" in bad.output and "inget ändrades" in bad.output
    unknown_unit = CliRunner().invoke(cli, ["-w", str(ws), "config", "set", "organisation.enheter", '["Annan"]'])
    assert unknown_unit.exit_code == 2
    assert (ws / "docgen.toml").read_text(encoding="utf-8") == before
    assert CliRunner().invoke(cli, ["-w", str(ws), "config", "set", "smtp", "1"]).exit_code == 2


def test_one_document_row_in_render_registry_list_and_the_api(workspace):
    """The same document: render --json, registry list --json and GET /api/arenden agree on every key they share."""
    import requests

    from docgen.docrow import KEYS, REGISTRY_KEYS
    from webutil import Server, add_user

    external = example("beslut")
    external.pop("serie", None)
    toml = workspace / "docgen.toml"
    text = toml.read_text(encoding="utf-8")
    if "externa_serier" not in text.split("[numrering]")[1].split("\n[")[0]:
        text = text.replace("[numrering]\n", '[numrering]\nexterna_serier = ["RD"]\n', 1)
    toml.write_text(text, encoding="utf-8")
    external["diarienummer"] = "RD 2024-05699"
    inputs = [write_yaml(workspace, "u.yaml", example("uppdragshandling")), write_yaml(workspace, "e.yaml", external)]
    rendered = [json.loads(line) for line in run(workspace, "render", "--json", *map(str, inputs)).output.splitlines()]
    listed = {(x["diarienummer"], x["lopnummer"]): x for x in map(json.loads, run(workspace, "registry", "list", "--json").output.splitlines())}
    token = add_user(workspace, "Rut Registrator", "registrator")
    server = Server(workspace, "--utan-bevakning")
    try:
        api = {(x["diarienummer"], x["lopnummer"]): x for x in
               requests.get(server.url + "/api/arenden", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()}
    finally:
        server.stop()
    assert [x["extern"] for x in rendered] == [False, True]
    for r in rendered:
        assert list(r) == list(KEYS) and r["status"] == "registrerad"
        assert r["registrerad"] and r["motpart"] and r["beskrivning"] == r["rubrik"]
        key = (r["diarienummer"], r["lopnummer"])
        assert {k: r[k] for k in REGISTRY_KEYS} == {k: listed[key][k] for k in REGISTRY_KEYS}
        assert {k: r[k] for k in REGISTRY_KEYS} == {k: api[key][k] for k in REGISTRY_KEYS}
    checked = json.loads(run(workspace, "validate", "--json", str(inputs[1])).output)  # a duplicate now
    assert checked["extern"] is True and list(checked) == list(KEYS)


def test_a_quoted_schema_description_is_in_the_messages_language(workspace):
    """Swedish: `description`; English: `x-description-en`; a schema with one language is not quoted in the other."""
    import pytest

    from docgen import hookimpl
    from docgen.config import load_config
    from docgen.doctype import DocumentType
    from docgen.errors import InputError
    from docgen.load import load_input
    from docgen.plugins import Plugins
    from docgen.checks import validate

    class Kvitto(DocumentType):
        name = "kvitto"
        title = "Kvitto"
        template = "kvitto.docx"
        schema = {"required": ["belopp", "avser"], "properties": {
            "belopp": {"type": "integer", "description": "Beloppet i kronor", "x-description-en": "The amount in kronor"},
            "avser": {"type": "string", "description": "Vad kvittot gäller"}}}

    class Bilingual:
        @hookimpl
        def docgen_document_types(self):
            return [Kvitto]

    config = load_config(workspace)
    plugins = Plugins(config, extra=[Bilingual()])
    src = write_yaml(workspace, "k.yaml", {"dokumenttyp": "kvitto", "rubrik": "Kvitto", "datum": "2026-01-10"})
    with pytest.raises(InputError) as caught:
        validate(load_input(src, config.limits), plugins, config)
    by_field = {p.field: p for p in caught.value.problems}
    assert "Beloppet i kronor" in by_field["belopp"].fix_sv and "amount" not in by_field["belopp"].fix_sv
    assert "The amount in kronor" in by_field["belopp"].fix_en and "Beloppet" not in by_field["belopp"].fix_en
    assert "Vad kvittot gäller" in by_field["avser"].fix_sv and "Vad kvittot" not in by_field["avser"].fix_en


def test_a_duplicate_is_one_problem_with_each_text_in_one_language(workspace):
    src = write_yaml(workspace, "u.yaml", example("uppdragshandling"))
    first = json.loads(run(workspace, "render", "--json", str(src)).output)
    again = json.loads(run(workspace, "render", "--json", str(src)).output)
    assert again["status"] == "dubblett"
    [p] = again["problem"]
    assert first["diarienummer"] in p["sv"] and first["diarienummer"] in p["en"]
    assert "duplicate" not in p["sv"] and "registered" not in p["sv"] and "dubblett" not in p["en"]
    assert "regenerate" in p["fix_sv"] and "ny version" in p["fix_sv"] and "new version" in p["fix_en"]


def test_english_help_says_yyyy_mm_dd_and_a_text_field_given_as_text_key_gets_a_true_hint(workspace):
    help_text = CliRunner().invoke(cli, ["registry", "list", "--help"]).output
    assert "YYYY-MM-DD" in help_text and "ÅÅÅÅ" not in help_text
    data = example("beslut") | {"beslutspunkter": [{"text": "att starta projektet"}]}
    r = run(workspace, "validate", "--json", str(write_yaml(workspace, "bp.yaml", data)))
    [p] = json.loads(r.output)["problem"]
    assert p["field"] == "beslutspunkter[1]" and "utan `text:`" in p["fix_sv"] and "without `text:`" in p["fix_en"]
    assert "citattecken" not in p["fix_sv"]


def test_archive_without_a_filter_on_a_terminal_asks_first(workspace, registered, tmp_path):
    """On a terminal the question is asked; "n" archives nothing, "y" archives every case."""
    import pty
    import select
    import subprocess
    import sys
    import time

    def on_terminal(answer: str) -> tuple[int, str]:
        main, side = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "docgen.cli", "-w", str(workspace), "archive", "--out", str(tmp_path / "arkiv")],
                                stdin=side, stdout=side, stderr=side, close_fds=True)
        os.close(side)
        seen, deadline = b"", time.monotonic() + 60
        while b"[y/N]" not in seen:
            assert time.monotonic() < deadline, seen
            if select.select([main], [], [], 0.5)[0]:
                seen += os.read(main, 4096)
        os.write(main, answer.encode() + b"\n")
        code = proc.wait(timeout=120)
        try:
            while chunk := os.read(main, 4096):
                seen += chunk
        except OSError:  # the terminal closes with the process
            pass
        os.close(main)
        return code, seen.decode("utf-8", "replace")

    code, text = on_terminal("n")
    assert code == 1 and "hela diariet: 2 ärenden, 3 handlingar" in text and "the whole diarium" in text
    assert "Nothing was archived" in text and not (tmp_path / "arkiv").exists()
    code, text = on_terminal("y")
    assert code == 0, text
    assert len(list((tmp_path / "arkiv").iterdir())) == 2
