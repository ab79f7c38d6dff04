"""The commands of the digital decision: ``docgen att-besluta list`` (what waits for whom, and what was decided)
and ``docgen att-besluta vidare`` (a decided document back into the inbox)."""
from __future__ import annotations

import json

import click

from .group import Context, cli


@cli.group("att-besluta")
def beslut_group():
    """Documents decided in docgen: what waits for its beslutsfattare."""


@beslut_group.command("list")
@click.option("--alla", "--all", "every", is_flag=True, help="Also those decided (fattat) and sent back (återvisat).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document.")
@click.pass_obj
def beslut_list(obj: Context, every, as_json):
    """List the documents waiting for a decision (oldest first), with who submitted them and who may decide."""
    from ..store import decisions

    with obj.store.read() as conn:
        rows = decisions.every(conn) if every else decisions.waiting(conn)
    keys = ("id", "status", "dokumenttyp", "rubrik", "inskickad_av", "inskickad", "beslutsfattare", "beslutad_av",
            "beslutad", "autentisering", "kommentar", "diarienummer", "lopnummer")
    for r in rows:
        if as_json:
            click.echo(json.dumps({k: r[k] for k in keys}, ensure_ascii=False))
            continue
        click.echo(f"{r['id']:>5}  {r['status']:<10} {r['dokumenttyp']:<16} {r['rubrik']}")
        click.echo(f"{'':<7}inskickad av / submitted by {r['inskickad_av']} {r['inskickad']}; beslutsfattare: "
                   + ", ".join(r["beslutsfattare"]))
        if r["beslutad_av"]:
            click.echo(f"{'':<7}{r['status']} av / by {r['beslutad_av']} {r['beslutad']} ({r['autentisering']})"
                       + (f" → {r['diarienummer']} handling {r['lopnummer']}" if r["diarienummer"] else "")
                       + (f": {r['kommentar']}" if r["kommentar"] else ""))
    if not as_json:
        click.echo(f"{len(rows)} dokument / documents")


@beslut_group.command("vidare")
@click.argument("beslut_id", metavar="ID", type=int)
@click.pass_obj
def beslut_vidare(obj: Context, beslut_id):
    """Put a decided (fattat) document that has no number yet back into the inbox: for one whose decision was
    recorded but whose input never reached the inbox (the process stopped in between; the watcher does this itself
    after a minute). Look first that it is not in the inbox or on its way (`docgen status`): a second copy is
    refused as a duplicate."""
    from .. import decisions

    p = decisions.get(obj.store, beslut_id)
    if p is None or p.status != decisions.DECIDED or p.diarienummer:
        state = "finns inte / does not exist" if p is None else (
            f"har diarienummer {p.diarienummer} / is registered" if p.diarienummer else f"är {p.status} / is {p.status}")
        raise click.UsageError(f"beslut {beslut_id} {state}; bara ett fattat beslut utan diarienummer skickas vidare / "
                               "only a decided document without a number is handed on")
    name = decisions.hand_on(obj.config, obj.store, p)
    click.echo(f"{name} ligger i inkorgen / is in the inbox")
