"""Commands of the job queue (PostgreSQL diarium): submit (queue inputs), worker (run jobs on this node)."""
from __future__ import annotations

import json
import sys

import click

from .group import Context, cli

CRON_HELP = "procrastinate cron syntax, 5 fields or 6 with seconds first"


def _queue_or_exit(store) -> None:
    from ..queue import QueueUnavailable, require_postgres

    try:
        require_postgres(store)
    except QueueUnavailable as exc:
        click.echo(f"docgen: {exc}", err=True)
        sys.exit(2)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input (kalla, status, inlamning, jobb, fel, problem).")
@click.option("--wait", is_flag=True, help="Wait until every queued input is produced (or failed) and print its outcome.")
@click.option("--timeout", type=click.FloatRange(0), default=None,
              help="With --wait: give up waiting after this many seconds (the jobs go on).")
@click.pass_obj
def submit(obj: Context, files, as_json, wait, timeout):
    """Check inputs and queue them for the workers (PostgreSQL diarium): prints one line per input, its job id.

    A refused input is reported at once (as by `docgen validate`) and not queued. Exit code 1 if any input
    was refused or (with --wait) failed."""
    from ..queue.submit import Submitter, wait_for
    from ..store import Store

    store = Store(obj.config.registry_url)
    try:
        _queue_or_exit(store)
        with Submitter(obj.config, store) as sub:
            results = [sub.submit(f) for f in files]
        bad = any(r["status"] != "koad" for r in results)
        if wait:
            finals = wait_for(store, [r["inlamning"] for r in results if r["status"] == "koad"], timeout=timeout)
            for r in results:
                f = finals.get(r["inlamning"])
                if f is not None:
                    o = f["resultat"]
                    r.update(status=f["status"], diarienummer=o.get("diarienummer"), lopnummer=o.get("lopnummer"),
                             filer=o.get("files") or {}, fel=o.get("error") or r["fel"])
                    bad = bad or f["status"] != "klar"
        for r in results:
            if as_json:
                click.echo(json.dumps(r, ensure_ascii=False))
            elif r["status"] == "nekad" or r["status"] == "fel":
                click.echo(r["fel"] if (r["fel"] or "").startswith(r["kalla"]) else f"{r['kalla']}: {r['fel']}")
            elif r.get("diarienummer"):
                click.echo(f"{r['jobb']}  {r['kalla']}: {r['diarienummer']}-{r['lopnummer']:02d}")
            elif r["status"] == "klar":
                click.echo(f"{r['jobb']}  {r['kalla']}: klar / done")
            else:
                click.echo(f"{r['jobb']}  {r['kalla']}" + ("" if r["status"] == "koad" else f" ({r['status']})"))
    finally:
        store.close()
    sys.exit(1 if bad else 0)


def _no_traceback(record) -> bool:
    """The queue library's log lines without tracebacks (a database away is expected: the worker starts again)."""
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        record.msg = f"{record.getMessage()} ({type(exc).__name__}: {str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ''})"
        record.args = None
    record.exc_info, record.exc_text = None, None
    return True


@cli.command()
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Jobs at a time on this node; each slot has its own warm LibreOffice.")
@click.option("--heartbeat", "beat", type=click.FloatRange(0.2), default=10.0, show_default=True,
              help="Seconds between the worker's heartbeats in the queue.")
@click.option("--stalled-after", type=click.FloatRange(1), default=30.0, show_default=True,
              help="Seconds without a heartbeat after which a worker counts as dead and its jobs are queued again.")
@click.option("--poll", type=click.FloatRange(0.1), default=5.0, show_default=True,
              help="Seconds between looks at the queue when no notification arrives.")
@click.option("--send-cron", default="* * * * *", show_default=True,
              help=f"When pending deliveries are sent ({CRON_HELP}).")
@click.option("--fixity-cron", default="17 2 * * *", show_default=True,
              help=f"When the fixity check of the outbox runs ({CRON_HELP}).")
@click.option("--forget-after", type=click.FloatRange(0), default=7 * 24 * 3600.0, show_default=True,
              help="Seconds a dead node stays listed by `docgen status` (with its lost attempts, takeovers and "
                   "failures) before it is forgotten.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log lines for people (text) or machines (json, one object per line).")
@click.pass_obj
def worker(obj: Context, concurrency, beat, stalled_after, poll, send_cron, fixity_cron, forget_after, log_format):
    """Run the queue's jobs on this node (PostgreSQL diarium) until stopped; any number of nodes may run one."""
    import logging

    from ..queue.worker import run
    from ..service import LogFormatter
    from ..store import Store

    store = Store(obj.config.registry_url)
    try:
        _queue_or_exit(store)
    finally:
        store.close()
    if beat >= stalled_after:
        raise click.UsageError("--heartbeat must be shorter than --stalled-after")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(LogFormatter(as_json=log_format == "json"))
    root = logging.getLogger("docgen")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
    quiet = logging.StreamHandler(sys.stdout)  # the queue library's warnings, one line each, no tracebacks
    quiet.setFormatter(LogFormatter(as_json=log_format == "json"))
    quiet.addFilter(_no_traceback)
    for name in ("procrastinate", "psycopg.pool"):
        lib = logging.getLogger(name)
        lib.handlers[:] = [quiet]
        lib.setLevel(logging.WARNING)
        lib.propagate = False
    sys.exit(run(obj.config, concurrency, beat=beat, stalled_after=stalled_after, send_cron=send_cron,
                 fixity_cron=fixity_cron, polling=poll, forget_after=forget_after))
