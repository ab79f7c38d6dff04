"""Commands of the registrar: registry list and show, regenerate, verify, archive."""
from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from ..model import DocStatus
from ..docrow import from_registry, to_json
from .group import DATE, Context, cli


@cli.group()
def registry():
    """The diarium: search documents, show a case."""


@registry.command("list")
@click.option("--typ", help="Document type.")
@click.option("--serie", help="Series, e.g. RS.")
@click.option("--ar", type=click.IntRange(1900, 2100), help="Year of the diarienummer.")
@click.option("--fran", type=DATE, help="Documents dated on or after YYYY-MM-DD.")
@click.option("--till", type=DATE, help="Documents dated on or before YYYY-MM-DD.")
@click.option("--status", type=click.Choice([DocStatus.REGISTERED.value, DocStatus.VOIDED.value, DocStatus.ARCHIVED.value]),
              help="Only documents with this status.")
@click.option("--text", help="Words in the title.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document (the same keys as render --json).")
@click.pass_obj
def registry_list(obj: Context, typ, serie, ar, fran, till, status, text, as_json):
    """List registered documents (newest first)."""
    from ..registrar.search import list_documents

    rows = list_documents(obj.store, typ=typ, serie=serie, ar=ar, fran=fran, till=till,
                          status=status, text=text)
    if as_json:
        for r in rows:
            click.echo(to_json(from_registry(r)))
        return
    for r in rows:
        click.echo(f"{r['diarienummer']:<16} {r['lopnummer']:>3}  {r['datum']}  {r['dokumenttyp']:<16} {r['status']:<11} "
                   f"v{r['version'] or '-'}  {r['rubrik']}" + ("  [externt]" if r["extern"] else ""))
        click.echo(f"{'':<22}registrerad {r['registrerad'] or '-'}; motpart: {r['motpart'] or '-'}")
    click.echo(f"{len(rows)} handlingar / documents")


@registry.command("show")
@click.argument("diarienummer")
@click.option("--json", "as_json", is_flag=True, help="The case as one JSON object (on one line).")
@click.pass_obj
def registry_show(obj: Context, diarienummer, as_json):
    """Show a case: its documents, every version with checksums, deliveries.

    DIARIENUMMER as written ("RS 2026-00042") or as in folder names (RS-2026-00042)."""
    from ..registrar.search import find_case, format_case

    case = find_case(obj.store, obj.config, diarienummer)
    if case is None:
        raise click.UsageError(f"inget ärende {diarienummer!r} i diariet / no such case in the diarium (`docgen registry list`)")
    click.echo(json.dumps(case, ensure_ascii=False) if as_json else format_case(case))


def _filters(f):
    for opt in reversed([
        click.option("--typ", help="Document type."), click.option("--serie", help="Series, e.g. RS."),
        click.option("--ar", type=click.IntRange(1900, 2100), help="Year of the diarienummer."),
        click.option("--fran", type=DATE, help="Documents dated on or after YYYY-MM-DD."),
        click.option("--till", type=DATE, help="Documents dated on or before YYYY-MM-DD."),
        click.option("--text", help="Words in the title."), click.option("--dnr", help="One case."),
    ]):
        f = opt(f)
    return f


@cli.command()
@_filters
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Documents rendered in parallel, one warm LibreOffice each.")
@click.option("--dry-run", is_flag=True, help="Only say what would be regenerated and why.")
@click.option("--force", is_flag=True, help="Also regenerate documents whose template, plugin and docgen are unchanged.")
@click.pass_obj
def regenerate(obj: Context, typ, serie, ar, fran, till, text, dnr, jobs, dry_run, force):
    """Re-render registered documents from their input snapshots: same number, a new version."""
    from ..pipeline import THREADS_PER_WORKER, Engine  # imported when used: every command starts faster
    from ..registrar.regenerate import plan, regenerate_one, select

    with Engine(obj.config, obj.plugins, workers=jobs) as engine:
        items = plan(engine, select(engine, typ=typ, serie=serie, ar=ar, fran=fran, till=till, text=text, dnr=dnr), force)
        todo = [i for i in items if i.action == "regenerate"]
        if dry_run:
            for i in items:
                click.echo(f"{i.action:<11} {i.label}  {i.row['rubrik']}  — {i.reason}")
            click.echo(f"{len(todo)} skulle regenereras, {len(items) - len(todo)} lämnas som de är\n"
                       f"{len(todo)} would be regenerated, {len(items) - len(todo)} left as they are")
            return
        done = []
        tty = sys.stdout.isatty()
        with ThreadPoolExecutor(max_workers=jobs * THREADS_PER_WORKER) as ex:
            results = ex.map(lambda i: regenerate_one(engine, i), todo)
            if tty:
                with click.progressbar(results, length=len(todo), label="Regenererar", item_show_func=lambda i: i.label if i else "") as bar:
                    done = list(bar)
            else:
                for i in results:
                    done.append(i)
                    state = f"v{i.result.version}" if i.action == "regenerate" else f"FEL: {i.reason}"
                    click.echo(f"[{len(done)}/{len(todo)}] {i.label} {state}")
        failed = [i for i in items if i.action == "failed"]
        click.echo("")
        click.echo(f"Regenererade / regenerated: {sum(i.action == 'regenerate' for i in done)}")
        click.echo(f"Oförändrade / unchanged:    {sum(i.action == 'unchanged' for i in items)}")
        archived = [i for i in items if i.action == "archived"]
        click.echo(f"Arkiverade, orörda / archived, left alone: {len(archived)}")
        for i in archived:
            click.echo(f"  {i.label}: {i.reason}")
        click.echo(f"Misslyckade / failed:       {len(failed)}")
        for i in failed:
            click.echo(f"  {i.label}: {i.reason}")
        sys.exit(1 if failed else 0)


