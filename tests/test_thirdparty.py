"""A third-party document type, installed with pip as its own distribution the way an organisation would
install one (tests/thirdparty/docgen-minnesanteckningar): docgen finds it through its entry point, draws its
web form from its schema alone and renders it end to end. It uses only what docs/plugins.md documents, and a
plugin that requires a plugin API this docgen does not have is refused with a clear message."""
from __future__ import annotations

import ast
import email
import email.policy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import ROOT, as_loaded, set_setting
from docgen import PLUGIN_API, hookimpl
from docgen.cli import cli
from docgen.errors import PluginError
from docgen.plugins import Plugins
from docgen.registrar.archive import type_metadata
from webutil import Server, add_user, login, make_workspace, wait_status

PACKAGE = ROOT / "tests" / "thirdparty" / "docgen-minnesanteckningar"
MODULE = PACKAGE / "docgen_minnesanteckningar" / "__init__.py"
EXAMPLE = PACKAGE / "docgen_minnesanteckningar" / "exempel.yaml"
PASSWORD = "ett-långt-lösenord-för-prov"


@pytest.fixture(scope="module")
def site_packages(tmp_path_factory) -> Path:
    """The package installed with pip into a folder of its own (from a copy: a build writes beside its source)."""
    work = tmp_path_factory.mktemp("tredjepart")
    source = shutil.copytree(PACKAGE, work / "src")
    target = work / "site-packages"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True, capture_output=True)
    return target


@pytest.fixture(scope="module")
def served(site_packages, tmp_path_factory):
    """`docgen serve` in a Python that has the package installed (on PYTHONPATH, as pip --target leaves it)."""
    ws = make_workspace(tmp_path_factory.mktemp("webb"))
    add_user(ws, "Hanna Handläggare", "handlaggare", PASSWORD)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", str(site_packages))
        server = Server(ws)
    yield ws, server.url
    server.stop()


def test_docgen_finds_the_installed_type_through_its_entry_point(site_packages, workspace):
    env = {"PYTHONPATH": str(site_packages), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "docgen.cli", "-w", str(workspace), "types"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "minnesanteckningar" in r.stdout
    assert "entry point minnesanteckningar (docgen-minnesanteckningar 1.0.0)" in r.stdout
    without = subprocess.run([sys.executable, "-m", "docgen.cli", "-w", str(workspace), "types"],
                             env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120)
    assert without.returncode == 0 and "minnesanteckningar" not in without.stdout


def test_its_web_form_comes_from_its_schema_alone(served):
    ws, url = served
    s = requests.Session()
    assert login(url, "Hanna Handläggare", PASSWORD, s).status_code == 303
    page = s.get(url + "/ny/minnesanteckningar", timeout=30)
    assert page.status_code == 200, page.text
    html = page.text
    labels = [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r"<label[^>]*>(.*?)</label>", html, flags=re.S)]
    labels += [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r"<legend[^>]*>(.*?)</legend>", html, flags=re.S)]
    joined = " | ".join(labels)
    for title in ("Möte", "Plats", "Närvarande", "Antecknat av", "Punkter", "Nästa möte", "Ärende som mötet gällde"):
        assert any(label.startswith(title) for label in labels), (title, joined)
    assert not any(key in labels for key in ("mote", "narvarande", "nasta_mote", "uppfoljning", "antecknare")), joined
    date_input = re.search(r'<input[^>]*name="nasta_mote"[^>]*>', html)
    assert date_input and 'type="date"' in date_input.group(0)
    assert re.search(r'<textarea[^>]*name="punkter\.0\.text"', html), "a note is free text: a text area"
    assert "Dagen för nästa möte, om den är bestämd." in html  # the field's description is its help


