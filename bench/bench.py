"""docgen benchmark: `make bench`. Prints figures (medians over repeated runs) and ratios of paths
measured side by side in this one run, and writes the table to bench/RESULTS.md.

Paths compared:
  DOCX stage   raw docxtpl render of the template  vs  docgen's render stage
  PDF stage    new soffice process per file (naive) vs  docgen's warm pool  vs  the floor: the same
               kind of warm LibreOffice driven directly over UNO with no docgen code around it
  End to end   input file -> registered DOCX + PDF/A + distribution files, 1 and 2 workers
  Watcher      drop-to-PDF latency, p50 and p95
  Memory       peak RSS of this process after N and after 10*N documents (LibreOffice not counted)
  Numbering    numbers allocated per second, 1 and 8 concurrent processes
  Size         1, 10 and 100 page documents
  Profile      per document, each step's wall and Python CPU time (and the checks inside `check`) for 1 and 2
               workers, and the share of the cores spent in docgen's process vs LibreOffice (bench/stageprofile.py);
               `--profile-only --documents N` runs just this, in about a minute for a small N
  Ratios       `--ratios-only`: just the PDF stage and the end-to-end runs, and issue 26's four goals as ratios of
               this one run (a dated section of bench/RESULTS.md naming the commit measured)
  PostgreSQL   documents/s for 1, 2 and 3 `docgen worker` processes on one PostgreSQL diarium (a server this
               run starts, as the tests do), database statements and write transactions per document, numbers
               allocated per second (1 and 8 processes); `--postgres-only` runs just these rows
Every LibreOffice here has its own profile.
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docgen import officemalloc  # noqa: E402
from docgen.config import load_config  # noqa: E402
from docgen.office import PDF_FILTER_DATA, OfficeInstance, OfficePool, _props, import_uno  # noqa: E402
from docgen.pipeline import THREADS_PER_WORKER, Engine  # noqa: E402

PLUGINS = ROOT / "plugins"


def example_path(name: str) -> Path:
    type_name, _, variant = name.partition("-")
    return PLUGINS / type_name / (f"exempel-{variant}.yaml" if variant else "exempel.yaml")
rows: list[tuple[str, str, str]] = []


def out(name: str, value: str, note: str = "") -> None:
    rows.append((name, value, note))
    print(f"{name:<58} {value:>14}  {note}", flush=True)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def workspace(root: Path) -> Path:
    ws = root / f"ws-{uuid.uuid4().hex[:6]}"
    ws.mkdir()
    shutil.copy(ROOT / "docgen.toml", ws / "docgen.toml")
    shutil.copy(ROOT / "distribution.yaml", ws / "distribution.yaml")
    (ws / "inbox").mkdir()
    (ws / "outbox").mkdir()
    return ws


def example(name: str) -> dict:
    return yaml.safe_load(example_path(name).read_text(encoding="utf-8"))


def write_inputs(folder: Path, n: int, prefix: str) -> list[Path]:
    base = example("uppdragshandling")
    base["datum"] = str(base["datum"])
    base["beslutsdatum"] = str(base["beslutsdatum"])
    paths = []
    for i in range(n):
        base["rubrik"] = f"{prefix} {i + 1}"
        p = folder / f"{prefix}-{i:05d}.yaml"
        p.write_text(yaml.safe_dump(base, allow_unicode=True, sort_keys=False), encoding="utf-8")
        paths.append(p)
    return paths


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- stages ------------------------------------------------------------------------------------------

def bench_docx(tmp: Path, reps: int) -> list[Path]:
    from docxtpl import DocxTemplate

    from docgen.load import load_input
    from docgen.steps.render import Renderer
    from docgen.richtext import RichTextWriter
    from docgen.checks import validate

    ws = workspace(tmp)
    cfg = load_config(ws)
    from docgen.plugins import Plugins
    plugins = Plugins(cfg)
    src = ws / "u.yaml"
    src.write_text(example_path("uppdragshandling").read_text(encoding="utf-8"), encoding="utf-8")
    doc = validate(load_input(src, cfg.limits), plugins, cfg)
    renderer = Renderer(cfg, plugins)
    from docgen.recipients import expand
    dist = expand(doc)  # the same document the end-to-end runs make
    template = renderer.template_path(doc.type, doc.data)
    ctx = renderer.context(doc, "RS 2026-00001", dist, {"bilagor": []})

    # the raw path: plain docxtpl and a plain Jinja environment with the same filters (no caching)
    from jinja2 import Environment
    plain_env = Environment(autoescape=True)
    plain_env.filters.update(renderer.env.filters)
    raw, ours = [], []
    files = []
    for i in range(reps):
        t = time.perf_counter()
        tpl = DocxTemplate(str(template))
        c = dict(ctx, _richtext=RichTextWriter(tpl))
        tpl.render(c, jinja_env=plain_env, autoescape=True)
        buf = io.BytesIO()
        tpl.save(buf)
        raw.append(time.perf_counter() - t)
        t = time.perf_counter()
        rendered = renderer.render(doc, dist, {"bilagor": []}).with_number("RS 2026-00001")  # as the pipeline does
        ours.append(time.perf_counter() - t)
        if i < 20:
            p = tmp / f"docx-{i}.docx"
            p.write_bytes(rendered.data)
            files.append(p)
    out("DOCX: raw docxtpl render (ms/doc)", f"{median_ms(raw):.1f}")
    out("DOCX: docgen render stage (ms/doc)", f"{median_ms(ours):.1f}", f"ratio to raw {median_ms(ours) / median_ms(raw):.2f}x")
    return files


def _floor_calls(desktop, tmp: Path):
    """The floor's three UNO calls for one document: load, store as PDF/A, close. Nothing else."""
    uno = import_uno()
    fd = uno.Any("[]com.sun.star.beans.PropertyValue", _props(uno, **PDF_FILTER_DATA))
    load_props = _props(uno, Hidden=True, ReadOnly=True)
    store_props = _props(uno, FilterName="writer_pdf_Export", FilterData=fd)
    target = (tmp / "floor.pdf").as_uri()

    def convert(d: Path) -> None:
        comp = desktop.loadComponentFromURL(d.as_uri(), "_blank", 0, load_props)
        comp.storeToURL(target, store_props)
        comp.close(True)
    return convert


