""""Cannot write now" (a read-only outbox, no inodes left) is the resource kind: the input waits in the
work folder and comes out when the condition clears, and no number is voided for it. Real mounts (root)."""
from __future__ import annotations

import os
import threading
import time
import zipfile
import subprocess
from pathlib import Path
from conftest import example, write_yaml
from helpers import (consistent, done, drop, failed, mount, new_workspace, numbers, report_of, start_watcher, stop_watcher,
                     wait_for, waiting_lines)


def test_read_only_outbox_keeps_inputs_waiting_and_takes_no_number(tmp_path, mounts):
    points, procs = mounts
    ws = new_workspace(tmp_path)
    outbox = ws / "outbox"
    mount("-t", "tmpfs", "-o", "size=64m", "tmpfs", str(outbox))
    points.append(outbox)
    proc = start_watcher(ws, workers=1)
    procs.append(proc)
    drop(ws, "forsta.yaml", example("beslut") | {"rubrik": "Före skrivskyddet"})
    wait_for(lambda: len(done(ws)) == 1, 120, what="a document before the outbox turns read-only")
    mount("-o", "remount,ro", str(outbox))
    for i in range(3):
        drop(ws, f"vantar{i}.yaml", example("uppdragshandling") | {"rubrik": f"Väntar på skrivbar utkorg {i}"})
    drop(ws, "trasig.yaml", {"dokumenttyp": "uppdragshandling", "rubrik": "Saknar fält"})
    wait_for(lambda: len(waiting_lines(ws)) >= 3, 60, what="the inputs waiting")
    wait_for(lambda: len(failed(ws)) == 1, 60, what="the invalid input refused meanwhile")
    assert len(done(ws)) == 1 and numbers(ws) == {"registrerad": 1}  # no number taken while read-only
    line = waiting_lines(ws)[0]
    assert str(outbox) in line and "read-only" in line  # the log names the folder and the problem
    assert len(list((ws / "inbox" / "arbete").rglob("vantar*.yaml"))) == 3
    mount("-o", "remount,rw", str(outbox))
    wait_for(lambda: len(done(ws)) == 4, 180, what="the waiting inputs out once the outbox is writable")
    assert stop_watcher(proc) == 0
    assert numbers(ws) == {"registrerad": 4}
    assert [report_of(f)[0] for f in failed(ws)] == ["trasig.yaml"]
    consistent(ws)


def test_staging_turned_read_only_after_the_number_keeps_that_number(tmp_path, mounts):
    """The outbox passes the check, then writing into it fails (EROFS) after the number was taken: the
    number is kept for the input's next attempt, not voided, and the same number is registered."""
    points, procs = mounts
    ws = new_workspace(tmp_path)
    staging = ws / "outbox" / ".staging"
    staging.mkdir()
    mount("--bind", str(staging), str(staging))
    points.append(staging)
    mount("-o", "remount,bind,ro", str(staging))
    proc = start_watcher(ws, workers=1)
    procs.append(proc)
    drop(ws, "mitt.yaml", example("beslut") | {"rubrik": "Skrivskydd mitt i"})
    wait_for(lambda: len(waiting_lines(ws)) >= 2, 60, what="two attempts that could not write")
    assert numbers(ws) == {"reserverad": 1} and not done(ws) and not failed(ws)
    assert "Read-only file system" in waiting_lines(ws)[0] or "read-only" in waiting_lines(ws)[0]
    subprocess.run(["umount", str(staging)], check=True)
    points.remove(staging)
    wait_for(lambda: len(done(ws)) == 1, 180, what="the input out once staging is writable")
    assert stop_watcher(proc) == 0
    assert numbers(ws) == {"registrerad": 1}  # the number kept while waiting, none voided
    consistent(ws)


def fill_inodes(folder: Path, leave: int) -> list[Path]:
    """Create empty files in ``folder`` until only ``leave`` inodes are free on its file system."""
    made = []
    folder.mkdir(exist_ok=True)
    while os.statvfs(folder).f_favail > leave:
        p = folder / f"f{len(made)}"
        try:
            p.touch()
        except OSError:
            break
        made.append(p)
    return made


