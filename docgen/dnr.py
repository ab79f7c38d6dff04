"""The diarienummer: its configured format (``[numrering] format``, e.g. ``{serie} {år}-{nummer:05d}``),
read back into series, year and number, its form in file and folder names (``RS-2026-00042``), and
whether it belongs to a series another system allocates (``[numrering] externa_serier``).
No I/O and no docgen imports but ``files.safe_name``: every module may use it."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from .files import safe_name

if TYPE_CHECKING:
    from .config import Config


def format_dnr(config: Config, serie: str, year: int, number: int) -> str:
    """The diarienummer of a series, year and number, in the configured format."""
    return config.settings.numrering.format.format(serie=serie, år=year, nummer=number)


@lru_cache(maxsize=32)
def regex(fmt: str) -> re.Pattern:
    """A regex that parses diarienummer of the format ``fmt`` into serie, år and nummer."""
    out, pos = "", 0
    for m in re.finditer(r"\{(serie|år)\}|\{nummer(?::[^}]*)?\}", fmt):
        out += re.escape(fmt[pos:m.start()])
        if m.group(1) == "serie":
            out += r"(?P<serie>[A-ZÅÄÖ]{1,10})"
        elif m.group(1) == "år":
            out += r"(?P<år>[0-9]{4})"
        else:
            out += r"(?P<nummer>[0-9]{1,9})"
        pos = m.end()
    out += re.escape(fmt[pos:])
    return re.compile("^" + out + "$")


def parse(config: Config, text: str) -> re.Match | None:
    """``text`` read as a diarienummer of the configured format (groups serie, år, nummer), or None."""
    return regex(config.settings.numrering.format).match(text)


def is_well_formed(config: Config, text: str) -> bool:
    """Whether ``text`` is a diarienummer exactly as the configured format writes it."""
    m = parse(config, text)
    return bool(m) and format_dnr(config, m["serie"], int(m["år"]), int(m["nummer"])) == text


def slug(diarienummer: str) -> str:
    """The diarienummer in file and folder names: ``RS-2026-00042``."""
    return safe_name(diarienummer.replace(" ", "-"), 40)


def document_basename(diarienummer: str, lopnummer: int, rubrik: str) -> str:
    """A document's folder and file name stem: ``RS-2026-00001-01 Samordningsgrupp för arkivfrågor``."""
    return f"{slug(diarienummer)}-{lopnummer:02d} {safe_name(rubrik)}"


def from_slug(config: Config, text: str) -> str:
    """``RS-2026-00042`` (folder names, and the keywords of older PDFs) back to the configured form
    ``RS 2026-00042``; any other text as it is."""
    fmt = config.settings.numrering.format
    m = regex(fmt.replace(" ", "-")).match(text.strip())
    if not m:
        return text
    return fmt.format(serie=m["serie"], år=int(m["år"]), nummer=int(m["nummer"]))


def external_case(config: Config, diarienummer: str) -> dict | None:
    """serie, ar and nummer of a diarienummer in one of the external series, or None."""
    m = parse(config, diarienummer or "")
    if m and m["serie"] in config.settings.numrering.externa_serier:
        return {"serie": m["serie"], "ar": int(m["år"]), "nummer": int(m["nummer"])}
    return None
