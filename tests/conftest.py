"""Shared fixtures: a temporary workspace, one warm LibreOffice pool for the session, an engine."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from docgen.cli import cli
from docgen.config import load_config
from docgen.office import OfficePool
from docgen.pipeline import Engine
from docgen.plugins import Plugins

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = ROOT / "plugins"


def example_path(name: str) -> Path:
    """A built-in example input by name: ``beslut``, ``lagesrapport-program`` (type-variant)."""
    type_name, _, variant = name.partition("-")
    return PLUGINS / type_name / (f"exempel-{variant}.yaml" if variant else "exempel.yaml")


@pytest.fixture(scope="session")
def pool():
    """One warm LibreOffice for the whole session (starting one costs about a second)."""
    p = OfficePool(size=1, timeout=60)
    p.start()
    yield p
    p.close()


@pytest.fixture
def workspace(tmp_path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copy(ROOT / "docgen.toml", ws / "docgen.toml")
    (ws / "inbox").mkdir()
    (ws / "outbox").mkdir()
    return ws


@pytest.fixture
def config(workspace):
    return load_config(workspace)


@pytest.fixture
def make_engine(pool):
    """``make_engine(workspace or config, **options)``: an engine on the session's LibreOffice, made once the
    test has set its workspace up; every one made is closed after the test (the pool is the session's: only
    the engine's own store and heartbeat close)."""
    made: list[Engine] = []

    def make(where, **options) -> Engine:
        engine = Engine(where if not isinstance(where, Path) else load_config(where), **{"pool": pool, **options})
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()


@pytest.fixture
def engine(config, make_engine):
    return make_engine(config)


def example(name: str) -> dict:
    return yaml.safe_load(example_path(name).read_text(encoding="utf-8"))


def write_yaml(folder: Path, name: str, data: dict) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def outbox_files(ws: Path) -> list[Path]:
    """Everything in the outbox except its hidden staging area."""
    return sorted(p for p in (ws / "outbox").rglob("*") if p.is_file() and ".staging" not in p.parts)


@pytest.fixture
def make_plugins():
    def make(config, *extra):
        return Plugins(config, extra=extra)
    return make


def set_setting(ws: Path, section: str, key: str, value) -> None:
    """Set ``[section] key`` in a workspace's docgen.toml (uncommented), keeping the rest of the file."""
    import tomlkit

    toml = ws / "docgen.toml"
    doc = tomlkit.parse(toml.read_text(encoding="utf-8"))
    doc.setdefault(section, tomlkit.table())[key] = value
    toml.write_text(tomlkit.dumps(doc), encoding="utf-8")


#: docgen as a subprocess (watchers, workers, renders killed mid-way)
DOCGEN = [sys.executable, "-m", "docgen.cli"]


def wait_until(cond, timeout: float, every: float = 0.05):
    """Poll ``cond`` until it gives something true (returned) or ``timeout`` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(every)
    return None


def start_worker(ws, log_path, send_cron: str = "*/30 * * * * *"):
    """A `docgen worker` node with short heartbeats, stall detection and polling, its output in ``log_path``."""
    return subprocess.Popen(
        [*DOCGEN, "-w", str(ws), "worker", "--concurrency", "1", "--heartbeat", "1", "--stalled-after", "4",
         "--poll", "1", "--send-cron", send_cron],
        cwd=ROOT, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)


def run(workspace, *args):
    return CliRunner().invoke(cli, ["-w", str(workspace), *args], catch_exceptions=False)


@pytest.fixture
def registered(workspace):
    """Three registered documents in two cases (uppdragshandling + lagesrapport; a confidential beslut), made
    through the CLI."""
    a = write_yaml(workspace / "inbox", "a.yaml", example("uppdragshandling"))
    b = write_yaml(workspace / "inbox", "b.yaml", example("beslut") | {"sekretess": {"bestämmelse": "25 kap. 1 § OSL", "datum": "2026-03-10"}})
    r = run(workspace, "render", "--json", str(a), str(b))
    first, second = [json.loads(line) for line in r.output.strip().splitlines()]
    c = example("lagesrapport-program") | {"diarienummer": first["diarienummer"]}
    c.pop("serie")
    r3 = json.loads(run(workspace, "render", "--json", str(write_yaml(workspace / "inbox", "c.yaml", c))).output)
    return [first, second, r3]


def as_loaded(value):
    """A value as docgen's loader reads it (yaml.safe_load makes dates of dates; docgen keeps them text)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [as_loaded(v) for v in value]
    if isinstance(value, dict):
        return {k: as_loaded(v) for k, v in value.items()}
    return value


# --- `make test-quick` leaves out what these markers name (see pyproject.toml)
_SLOW_MODULES = {"test_properties", "test_service_faults", "test_office_faults", "test_wheel", "test_watch", "test_readme"}


def pytest_collection_modifyitems(items):
    """Mark the tests that need PostgreSQL or the browser, and the long LibreOffice runs, by what they use."""
    for item in items:
        module = item.module.__name__.rpartition(".")[2]
        if "pg_server" in item.fixturenames or "pg_url" in item.fixturenames or module.startswith("test_postgres"):
            item.add_marker(pytest.mark.postgres)
        if hasattr(item.module, "sync_playwright"):
            item.add_marker(pytest.mark.browser)
        if module in _SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def service(workspace):
    """Start watchers on the workspace (``service(*args, workers=2)``); those still running are killed after."""
    from helpers import start_watcher

    procs = []

    def start(*args, **kw):
        p = start_watcher(workspace, *args, **kw)
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


@pytest.fixture
def mounts():
    """Mount points to undo after the test (innermost first), and watchers to kill if it fails."""
    if os.geteuid() != 0:
        pytest.skip("mounting needs root")
    points: list[Path] = []
    procs: list = []
    yield points, procs
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    for point in reversed(points):
        subprocess.run(["umount", "-l", str(point)], check=False)