def test_inodes_exhausted_keep_inputs_waiting_and_nothing_is_voided(tmp_path, mounts):
    points, procs = mounts
    disk = tmp_path / "disk"
    disk.mkdir()
    mount("-t", "tmpfs", "-o", "size=128m,nr_inodes=2000", "tmpfs", str(disk))
    points.append(disk)
    ws = new_workspace(disk)
    proc = start_watcher(ws, workers=1)
    procs.append(proc)
    drop(ws, "forsta.yaml", example("beslut") | {"rubrik": "Före inodbristen"})
    wait_for(lambda: len(done(ws)) == 1, 120, what="a document before the inodes run out")
    for i, leave in enumerate((0, 8, 30)):
        pending = write_yaml(disk, f"d{i}.yaml", example("uppdragshandling") | {"rubrik": f"Inodbrist {i}"})
        fillers = fill_inodes(disk / f"fyllnad{i}", leave)
        seen = len((ws / "watch.log").read_text(encoding="utf-8"))
        os.rename(pending, ws / "inbox" / pending.name)
        wait_for(lambda: any(w in (ws / "watch.log").read_text(encoding="utf-8")[seen:] for w in ("inodes", "No space left")),
                 60, what="the watcher noticing")
        assert proc.poll() is None
        assert len(done(ws)) == 1 + i
        for f in fillers:
            f.unlink()
        wait_for(lambda: len(done(ws)) == 2 + i, 180, what=f"the input out once inodes are free (leave={leave})")
        consistent(ws)
    assert stop_watcher(proc) == 0
    assert numbers(ws) == {"registrerad": 4} and not failed(ws)
    assert "Traceback" not in (ws / "watch.log").read_text(encoding="utf-8")


def test_libreoffice_failing_to_write_on_a_nearly_full_disk_is_resource_and_keeps_the_number(tmp_path, mounts, pool):
    """The outbox passes the check before the number (room to spare), then the disk fills while LibreOffice
    converts (another program takes the space the moment the DOCX is in the staging folder): LibreOffice cannot
    write the PDF, and that is the ``resource`` kind naming the disk, not a failure of the input; the number is
    kept, and once there is room again the same number is registered."""
    from docgen.config import load_config
    from docgen.model import ErrorKind
    from docgen.pipeline import Engine

    points, _ = mounts
    ws = new_workspace(tmp_path)
    outbox = ws / "outbox"
    mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(outbox))
    points.append(outbox)
    path = write_yaml(ws / "inbox", "fylls.yaml", example("beslut") | {"rubrik": "Disken fylls under konverteringen"})
    filler = outbox / "annat-program.bin"
    stop = threading.Event()

    def fill_when_the_docx_is_written() -> None:
        while not stop.is_set():
            if any(zipfile.is_zipfile(p) for p in (outbox / ".staging").rglob("*.docx")):  # written in full
                with open(filler, "wb") as f:  # all the space there is, at once
                    free = os.statvfs(outbox).f_bavail * os.statvfs(outbox).f_frsize
                    os.posix_fallocate(f.fileno(), 0, free)
                return
            time.sleep(0.001)  # polling the staging folder, not a wait for a condition's time

    engine = Engine(load_config(ws), pool=pool, hold_on_resource=True)
    try:
        t = threading.Thread(target=fill_when_the_docx_is_written)
        t.start()
        outcome = engine.process(path)
        stop.set()
        t.join()
        assert filler.exists(), "the disk was not filled during the conversion"
        # failed in the conversion (rendered, not converted), the DOCX written in full: LibreOffice's write
        assert "render" in outcome.timings and "convert" not in outcome.timings, outcome.timings
        assert not outcome.ok and outcome.error_kind == ErrorKind.RESOURCE, outcome
        assert str(outbox) in outcome.error and outcome.voided is None
        assert numbers(ws) == {"reserverad": 1}  # kept for the next attempt
        kept = outcome.diarienummer
        filler.unlink()
        again = engine.process(path)
        assert again.ok and again.diarienummer == kept, again
        assert numbers(ws) == {"registrerad": 1}
    finally:
        stop.set()
        engine.close()
    consistent(ws)
