"""The ``docgen`` click group and what its commands share (the workspace ``Context``, the DATE type); the
command modules import it from here, and ``docgen.cli`` imports them, so nothing imports in a circle."""
from __future__ import annotations

import re
import sys
from datetime import date

import click

from .. import __version__
from ..config import load_config
from ..errors import DocgenError
from ..plugins import Plugins

class DateType(click.ParamType):
    """A YYYY-MM-DD date, refused clearly when it is not one."""

    name = "YYYY-MM-DD"  # the help is in English

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
        self._store = None

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

    @property
    def plugins_anywhere(self):
        """The workspace's plugins, or outside any workspace the installed ones (for `new` and `schema`)."""
        from ..config import find_workspace

        if self._plugins is None and not self.workspace:
            try:
                find_workspace(None)
            except DocgenError:
                self._plugins = Plugins(None)
        return self.plugins

    @property
    def store(self):
        """The diarium; opening it voids what dead processes reserved and nobody will finish."""
        if self._store is None:
            from ..liveness import void_dead_reservations
            from ..store import Store

            self._store = Store(self.config.registry_url)
            void_dead_reservations(self.config, self._store, starter="registrar")
        return self._store


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
