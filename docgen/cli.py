"""The ``docgen`` command line."""
from __future__ import annotations

import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import click

from . import __version__
from .config import CONFIG_NAME, config_text, effective, load_config
from .errors import ConfigError, DocgenError
from .pipeline import THREADS_PER_WORKER
from .plugins import Plugins

#: The keys of every JSON line that describes a document (render, validate, registry list): always all of them.
DOC_KEYS = ("kalla", "status", "diarienummer", "extern", "lopnummer", "version", "dokumenttyp", "rubrik", "datum", "enhet",
            "registrerad", "motpart", "beskrivning", "sekretess", "filer", "utskick", "varningar", "problem", "fel")


def doc_json(**values) -> str:
    """One JSON line with exactly DOC_KEYS (None where a command has nothing to say)."""
    unknown = set(values) - set(DOC_KEYS)
    if unknown:
        raise ValueError(f"not document keys: {unknown}")
    return json.dumps({k: values.get(k) for k in DOC_KEYS}, ensure_ascii=False)


class DateType(click.ParamType):
    """A YYYY-MM-DD date, refused clearly when it is not one."""

    name = "ÅÅÅÅ-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value.isoformat()
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
                raise ValueError
            return date.fromisoformat(value).isoformat()
        except ValueError:
            self.fail(f"{value!r} är inget datum; skriv ÅÅÅÅ-MM-DD, t.ex. 2026-03-05 / is not a date; write YYYY-MM-DD", param, ctx)


DATE = DateType()


class Context:
    def __init__(self, workspace: str | None):
        self.workspace = workspace
        self._config = None
        self._plugins = None

    @property
    def config(self):
        if self._config is None:
            self._config = load_config(self.workspace)
        return self._config

    @property
    def plugins(self):
        if self._plugins is None:
            self._plugins = Plugins(self.config)
        return self._plugins


class DocgenGroup(click.Group):
    """Turns docgen's own errors into a clear message and exit code 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DocgenError as exc:
            click.echo(f"docgen: {exc}", err=True)
            sys.exit(2)


@click.group(cls=DocgenGroup)
@click.version_option(__version__, prog_name="docgen")
@click.option("-w", "--workspace", envvar="DOCGEN_WORKSPACE", type=click.Path(file_okay=False),
              help="The workspace: the folder with docgen.toml, inbox/ and outbox/ (default: the current folder "
                   "or the nearest folder above it with a docgen.toml; env DOCGEN_WORKSPACE).")
@click.pass_context
def cli(ctx, workspace):
    """docgen: input files (YAML/JSON) become registered, diarienummer-stamped DOCX and PDF/A documents."""
    ctx.obj = Context(workspace)


def main() -> None:
    cli(prog_name="docgen")


EXAMPLE_LISTS = """# Named distribution lists (sändlistor): an input names one with `- lista: NAME` under skickas_till.
# Lists may include other lists (`- lista: OTHER`); a cycle is an error. The names below are examples.
listor:
  ledningsgruppen:
    namn: Ledningsgruppen
    medlemmar:
      - namn: Exempel Exempelsson
        titel: Direktör
        epost: exempel.exempelsson@example.se
        intern: true
