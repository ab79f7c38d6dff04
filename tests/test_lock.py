"""The lock: the virtualenv holds exactly the locked versions, and the lock agrees with itself and the ranges."""
from __future__ import annotations

import os
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)")


def pins(path: Path) -> dict[str, str]:
    """Package -> version from an exported requirements file; every pin must carry hashes."""
    found: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        m = PIN.match(line)
        if m:
            assert "--hash=sha256:" in lines[i + 1], f"{path.name}: {m.group(1)} has no hash"
            found[canonicalize_name(m.group(1))] = m.group(2)
    assert found, f"{path} pins nothing"
    return found


def locked() -> dict[str, str]:
    data = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {canonicalize_name(p["name"]): p["version"] for p in data["package"] if "version" in p}


@pytest.mark.skipif(bool(os.environ.get("DOCGEN_UNLOCKED")), reason="make test-latest runs without the lock")
def test_the_virtualenv_holds_exactly_the_lock():
    if sys.prefix == sys.base_prefix:
        pytest.fail("the suite runs outside a virtualenv: use `make test`, which builds .venv/ from the lock")
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    installed.pop("docgen-diarium", None)
    assert installed == pins(ROOT / "requirements" / "test.txt")


def test_the_exports_agree_with_uv_lock():
    lock = locked()
    run, test = pins(ROOT / "requirements" / "run.txt"), pins(ROOT / "requirements" / "test.txt")
    assert run.items() <= test.items(), "run.txt must be the runtime part of test.txt, at the same versions"
    assert {k: lock.get(k) for k in test} == test, "requirements/*.txt are stale: run `make lock`"


def test_the_lock_satisfies_the_ranges_in_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"]) + [r for extra in project["optional-dependencies"].values() for r in extra]
    test = pins(ROOT / "requirements" / "test.txt")
    for text in wanted:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in test, f"{req.name} is in pyproject.toml but not in the lock: run `make lock`"
        assert req.specifier.contains(test[name], prereleases=True), f"{req.name} {test[name]} is outside {req.specifier}"
