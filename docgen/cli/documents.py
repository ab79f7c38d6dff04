"""Commands about documents and the workspace: init, config, types, new, schema, template copy,
validate, render."""
from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from ..config import CONFIG_NAME, effective
from ..configtoml import config_text
from ..errors import ConfigError
from ..model import DocStatus, ErrorKind
from ..plugins import Plugins
from ..docrow import from_registry, row, to_json
from .group import Context, cli

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
               f"Nästa steg / next: cd {ws} && docgen types && docgen new TYP > inbox/ny.yaml")


@cli.group("config", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per setting.")
@click.pass_context
def config_cmd(ctx, as_json):
    """Print the effective settings and where each came from (docgen.toml or the default);
    `docgen config set SECTION.KEY VALUE` changes one."""
    if ctx.invoked_subcommand is not None:
        return
    obj: Context = ctx.obj
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
    if not as_json:
        from ..seal import describe

        click.echo(f"\n# {describe(obj.config)}")


@config_cmd.command("set")
@click.argument("name", metavar="SECTION.KEY")
@click.argument("value")
@click.pass_obj
def config_set(obj: Context, name, value):
    """Set one setting in docgen.toml, in its section (VALUE in TOML: "text", 3, true, ["A", "B"]; a bare
    word is text). The file is checked first: a wrong value changes nothing."""
    from ..configedit import set_setting

    path, section, key = set_setting(obj.workspace, name, value)
    click.echo(f"{path}: [{section}] {key} satt / set")


def _type_or_fail(obj: Context, name: str, anywhere: bool = False):
    plugins = obj.plugins_anywhere if anywhere else obj.plugins
    dtype = plugins.get(name)
    if dtype is None:
        known = ", ".join(plugins.types)
        raise click.BadParameter(f"okänd dokumenttyp {name!r}; kända: {known}\nunknown document type {name!r}; known: {known}",
                                 param_hint="TYPE")
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
@click.option("--json", "as_json", is_flag=True, help="The example as JSON (for the HTTP API: POST /api/dokument).")
@click.pass_obj
def new(obj: Context, type_name, variant, as_json):
    """Print a commented example input for TYPE (works outside a workspace too).

    A type without an example gets a skeleton of its schema's fields, with a note saying so on stderr."""
    from ..skeleton import skeleton

    dtype = _type_or_fail(obj, type_name, anywhere=True)
    if variant and variant not in dtype.cls.variants:
        _no_variant(type_name, variant, dtype)
    text = dtype.example_text(variant)
    if not text.strip():
        click.echo(f"{type_name} har inget exempel; här är ett skelett av schemat (`docgen schema {type_name}`).\n"
                   f"{type_name} has no example; here is a skeleton of its schema.", err=True)
        text = skeleton(dtype, variant)
    if as_json:
        import yaml

        text = json.dumps(yaml.safe_load(text), ensure_ascii=False, indent=2, default=str) + "\n"
    click.echo(text, nl=not text.endswith("\n"))


def _no_variant(type_name: str, variant: str, dtype) -> None:
    variants = ", ".join(dtype.cls.variants)
    raise click.BadParameter(f"{type_name} har ingen variant {variant!r}; varianter: {variants or '(inga)'}\n"
                             f"{type_name} has no variant {variant!r}; variants: {variants or '(none)'}")


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
        _no_variant(type_name, variant, dtype)
    name = dtype.cls.variants[variant] if variant else dtype.template_names()[0]
    source = dtype.package_files() / name
    folder = obj.config.path("mallar")
    if folder is None:
        raise ConfigError("[sokvagar] mallar är tomt: ingen mapp för egna mallar / names no templates folder")
    target = folder / name
    if target.exists():
        raise ConfigError(f"{target} finns redan; inget skrevs över / already exists; nothing was overwritten")
    folder.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    click.echo(f"{target}  (kopia av / copy of {type_name}: {name})")


@template.command("new")
@click.argument("type_name", metavar="TYPE")
@click.option("--variant", help="The layout variant whose template to make, for types that have several.")
@click.pass_obj
def template_new(obj: Context, type_name, variant):
    """Write a minimal template for TYPE (a plugin's type without one) into the workspace's templates folder:
    the letterhead, the tags docgen relies on, one line per field of the type. Never overwrites."""
    from ..templatenew import letterhead_source, minimal_template

    dtype = _type_or_fail(obj, type_name)
    if variant and variant not in dtype.cls.variants:
        _no_variant(type_name, variant, dtype)
    name = dtype.cls.variants[variant] if variant else dtype.template_names()[0]
    folder = obj.config.path("mallar")
    if folder is None:
        raise ConfigError("[sokvagar] mallar är tomt: ingen mapp för egna mallar.\n[sokvagar] mallar is empty: no templates folder.")
    existing = [d / name for d in [folder, *map(Path, dtype.cls.template_dirs), dtype.package_files()] if (d / name).is_file()]
    if existing:
        raise ConfigError(f"mallen finns redan: {existing[0]}; inget skrevs (`docgen template copy {type_name}` kopierar den).\n"
                          f"the template already exists: {existing[0]}; nothing was written "
                          f"(`docgen template copy {type_name}` copies it).")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(minimal_template(dtype, letterhead_source(obj.plugins)))
    click.echo(f"{folder / name}  (ny mall / new template for {type_name}; `docgen template names {type_name}` "
               "visar namnen den kan använda / shows the names it may use)")


@template.command("names")
@click.argument("type_name", metavar="TYPE")
@click.option("--variant", help="The layout variant, for types that have several.")
@click.pass_obj
def template_names(obj: Context, type_name, variant):
    """List the names a template of TYPE may use (its context) and the tags it must carry."""
    from ..steps.render import REQUIRED_TAGS, Renderer
    from ..templatenames import RENDERER_NAMES, known_names

    dtype = _type_or_fail(obj, type_name)
    if variant and variant not in dtype.cls.variants:
        _no_variant(type_name, variant, dtype)
    name = dtype.cls.variants[variant] if variant else dtype.template_names()[0]
    renderer = Renderer(obj.config, obj.plugins)
    names = known_names(renderer, dtype, name, renderer.env.globals) - RENDERER_NAMES - set(renderer.env.globals)
    click.echo(f"# {type_name}: {name}")
    click.echo("# måste finnas / must be there: " + ", ".join(REQUIRED_TAGS))
    for n in sorted(names):
        click.echo(n)


@cli.command()
@click.argument("type_name", metavar="TYPE")
@click.pass_obj
def schema(obj: Context, type_name):
    """Print the JSON Schema of TYPE's input (for editors' autocompletion)."""
    click.echo(json.dumps(_type_or_fail(obj, type_name, anywhere=True).full_schema(), ensure_ascii=False, indent=2))


def _external(config, diarienummer: str | None) -> bool:
    """Whether a diarienummer is in one of the records system's series (``[numrering] externa_serier``)."""
    from ..dnr import external_case

    return external_case(config, diarienummer or "") is not None


@cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input (the same keys as render --json).")
@click.pass_obj
def validate_cmd(obj: Context, files, as_json):
    """Check input files exactly as render does before it takes a number (schema, attachments,
    distribution, diarium, the DOCX itself), without numbering, converting or registering."""
    from ..pipeline import THREADS_PER_WORKER, Engine  # imported when used: every command starts faster

    failed = 0
    with Engine(obj.config, obj.plugins) as engine:
        for f in files:
            outcome = engine.check(f)
            if not outcome.ok:
                failed += 1
            if as_json:
                click.echo(to_json(row(kalla=f, status="ok" if outcome.ok else "fel", dokumenttyp=outcome.dokumenttyp,
                                       rubrik=outcome.rubrik, datum=outcome.datum, enhet=outcome.enhet,
                                       diarienummer=outcome.diarienummer,
                                       extern=_external(obj.config, outcome.diarienummer),
                                       problem=outcome.problems or None, fel=outcome.error)))
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
    from ..pipeline import THREADS_PER_WORKER, Engine  # imported when used: every command starts faster

    def result_json(engine, r) -> str:
        render_part = dict(kalla=r.source, filer=r.files or None, utskick=r.deliveries or None,
                           varningar=(r.warnings + r.delivery_errors) or None, problem=r.problems or None, fel=r.error)
        if r.ok and r.waiting is not None:  # stored for its decision (docgen.decisions), nothing numbered
            return to_json(row(status="väntar på beslut", dokumenttyp=r.dokumenttyp, rubrik=r.rubrik,
                               datum=r.datum, enhet=r.enhet, **render_part))
        if r.ok and not r.draft:  # the diarium's row, as `registry list` gives it
            from ..registrar.search import list_documents

            found = [x for x in list_documents(engine.store, dnr=r.diarienummer) if x["lopnummer"] == r.lopnummer]
            if found:
                return to_json(from_registry(found[0], **render_part))
        status = ("utkast" if r.draft else DocStatus.REGISTERED) if r.ok else ("dubblett" if r.error_kind == ErrorKind.DUPLICATE else "fel")
        return to_json(row(status=status, diarienummer=r.diarienummer, extern=_external(obj.config, r.diarienummer),
                           lopnummer=r.lopnummer, version=r.version, dokumenttyp=r.dokumenttyp, rubrik=r.rubrik, datum=r.datum,
                           enhet=r.enhet, **render_part))

    failed = 0
    with Engine(obj.config, obj.plugins, workers=jobs) as engine:
        with ThreadPoolExecutor(max_workers=jobs * THREADS_PER_WORKER) as ex:
            for result in ex.map(engine.process, files):
                if not result.ok or result.delivery_errors:
                    failed += 1
                if as_json:
                    click.echo(result_json(engine, result))
                elif result.ok and result.waiting is not None:
                    click.echo(f"OK   {result.source} → väntar på beslut / waits for a decision (beslut {result.waiting})")
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
