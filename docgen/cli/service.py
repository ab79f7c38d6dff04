"""Commands of the service: watch (the inbox watcher), status, send."""
from __future__ import annotations

import json
import sys

import click

from ..model import DeliveryStatus
from . import Context, cli


@cli.command()
@click.option("--polling/--inotify", default=None, help="Polling observer (network shares) or inotify; default from docgen.toml.")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker threads (default: [bevakning] arbetare or the number of cores).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log lines for people (text) or machines (json, one object per line).")
@click.pass_obj
def watch(obj: Context, polling, workers, log_format):
    """Watch the inbox and process every input that arrives (the main service)."""
    import logging
    import signal

    from ..service import LogFormatter, Watcher

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(LogFormatter(as_json=log_format == "json"))
    root = logging.getLogger("docgen")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
    watcher = Watcher(obj.config, workers=workers, polling=polling)
    signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
    signal.signal(signal.SIGINT, lambda *_: watcher.stop())
    sys.exit(watcher.run())


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object (on one line).")
@click.pass_obj
def status(obj: Context, as_json):
    """What waits in the inbox, what is in progress, what failed."""
    from ..service import status as inbox_status

    st = inbox_status(obj.config)
    if as_json:
        click.echo(json.dumps(st, ensure_ascii=False))
        return
    click.echo(f"Väntar / waiting:        {len(st['waiting'])}")
    for name in st["waiting"]:
        click.echo(f"  {name}")
    click.echo(f"Pågår / in progress:     {len(st['in_progress'])}")
    for item in st["in_progress"]:
        state = "" if item["alive"] else "  (process stopped: taken over at next start)"
        click.echo(f"  {item['file']}  [{item['owner']}]{state}")
    click.echo(f"Fel / failed:            {len(st['failed'])}")
    for item in st["failed"]:
        click.echo(f"  {item['file']}: {item['summary']}\n    {item['report']}")
    click.echo(f"Behandlade / processed:  {st['processed']}")


@cli.command()
@click.option("--dnr", "diarienummer", help="Only this case's deliveries.")
@click.pass_obj
def send(obj: Context, diarienummer):
    """Send every delivery not yet sent (needs [smtp] server); what was sent is never sent again."""
    from ..steps.send import send_unsent
    from ..store import Store

    if not obj.config.section("smtp").get("server"):
        raise click.UsageError("no SMTP server configured ([smtp] server in docgen.toml); messages stay as .eml files")
    reg = Store(obj.config.registry_url)
    outcomes = send_unsent(reg, obj.config, diarienummer=diarienummer)
    for o in outcomes:
        click.echo(f"{o['status']:<11} {o['namn']} <{o['epost']}>: {o['resultat']}")
    click.echo(f"{sum(o['status'] == 'skickad' for o in outcomes)} skickade, {sum(o['status'] != 'skickad' for o in outcomes)} misslyckade")
    sys.exit(1 if any(o["status"] != DeliveryStatus.SENT for o in outcomes) else 0)
