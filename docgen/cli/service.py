"""Commands of the service: watch (the inbox watcher), status, send."""
from __future__ import annotations

import json
import sys
import unicodedata

import click

from ..model import DeliveryStatus
from .group import Context, cli


@cli.command()
@click.option("--polling/--inotify", default=None, help="Polling observer (network shares) or inotify; default from docgen.toml.")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker threads (default: [bevakning] arbetare or the number of cores).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log lines for people (text) or machines (json, one object per line).")
@click.option("--submit-only", is_flag=True,
              help="PostgreSQL diarium: only claim and submit inputs to the job queue (an ingest node); no worker "
                   "is started beside the watcher.")
@click.pass_obj
def watch(obj: Context, polling, workers, log_format, submit_only):
    """Watch the inbox and process every input that arrives (the main service)."""
    import signal

    from ..service import Watcher
    from ..service.reports import log_to_stdout

    log_to_stdout(as_json=log_format == "json")
    watcher = Watcher(obj.config, workers=workers, polling=polling, submit_only=submit_only)
    signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
    signal.signal(signal.SIGINT, lambda *_: watcher.stop())
    sys.exit(watcher.run())


def _one_line(text: str) -> str:
    """A name as one printable line: control characters (a newline in a file name) written as escapes."""
    return "".join(repr(c)[1:-1] if unicodedata.category(c) == "Cc" else c for c in text)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object (on one line).")
@click.pass_obj
def status(obj: Context, as_json):
    """What waits in the inbox, what is in progress, what failed."""
    from ..service import status as inbox_status

    from ..queue import format_status, queue_status

    st = inbox_status(obj.config, obj.store)
    st["queue"] = queue_status(obj.store)
    if as_json:
        click.echo(json.dumps(st, ensure_ascii=False))
        return
    click.echo(f"Väntar / waiting:        {len(st['waiting'])}")
    for name in st["waiting"]:
        click.echo(f"  {_one_line(name)}")
    click.echo(f"Pågår / in progress:     {len(st['in_progress'])}")
    for item in st["in_progress"]:
        state = "" if item["alive"] else "  (process stopped: taken over at next start)"
        click.echo(f"  {_one_line(item['file'])}  [{item['owner']}]{state}")
    click.echo(f"Fel / failed:            {len(st['failed'])}")
    for item in st["failed"]:
        click.echo(f"  {_one_line(item['file'])}: {_one_line(item['summary'])}\n    {_one_line(item['report'])}")
    click.echo(f"Behandlade / processed:  {st['processed']}")
    click.echo(f"Reserverade nummer / reserved numbers: {len(st['reserved'])}")
    for r in st["reserved"]:
        state = "" if r["alive"] else "  (process stopped: taken over by the next watcher, or voided)"
        click.echo(f"  {r['diarienummer']}-{r['lopnummer']:02d} {r['rubrik']}  [{r['owner']}]{state}")
    click.echo(f"Processer / processes:   {len(st['processes'])}")
    for p in st["processes"]:
        state = "" if p["alive"] else "  (no heartbeat: stopped)"
        click.echo(f"  {p['role']:<9} {p['owner']}  puls för {p['heartbeat_age_s']} s sedan / heartbeat {p['heartbeat_age_s']} s ago{state}")
    click.echo(format_status(st["queue"]))


@cli.command()
@click.option("--dnr", "diarienummer", help="Only this case's deliveries.")
@click.option("--again", "again", type=int, multiple=True, metavar="ID",
              help="Make an uncertain delivery (oklar: its sender stopped mid-send) sendable again, after checking "
                   "with the recipient that it did not arrive; repeatable.")
@click.pass_obj
def send(obj: Context, diarienummer, again):
    """Send every delivery not yet sent (needs [smtp] server); each message goes out once, even with several senders."""
    from ..liveness import Heartbeat
    from ..steps.send import send_unsent
    from ..store import deliveries

    if not obj.config.settings.smtp.server:
        raise click.UsageError("ingen SMTP-server är inställd ([smtp] server i docgen.toml); meddelandena stannar som .eml-filer\n"
                               "no SMTP server configured ([smtp] server in docgen.toml); messages stay as .eml files")
    reg = obj.store
    for delivery_id in again:
        with reg.tx() as conn:
            if not deliveries.send_again(conn, delivery_id):
                status = deliveries.status_of(conn, delivery_id)
                if status is None:
                    raise click.UsageError(f"det finns inget utskick {delivery_id}; id står i `docgen registry show DNR` "
                                           f"(utskick ID status …)\nthere is no delivery {delivery_id}; the id is in "
                                           "`docgen registry show DNR` (utskick ID status …)")
                raise click.UsageError(f"utskick {delivery_id} är {status}, inte oklart: bara ett oklart utskick skickas igen\n"
                                       f"delivery {delivery_id} is {status}, not uncertain (oklar): only an uncertain "
                                       "delivery is sent again")
    with Heartbeat(reg, "send"):  # the deliveries this process claims are its own while it beats
        outcomes = send_unsent(reg, obj.config, diarienummer=diarienummer)
    for o in outcomes:
        click.echo(f"{o['status']:<11} {o['namn']} <{o['epost']}>: {o['resultat']}")
    click.echo(f"{sum(o['status'] == 'skickad' for o in outcomes)} skickade, {sum(o['status'] != 'skickad' for o in outcomes)} misslyckade")
    sys.exit(1 if any(o["status"] != DeliveryStatus.SENT for o in outcomes) else 0)