@cli.command()
@click.option("--archive", "archive_dir", type=click.Path(file_okay=False, exists=True),
              help="Also check the archival packages in this folder.")
@click.pass_obj
def verify(obj: Context, archive_dir):
    """Recompute the checksum of every output file (and package file) and compare with the registry; validate
    every sealed PDF's seal (integrity, certificate chain to [sigill] betrodda_rotcertifikat, timestamp)."""
    from ..registrar.verify import verify_archive, verify_outbox

    from ..seal import trust_roots

    reg = obj.store
    problems, checked = verify_outbox(reg, obj.config.outbox, trust_roots(obj.config))
    if archive_dir:
        more, n = verify_archive(reg, Path(archive_dir))
        problems += more
        checked += n
    for p in problems:
        click.echo(f"AVVIKELSE  {p}")
    click.echo(f"{checked} filer kontrollerade, {len(problems)} avvikelser / {checked} files checked, {len(problems)} differences")
    sys.exit(1 if problems else 0)


@cli.command("archive")
@_filters
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the packages.")
@click.option("--docx/--no-docx", default=None, help="Add the DOCX files as a second representation (default: [arkiv] docx).")
@click.option("--alla", "--all", "everything", is_flag=True,
              help="Archive every registered document (without a filter, required when not asked on a terminal).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per package.")
@click.pass_obj
def archive_cmd(obj: Context, typ, serie, ar, fran, till, text, dnr, out_dir, docx, everything, as_json):
    """Build archival packages (FGS Paketstruktur 2.0 / E-ARK SIP), one per case, and mark them archived.

    Archived documents are never changed again (no regeneration): without a filter, give --alla (or
    confirm on a terminal)."""
    from ..registrar.archive import archive, archive_warnings
    from ..registrar.search import list_documents

    reg = obj.store
    rows = list_documents(reg, typ=typ, serie=serie, ar=ar, fran=fran, till=till, status=DocStatus.REGISTERED, text=text, dnr=dnr)
    cases = sorted({r["diarienummer"] for r in rows})
    if not cases:
        click.echo("Inget att arkivera: inga registrerade (ännu inte arkiverade) handlingar matchar.\n"
                   "Nothing to archive: no registered (not yet archived) documents match.")
        return
    unfiltered = not any((typ, serie, ar, fran, till, text, dnr))
    if unfiltered and not everything:
        what_sv = f"hela diariet: {len(cases)} ärenden, {len(rows)} handlingar"
        what_en = f"the whole diarium: {len(cases)} cases, {len(rows)} documents"
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise click.UsageError(f"utan filter arkiveras {what_sv}; arkiverade handlingar kan inte regenereras. "
                                   "Ange ett filter (--dnr, --ar, --typ …) eller --alla.\n"
                                   f"without a filter this archives {what_en}; archived documents can no longer be "
                                   "regenerated. Give a filter (--dnr, --ar, --typ …) or --alla.")
        if not click.confirm(f"Arkivera {what_sv}? Arkiverade handlingar kan inte regenereras.\n"
                             f"Archive {what_en}? Archived documents can no longer be regenerated.", default=False):
            click.echo("Inget arkiverades. / Nothing was archived.")
            sys.exit(1)
    use_docx = obj.config.settings.arkiv.docx if docx is None else docx
    for warning in archive_warnings(obj.config):
        click.echo(warning, err=True)
    for p in archive(reg, obj.config, cases, Path(out_dir), docx=use_docx, plugins=obj.plugins):
        click.echo(json.dumps(p, ensure_ascii=False) if as_json else f"{p['diarienummer']}: {p['handlingar']} handling(ar) → {p['sokvag']}")