"""


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--organisation", help="The organisation's name, shown in every document header (asked for when not given).")
@click.pass_obj
def init(obj: Context, directory, organisation):
    """Create a workspace in DIRECTORY: docgen.toml (every key explained), distribution.yaml, inbox/, outbox/, templates/."""
    ws = Path(directory).expanduser().resolve()
    if (ws / CONFIG_NAME).exists():
        raise ConfigError(f"{ws / CONFIG_NAME} finns redan; inget ändrades / already exists; nothing was changed")
    if not organisation:
        if not sys.stdin.isatty():
            raise click.UsageError("ange organisationens namn med --organisation / give the organisation's name with --organisation")
        organisation = click.prompt("Organisationens namn / the organisation's name")
    organisation = organisation.strip()
    if not organisation:
        raise click.UsageError("organisationens namn får inte vara tomt / the organisation's name must not be empty")
    plugins = Plugins(None)
    ws.mkdir(parents=True, exist_ok=True)
    for sub in ("inbox", "outbox", "templates"):
        (ws / sub).mkdir(exist_ok=True)
    if not (ws / "distribution.yaml").exists():
        (ws / "distribution.yaml").write_text(EXAMPLE_LISTS, encoding="utf-8")
    (ws / CONFIG_NAME).write_text(config_text(organisation, plugins.settings()), encoding="utf-8")
    click.echo(f"Arbetsområde skapat / workspace created: {ws}\n"
               f"  {CONFIG_NAME}        inställningar / settings (`docgen config`)\n"
               f"  distribution.yaml  sändlistor / distribution lists\n"
               f"  inbox/             lägg indatafiler här / drop input files here (`docgen watch`)\n"
               f"  outbox/            dokumenten hamnar här / documents appear here\n"
               f"  templates/         egna mallar / your own templates\n"
               f"Nästa steg / next: cd {ws} && docgen new uppdragshandling > inbox/uppdrag.yaml")


@cli.command("config")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per setting.")
@click.pass_obj
def config_cmd(obj: Context, as_json):
    """Print the effective settings and where each came from (docgen.toml or the default)."""
    rows = effective(obj.config, obj.plugins.settings())
    click.echo(f"# {obj.config.file}" if not as_json else "", nl=not as_json)
    section = None
    for r in rows:
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False))
            continue
        if r["sektion"] != section:
            section = r["sektion"]
            click.echo(f"\n[{section}]")
        value = json.dumps(r["varde"], ensure_ascii=False)
        if len(value) > 100:
            value = value[:97] + "..."
        click.echo(f"{r['nyckel']} = {value}    # {r['kalla']}")


def _type_or_fail(obj: Context, name: str):
    dtype = obj.plugins.get(name)
    if dtype is None:
        raise click.BadParameter(f"unknown document type {name!r}; known: {', '.join(obj.plugins.types)}", param_hint="TYPE")
    return dtype


@cli.command()
@click.pass_obj
def types(obj: Context):
    """List the document types and where each came from."""
    for name, t in obj.plugins.types.items():
        variants = f" [varianter: {', '.join(t.cls.variants)}]" if t.cls.variants else ""
        click.echo(f"{name:<20} {t.cls.title}{variants}\n{'':<20} {t.source}")


@cli.command()
@click.argument("type_name", metavar="TYPE")
@click.option("--variant", help="Layout variant, for types that have several.")
@click.pass_obj
def new(obj: Context, type_name, variant):
    """Print a commented example input for TYPE."""
    dtype = _type_or_fail(obj, type_name)
    if variant and variant not in dtype.cls.variants:
        raise click.BadParameter(f"{type_name} has no variant {variant!r}; variants: {', '.join(dtype.cls.variants) or '(none)'}")
    click.echo(dtype.instance.example_text(variant), nl=False)


@cli.group()
def template():
    """The DOCX templates: copy a built-in one into the workspace to change it."""


@template.command("copy")
@click.argument("type_name", metavar="TYPE")
@click.option("--variant", help="The layout variant whose template to copy, for types that have several.")
@click.pass_obj
def template_copy(obj: Context, type_name, variant):
    """Copy TYPE's template into the workspace's templates folder, where it overrides the built-in one.

    Edit the copy in Word; keep the tags docgen relies on (docgen checks them at every start)."""
    dtype = _type_or_fail(obj, type_name)
    if variant and variant not in dtype.cls.variants:
        raise click.BadParameter(f"{type_name} has no variant {variant!r}; variants: {', '.join(dtype.cls.variants) or '(none)'}")
    name = dtype.cls.variants[variant] if variant else dtype.cls.template_names()[0]
    source = dtype.cls.package_files() / name
    folder = obj.config.path("mallar")
    if folder is None:
        raise ConfigError("[sokvagar] mallar är tomt: ingen mapp för egna mallar / names no templates folder")
    target = folder / name
    if target.exists():
        raise ConfigError(f"{target} finns redan; inget skrevs över / already exists; nothing was overwritten")
    folder.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    click.echo(f"{target}  (kopia av / copy of {type_name}: {name})")


@cli.command()
@click.argument("type_name", metavar="TYPE")
@click.pass_obj
def schema(obj: Context, type_name):
    """Print the JSON Schema of TYPE's input (for editors' autocompletion)."""
    click.echo(json.dumps(_type_or_fail(obj, type_name).cls.full_schema(), ensure_ascii=False, indent=2))


@cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input (the same keys as render --json).")
@click.pass_obj
def validate_cmd(obj: Context, files, as_json):
    """Check input files exactly as render does before it takes a number (schema, attachments,
    distribution, diarium, the DOCX itself), without numbering, converting or registering."""
    from .pipeline import Engine

    failed = 0
    with Engine(obj.config, obj.plugins) as engine:
        for f in files:
            outcome = engine.check(f)
            if not outcome.ok:
                failed += 1
            if as_json:
                click.echo(doc_json(kalla=f, status="ok" if outcome.ok else "fel", dokumenttyp=outcome.dokumenttyp,
                                    rubrik=outcome.rubrik, datum=outcome.datum, enhet=outcome.enhet,
                                    diarienummer=outcome.diarienummer, problem=outcome.problems,
                                    fel=outcome.error))
            elif outcome.ok:
                click.echo(f"OK   {f} ({outcome.dokumenttyp})")
            else:
                click.echo(outcome.error + "\n", err=True)
    sys.exit(1 if failed else 0)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Inputs rendered in parallel (one warm LibreOffice each).")
@click.pass_obj
def render(obj: Context, files, as_json, jobs):
    """Render input files: number, DOCX, PDF/A, register, write to the outbox."""
    from .pipeline import Engine

    def result_json(r) -> str:
        status = ("utkast" if r.draft else "registrerad") if r.ok else ("dubblett" if r.error_kind == "duplicate" else "fel")
        return doc_json(kalla=r.source, status=status, diarienummer=r.diarienummer, lopnummer=r.lopnummer,
                        version=r.version, dokumenttyp=r.dokumenttyp, rubrik=r.rubrik, datum=r.datum, enhet=r.enhet,
                        filer=r.files or None,
                        utskick=r.deliveries or None, varningar=(r.warnings + r.delivery_errors) or None,
                        problem=r.problems or None, fel=r.error)

    failed = 0
    with Engine(obj.config, obj.plugins, workers=jobs) as engine:
        with ThreadPoolExecutor(max_workers=jobs * THREADS_PER_WORKER) as ex:
            for result in ex.map(engine.process, files):
                if not result.ok or result.delivery_errors:
                    failed += 1
                if as_json:
                    click.echo(result_json(result))
                elif result.ok:
                    label = "UTKAST" if result.draft else f"{result.diarienummer} handling {result.lopnummer} v{result.version}"
                    click.echo(f"OK   {result.source} → {label}")
                    for kind in ("pdf", "docx", "json"):
                        click.echo(f"       {kind:<4} {result.files[kind]}")
                    for d in result.deliveries:
                        click.echo(f"       utskick {d['status']:<12} {d['syfte']}: {d['namn']} {d['epost'] or ''}")
                    for w in result.warnings:
                        click.echo(f"       varning: {w}")
                    for e in result.delivery_errors:
                        click.echo(f"FEL  {result.source}: {e}", err=True)
                else:
                    click.echo(f"FEL  {result.error}\n", err=True)
    sys.exit(1 if failed else 0)


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

    from .watch import LogFormatter, Watcher

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
    from .watch import status as inbox_status

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
    from .distribute import send_pending
    from .registry import Registry

    if not obj.config.section("smtp").get("server"):
        raise click.UsageError("no SMTP server configured ([smtp] server in docgen.toml); messages stay as .eml files")
    reg = Registry(obj.config.registry_url)
    outcomes = send_pending(reg, obj.config, diarienummer=diarienummer)
    for o in outcomes:
        click.echo(f"{o['status']:<11} {o['namn']} <{o['epost']}>: {o['resultat']}")
    click.echo(f"{sum(o['status'] == 'skickad' for o in outcomes)} skickade, {sum(o['status'] != 'skickad' for o in outcomes)} misslyckade")
    sys.exit(1 if any(o["status"] != "skickad" for o in outcomes) else 0)


@cli.group()
def registry():
    """The diarium: search documents, show a case."""


@registry.command("list")
@click.option("--typ", help="Document type.")
@click.option("--serie", help="Series, e.g. RS.")
@click.option("--ar", type=click.IntRange(1900, 2100), help="Year of the diarienummer.")
@click.option("--fran", type=DATE, help="Documents dated on or after YYYY-MM-DD.")
@click.option("--till", type=DATE, help="Documents dated on or before YYYY-MM-DD.")
@click.option("--status", type=click.Choice(["registrerad", "makulerad", "arkiverad"]), help="Only documents with this status.")
@click.option("--text", help="Words in the title.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document (the same keys as render --json).")
@click.pass_obj
def registry_list(obj: Context, typ, serie, ar, fran, till, status, text, as_json):
    """List registered documents (newest first)."""
    from .diarium import list_documents
    from .registry import Registry

    rows = list_documents(Registry(obj.config.registry_url), typ=typ, serie=serie, ar=ar, fran=fran, till=till,
                          status=status, text=text)
    if as_json:
        for r in rows:
            click.echo(doc_json(status=r["status"], diarienummer=r["diarienummer"], extern=bool(r["extern"]), lopnummer=r["lopnummer"],
                                version=r["version"], dokumenttyp=r["dokumenttyp"], rubrik=r["rubrik"], datum=r["datum"],
                                enhet=r["enhet"], registrerad=r["registrerad"], motpart=r["motpart"], beskrivning=r["beskrivning"],
                                sekretess=json.loads(r["sekretess"]) if r.get("sekretess") else None))
        return
    for r in rows:
        click.echo(f"{r['diarienummer']:<16} {r['lopnummer']:>3}  {r['datum']}  {r['dokumenttyp']:<16} {r['status']:<11} "
                   f"v{r['version'] or '-'}  {r['rubrik']}" + ("  [externt]" if r["extern"] else ""))
        click.echo(f"{'':<22}registrerad {r['registrerad'] or '-'}; motpart: {r['motpart'] or '-'}")
    click.echo(f"{len(rows)} handlingar")


@registry.command("show")
@click.argument("diarienummer")
@click.option("--json", "as_json", is_flag=True, help="The case as one JSON object (on one line).")
@click.pass_obj
def registry_show(obj: Context, diarienummer, as_json):
    """Show a case: its documents, every version with checksums, deliveries.

    DIARIENUMMER as written ("RS 2026-00042") or as in folder names and PDF keywords (RS-2026-00042)."""
    from .diarium import format_case, show_case
    from .registry import Registry

    reg = Registry(obj.config.registry_url)
    case = show_case(reg, diarienummer) or show_case(reg, _from_slug(obj.config, diarienummer))
    if case is None:
        raise click.UsageError(f"inget ärende {diarienummer!r} i diariet / no such case in the diarium (`docgen registry list`)")
    click.echo(json.dumps(case, ensure_ascii=False) if as_json else format_case(case))


def _from_slug(config, text: str) -> str:
    """``RS-2026-00042`` (folder names, PDF keywords) back to the configured form ``RS 2026-00042``."""
    from .validate import dnr_regex

    fmt = config.numbering["format"]
    m = dnr_regex(fmt.replace(" ", "-")).match(text.strip())
    if not m:
        return text
    return fmt.format(serie=m["serie"], år=int(m["år"]), nummer=int(m["nummer"]))


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
    from .pipeline import Engine
    from .regenerate import plan, regenerate_one, select

    with Engine(obj.config, obj.plugins, workers=jobs) as engine:
        items = plan(engine, select(engine, typ=typ, serie=serie, ar=ar, fran=fran, till=till, text=text, dnr=dnr), force)
        todo = [i for i in items if i.action == "regenerate"]
        if dry_run:
            for i in items:
                click.echo(f"{i.action:<11} {i.label}  {i.row['rubrik']}  — {i.reason}")
            click.echo(f"{len(todo)} would be regenerated, {len(items) - len(todo)} left as they are")
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
    """Recompute the checksum of every output file (and package file) and compare with the registry."""
    from .registry import Registry
    from .verify import verify_archive, verify_outbox

    reg = Registry(obj.config.registry_url)
    problems, checked = verify_outbox(reg, obj.config.outbox)
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
@click.option("--json", "as_json", is_flag=True, help="One JSON object per package.")
@click.pass_obj
def archive_cmd(obj: Context, typ, serie, ar, fran, till, text, dnr, out_dir, docx, as_json):
    """Build archival packages (FGS Paketstruktur 2.0 / E-ARK SIP), one per case, and mark them archived."""
    from .archive import archive
    from .diarium import list_documents
    from .registry import Registry

    reg = Registry(obj.config.registry_url)
    rows = list_documents(reg, typ=typ, serie=serie, ar=ar, fran=fran, till=till, status="registrerad", text=text, dnr=dnr)
    cases = sorted({r["diarienummer"] for r in rows})
    if not cases:
        raise click.UsageError("no registered (not yet archived) documents match")
    use_docx = obj.config.section("arkiv").get("docx", False) if docx is None else docx
    for p in archive(reg, obj.config, cases, Path(out_dir), docx=use_docx, plugins=obj.plugins):
        click.echo(json.dumps(p, ensure_ascii=False) if as_json else f"{p['diarienummer']}: {p['handlingar']} handling(ar) → {p['sokvag']}")


if __name__ == "__main__":
    main()
