"""Commands of the web service: serve (the HTTP API and the web pages, with the inbox watcher) and user
(the people and systems that may use them)."""
from __future__ import annotations

import sys

import click

from .group import Context, cli

ROLES = ("handlaggare", "registrator", "lasare", "beslutsfattare")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (behind a reverse proxy: keep 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port to listen on.")
@click.option("--bevakning/--utan-bevakning", "--watch/--no-watch", "watch", default=True, show_default=True,
              help="Run the inbox watcher in this process too; --utan-bevakning when a separate `docgen watch` serves the inbox.")
@click.option("--workers", type=click.IntRange(1, 64), help="The watcher's workers (default: [bevakning] arbetare or the number of cores).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log lines for people (text) or machines (json, one object per line).")
@click.pass_obj
def serve(obj: Context, host, port, watch, workers, log_format):
    """Serve the HTTP API (OpenAPI at /openapi.json) and the web pages; submitted inputs go through the inbox."""
    import uvicorn

    from ..service.reports import log_to_stdout
    from ..web import create_app

    log_to_stdout(as_json=log_format == "json")
    app = create_app(obj.config, watch=watch, workers=workers)
    click.echo(f"docgen serve: http://{host}:{port}/ (API: /api, OpenAPI: /openapi.json)"
               + ("; bevakar / watching " + str(obj.config.inbox) if watch else ""))
    # X-Forwarded-* is trusted only from [webb] betrodda_proxyer (the app applies it), never by uvicorn itself
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False, server_header=False)


@cli.group()
def user():
    """People and systems of the web pages and the API: add, list, remove."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES),
              help="handlaggare (submit, preview, own and public documents), registrator (everything), "
                   "lasare (search and read documents that are not confidential), beslutsfattare (a person who "
                   "decides the documents that name them in `beslutsfattare`, and submits like a handlaggare).")
@click.option("--titel", "--title", "titel", help="A beslutsfattare's title, printed in the decision line "
                                                  "(e.g. \"Regiondirektör\").")
@click.option("--losenord", "--password", "with_password", is_flag=True,
              help="Also set a password for the web pages: asked for on a terminal, else read from --losenord-fil or stdin.")
@click.option("--losenord-fil", "--password-file", "password_file", type=click.File("r", encoding="utf-8"),
              help="Read the password from the first line of this file ('-' for stdin).")
@click.pass_obj
def user_add(obj: Context, name, role, titel, with_password, password_file):
    """Add a user; the last line printed is the API token (shown only now; stored hashed)."""
    from sqlalchemy.exc import IntegrityError

    from ..web.auth import create_user

    name = name.strip()
    if not name or len(name) > 200:
        raise click.BadParameter("1–200 tecken / characters", param_hint="NAME")
    titel = (titel or "").strip() or None
    if titel and role != "beslutsfattare":
        raise click.UsageError("--titel gäller rollen beslutsfattare / --titel is for the role beslutsfattare")
    password = None
    if password_file is not None:
        password = password_file.readline().rstrip("\r\n")
    elif with_password:
        if sys.stdin.isatty():
            password = click.prompt("Lösenord / password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
    if password is not None and len(password) < 8:
        raise click.UsageError("lösenordet behöver minst 8 tecken / the password needs at least 8 characters")
    try:
        token = create_user(obj.store, name, role, password, titel)
    except IntegrityError:
        raise click.UsageError(f"användaren {name!r} finns redan / already exists (`docgen user remove` first)") from None
    click.echo(f"Användare / user {name} ({role}{', ' + titel if titel else ''})" + (", med lösenord / with a password" if password else "")
               + ". API-nyckel (visas bara nu) / API token (shown only now):")
    click.echo(token)


@user.command("losenord")
@click.argument("name")
@click.option("--losenord-fil", "--password-file", "password_file", type=click.File("r", encoding="utf-8"),
              help="Read the password from the first line of this file ('-' for stdin).")
@click.option("--ta-bort", "--remove", "remove", is_flag=True, help="Remove the web password (token only).")
@click.pass_obj
def user_password(obj: Context, name, password_file, remove):
    """Set a user's web password (or remove it); every web login of the user ends at once."""
    from ..store import users
    from ..web.auth import password_hash

    password = None
    if not remove:
        if password_file is not None:
            password = password_file.readline().rstrip("\r\n")
        elif sys.stdin.isatty():
            password = click.prompt("Lösenord / password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        if len(password) < 8:
            raise click.UsageError("lösenordet behöver minst 8 tecken / the password needs at least 8 characters")
    with obj.store.tx() as conn:
        if not users.set_password(conn, name, password_hash(password) if password else None):
            raise click.UsageError(f"ingen användare {name!r} / no such user")
    click.echo(f"Nytt lösenord / new password: {name}" if password else f"Lösenordet borttaget / password removed: {name}")


@user.command("list")
@click.pass_obj
def user_list(obj: Context):
    """List the users, their roles and whether they have a web password."""
    from ..store import users

    with obj.store.read() as conn:
        rows = users.listing(conn)
    for r in rows:
        click.echo(f"{r['namn']:<30} {r['roll']:<14} {'lösenord' if r['har_losenord'] else '-':<9} skapad {r['skapad']}"
                   + (f"  {r['titel']}" if r["titel"] else ""))
    click.echo(f"{len(rows)} användare / users")


@user.command("remove")
@click.argument("name")
@click.pass_obj
def user_remove(obj: Context, name):
    """Remove a user: its token and password stop working at once (the access log keeps its rows)."""
    from ..store import users

    with obj.store.tx() as conn:
        if not users.remove(conn, name):
            raise click.UsageError(f"ingen användare {name!r} / no such user")
    click.echo(f"Borttagen / removed: {name}")
