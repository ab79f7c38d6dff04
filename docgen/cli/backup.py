"""``docgen backup DIR``: a consistent copy of the SQLite diarium, taken while docgen runs."""
from __future__ import annotations

import os
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

import click

from ..errors import ConfigError
from ..store import DamagedDiarium, quick_check, sqlite_path
from .group import Context, cli

PG_DUMP = ("Diariet ligger i PostgreSQL: säkerhetskopiera det med PostgreSQL:s egna verktyg, t.ex.\n"
           "  pg_dump --format=custom --file=diarium-$(date +%Y%m%d).dump '{url}'\n"
           "och återställ med pg_restore --clean --dbname='{url}' FIL. / The diarium is in PostgreSQL: back it up\n"
           "with PostgreSQL's own tools (pg_dump as above; restore with pg_restore --clean).")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.pass_obj
def backup(obj: Context, directory):
    """Copy the SQLite diarium into DIRECTORY (SQLite's online backup: consistent while documents are being
    registered), checked after copying; prints the copy's path. With PostgreSQL: how to use pg_dump."""
    url = obj.config.registry_url
    source = sqlite_path(url)
    if source is None:
        click.echo(PG_DUMP.format(url=url.replace("postgresql+psycopg:", "postgresql:")), err=True)
        sys.exit(1)
    if not source.is_file():
        raise ConfigError(f"diariet {source} finns inte / the diarium {source} does not exist")
    damage = quick_check(source)
    if damage:
        raise DamagedDiarium(f"diariet {source} är skadat ({damage}); ingen kopia gjordes. / the diarium {source} is "
                             "damaged; no copy was made.")
    folder = Path(directory).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{source.stem}-{datetime.now():%Y%m%d-%H%M%S}.sqlite"
    partial = folder / f".{target.name}.part"
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
    try:
        dest = sqlite3.connect(partial)
        try:
            src.backup(dest, pages=1024)  # in steps: writers wait at most one step
            dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dest.close()
    finally:
        src.close()
    damage = quick_check(partial)
    if damage:
        partial.unlink(missing_ok=True)
        raise DamagedDiarium(f"kopian blev skadad ({damage}) / the copy is damaged")
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, target)
    click.echo(str(target))
