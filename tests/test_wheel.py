"""The built wheel works on its own: installed into a fresh virtualenv, it creates a workspace and renders
every built-in type and variant from the templates and examples it ships (nothing from this checkout)."""
from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT

TYPES = [("uppdragshandling", None), ("beslut", None), ("lagesrapport", "program"), ("lagesrapport", "lagesbild")]


def _quiet(output: str) -> list[str]:
    """Warning lines of a build or install, less pip's notes on this machine's own package index settings."""
    return [line for line in output.splitlines()
            if re.search(r"warn", line, re.I) and not re.search(r"Location '.*' is ignored", line)]


def test_wheel_installs_and_renders_every_type_in_a_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(ROOT)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    assert _quiet(build.stdout + build.stderr) == []
    wheel = next(dist.glob("docgen_diarium-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for t, v in TYPES:
        assert f"docgen_plugins/{t}/{t}{'-' + v if v else ''}.docx" in names
        assert f"docgen_plugins/{t}/exempel{'-' + v if v else ''}.yaml" in names
    assert "docgen/schemas/mets.xsd" in names and "docgen/common_schema.json" in names
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docgen").rglob("*.py")}
    assert modules <= set(names), sorted(modules - set(names))  # every (sub)package is listed in pyproject.toml

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    assert _quiet(install.stdout + install.stderr) == []
    # The dependencies come from the test environment's site-packages as a plain path: its .pth files (among
    # them the editable install of this checkout) are not processed, so `docgen` can only be the wheel's.
    (purelib / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if k not in ("DOCGEN_WORKSPACE", "PYTHONPATH")}
    docgen = str(venv / "bin" / "docgen")
    where = subprocess.run([str(py), "-c", "import docgen, docgen_plugins; print(docgen.__file__, docgen_plugins.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, check=True).stdout
    assert str(ROOT) not in where and str(purelib) in where

    ws = tmp_path / "arbetsyta"
    r = subprocess.run([docgen, "init", str(ws), "--organisation", "Testkommunen"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    # a new workspace wants decided types decided in docgen (test_decisions.py); here every type renders as written
    subprocess.run([docgen, "config", "set", "beslutsfattande.krav_godkannande", "false"], env=env, cwd=ws, check=True,
                   capture_output=True)
    inputs = []
    for t, v in TYPES:
        args = [docgen, "new", t] + (["--variant", v] if v else [])
        text = subprocess.run(args, capture_output=True, text=True, env=env, cwd=ws, check=True).stdout
        path = ws / "inbox" / f"{t}-{v or 'standard'}.yaml"
        path.write_text(text, encoding="utf-8")
        inputs.append(str(path))
    r = subprocess.run([docgen, "render", "--json", *inputs], capture_output=True, text=True, env=env, cwd=ws, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    results = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["status"] for x in results] == ["registrerad"] * 4
    assert sorted(x["diarienummer"][-5:] for x in results) == ["00001", "00002", "00003", "00004"]
    for x in results:
        assert Path(x["filer"]["pdf"]).is_file() and str(ws / "outbox") in x["filer"]["pdf"]
    types = subprocess.run([docgen, "types"], capture_output=True, text=True, env=env, cwd=ws, check=True).stdout
    assert "docgen-diarium" in types and str(ROOT) not in types