def floor_convert(docs: list[Path], tmp: Path, rounds: int, allocator: str = officemalloc.DEFAULT) -> tuple[float, float]:
    """The floor on an instance of its own started with ``allocator`` ([libreoffice] allokerare): ms per
    document as throughput (elapsed / documents, as end to end is measured) and LibreOffice's CPU ms per document."""
    from stageprofile import proc_cpu
    inst = OfficeInstance(name="floor", allocator=allocator)
    inst.start()
    try:
        convert = _floor_calls(inst.desktop, tmp)
        for d in docs[:3]:  # warm-up, as the other paths have
            convert(d)
        cpu, t = proc_cpu(inst.pid), time.perf_counter()
        for _ in range(rounds):
            for d in docs:
                convert(d)
        elapsed, cpu = time.perf_counter() - t, proc_cpu(inst.pid) - cpu
    finally:
        inst.close()
    count = rounds * len(docs)
    return elapsed * 1000 / count, cpu * 1000 / count


def warm_and_floor(docs: list[Path], tmp: Path, rounds: int) -> tuple[float, float, float]:
    """docgen's warm converter and the floor side by side on one instance (docgen's pool of one, so the floor is
    the same LibreOffice, started the same way): blocks of ``docs`` alternate between the two, ``rounds`` each.
    Returns ms per document (elapsed / documents) for the converter and the floor, and the floor's LibreOffice CPU."""
    from stageprofile import proc_cpu
    pool = OfficePool(1, recycle_after=0)
    pool.start()
    inst = pool.instances[0]
    try:
        convert = pool._on(inst, _floor_calls, inst.desktop, tmp)
        floor_block = lambda: [convert(d) for d in docs]  # noqa: E731 (run on the instance's own thread)
        for d in docs[:3]:
            pool.convert(d, tmp / "warm.pdf")
            pool._on(inst, convert, d)
        warm = floor = floor_cpu = 0.0
        for _ in range(rounds):
            t = time.perf_counter()
            for d in docs:
                pool.convert(d, tmp / "warm.pdf")
            warm += time.perf_counter() - t
            cpu, t = proc_cpu(inst.pid), time.perf_counter()
            pool._on(inst, floor_block)
            floor += time.perf_counter() - t
            floor_cpu += proc_cpu(inst.pid) - cpu
    finally:
        pool.close()
    count = rounds * len(docs)
    return warm * 1000 / count, floor * 1000 / count, floor_cpu * 1000 / count


