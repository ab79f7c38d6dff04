"""How much one input may hold: `make bench` (or `python bench/limits.py`).

For each kind of bulk (text characters, list items, table cells, links) this finds the largest amount
that converts (LibreOffice, one warm instance, as the watcher uses it) within half the conversion
deadline (`[libreoffice] timeout`) on this machine: doubling, then bisecting. The limits docgen enforces
(`[granser]` in docgen.toml, `docgen.workload`) are set below these figures; the results go to
bench/limits.json and are printed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docgen.config import load_config  # noqa: E402
from docgen.model import Job  # noqa: E402
from docgen.pipeline import Engine  # noqa: E402
from docgen.pipeline import CHECK_STEP, CONVERT, LAYOUT, LOAD, RENDER, STAMP  # noqa: E402
from docgen.workload import measure  # noqa: E402

WORDS = ("förvaltningen bedömer att arbetet kan genomföras inom ramen för de medel som avsatts och att "
         "verksamheterna informeras löpande om hur projektet fortskrider under året ").split()


def text_of(chars: int) -> str:
    """Paragraphs of ordinary prose, about 600 characters each, ``chars`` characters in all."""
    paras, total, i = [], 0, 0
    while total < chars:
        words = []
        while sum(len(w) + 1 for w in words) < 600:
            words.append(WORDS[i % len(WORDS)])
            i += 1
        para = " ".join(words).capitalize() + "."
        paras.append(para)
        total += len(para) + 2
    return "\n\n".join(paras)[:chars]


def paragraph_of(chars: int) -> str:
    """One paragraph (no blank line) of ``chars`` characters."""
    words, total, i = [], 0, 0
    while total < chars:
        words.append(WORDS[i % len(WORDS)])
        total += len(words[-1]) + 1
        i += 1
    return " ".join(words)[:chars]


def table_of(rows: int) -> str:
    lines = ["| Nummer | Åtgärd | Ansvar | Klart |", "|---|---|---|---|"]
    lines += [f"| {i} | Genomföra del {i} av planen | Enhet {i % 7} | 2026-0{1 + i % 9}-15 |" for i in range(rows)]
    return "\n".join(lines)


def links_of(n: int) -> str:
    paras = []
    for start in range(0, n, 10):
        paras.append(" ".join(f"[Underlag {i}](https://example.se/underlag/{i})" for i in range(start, min(n, start + 10))))
    return "\n\n".join(paras)


def base() -> dict:
    data = yaml.safe_load((ROOT / "plugins" / "beslut" / "exempel.yaml").read_text(encoding="utf-8"))
    data.pop("skickas_till", None)
    return data | {"status": "utkast"}


#: kind -> (what grows, input with that many)
KINDS = {
    "tecken": ("characters of text in skäl", lambda n: base() | {"skäl": text_of(n)}, 20_000),
    "stycke": ("characters in one paragraph of skäl", lambda n: base() | {"skäl": paragraph_of(n)}, 20_000),
    "listposter": ("items in beslutspunkter", lambda n: base() | {"beslutspunkter": [f"genomföra punkt {i}," for i in range(n)]}, 500),
    "tabellceller": ("cells of a table in skäl (4 columns)", lambda n: base() | {"skäl": table_of(max(1, n // 4))}, 400),
    "lankar": ("links in skäl", lambda n: base() | {"skäl": links_of(n)}, 100),
}


def seconds_for(engine: Engine, folder: Path, data: dict) -> float:
    """Seconds LibreOffice takes to convert the document of ``data``."""
    path = folder / "indata.json"
    path.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    outcome = engine.run(Job("indata.json", path), [LOAD, CHECK_STEP, RENDER, STAMP, LAYOUT, CONVERT])
    if not outcome.ok:
        raise RuntimeError(outcome.error)
    shutil.rmtree(engine.config.outbox / "utkast", ignore_errors=True)
    return outcome.timings["convert"] / 1000


def largest(engine: Engine, folder: Path, make, start: int, target: float, steps: int) -> tuple[int, float, list]:
    """The largest n (to within 1/2**steps) whose conversion takes at most ``target`` seconds."""
    trials = []

    def time_of(n: int) -> float:
        t = seconds_for(engine, folder, make(n))
        trials.append((n, round(t, 2)))
        print(f"    n={n:<9} {t:7.2f} s", flush=True)
        return t

    good, good_t, n = 0, 0.0, start
    while True:
        t = time_of(n)
        if t > target:
            bad = n
            break
        good, good_t, n = n, t, n * 2
    for _ in range(steps):
        if bad - good <= max(1, good // 50):
            break
        mid = (good + bad) // 2
        t = time_of(mid)
        if t <= target:
            good, good_t = mid, t
        else:
            bad = mid
    return good, good_t, trials


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", nargs="*", default=list(KINDS), choices=list(KINDS))
    ap.add_argument("--append", action="store_true", help="add to the results already in --out")
    ap.add_argument("--target", type=float, help="seconds (default: half of [libreoffice] timeout)")
    ap.add_argument("--steps", type=int, default=4, help="bisection steps after doubling")
    ap.add_argument("--out", default=str(ROOT / "bench" / "limits.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="docgen-limits-") as tmp:
        ws = Path(tmp)
        toml = (ROOT / "docgen.toml").read_text(encoding="utf-8")
        deadline = load_config(ROOT).libreoffice["timeout"]
        target = args.target or deadline / 2
        # measure beyond every limit: the bench's own workspace lifts them, and LibreOffice waits long
        for section, line in (("granser", "max_filstorlek = 67108864"), ("libreoffice", "timeout = 900")):
            head = f"[{section}]\n"
            toml = toml.replace(head, f"{head}{line}\n", 1) if head in toml else f"{toml}\n{head}{line}\n"
        (ws / "docgen.toml").write_text(toml, encoding="utf-8")
        for sub in ("inbox", "outbox"):
            (ws / sub).mkdir()
        config = load_config(ws)
        results = {"target_seconds": target, "deadline_seconds": deadline, "cpus": os.cpu_count(),
                   "loadavg": os.getloadavg()[0], "kinds": {}}
        if args.append and Path(args.out).is_file():
            results["kinds"] = json.loads(Path(args.out).read_text(encoding="utf-8"))["kinds"]
        print(f"largest amount converting within {target:g} s (half the {deadline:g} s deadline), "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", flush=True)
        with Engine(config, workers=1) as engine:
            engine.pool.start()
            seconds_for(engine, ws, base())  # warm
            for kind in args.kinds:
                what, make, start = KINDS[kind]
                print(f"  {kind}: {what}", flush=True)
                t0 = time.monotonic()
                n, t, trials = largest(engine, ws, make, start, target, args.steps)
                counted = getattr(measure(make(n)), kind)
                results["kinds"][kind] = {"what": what, "largest": n, "counted": counted, "seconds": t,
                                          "trials": trials, "bench_seconds": round(time.monotonic() - t0)}
                print(f"  {kind}: {counted} ({what}) in {t:.1f} s", flush=True)
    Path(args.out).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
