"""How the pages show values to people: times in Swedish local form (Europe/Stockholm), sizes in kB/MB,
document types by their titles."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _stockholm(value) -> datetime | str:
    """A stored ISO time (with offset; without one it is taken as UTC) in Swedish time; the text itself if not one."""
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo("UTC"))
    return when.astimezone(STOCKHOLM)


def local_time(value) -> str:
    """``2026-12-06 01:35`` in Swedish time, from a stored ISO time."""
    if not value:
        return "–"
    when = _stockholm(value)
    return when if isinstance(when, str) else when.strftime("%Y-%m-%d %H:%M")


def exact_time(value) -> str:
    """``2026-12-06 01:35:07 +01:00`` in Swedish time, to the second with the offset (a decision's time)."""
    if not value:
        return "–"
    when = _stockholm(value)
    if isinstance(when, str):
        return when
    text = when.strftime("%Y-%m-%d %H:%M:%S %z")
    return text[:-2] + ":" + text[-2:]


def size(value) -> str:
    """A file size as people read it: ``870 byte``, ``12 kB``, ``3,4 MB`` (1 kB = 1000 byte)."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return str(value)
    if n < 1000:
        return f"{n} byte"
    if n < 1_000_000:
        return f"{round(n / 1000)} kB"
    return f"{n / 1_000_000:.1f} MB".replace(".", ",")


def install(templates, plugins) -> None:
    """The filters ``tid``, ``sekundtid``, ``storlek`` and ``typtitel`` in the pages' templates."""
    env = templates.env
    env.filters["tid"] = local_time
    env.filters["sekundtid"] = exact_time
    env.filters["storlek"] = size
    env.filters["typtitel"] = lambda name: (lambda t: t.cls.title if t else name)(plugins.get(name))
