"""Shared fixtures: a temporary workspace, one warm LibreOffice pool for the session, an engine."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from docgen.config import load_config
from docgen.convert import OfficePool
from docgen.pipeline import Engine
from docgen.plugins import Plugins

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "plugins" / "examples"


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
def engine(config, pool):
    eng = Engine(config, pool=pool)
    yield eng
    eng.registry.close()


def example(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


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