def test_it_renders_end_to_end_with_its_own_texts(served):
    ws, url = served
    token = add_user(ws, "Anders Api", "handlaggare")
    data = as_loaded(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    r = requests.post(url + "/api/dokument", json=data, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert r.status_code == 202, r.text
    done = wait_status(url, token, r.json()["status_url"], timeout=180)
    assert done["status"] == "registrerad", done
    dnr = done["diarienummer"]
    pdfs = [p for p in (ws / "outbox").rglob("*.pdf") if ".staging" not in p.parts]
    assert len(pdfs) == 1
    text = " ".join((p.extract_text() or "") for p in PdfReader(pdfs[0]).pages)
    text = re.sub(r"\s+", " ", text)
    assert "MINNESANTECKNINGAR" in text  # the document's own name in the letterhead (set in capitals)
    for shown in (data["rubrik"], dnr, "Samverkansgruppen för vårdnära IT", "Anteckningar",
                  "1. Läget i projektet", "Att följa upp", "senast 25 mars 2026",
                  "Nästa möte: onsdag 1 april 2026",  # the plugin's own Jinja filter and docgen's langt_datum
                  "Antecknat av: Karin Vik, Nämndsekreterare", "Anteckningarna skickas till"):
        assert shown in text, (shown, text)
    assert "digitalt" not in text  # not a decision: no signature line from docgen
    messages = [p for p in (ws / "outbox").rglob("*.eml") if ".staging" not in p.parts]
    assert len(messages) == 1  # one participant has an address
    message = email.message_from_bytes(messages[0].read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("Hej Lena Borg,\n\nHär kommer minnesanteckningar från mötet"), body  # the type's message
    assert f"({dnr})" in body and "Hälsningar\n" in body


def test_its_archive_metadata_keeps_its_own_properties(site_packages, config):
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(site_packages))
        plugins = Plugins(config)
        data = as_loaded(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
        meta = type_metadata(plugins, "minnesanteckningar", data)
    assert meta == {"beslutad": None, "ansvariga": ["Karin Vik, Nämndsekreterare"],
                    "egenskaper": {"möte": "Samverkansgruppen för vårdnära IT"}}


def documented_names() -> set[str]:
    """Every name in docs/plugins.md's inline code (`...`): a dotted name also by its last part."""
    doc = re.sub(r"^[ \t]*```.*?^[ \t]*```", "", (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8"), flags=re.S | re.M)
    names = {n for span in re.findall(r"`([^`]+)`", doc) for n in re.findall(r"[A-Za-z_][\w.]*[\w]", span)}
    return names | {n.rsplit(".", 1)[-1] for n in names}


def test_the_plugin_uses_only_what_docs_plugins_md_documents():
    tree = ast.parse(MODULE.read_text(encoding="utf-8"))
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "docgen":
            used |= {node.module, *(a.name for a in node.names)}
        if isinstance(node, ast.ClassDef):  # what the type sets and overrides
            used |= {t.id for n in node.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
            used |= {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
        if isinstance(node, ast.FunctionDef) and node.name.startswith("docgen_"):  # the hooks it implements
            used.add(node.name)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            used.add(node.attr)  # what the type reads of itself
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and node.targets[0].id.startswith("DOCGEN_"):
            used.add(node.targets[0].id)
    assert {"docgen.doctype", "DocumentType", "docgen_document_types", "DOCGEN_PLUGIN_API", "context"} <= used
    missing = sorted(used - documented_names())
    assert not missing, f"the plugin uses what docs/plugins.md does not document: {missing}"


def requiring(version):
    class Wants:
        DOCGEN_PLUGIN_API = version

        @hookimpl
        def docgen_document_types(self):
            return []
    return Wants()


@pytest.mark.parametrize("version", [(PLUGIN_API[0] + 1, 0), (PLUGIN_API[0], PLUGIN_API[1] + 1), f"{PLUGIN_API[0] + 1}.0"])
def test_a_plugin_requiring_a_plugin_api_this_docgen_lacks_is_refused(config, version):
    with pytest.raises(PluginError) as caught:
        Plugins(config, extra=[requiring(version)])
    message = str(caught.value)
    have = f"{PLUGIN_API[0]}.{PLUGIN_API[1]}"
    sv, en = message.split("\n")
    assert "kräver docgens plugin-API" in sv and f"denna docgen har plugin-API {have}" in sv
    assert "requires docgen plugin API" in en and f"this docgen has plugin API {have}" in en


def test_a_plugin_requiring_this_api_or_an_older_minor_one_is_loaded(config):
    for version in (PLUGIN_API, (PLUGIN_API[0], 0), str(PLUGIN_API[0])):
        assert "beslut" in Plugins(config, extra=[requiring(version)]).types


def test_a_plugin_file_requiring_a_newer_api_stops_the_cli_with_the_message(tmp_path, workspace):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "framtida.py").write_text(
        f"DOCGEN_PLUGIN_API = ({PLUGIN_API[0] + 1}, 0)\n\nfrom docgen import hookimpl\n\n\n"
        "@hookimpl\ndef docgen_document_types():\n    return []\n", encoding="utf-8")
    set_setting(workspace, "sokvagar", "plugins", str(folder))
    result = CliRunner().invoke(cli, ["-w", str(workspace), "types"])
    assert result.exit_code == 2, result.output
    assert f"framtida.py requires docgen plugin API {PLUGIN_API[0] + 1}.0" in result.output
    assert "Traceback" not in result.output