def bench_pdf(docs: list[Path], tmp: Path, rounds: int, naive_n: int, with_warm: bool = False):
    """The floor and the naive per-file soffice, ms/doc (and the warm converter's, ``with_warm``). The floor and
    the warm converter alternate on one instance started as docgen starts it ([libreoffice] allokerare's
    default); a second floor is LibreOffice with the system's malloc, as Debian starts it; the naive path is
    plain ``soffice --convert-to``."""
    profile = tmp / "naive-profile"
    naive_out = tmp / "naive"
    naive_out.mkdir()
    args = ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
            'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}', "--outdir", str(naive_out)]
    subprocess.run(args + [str(docs[0])], capture_output=True, timeout=120)  # create the profile first
    naive = []
    for d in docs[:naive_n]:
        t = time.perf_counter()
        subprocess.run(args + [str(d)], capture_output=True, timeout=120, check=True)
        naive.append(time.perf_counter() - t)
    warm, floor, floor_cpu = warm_and_floor(docs, tmp, rounds)
    system, system_cpu = floor_convert(docs, tmp, rounds, officemalloc.SYSTEM)
    out("PDF: new soffice per file, naive (ms/doc)", f"{median_ms(naive):.1f}", "plain soffice --convert-to, median")
    out("PDF: docgen warm converter (ms/doc)", f"{warm:.1f}", f"naive/warm {median_ms(naive) / warm:.1f}x")
    out("PDF: floor, direct UNO (ms/doc)", f"{floor:.1f}", f"warm/floor {warm / floor:.2f}x; blocks of "
        f"{len(docs)} alternating with the warm converter's on one instance, {rounds} each; elapsed / documents")
    out("PDF: floor, LibreOffice's CPU (ms/doc)", f"{floor_cpu:.1f}",
        "soffice.bin's utime+stime (all its threads) per conversion, nothing of docgen's around it")
    out("PDF: floor with the system's malloc (ms/doc)", f"{system:.1f}",
        f"LibreOffice as Debian starts it; CPU {system_cpu:.1f} ms/doc; docgen's floor / this {floor / system:.2f}x")
    return (floor, median_ms(naive), warm, system) if with_warm else (floor, median_ms(naive))


def bench_end_to_end(tmp: Path, n: int, workers: int, threads_per_worker: int) -> float:
    """ms per document for ``workers`` warm LibreOffice instances fed by ``threads_per_worker`` threads each."""
    ws = workspace(tmp)
    cfg = load_config(ws)
    paths = write_inputs(ws / "inbox", n + 10, f"E2E-{workers}-{threads_per_worker}")
    with Engine(cfg, workers=workers) as eng:
        eng.pool.start()
        for p in paths[:10]:  # warm-up
            assert eng.process(p).ok
        t = time.perf_counter()
        with ThreadPoolExecutor(workers * threads_per_worker) as ex:
            results = list(ex.map(eng.process, paths[10:]))
        elapsed = time.perf_counter() - t
    bad = [r for r in results if not r.ok]
    assert not bad, bad[0].error
    return elapsed / n * 1000


