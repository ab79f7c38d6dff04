"""The README is a contract: its blocks are run, in order, in a fresh `docgen init` workspace.

Every fenced block carries a marker on the line before it, ``<!-- test: KIND ARG (note) -->``:

- ``run``: a shell block, run with bash (``set -e``) in the folder the previous block left (the first
  one in a folder whose ``.venv`` is this virtualenv, as in the repository); stdin holds a password line.
- ``serve``: a shell block that starts a server; started in the background, waited for, stopped at the end.
- ``api``: curl calls, made here with requests (curl stays optional); ``T=…`` is the token the last
  ``docgen user add --role registrator`` printed, ``ID`` the id the first ``POST /api/v1/dokument`` answered;
  ``docgen`` lines run in bash.
- ``config``: a TOML snippet, set key by key with ``docgen config set`` (what the README says to do).
- ``file PATH``: the block is written to PATH in the workspace.
- ``input TYPE [FIELD]``: a YAML fragment put into ``docgen new TYPE`` (at FIELD: the block as that text),
  then ``docgen validate``d.
- ``skip (why)``: not run; the reason is required.

A note ``(files: a.pdf b.docx)`` asks for files the block names: from tests/data, else one of the outbox's
files with that suffix. Two things are not as written: the year of a diarienummer (2026) is this year, and
port 8080 is a free one.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
import yaml

from conftest import ROOT, wait_until
from webutil import free_port

README = ROOT / "README.md"
KINDS = {"run", "serve", "api", "config", "file", "input", "skip"}
PASSWORD = "ett-lösenord-för-readme"
MARK = re.compile(r"^\s*<!-- test: (?P<kind>\w+)(?P<rest>.*?)-->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>\w*)\s*$")


@dataclass
class Block:
    line: int
    lang: str
    body: str
    kind: str | None
    arg: str
    note: str

    def where(self) -> str:
        return f"README.md line {self.line} ({self.kind} {self.arg})"


def blocks(text: str) -> list[Block]:
    out: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, start = m["indent"], i
        mark = MARK.match(lines[i - 1]) if i else None
        body = []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        kind = arg = note = ""
        if mark:
            kind, rest = mark["kind"], mark["rest"].strip()
            arg, _, note = rest.partition("(")
            arg, note = arg.strip(), note.rpartition(")")[0].strip()
        out.append(Block(start + 1, m["lang"], "\n".join(body) + "\n", kind or None, arg, note))
        i += 1
    return out


def test_every_block_says_whether_it_runs():
    found = blocks(README.read_text(encoding="utf-8"))
    assert len(found) > 15
    for b in found:
        assert b.kind in KINDS, f"README.md line {b.line}: a block without a `<!-- test: … -->` marker (or an unknown kind)"
        if b.kind == "skip":
            assert b.note, f"README.md line {b.line}: `test: skip` needs its reason in parentheses"
        if b.kind in ("run", "serve", "api"):
            assert b.lang == "sh", b.where()
        if b.kind == "config":
            assert b.lang == "toml", b.where()
    assert [b.kind for b in found].count("run") >= 3 and "api" in {b.kind for b in found}


def test_the_block_parser_reads_markers_notes_and_indented_blocks():
    text = ("x\n<!-- test: input beslut skäl (files: a.pdf) -->\n```yaml\na: 1\n```\n"
            "- item\n\n  <!-- test: skip (why) -->\n  ```\n  | a |\n  ```\n```sh\nls\n```\n")
    a, b, c = blocks(text)
    assert (a.kind, a.arg, a.note, a.lang, a.body) == ("input", "beslut skäl", "files: a.pdf", "yaml", "a: 1\n")
    assert (b.kind, b.note, b.body) == ("skip", "why", "| a |\n")
    assert c.kind is None and c.body == "ls\n"


class Reader:
    """A new user at a terminal, with the README open: runs its blocks in order."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.home = tmp / "home"
        self.home.mkdir()
        repo = tmp / "repo"  # like the repository: `.venv/` is the virtualenv docgen is installed in
        repo.mkdir()
        (repo / ".venv").symlink_to(sys.prefix)
        self.cwd = repo
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
        self.env.update(HOME=str(self.home), PATH=f"{Path(sys.executable).parent}:{self.env.get('PATH', '')}")
        self.token: str | None = None
        self.ids: list[str] = []
        self.server: subprocess.Popen | None = None

    @property
    def ws(self) -> Path:
        return self.home / "diarium"

    def text(self, b: Block) -> str:
        body = re.sub(r"(RS(?: |%20|-))2026-", rf"\g<1>{date.today().year}-", b.body)
        return body.replace("localhost:8080", f"127.0.0.1:{self.port}").replace("--port 8080", f"--port {self.port}")

    def bash(self, script: str, b: Block, timeout: float = 300) -> subprocess.CompletedProcess:
        state = self.tmp / "cwd"
        full = f"set -e -o pipefail\ncd {shlex.quote(str(self.cwd))}\n{script}\npwd > {shlex.quote(str(state))}\n"
        r = subprocess.run(["bash", "--noprofile", "--norc", "-c", full], env=self.env, capture_output=True, text=True,
                           input=f"{PASSWORD}\n", timeout=timeout)
        assert r.returncode == 0, f"{b.where()} failed ({r.returncode}):\n{script}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
        self.cwd = Path(state.read_text().strip())
        return r

    def provide(self, note: str, folder: Path) -> None:
        if not note.startswith("files:"):
            return
        for name in note[len("files:"):].split():
            data = ROOT / "tests" / "data" / name
            if not data.is_file():
                found = [p for p in (self.ws / "outbox").rglob("*" + Path(name).suffix) if ".staging" not in p.parts]
                assert found, f"no {Path(name).suffix} in the outbox to stand for {name}"
                data = found[0]
            shutil.copy(data, folder / name)

    # -- the kinds of block

    def run(self, b: Block) -> None:
        r = self.bash(self.text(b), b)
        lines = r.stdout.splitlines()
        for i, line in enumerate(lines[:-1]):
            if "API token (shown only now)" in line and "registrator" in line and self.token is None:
                self.token = lines[i + 1].strip()

    def serve(self, b: Block) -> None:
        log = self.tmp / "serve.log"
        self.server = subprocess.Popen(["bash", "--noprofile", "--norc", "-c", f"cd {shlex.quote(str(self.cwd))}\nexec {self.text(b).strip()}"],
                                       env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT)

        def answers() -> bool:
            assert self.server.poll() is None, f"{b.where()}: the server stopped:\n{log.read_text()}"
            try:
                return requests.get(f"http://127.0.0.1:{self.port}/openapi.json", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        assert wait_until(answers, 90, every=0.2), f"{b.where()}: the server did not answer:\n{log.read_text()}"

    def api(self, b: Block) -> None:
        text = self.text(b).replace("\\\n", " ")
        for raw in text.splitlines():
            words = shlex.split(raw, comments=True)
            if not words:
                continue
            if words[0].startswith("T="):
                assert self.token, f"{b.where()}: no token printed by an earlier block"
                continue
            if words[0] != "curl":
                self.bash(raw, b)
                continue
            self.curl(words[1:], b, raw)

    def curl(self, words: list[str], b: Block, raw: str) -> None:
        method, headers, data, out, out_by_header, url = "GET", {}, None, None, False, None
        it = iter(words)
        for w in it:
            if w == "-s":
                continue
            if w == "-X":
                method = next(it)
            elif w == "-H":
                name, _, value = next(it).partition(":")
                headers[name.strip()] = value.strip().replace("$T", self.token or "")
            elif w == "--data-binary":
                data = (self.cwd / next(it).lstrip("@")).read_bytes()
            elif w == "-o":
                out = self.cwd / next(it)
            elif w == "-OJ":
                out_by_header = True
            else:
                assert not w.startswith("-"), f"{b.where()}: curl option {w} is not known to this test"
                url = w
        if re.search(r"/api(/v1)?/dokument/ID$", url):
            assert self.ids, f"{b.where()}: no document was submitted before {raw}"
            url = url[:-2] + self.ids[0]
        r = requests.request(method, "http://" + url, headers=headers, data=data, timeout=120)
        assert r.status_code < 400, f"{b.where()}: {raw}\n→ {r.status_code} {r.text[:2000]}"
        if method == "POST" and re.search(r"/api(/v1)?/dokument$", url):
            self.ids.append(r.json()["id"])
        if out is not None or out_by_header:
            if out_by_header:
                disposition = r.headers["content-disposition"]
                m = (re.search(r"filename\*=UTF-8''([^;]+)", disposition, re.I)
                     or re.search(r'filename="?([^";]+)', disposition, re.I))
                assert m, f"{b.where()}: {raw}: no file name in {disposition!r}"
                out = self.cwd / Path(unquote(m[1])).name
            out.write_bytes(r.content)
            assert r.content.startswith(b"%PDF"), f"{b.where()}: {raw} did not give a PDF"

    def config(self, b: Block) -> None:
        from docgen.configtoml import toml_value

        self.provide(b.note, self.ws)
        snippet = tomllib.loads(b.body)
        for section, table in snippet.items():
            for key, value in table.items():
                self.bash(f"docgen -w {shlex.quote(str(self.ws))} config set {shlex.quote(section + '.' + key)} "
                          f"{shlex.quote(toml_value(value))}", b)
        rows = [json.loads(line) for line in self.bash(f"docgen -w {shlex.quote(str(self.ws))} config --json", b).stdout.splitlines()
                if line.strip()]
        got = {(r["sektion"], r["nyckel"]): (r["varde"], r["kalla"]) for r in rows}
        for section, table in snippet.items():
            for key, value in table.items():
                assert got[(section, key)] == (value, "docgen.toml"), f"{b.where()}: [{section}] {key}"

    def file(self, b: Block) -> None:
        path = self.ws / b.arg
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(b.body, encoding="utf-8")
        if path.name == "distribution.yaml":
            from docgen.recipients import load_lists

            assert not [n for n, lst in load_lists(path).items() if "fel" in lst], b.where()

    def input(self, b: Block) -> None:
        type_name, _, field = b.arg.partition(" ")
        r = self.bash(f"docgen new {type_name}", b)
        data = yaml.safe_load(r.stdout)
        if field:
            target = data
            parts = re.findall(r"([^.\[\]]+)|\[(\d+)\]", field)
            for i, (name, index) in enumerate(parts):
                key = name if name else int(index) - 1
                if i == len(parts) - 1:
                    target[key] = b.body
                else:
                    target = target[key]
        else:
            data.update(yaml.safe_load(b.body))
        folder = self.ws / f"readme-{b.line}"
        folder.mkdir()
        self.provide(b.note, folder)
        (folder / "input.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        self.bash(f"docgen -w {shlex.quote(str(self.ws))} validate {shlex.quote(str(folder / 'input.yaml'))}", b)

    def wait_submitted(self) -> None:
        """The document the API took is registered by the server's watcher (what its status URL says)."""
        deadline = time.monotonic() + 180
        for doc_id in self.ids:
            seen: list[dict] = []

            def final() -> dict | None:
                seen.append(requests.get(f"http://127.0.0.1:{self.port}/api/dokument/{doc_id}",
                                         headers={"Authorization": f"Bearer {self.token}"}, timeout=10).json())
                return seen[-1] if seen[-1]["status"] in ("registrerad", "fel") else None

            body = wait_until(final, max(0.0, deadline - time.monotonic()), every=0.3)
            assert body is not None, seen[-1:]
            assert body["status"] == "registrerad", body

    def close(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()


def test_the_readme_runs_as_written(tmp_path):
    reader = Reader(tmp_path)
    ran = []
    try:
        for b in blocks(README.read_text(encoding="utf-8")):
            if b.kind == "skip":
                continue
            if b.kind != "run" and not reader.ws.exists():
                pytest.fail(f"{b.where()}: comes before the quick tour made the workspace")
            t = time.monotonic()
            getattr(reader, b.kind)(b)
            ran.append(b.kind)
            print(f"README.md line {b.line} {b.kind}: {time.monotonic() - t:.1f} s")
        reader.wait_submitted()
    finally:
        reader.close()
    assert {"run", "serve", "api", "config", "file", "input"} <= set(ran)
    assert reader.ws.joinpath("docgen.toml").is_file() and reader.ids
