"""Helpers of the web tests: a workspace, users made with `docgen user add`, the real server (`docgen serve`,
with its watcher and LibreOffice) in a subprocess on a free port, and waiting for a submitted document."""
from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import requests
from click.testing import CliRunner

from conftest import ROOT, as_loaded, example, set_setting, wait_until
from docgen.cli import cli


def make_workspace(folder: Path) -> Path:
    """A workspace like the ``workspace`` fixture's, with one watcher worker (the machine is shared)."""
    ws = folder / "ws"
    ws.mkdir()
    shutil.copy(ROOT / "docgen.toml", ws / "docgen.toml")
    (ws / "inbox").mkdir()
    (ws / "outbox").mkdir()
    set_setting(ws, "bevakning", "arbetare", 1)
    return ws


def add_user(ws: Path, name: str, role: str, password: str | None = None) -> str:
    """`docgen user add`; returns the API token (the last line it prints)."""
    args = ["-w", str(ws), "user", "add", name, "--role", role] + (["--losenord"] if password else [])
    r = CliRunner().invoke(cli, args, input=f"{password}\n" if password else None, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`docgen serve` on a free port, as a subprocess (its own watcher and LibreOffice)."""

    def __init__(self, ws: Path, *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = ws / "serve.log"
        self.proc = subprocess.Popen([sys.executable, "-m", "docgen.cli", "-w", str(ws), "serve", "--port", str(self.port), *args],
                                     stdout=self.log.open("w"), stderr=subprocess.STDOUT)

        def answers() -> bool:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                return requests.get(self.url + "/openapi.json", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        assert wait_until(answers, 60, every=0.2), "docgen serve did not start:\n" + self.log.read_text()

    def stop(self) -> int:
        self.proc.terminate()
        return self.proc.wait(timeout=60)


def input_of(name: str, **changes) -> dict:
    """A built-in example input as JSON data, with changes."""
    data = as_loaded(example(name)) | changes
    return json.loads(json.dumps(data))


def wait_status(url: str, token: str, status_url: str, timeout: float = 60) -> dict:
    """The status of a submitted document once it is registrerad or fel."""
    seen: list[dict] = []

    def final() -> dict | None:
        seen.append(requests.get(url + status_url, headers={"Authorization": f"Bearer {token}"}, timeout=10).json())
        return seen[-1] if seen[-1]["status"] in ("registrerad", "fel") else None

    return wait_until(final, timeout, every=0.2) or seen[-1]


#: axe-core as the axe-playwright-python package ships it (installed from the lock by `make venv-test`).
AXE_JS = Path(__import__("axe_playwright_python").__file__).with_name("axe.min.js")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: What an internal name looks like in an accessible name: the old form library's ids and row names.
INTERNAL = re.compile(r"root\[|-opt-in|(?<![-\w])post \d")


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations of the page as it is now (rule id, impact, the nodes' targets)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluated through the DevTools protocol: the pages' CSP (no inline script) stays as served
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                           WCAG_TAGS)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]]


def accessible_names(page) -> list[str]:
    """Every accessible name in the page's accessibility tree (Playwright's ARIA snapshot)."""
    snapshot = page.locator("body").aria_snapshot()
    return re.findall(r'^\s*- [\w-]+ "((?:[^"\\]|\\.)*)"', snapshot, flags=re.M)


def bad_names(page, keys: set[str]) -> list[str]:
    """Accessible names that show an internal name: a form library id, a row number name, or a bare schema key."""
    return [n for n in accessible_names(page) if INTERNAL.search(n) or n.strip() in keys]


def login(url: str, name: str, password: str, session: requests.Session | None = None, **headers) -> requests.Response:
    """Log in as a browser does: fetch the form (its CSRF token and pre-login cookie), then post it."""
    import re

    s = session if session is not None else requests.Session()
    form = s.get(url + "/logga-in", headers=headers, timeout=10)
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    return s.post(url + "/logga-in", data={"namn": name, "losenord": password, "nasta": "/sok", "csrf": token},
                  headers=headers, allow_redirects=False, timeout=10)