def interleaved_end_to_end(tmp: Path, n: int, docs: list[Path], workers: int = 2,
                           segments: int = 6) -> tuple[float, float, float]:
    """End to end with 1 worker, with ``workers`` workers, and the floor (docgen's DOCX converted directly over
    UNO on an instance of its own, as ``floor_convert``), measured side by side: ``segments`` rounds, each
    running a segment of every one in turn (the order rotates), so that a machine whose speed drifts between
    minutes (a shared VM) slows all three alike. Returns ms per document (elapsed / documents) of each.
    A segment starts with docgen's pipeline empty: about one document's render time is not overlapped per
    segment (under 1 % at 50 documents a segment)."""
    engines, feeds = {}, {}
    floor_inst = OfficeInstance(name="floor")
    try:
        for w in (1, workers):
            ws = workspace(tmp)
            paths = write_inputs(ws / "inbox", n + 10, f"E2E-{w}")
            eng = engines[w] = Engine(load_config(ws), workers=w)
            eng.pool.start()
            for p in paths[:10]:  # warm-up
                assert eng.process(p).ok
            feeds[w] = paths[10:]
        floor_inst.start()
        convert = _floor_calls(floor_inst.desktop, tmp)
        for d in docs[:3]:
            convert(d)
        per = -(-n // segments)
        spent = {1: 0.0, workers: 0.0, "floor": 0.0}
        runs = [1, workers, "floor"]
        for seg in range(segments):
            chunk = slice(seg * per, min(n, (seg + 1) * per))
            for what in runs[seg % 3:] + runs[:seg % 3]:
                t = time.perf_counter()
                if what == "floor":
                    for i in range(chunk.start, chunk.stop):
                        convert(docs[i % len(docs)])
                else:
                    with ThreadPoolExecutor(what * THREADS_PER_WORKER) as ex:
                        results = list(ex.map(engines[what].process, feeds[what][chunk]))
                    bad = [r for r in results if not r.ok]
                    assert not bad, bad[0].error
                spent[what] += time.perf_counter() - t
    finally:
        for eng in engines.values():
            eng.close()
        floor_inst.close()
    return spent[1] * 1000 / n, spent[workers] * 1000 / n, spent["floor"] * 1000 / n


def bench_memory(tmp: Path, n_small: int, n_large: int) -> None:
    """Peak RSS of a docgen process of its own (one pipelined worker) after n_small and n_large documents."""
    r = subprocess.run([sys.executable, __file__, "--memory-child", str(n_small), str(n_large), str(tmp)],
                       capture_output=True, text=True, check=True)
    small, large = [tuple(map(float, line.split())) for line in r.stdout.strip().splitlines()[-2:]]
    out(f"Memory: peak RSS after {n_small} docs (MB)", f"{small[0]:.0f}", f"current {small[1]:.0f}")
    out(f"Memory: peak RSS after {n_large} docs (MB)", f"{large[0]:.0f}",
        f"current {large[1]:.0f}; growth {100 * (large[0] - small[0]) / small[0]:+.1f}% (target within 10%)")


def memory_child(n_small: int, n_large: int, tmp: Path) -> None:
    ws = workspace(tmp)
    cfg = load_config(ws)
    with Engine(cfg, workers=1) as eng:
        eng.pool.start()
        done, batch = 0, 250
        with ThreadPoolExecutor(THREADS_PER_WORKER) as ex:
            while done < n_large:
                paths = write_inputs(ws / "inbox", batch, f"MEM{done}")
                assert all(r.ok for r in ex.map(eng.process, paths))
                for p in paths:
                    p.unlink()
                shutil.rmtree(ws / "outbox")
                (ws / "outbox").mkdir()
                done += batch
                if done in (n_small, n_large):
                    print(peak_rss_mb(), current_rss_mb(), flush=True)


def bench_numbers(tmp: Path, per_run: int) -> None:
    """Numbers allocated per second (SQLite): every process imports first, then all start at one instant."""
    _numbers(workspace(tmp), per_run, "Numbering")


def bench_sizes(tmp: Path) -> None:
    ws = workspace(tmp)
    cfg = load_config(ws)
    para = ("Arbetet har fortsatt enligt plan under perioden. Gruppen har träffats varje vecka och stämt av "
            "läget med verksamheterna, och inga större avvikelser har rapporterats. ") * 4
    with Engine(cfg, workers=1) as eng:
        eng.pool.start()
        warm = ws / "inbox" / "warm.yaml"
        warm.write_text(example_path("lagesrapport-program").read_text(encoding="utf-8"), encoding="utf-8")
        assert eng.process(warm).ok
        for pages, areas in ((1, 1), (10, 24), (100, 240)):
            data = example("lagesrapport-program")
            data["datum"] = str(data["datum"])
            data["rubrik"] = f"Storlek {pages}"
            data["arbetsomraden"] = [{"namn": f"Område {i + 1}", "summering": para + "\n\n- punkt ett\n- punkt två",
                                      "planering": para} for i in range(areas)]
            p = ws / "inbox" / f"size-{pages}.yaml"
            p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            r = eng.process(p)
            assert r.ok, r.error
            from pypdf import PdfReader
            n = len(PdfReader(r.files["pdf"]).pages)
            out(f"Size: ~{pages} page(s) document, end to end (ms)", f"{sum(r.timings.values()):.0f}",
                f"{n} pages; render {r.timings['render']:.0f} ms, convert {r.timings['convert']:.0f} ms")


def bench_watcher(tmp: Path, drops: int) -> None:
    """Drop-to-PDF latency: from the rename into the inbox to the watcher's log line for that document
    (written after the PDF is in the outbox and the document is registered)."""
    import logging

    from docgen.service import Watcher

    ws = workspace(tmp)
    cfg = load_config(ws)
    finished: dict[str, float] = {}
    arrived = threading.Condition()

    class Catch(logging.Handler):
        def emit(self, record):
            doc = getattr(record, "doc", None)
            if doc and "input" in doc:
                with arrived:
                    finished[doc["input"]] = time.perf_counter()
                    arrived.notify_all()

    logger = logging.getLogger("docgen")
    logger.addHandler(Catch())
    logger.setLevel(logging.INFO)
    watcher = Watcher(cfg, workers=2)
    th = threading.Thread(target=watcher.run, daemon=True)
    th.start()
    time.sleep(3)
    src = write_inputs(ws, drops + 3, "WATCH")
    time.sleep(1.2)  # the files are older than the stability window, as a finished file is
    latencies = []
    try:
        for i, p in enumerate(src):
            t = time.perf_counter()
            os.rename(p, ws / "inbox" / p.name)
            with arrived:
                arrived.wait_for(lambda: p.name in finished, timeout=60)
            if i >= 3:
                latencies.append(finished[p.name] - t)
            time.sleep(0.2)
    finally:
        watcher.stop()
        th.join(60)
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * len(latencies))) - 1)]
    out("Watcher: drop-to-PDF latency p50 (ms)", f"{median_ms(latencies):.0f}", f"{drops} drops, 2 warm workers")
    out("Watcher: drop-to-PDF latency p95 (ms)", f"{p95 * 1000:.0f}", "target <= 500 ms")


