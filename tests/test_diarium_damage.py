"""A damaged SQLite diarium is named in one line (exit 2) and never written to; `docgen backup` makes a
copy that restores it (the steps the README gives)."""
from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess

from conftest import example, set_setting, write_yaml
from helpers import DOCGEN


def docgen(ws, *args) -> subprocess.CompletedProcess:
    return subprocess.run(DOCGEN + ["-w", str(ws), *args], capture_output=True, text=True, timeout=600)


def files_of(ws) -> tuple[str, int]:
    """The diarium file's hash and what its write-ahead log holds (reading a WAL database makes an empty one)."""
    wal = ws / "docgen.sqlite-wal"
    return hashlib.sha256((ws / "docgen.sqlite").read_bytes()).hexdigest(), wal.stat().st_size if wal.exists() else 0


def test_damaged_diarium_is_named_in_one_line_and_never_written(workspace, tmp_path):
    first = write_yaml(workspace, "forsta.yaml", example("beslut"))
    assert docgen(workspace, "render", str(first)).returncode == 0
    backups = tmp_path / "kopior"
    r = docgen(workspace, "backup", str(backups))
    assert r.returncode == 0, r.stderr
    copy = backups / r.stdout.strip().rsplit("/", 1)[-1]
    assert copy.is_file() and not list(backups.glob(".*"))
    with sqlite3.connect(copy) as conn:  # the copy holds the registered document
        assert conn.execute("select count(*) from handling where status='registrerad'").fetchone() == (1,)

    db = workspace / "docgen.sqlite"
    data = bytearray(db.read_bytes())
    data[4096 * 2: 4096 * 4] = bytes(8192)  # zeroed pages, as a failing disk leaves them
    db.write_bytes(data)
    for p in workspace.glob("docgen.sqlite-*"):
        p.unlink()
    before = files_of(workspace)
    second = write_yaml(workspace, "andra.yaml", example("uppdragshandling"))
    for args in (["render", str(second)], ["validate", str(second)], ["status"], ["registry", "list"],
                 ["watch", "--workers", "1"], ["backup", str(tmp_path / "mer")]):
        r = docgen(workspace, *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in r.stderr, (args, r.stderr)
        assert str(db) in lines[0] and "damaged" in lines[0] and "skadat" in lines[0]
        assert files_of(workspace) == before, f"{args}: the damaged diarium was written to"
    assert not (tmp_path / "mer").exists()

    # Restore as the README says: stop docgen, put the copy in place, start again.
    shutil.copyfile(copy, db)
    r = docgen(workspace, "render", str(second))
    assert r.returncode == 0, r.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from handling where status='registrerad'").fetchone() == (2,)


def test_backup_on_postgresql_says_how(workspace, tmp_path):
    set_setting(workspace, "sokvagar", "register", "postgresql://docgen@db.example/diarium")
    r = docgen(workspace, "backup", str(tmp_path / "kopior"))
    assert r.returncode == 1 and "pg_dump" in r.stderr and "pg_restore" in r.stderr
    assert not (tmp_path / "kopior").exists()
