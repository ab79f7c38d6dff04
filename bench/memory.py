"""Memory of the inbox watcher over many documents: does it level off?

Creates a temporary workspace, starts the real watcher as a subprocess
(`python -m docgen.cli -w WS watch --workers W`), drops N inputs in batches (each renamed into the
inbox, as a well-behaved writer does), waits for every batch to be processed (claim folders in
inbox/behandlade/ and inbox/fel/), and after each batch samples:

  watcher RSS   VmRSS of the watcher's Python process only (/proc/PID/status)
  anon          RssAnon of the same process (heap; shared libraries and file mappings excluded)
  LibreOffice   the sum of VmRSS over the watcher's descendant processes (its soffice instances)

At the end: first, peak and last watcher RSS, the growth over the second half of the run (least-squares
slope, MB per 100 documents) and a verdict: "levels off" if that growth is under 2 MB per 100 documents.
The watcher is stopped with SIGTERM and the workspace removed.

    .venv/bin/python bench/memory.py --documents 600 [--workers 2] [--batch 50] [--out result.json]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = ROOT / "plugins"
#: The example inputs dropped in turn (each with its own rubrik, so none is refused as a duplicate).
EXAMPLES = ["uppdragshandling/exempel.yaml", "beslut/exempel.yaml", "lagesrapport/exempel-lagesbild.yaml",
            "lagesrapport/exempel-program.yaml"]
LEVELS_OFF_MB_PER_100 = 2.0


# -- /proc -----------------------------------------------------------------------------------------

def proc_status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def kb_field(status: dict[str, str], key: str) -> float:
    """A 'NNN kB' field of /proc/PID/status in MB (0 if absent)."""
    value = status.get(key, "")
    return int(value.split()[0]) / 1024 if value else 0.0


def descendants(pid: int) -> list[int]:
    """All processes below ``pid`` (children, grandchildren ...), from /proc/*/stat."""
    parent_of: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may contain spaces and parentheses
        fields = stat[stat.rfind(")") + 2:].split()
        parent_of[int(d)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        cur = frontier.pop()
        kids = [p for p, pp in parent_of.items() if pp == cur]
        found.extend(kids)
        frontier.extend(kids)
    return found


def sample(pid: int) -> dict:
    st = proc_status(pid)
    lo_rss, lo_pids = 0.0, []
    for child in descendants(pid):
        cst = proc_status(child)
        if not cst:
            continue
        lo_rss += kb_field(cst, "VmRSS")
        if "soffice" in cst.get("Name", ""):
            lo_pids.append(child)
    return {"rss_mb": kb_field(st, "VmRSS"), "anon_mb": kb_field(st, "RssAnon"), "hwm_mb": kb_field(st, "VmHWM"),
            "threads": int(st.get("Threads", "0") or 0), "lo_rss_mb": lo_rss, "lo_pids": sorted(lo_pids)}


# -- workspace and inputs --------------------------------------------------------------------------

def make_workspace(root: Path) -> Path:
    ws = root / "ws"
    ws.mkdir()
    shutil.copy(ROOT / "docgen.toml", ws / "docgen.toml")
    if (ROOT / "distribution.yaml").exists():
        shutil.copy(ROOT / "distribution.yaml", ws / "distribution.yaml")
    (ws / "inbox").mkdir()
    (ws / "outbox").mkdir()
    return ws


def write_batch(staging: Path, start: int, count: int, run_id: str) -> list[Path]:
    """Inputs ``start`` .. ``start+count-1``, written whole in the staging folder (same file system as the
    inbox, so the drop is an atomic rename)."""
    texts = [(PLUGINS / e).read_text(encoding="utf-8") for e in EXAMPLES]
    paths = []
    for i in range(start, start + count):
        text = re.sub(r"^rubrik:.*$", f'rubrik: "Minnesmätning {run_id} nr {i + 1}"', texts[i % len(texts)],
                      count=1, flags=re.M)
        p = staging / f"mem-{i:06d}.yaml"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths


def processed(ws: Path) -> tuple[int, int]:
    """Claim folders moved out of the work folder: (done, failed)."""
    def count(d: Path) -> int:
        try:
            return sum(1 for _ in d.iterdir())
        except OSError:
            return 0
    return count(ws / "inbox" / "behandlade"), count(ws / "inbox" / "fel")


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# -- the run ---------------------------------------------------------------------------------------

def run(documents: int, workers: int, batch: int, timeout_per_doc: float, keep: bool) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="docgen-mem-"))
    ws = make_workspace(tmp)
    staging = ws / "staging"
    staging.mkdir()
    log_path = tmp / "watcher.log"
    run_id = f"{os.getpid()}-{int(time.time())}"
    python = ROOT / ".venv" / "bin" / "python"
    if not python.exists():
        python = Path(sys.executable)
    cmd = [str(python), "-m", "docgen.cli", "-w", str(ws), "watch", "--workers", str(workers)]
    logf = open(log_path, "wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    rows: list[dict] = []
    lo_pids_seen: set[int] = set()
    t0 = time.monotonic()
    try:
        # ready: the watcher has logged that it watches, and its warm LibreOffice instances are up
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the watcher exited with {proc.returncode}:\n{tail(log_path)}")
            if "watching" in log_path.read_text(errors="replace"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the watcher did not start within 120 s:\n{tail(log_path)}")
            time.sleep(0.2)
        time.sleep(1.0)
        s = sample(proc.pid)
        lo_pids_seen.update(s["lo_pids"])
        rows.append({"documents": 0, "seconds": round(time.monotonic() - t0, 1), **s})
        header = f"{'documents':>9}  {'watcher RSS MB':>14}  {'(anon MB)':>9}  {'LibreOffice RSS MB':>18}  {'seconds':>8}"
        print(header)
        print("-" * len(header))

        def show(r: dict) -> None:
            print(f"{r['documents']:>9}  {r['rss_mb']:>14.1f}  {r['anon_mb']:>9.1f}  {r['lo_rss_mb']:>18.1f}  "
                  f"{r['seconds']:>8.1f}", flush=True)

        show(rows[-1])
        dropped = 0
        while dropped < documents:
            n = min(batch, documents - dropped)
            paths = write_batch(staging, dropped, n, run_id)
            for p in paths:
                os.rename(p, ws / "inbox" / p.name)
            dropped += n
            deadline = time.monotonic() + 60 + timeout_per_doc * n
            while True:
                done, failed = processed(ws)
                if done + failed >= dropped:
                    break
                if proc.poll() is not None:
                    raise RuntimeError(f"the watcher exited with {proc.returncode}:\n{tail(log_path)}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"batch not processed in time ({done + failed}/{dropped}):\n{tail(log_path)}")
                s = sample(proc.pid)  # LibreOffice instances recycled between samples are still counted
                lo_pids_seen.update(s["lo_pids"])
                time.sleep(0.25)
            time.sleep(0.3)  # the worker that moved the last claim folder has logged and returned
            s = sample(proc.pid)
            lo_pids_seen.update(s["lo_pids"])
            rows.append({"documents": dropped, "seconds": round(time.monotonic() - t0, 1), "failed": failed, **s})
            show(rows[-1])
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        logf.close()
        log_text = log_path.read_text(errors="replace") if log_path.exists() else ""
        if keep:
            print(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    rss = [r["rss_mb"] for r in rows]
    done_rows = [r for r in rows if r["documents"] > 0]
    half = documents / 2
    second_half = [(r["documents"], r["rss_mb"]) for r in rows if r["documents"] >= half]
    first_half = [(r["documents"], r["rss_mb"]) for r in rows if 0 < r["documents"] <= half]
    growth_2nd = 100 * slope(second_half)
    growth_1st = 100 * slope(first_half)
    anon_2nd = 100 * slope([(r["documents"], r["anon_mb"]) for r in rows if r["documents"] >= half])
    failed = done_rows[-1].get("failed", 0) if done_rows else 0
    result = {
        "documents": documents, "workers": workers, "batch": batch,
        "first_mb": rss[0], "first_after_batch_mb": done_rows[0]["rss_mb"] if done_rows else None,
        "peak_mb": max(rss), "last_mb": rss[-1], "watcher_vmhwm_mb": rows[-1]["hwm_mb"],
        "growth_first_half_mb_per_100": round(growth_1st, 2),
        "growth_second_half_mb_per_100": round(growth_2nd, 2),
        "anon_growth_second_half_mb_per_100": round(anon_2nd, 2),
        "verdict": "levels off" if growth_2nd < LEVELS_OFF_MB_PER_100 else "grows",
        "failed_documents": failed,
        "libreoffice_instances_seen": len(lo_pids_seen),
        "libreoffice_restarts_logged": len(re.findall(r"restart", log_text, flags=re.I)),
        "exit_code": proc.returncode,
        "seconds": rows[-1]["seconds"],
        "samples": [{k: v for k, v in r.items() if k != "lo_pids"} for r in rows],
    }
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--documents", type=int, default=600, help="inputs to drop (default 600)")
    ap.add_argument("--workers", type=int, default=2, help="watcher workers (default 2)")
    ap.add_argument("--batch", type=int, default=50, help="inputs per batch; one sample after each (default 50)")
    ap.add_argument("--timeout-per-doc", type=float, default=10.0, help="seconds allowed per document (default 10)")
    ap.add_argument("--out", type=Path, help="write the figures and samples as JSON to this file")
    ap.add_argument("--keep", action="store_true", help="keep the temporary workspace and the watcher's log")
    a = ap.parse_args()
    if a.documents < 1 or a.batch < 1 or a.workers < 1:
        ap.error("--documents, --batch and --workers must be at least 1")
    r = run(a.documents, a.workers, a.batch, a.timeout_per_doc, a.keep)
    print()
    print(f"watcher RSS: first {r['first_mb']:.1f} MB (idle, 0 documents), "
          f"after the first batch {r['first_after_batch_mb']:.1f} MB, peak {r['peak_mb']:.1f} MB, "
          f"last {r['last_mb']:.1f} MB (VmHWM {r['watcher_vmhwm_mb']:.1f} MB)")
    print(f"growth: first half {r['growth_first_half_mb_per_100']:+.2f} MB/100 docs, "
          f"second half {r['growth_second_half_mb_per_100']:+.2f} MB/100 docs "
          f"(anon {r['anon_growth_second_half_mb_per_100']:+.2f})")
    print(f"LibreOffice instances seen: {r['libreoffice_instances_seen']}; failed documents: {r['failed_documents']}; "
          f"watcher exit code after SIGTERM: {r['exit_code']}; {r['seconds']:.0f} s")
    print(f"verdict: {r['verdict']} (threshold {LEVELS_OFF_MB_PER_100:g} MB per 100 documents over the second half)")
    if a.out:
        a.out.write_text(json.dumps(r, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if r["failed_documents"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