# -- PostgreSQL: the job queue and the diarium on one server ----------------------------------------------

def pg_workspace(tmp: Path, url: str) -> Path:
    from tests.conftest import set_setting

    ws = workspace(tmp)
    set_setting(ws, "sokvagar", "register", url)
    return ws


def bench_postgres(tmp: Path, n: int) -> None:
    """documents/s for 1, 2 and 3 worker processes (one slot each) against PostgreSQL, statements and round
    trips per document (pg_stat_statements), and the allocation rate."""
    sys.path.insert(0, str(ROOT))
    try:
        from tests.pgserver import PgServer
        from tests.pgserver import COUNTING
        server = PgServer(COUNTING)
    except BaseException as exc:  # PostgreSQL not installed (pytest's skip) or cannot start
        out("PostgreSQL rows", "skipped", f"{type(exc).__name__}: {exc}")
        return
    try:
        for procs in (1, 2, 3):
            _pg_throughput(tmp, server, n, procs)
        url = server.create_database()
        ws = pg_workspace(tmp, url)
        _numbers(ws, 800, "PostgreSQL numbering", (1, 8))
    finally:
        server.close()


def _pg_throughput(tmp: Path, server, n: int, procs: int) -> None:
    from docgen.queue.submit import Submitter, wait_for
    from docgen.store import Store

    url = server.create_database()
    ws = pg_workspace(tmp, url)
    cfg = load_config(ws)
    store = Store(cfg.registry_url)
    paths = write_inputs(ws / "inbox", n, f"PG{procs}")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    logs = [open(tmp / f"pg-worker-{procs}-{i}.log", "w") for i in range(procs)]
    workers = []
    try:
        # all inputs queued first (the submitter does not compete with the workers for the cores), then the
        # workers start; the rate is over the span from the first job started to the last one finished
        from tests.pgcost import Cost

        cost = Cost(store)
        cost.start()
        with Submitter(cfg, store) as sub:
            t = time.perf_counter()
            results = [sub.submit(p) for p in paths]
            submit_s = time.perf_counter() - t
        assert all(r["status"] == "koad" for r in results), results[0]
        workers = [subprocess.Popen([sys.executable, "-m", "docgen.cli", "-w", str(ws), "worker", "--concurrency", "1",
                                     "--poll", "1"], stdout=logs[i], stderr=subprocess.STDOUT, env=env)
                   for i in range(procs)]
        ids = [r["inlamning"] for r in results]
        finals = wait_for(store, ids, timeout=1800, every=1.0)
        bad = [f for f in finals.values() if f["status"] != "klar"]
        assert not bad, bad[0]
        jobs = ",".join(str(r["jobb"]) for r in results)
        span = store.query(
            "/* pgcost */ SELECT EXTRACT(EPOCH FROM MAX(at) FILTER (WHERE type = 'succeeded') - MIN(at) FILTER (WHERE "
            f"type = 'started')) AS s FROM procrastinate_events WHERE job_id IN ({jobs})")[0]["s"]
        rate = n / float(span)
        cost.stop()
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(60)
            except subprocess.TimeoutExpired:
                w.kill()
        for f in logs:
            f.close()
        store.close()
    out(f"PostgreSQL: {procs} worker process(es), documents/s ({n} docs)", f"{rate:.1f}",
        f"1 slot (1 LibreOffice) each; {os.cpu_count()} cores shared by workers, PostgreSQL and the submitter")
    if procs == 1:
        per = cost.per(n)
        out("PostgreSQL: statements per document", f"{per['statements']:.1f}",
            f"pg_stat_statements (tests/pgcost.py), {n} docs, submit + worker + queue, heartbeats apart; of these the "
            f"queue (procrastinate) {per['queue']:.1f}, BEGIN/COMMIT {per['begin_commit']:.1f}, txid_current "
            f"{per['txid_current']:.1f}; submit {submit_s / n * 1000:.0f} ms/doc")
        out("PostgreSQL: commits per document", f"{per['commits']:.1f}",
            "write transactions (transaction ids taken), each a commit the server makes durable; the worker's "
            "startup counted (spread over the documents), its heartbeats not")
        if os.environ.get("DOCGEN_BENCH_STATEMENTS"):  # every statement and its calls per document, for tuning
            print("\n".join(cost.listing(n)))


