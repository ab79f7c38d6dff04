"""The ``docgen`` command line: the group and what its commands share. The commands live in
``documents`` (workspace, types, validate, render), ``service`` (watch, status, send),
``registrar`` (registry, regenerate, verify, archive), ``queue`` (submit, worker), ``web`` (serve, user) and
``decisions`` (att-besluta list, vidare).
"""
from __future__ import annotations

from .group import DATE, Context, DocgenGroup, cli  # noqa: F401 - the group and what commands share

# The command modules register their commands on `cli` when imported.
from . import backup, decisions, documents, queue, registrar, service, web  # noqa: E402,F401


def main() -> None:
    cli(prog_name="docgen")