def _numbers(ws: Path, per_run: int, label: str, counts=(1, 8)) -> None:
    """Numbers allocated per second in the workspace's diarium, by 1 and 8 processes started at one instant."""
    cfg = load_config(ws)
    from docgen.store import Store
    Store(cfg.registry_url).close()
    code = ("import sys, time; sys.path.insert(0, %r); from docgen.config import load_config; "
            "from docgen.store import Store; from docgen.steps.number import allocate_number; "
            "cfg = load_config(sys.argv[1]); reg = Store(cfg.registry_url); start = float(sys.argv[3]); "
            "time.sleep(max(0, start - time.time())); "
            "[allocate_number(reg, cfg, 'RS', 'bench', 2099) for _ in range(int(sys.argv[2]))]; print(time.time())"
            % str(ROOT))
    for procs in counts:
        start = time.time() + 3.0
        ps = [subprocess.Popen([sys.executable, "-c", code, str(ws), str(per_run // procs), repr(start)],
                               stdout=subprocess.PIPE, text=True) for _ in range(procs)]
        ends = [float(p.communicate()[0].strip()) for p in ps]
        assert all(p.returncode == 0 for p in ps)
        rate = per_run / (max(ends) - start)
        out(f"{label}: {procs} process(es), numbers/s", f"{rate:.0f}", f"{per_run} numbers, one transaction each")


def bench_profile(tmp: Path, n: int) -> list[str]:
    """The per-stage profile (bench/stageprofile.py): 1 worker with 1 and with docgen's threads, 2 workers."""
    from stageprofile import profile

    def engine(workers: int) -> Engine:
        return Engine(load_config(ws), workers=workers)

    lines = []
    for workers, threads in ((1, 1), (1, THREADS_PER_WORKER), (2, THREADS_PER_WORKER)):
        ws = workspace(tmp)
        paths = write_inputs(ws / "inbox", n + 10, f"PROF-{workers}-{threads}")
        label = f"{workers} worker(s) ({workers} LibreOffice), {workers * threads} thread(s)"
        part = profile(engine, paths, workers, threads, label).lines()
        print("\n" + "\n".join(part), flush=True)
        lines += part
    return lines


def lo_version() -> str:
    r = subprocess.run(["soffice", "--version"], capture_output=True, text=True)
    return r.stdout.strip() or "unknown"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=500, help="documents for the end-to-end runs (default 500)")
    ap.add_argument("--memory-docs", type=int, default=5000, help="documents for the memory run (default 5000; 0 skips)")
    ap.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    ap.add_argument("--pg-docs", type=int, default=300, help="documents per PostgreSQL worker run (default 300)")
    ap.add_argument("--postgres-only", action="store_true",
                    help="only the PostgreSQL rows (the other rows of bench/RESULTS.md are kept)")
    ap.add_argument("--documents", type=int, default=300,
                    help="documents per run of the per-stage profile (default 300; small for a quick look)")
    ap.add_argument("--profile-only", action="store_true",
                    help="only the per-stage profile, added to bench/RESULTS.md as a dated section")
    ap.add_argument("--ratios-only", action="store_true",
                    help="only the PDF stage and end to end with 1 and 2 workers: the goals' ratios, as a dated section")
    ap.add_argument("--workers", type=int, default=2,
                    help="with --ratios-only: the workers compared with one (default 2; a larger machine: its cores)")
    ap.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.memory_child:
        memory_child(int(a.memory_child[0]), int(a.memory_child[1]), Path(a.memory_child[2]))
        return 0
    if a.quick:
        a.docs, a.memory_docs, a.pg_docs, a.documents = 40, 500, 40, 40
    tmp = Path(tempfile.mkdtemp(prefix="docgen-bench-"))
    started = time.time()
    print(f"docgen benchmark, {date.today()}, {os.cpu_count()} cores, {lo_version()}\n")
    try:
        if a.postgres_only:
            bench_postgres(tmp, a.pg_docs)
            return _write_results(a, merge=True)
        if a.profile_only:
            return _write_profile(a, bench_profile(tmp, a.documents))
        if a.ratios_only:
            return _write_section(a, "Ratios", f"`bench.py --ratios-only --docs {a.docs} --workers {a.workers}`",
                                  bench_ratios(tmp, a.docs, a.workers))
        docs = bench_docx(tmp, 60)
        floor, naive = bench_pdf(docs, tmp, rounds=max(3, a.docs // len(docs)), naive_n=5)
        seq1 = bench_end_to_end(tmp, a.docs, 1, 1)
        out(f"End to end, 1 worker sequential (ms/doc, {a.docs} docs)", f"{seq1:.1f}",
            f"1 thread, 1 LibreOffice; vs floor {seq1 / floor:.2f}x")
        one = bench_end_to_end(tmp, a.docs, 1, THREADS_PER_WORKER)
        out(f"End to end, 1 worker (ms/doc, {a.docs} docs)", f"{one:.1f}",
            f"docgen's worker: {THREADS_PER_WORKER} threads, 1 LibreOffice; vs floor {one / floor:.2f}x (target <= {GOAL_E2E}x); "
            f"naive/e2e {naive / one:.1f}x (target >= {GOAL_NAIVE:g}x)")
        two = bench_end_to_end(tmp, a.docs, 2, THREADS_PER_WORKER)
        out(f"End to end, 2 workers (ms/doc, {a.docs} docs)", f"{two:.1f}",
            f"throughput {one / two:.2f}x of 1 worker (target >= {GOAL_TWO}x)")
        seq2 = bench_end_to_end(tmp, a.docs, 2, 1)
        out(f"End to end, 2 workers sequential (ms/doc, {a.docs} docs)", f"{seq2:.1f}",
            f"throughput {seq1 / seq2:.2f}x of 1 sequential worker")
        profile = bench_profile(tmp, a.documents)
        bench_watcher(tmp, 40 if not a.quick else 10)
        bench_numbers(tmp, 800)
        bench_sizes(tmp)
        if a.memory_docs:
            bench_memory(tmp, 500 if a.memory_docs >= 5000 else 250, a.memory_docs)
        bench_postgres(tmp, a.pg_docs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"\n(total {time.time() - started:.0f} s)")
    _write_results(a)
    return _write_profile(a, profile)


#: Issue 26's goals: end to end (1 worker) / floor, warm converter / floor, naive / end to end, 2 workers / 1.
GOAL_E2E, GOAL_WARM, GOAL_NAIVE, GOAL_TWO = 1.15, 1.05, 12, 1.6


def bench_ratios(tmp: Path, n: int, workers: int = 2) -> list[str]:
    """The PDF stage and end to end with 1 and ``workers`` workers (2 unless ``--workers N``), side by side, as
    the goals' four ratios (a table)."""
    docs = bench_docx(tmp, 20)
    floor_pdf, naive, warm, system = bench_pdf(docs, tmp, rounds=max(3, n // len(docs)), naive_n=5, with_warm=True)
    # the goals' ratios from one side-by-side run: end to end with 1 and N workers and the floor, interleaved
    one, two, floor = interleaved_end_to_end(tmp, n, docs, workers)
    out(f"End to end side by side: 1 worker, {workers} workers, floor (ms/doc)", f"{one:.1f} / {two:.1f} / {floor:.1f}",
        "6 segments each, in rotating order")
    rows_ = [("floor: direct UNO, ms/doc", f"{floor:.1f}",
              f"LibreOffice as docgen runs it (jemalloc), beside end to end; {floor_pdf:.1f} beside the warm converter"),
             ("floor with the system's malloc, ms/doc", f"{system:.1f}", "LibreOffice as Debian starts it"),
             ("warm converter, ms/doc", f"{warm:.1f}", ""),
             ("naive soffice per file, ms/doc", f"{naive:.1f}", ""),
             (f"end to end, 1 worker ({THREADS_PER_WORKER} threads), ms/doc", f"{one:.1f}", ""),
             (f"end to end, {workers} workers, ms/doc", f"{two:.1f}", f"{os.cpu_count()} cores"),
             ("end to end 1 worker / floor", f"{one / floor:.2f}x", f"goal <= {GOAL_E2E}x"),
             ("warm converter / floor", f"{warm / floor_pdf:.2f}x", f"goal <= {GOAL_WARM}x"),
             ("naive / end to end", f"{naive / one:.1f}x", f"goal >= {GOAL_NAIVE}x"),
             (f"{workers} workers / 1 worker, throughput", f"{one / two:.2f}x",
              f"goal >= {GOAL_TWO}x" if workers == 2 else f"{one / two / workers:.0%} of linear"),
             ("end to end 1 worker / floor with the system's malloc", f"{one / system:.2f}x", "")]
    for name, value, note in rows_:
        print(f"{name:<45} {value:>10}  {note}", flush=True)
    return ["| measure | value | goal |", "|---|---:|---|"] + [f"| {n_} | {v} | {g} |" for n_, v, g in rows_]


def _commit() -> str:
    r = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    return (r.stdout.strip()[:90] or "unknown commit") + (" (with uncommitted changes)" if subprocess.run(
        ["git", "-C", str(ROOT), "diff", "--quiet", "HEAD", "--", "docgen", "plugins"]).returncode else "")


def _write_section(a, title: str, how: str, lines: list[str]) -> int:
    """A dated section at the end of bench/RESULTS.md (older sections are kept), naming the commit measured."""
    if a.no_write:
        return 0
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" if path.exists() else "# docgen benchmark results\n\n"
    head = [f"## {title}, {date.today()}", "", f"{platform.node()}: {os.cpu_count()} cores, {lo_version()}, Python "
            f"{platform.python_version()}; {how}; commit {_commit()}; load average before the run "
            f"{os.getloadavg()[0]:.2f}.", ""]
    path.write_text(text + "\n".join(head + lines) + "\n", encoding="utf-8")
    return 0


def _write_profile(a, lines: list[str]) -> int:
    """The profile as a new dated section at the end of bench/RESULTS.md (older sections are kept)."""
    if a.no_write:
        return 0
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" if path.exists() else "# docgen benchmark results\n\n"
    head = [f"## Per-stage profile, {date.today()}", "",
            f"{platform.node()}: {os.cpu_count()} cores, {lo_version()}, Python {platform.python_version()}; "
            f"`bench.py {'--profile-only ' if a.profile_only else ''}--documents {a.documents}` "
            f"(bench/stageprofile.py; means per document, after 10 warm-up documents).", ""]
    path.write_text(text + "\n".join(head + lines) + "\n", encoding="utf-8")
    return 0


def _write_results(a, merge: bool = False) -> int:
    """bench/RESULTS.md; with ``merge`` (--postgres-only) the other rows of the file are kept."""
    if a.no_write:
        return 0
    path = ROOT / "bench" / "RESULTS.md"
    table = [(n, v, note) for n, v, note in rows]
    head = [f"# docgen benchmark results\n", f"Run {date.today()} on {platform.node()}: {os.cpu_count()} cores, "
            f"{lo_version()}, Python {platform.python_version()}. `make bench` "
            f"(--docs {a.docs} --memory-docs {a.memory_docs} --pg-docs {a.pg_docs}).\n"]
    if merge and path.exists():
        text = path.read_text(encoding="utf-8").split("\n## ")[0]  # the main table, not the dated sections
        old = [tuple(c.strip() for c in line.strip().strip("|").split("|"))
               for line in text.splitlines() if line.startswith("| ") and not line.startswith("| measure")]
        mine = {n for n, _, _ in table}
        table = [r for r in old if len(r) == 3 and not r[0].startswith("PostgreSQL") and r[0] not in mine] + table
        run_line = next((line for line in text.splitlines() if line.startswith("Run ")), "").split(" PostgreSQL rows:")[0]
        head = [head[0], f"{run_line} PostgreSQL rows: {date.today()}, `bench.py --postgres-only --pg-docs {a.pg_docs}`.\n"]
    lines = head + ["| measure | value | note |", "|---|---:|---|"]
    lines += [f"| {n} | {v} | {note} |" for n, v, note in table]
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    sections = old[old.index("\n## ") + 1:] if "\n## " in old else ""  # the dated sections (profiles) are kept
    path.write_text("\n".join(lines) + "\n" + ("\n" + sections if sections else ""), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
