"""The workspace and its configuration: ``docgen.toml``, checked against settings declared once.

Every setting is declared here (or, for a document type's own section, on the type) with its
type, default, allowed range and help. The same declarations check docgen.toml, print the
effective settings (``docgen config``) and write a new workspace's commented docgen.toml
(``docgen init``). A workspace is explicit: a folder with docgen.toml; docgen never invents one.
"""
from __future__ import annotations

import difflib
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONFIG_NAME = "docgen.toml"
_REQUIRED = object()


@dataclass(frozen=True)
class Setting:
    """One key of docgen.toml: ``[section] key``, its type, default, allowed values and help text."""

    section: str
    key: str
    default: Any
    help: str
    type: type | None = None  # default: the default's type; for lists, ``item`` is the item type
    item: type | None = None
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None

    @property
    def kind(self) -> type:
        return self.type or type(self.default)

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    def check(self, value: Any, where: str) -> Any:
        """The value converted to the setting's type, or ConfigError saying what is wrong."""
        name = f"[{self.section}] {self.key}"
        kind = self.kind
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            raise ConfigError(f"{where}: {name} ska vara {_type_name(kind)}, inte {value!r} / "
                              f"must be {_type_name(kind, 'en')}, not {value!r}")
        if kind is list and self.item is not None:
            bad = [v for v in value if not isinstance(v, self.item)]
            if bad:
                raise ConfigError(f"{where}: {name}: varje värde ska vara {_type_name(self.item)}, inte {bad[0]!r} / "
                                  f"every item must be {_type_name(self.item, 'en')}, not {bad[0]!r}")
        if self.min is not None and value < self.min or self.max is not None and value > self.max:
            lo = "" if self.min is None else f"minst {self.min:g}"
            hi = "" if self.max is None else f"högst {self.max:g}"
            lo_en = "" if self.min is None else f"at least {self.min:g}"
            hi_en = "" if self.max is None else f"at most {self.max:g}"
            raise ConfigError(f"{where}: {name} = {value!r} är utanför tillåtna värden ({', '.join(x for x in (lo, hi) if x)}) / "
                              f"is out of range ({', '.join(x for x in (lo_en, hi_en) if x)})")
        if self.choices is not None and value not in self.choices:
            raise ConfigError(f"{where}: {name} = {value!r} är inte tillåtet; använd ett av / is not allowed; use one of: "
                              + ", ".join(map(repr, self.choices)))
        return value


def _type_name(kind: type, lang: str = "sv") -> str:
    names = {str: ("text", "text"), int: ("ett heltal", "a whole number"), float: ("ett tal", "a number"),
             bool: ("true eller false", "true or false"), list: ("en lista [..]", "a list [..]"),
             dict: ("en tabell", "a table")}
    sv, en = names.get(kind, (kind.__name__, kind.__name__))
    return sv if lang == "sv" else en


S = Setting
#: The engine's own settings, in the order docgen.toml lists them.
SETTINGS: list[Setting] = [
    S("organisation", "namn", _REQUIRED, "The organisation's name: every document's header and the PDF author.", type=str),
    S("organisation", "enheter", ["Kansliet"], "Units (förvaltningar, staber) inputs may name in `enhet`; the first is the default.",
      item=str),
    S("organisation", "organisationsnummer", "", "Organisationsnummer (e.g. 232100-0000): in every document's footer; "
      "archival packages name the archival creator by it."),
    S("organisation", "logotyp", "", "The logo in the first page's letterhead: a PNG, JPEG or SVG file (decorative: the "
      "organisation's name stands beside it); empty for none."),
    S("organisation", "postadress", "", "Postal address in every document's footer, e.g. \"Regionens hus, 123 45 Exempelby\"."),
    S("organisation", "telefon", "", "Telephone number in the footer."),
    S("organisation", "webbadress", "", "Web address in the footer."),
    S("organisation", "enhetsuppgifter", {}, "Per unit, its own logotyp, postadress, telefon or webbadress: "
      "[organisation.enhetsuppgifter.\"Unit name\"] with any of those keys.", type=dict),
    S("numrering", "format", "{serie} {år}-{nummer:05d}", "Format of a diarienummer: {serie}, {år} and {nummer} (with a format spec)."),
    S("numrering", "serier", ["RS"], "Series docgen allocates numbers in; an input names one with `serie`.", item=str),
    S("numrering", "standardserie", "RS", "The series of an input that names neither serie nor diarienummer."),
    S("numrering", "externa_serier", [], "Series whose numbers another system (the diarium of record) allocates: an input "
      "names its diarienummer, docgen opens a case it has not seen and never allocates a number there.", item=str),
    S("sokvagar", "inkorg", "inbox", "The inbox the watcher takes input files from."),
    S("sokvagar", "utkorg", "outbox", "Where documents are written."),
    S("sokvagar", "register", "docgen.sqlite", "The diarium: a SQLite file, or an SQLAlchemy URL (postgresql+psycopg://user@host/db)."),
    S("sokvagar", "mallar", "templates", "The workspace's own templates, searched before a type's built-in ones (same file name overrides)."),
    S("sokvagar", "plugins", "", "A folder of plugin modules (*.py) to load besides the installed ones; empty for none."),
    S("sokvagar", "sandlistor", "distribution.yaml", "Named distribution lists (sändlistor)."),
    S("granser", "max_filstorlek", 1024 * 1024, "Largest input file accepted, in bytes.", min=1, max=64 * 1024 * 1024),
    S("granser", "max_djup", 20, "Deepest nesting of lists and fields in an input.", min=2, max=200),
    S("granser", "max_noder", 20000, "Most elements an input may hold once YAML aliases are expanded (alias bombs).", min=10),
    S("granser", "max_expanderad", 4 * 1024 * 1024, "Largest size in bytes an input may reach once YAML aliases are expanded.",
      min=1024),
    # Measured with bench/limits.py (`make bench`): each is about half of what converted within half the
    # conversion deadline (60 s) on 2 shared cores; the README's "Limits" gives the figures.
    S("granser", "max_tecken", 600_000, "Most characters of text in one input (LibreOffice's time grows with it).", min=1),
    S("granser", "max_stycke", 40_000, "Most characters in one paragraph (text without a blank line).", min=1),
    S("granser", "max_listposter", 3_000, "Most list items in one input (lists and Markdown list lines).", min=1),
    S("granser", "max_tabellceller", 6_000, "Most table cells in one input (Markdown tables).", min=1),
    S("granser", "max_lankar", 5_000, "Most links in one input.", min=1),
    S("distribution", "avsandare", "registrator@example.se", "From address of the messages written for each recipient."),
    S("distribution", "interna_domaner", ["example.se"],
      "Internal e-mail domains (and their subdomains): a confidential document is only delivered there.", item=str),
    S("smtp", "server", "", "SMTP server; empty: only write the messages (outbox/<document>/utskick/*.eml)."),
    S("smtp", "port", 587, "SMTP port.", min=1, max=65535),
    S("smtp", "starttls", True, "Use STARTTLS."),
    S("smtp", "anvandare_variabel", "DOCGEN_SMTP_ANVANDARE", "Environment variable holding the SMTP user name (never this file)."),
    S("smtp", "losenord_variabel", "DOCGEN_SMTP_LOSENORD", "Environment variable holding the SMTP password."),
    S("smtp", "timeout", 30.0, "Seconds per SMTP operation.", min=0.1, max=600),
    S("smtp", "forsok", 3, "Attempts per message on temporary failures.", min=1, max=20),
    S("smtp", "ca_fil", "", "A CA certificate file to trust for STARTTLS (an internal CA); empty: the system's."),
    S("arkiv", "docx", False, "Archival packages also hold the DOCX files, as a second representation."),
    S("bevakning", "polling", False, "Poll the inbox instead of inotify (network shares: SMB/NFS send no inotify events)."),
    S("bevakning", "stabil_tid", 1.0, "Seconds a file's size and time must stay unchanged before it is taken (polling).", min=0.05, max=3600),
    S("bevakning", "omsokning_minuter", 2.0, "Full rescan of the inbox every N minutes (events are hints, not a ledger).",
      min=0.001, max=1440),
    S("bevakning", "arbetare", 0, "Workers, each with a warm LibreOffice; 0 = the number of cores.", min=0, max=64),
    S("bevakning", "undermappar", False, "Watch sub-folders of the inbox too."),
    S("bevakning", "bilagor_vantetid", 30.0, "Seconds to wait for an input's attachments before processing it anyway.",
      min=0, max=86400),
    S("bevakning", "arbete", "arbete", "Folder inside the inbox for claimed inputs (owned by the watcher)."),
    S("bevakning", "behandlade", "behandlade", "Folder inside the inbox for processed inputs."),
    S("bevakning", "fel", "fel", "Folder inside the inbox for failed inputs and their reports."),
    S("libreoffice", "soffice", "soffice", "The soffice binary; docgen starts its own headless instances."),
    S("libreoffice", "timeout", 60, "Seconds one conversion may take before its instance is killed and restarted.",
      type=float, min=1, max=3600),
    S("libreoffice", "omstart_efter", 200, "Restart an instance after this many conversions (bounds memory); 0 = never.",
      min=0),
    S("libreoffice", "instanser", 0, "Warm instances in the pool; 0 = one per worker.", min=0, max=64),
    S("sigill", "pkcs12", "", "The organisation's seal: a PKCS#12 file (certificate and key) every registered PDF is "
      "sealed with (PAdES); empty: PDFs are not sealed."),
    S("sigill", "losenord_miljo", "DOCGEN_SIGILL_LOSENORD", "Environment variable holding the PKCS#12 file's password "
      "(never this file)."),
    S("sigill", "tidsstampel_url", "", "An RFC 3161 timestamp authority's URL: the seal gets a timestamp (PAdES B-T, "
      "B-LT when revocation information can be embedded); empty: B-B, no timestamp."),
    S("sigill", "betrodda_rotcertifikat", [], "PEM files of the root certificates the seal (and its timestamp) must "
      "chain to: checked at start and by `docgen verify`.", item=str),
    S("sigill", "timeout", 30.0, "Seconds to wait for the timestamp authority.", min=0.1, max=600),
    S("webb", "betrodd_anvandarrubrik", "", "`docgen serve` behind a reverse proxy that authenticates people: the request "
      "header naming the user (e.g. X-Remote-User), trusted as is; empty: off (people log in with a password)."),
    S("webb", "session_timmar", 8.0, "Hours a web login lasts.", min=0.1, max=720),
    S("webb", "sakra_kakor", False, "Mark the login cookie Secure and send HSTS (the pages are served over HTTPS, e.g. behind a "
      "reverse proxy)."),
    S("webb", "betrodda_proxyer", [], "Addresses (or networks, CIDR) of reverse proxies whose X-Forwarded-For/-Proto "
      "`docgen serve` believes; empty: nobody's (the client is the connecting address).", item=str),
    S("webb", "webhook_tillatna", [], "URL prefixes a webhook may be registered for (e.g. https://arende.example.se/docgen/); "
      "empty: no webhooks.", item=str),
]
del S

#: What a unit may set for itself in [organisation.enhetsuppgifter."Unit"].
LETTERHEAD_KEYS = ("logotyp", "postadress", "telefon", "webbadress")


def _index(settings: list[Setting]) -> dict[str, dict[str, Setting]]:
    out: dict[str, dict[str, Setting]] = {}
    for s in settings:
        out.setdefault(s.section, {})[s.key] = s
    return out


def _did_you_mean(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" Menade du / did you mean `{close[0]}`?" if close else f" Kända / known: {', '.join(sorted(known))}."


@dataclass
class Config:
    """Settings of one workspace (the folder that holds docgen.toml, inbox/ and outbox/)."""

    workspace: Path
    data: dict = field(default_factory=dict)
    #: (section, key) -> where the value came from: "docgen.toml" or "standard" (the default)
    sources: dict = field(default_factory=dict)
    file: Path | None = None

    def section(self, name: str) -> dict:
        return self.data.get(name, {})

    def get(self, section: str, key: str) -> Any:
        return self.data[section][key]

    def path(self, key: str) -> Path | None:
        value = self.data["sokvagar"][key]
        if not value:
            return None
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else self.workspace / p

    def check_plugin_settings(self, settings: list[Setting]) -> None:
        """Check the sections document types declare; an unknown section or key is an error."""
        declared = _index(SETTINGS + list(settings))
        where = str(self.file or self.workspace / CONFIG_NAME)
        for section, values in list(self.data.items()):
            if section not in declared:
                raise ConfigError(f"{where}: okänd sektion / unknown section [{section}].{_did_you_mean(section, declared)}")
            if section in _index(SETTINGS):
                continue  # checked at load
            self.data[section] = _apply(declared[section], values, where, self.sources, section)
        for section, keys in declared.items():
            if section not in self.data:
                self.data[section] = _apply(keys, {}, where, self.sources, section)

    @property
    def organisation(self) -> str:
        return self.data["organisation"]["namn"]

    def letterhead(self, unit: str | None) -> dict:
        """Logo (a path or None) and footer details for a unit: the unit's own, else the organisation's."""
        org = self.data["organisation"]
        own = org["enhetsuppgifter"].get(unit or "", {})
        out = {k: own.get(k) or org[k] for k in LETTERHEAD_KEYS}
        out["organisationsnummer"] = org["organisationsnummer"]
        if out["logotyp"]:
            p = Path(os.path.expanduser(out["logotyp"]))
            out["logotyp"] = p if p.is_absolute() else self.workspace / p
        else:
            out["logotyp"] = None
        return out

    @property
    def units(self) -> list[str]:
        return list(self.data["organisation"]["enheter"])

    @property
    def inbox(self) -> Path:
        return self.path("inkorg")

    @property
    def outbox(self) -> Path:
        return self.path("utkorg")

    @property
    def registry_url(self) -> str:
        value = self.data["sokvagar"]["register"]
        if "://" in value:
            return value
        return "sqlite:///" + str(self.path("register"))

    @property
    def limits(self) -> dict:
        return self.data["granser"]

    @property
    def libreoffice(self) -> dict:
        return self.data["libreoffice"]

    @property
    def numbering(self) -> dict:
        return self.data["numrering"]


def _apply(keys: dict[str, Setting], values: dict, where: str, sources: dict, section: str) -> dict:
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: [{section}] ska vara en tabell / must be a table")
    out = {}
    for key, value in values.items():
        if key not in keys:
            raise ConfigError(f"{where}: okänd nyckel / unknown key [{section}] {key}.{_did_you_mean(key, keys)}")
        out[key] = keys[key].check(value, where)
        sources[(section, key)] = CONFIG_NAME
    for key, s in keys.items():
        if key not in out:
            if s.required:
                raise ConfigError(f"{where}: [{section}] {key} saknas / is missing: {s.help}")
            out[key] = list(s.default) if isinstance(s.default, list) else s.default
            sources[(section, key)] = "standard"
    return out


def find_workspace(workspace: str | os.PathLike | None = None) -> Path:
    """The workspace folder: the one given (-w, DOCGEN_WORKSPACE), else the current folder or a parent with docgen.toml."""
    given = workspace or os.environ.get("DOCGEN_WORKSPACE")
    if given:
        ws = Path(given).expanduser().resolve()
        if not (ws / CONFIG_NAME).is_file():
            raise ConfigError(
                f"{ws} är inget arbetsområde: där finns ingen {CONFIG_NAME}. Skapa ett med `docgen init {ws}`. / "
                f"{ws} is not a workspace: it has no {CONFIG_NAME}. Create one with `docgen init {ws}`.")
        return ws
    here = Path.cwd().resolve()
    for folder in [here, *here.parents]:
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"inget arbetsområde: ingen {CONFIG_NAME} i {here} eller någon mapp ovanför. Skapa ett med `docgen init`, "
        f"eller ange ett med -w MAPP eller DOCGEN_WORKSPACE. / no workspace: no {CONFIG_NAME} in {here} or any folder "
        f"above it. Create one with `docgen init`, or name one with -w DIR or DOCGEN_WORKSPACE.")


def load_config(workspace: str | os.PathLike | None = None) -> Config:
    """Read and check the workspace's ``docgen.toml`` (workspace: given, $DOCGEN_WORKSPACE, or found upwards)."""
    ws = find_workspace(workspace)
    cfg_file = ws / CONFIG_NAME
    try:
        with open(cfg_file, "rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{cfg_file}: inte giltig TOML / not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{cfg_file}: kan inte läsas / cannot be read: {exc}") from None
    known = _index(SETTINGS)
    sources: dict = {}
    data: dict = {}
    for section, values in raw.items():
        if section in known:
            data[section] = _apply(known[section], values, str(cfg_file), sources, section)
        else:
            if not isinstance(values, dict):
                raise ConfigError(f"{cfg_file}: {section} = … står utanför en sektion / stands outside a section; "
                                  f"skriv den under sin [sektion] / put it under its [section]."
                                  + _did_you_mean(section, [s.key for s in SETTINGS]))
            data[section] = dict(values)  # a document type's own section, checked once plugins are loaded
    for section, keys in known.items():
        if section not in data:
            data[section] = _apply(keys, {}, str(cfg_file), sources, section)
    cfg = Config(workspace=ws, data=data, sources=sources, file=cfg_file)
    num = cfg.numbering
    if not cfg.organisation.strip():
        raise ConfigError(f"{cfg_file}: [organisation] namn är tomt / is empty")
    units_info = cfg.data["organisation"]["enhetsuppgifter"]
    for unit, info in units_info.items():
        if unit not in cfg.data["organisation"]["enheter"]:
            raise ConfigError(f"{cfg_file}: [organisation.enhetsuppgifter] {unit!r} är ingen av enheterna / is not one of "
                              f"the units in enheter.{_did_you_mean(unit, cfg.data['organisation']['enheter'])}")
        if not isinstance(info, dict) or not all(k in LETTERHEAD_KEYS and isinstance(v, str) for k, v in info.items()):
            raise ConfigError(f"{cfg_file}: [organisation.enhetsuppgifter.\"{unit}\"] tar bara text för / takes only "
                              f"text for: {', '.join(LETTERHEAD_KEYS)}")
    for unit, info in [(None, cfg.data["organisation"])] + list(units_info.items()):
        logo = info.get("logotyp")
        if logo:
            path = Path(os.path.expanduser(logo))
            path = path if path.is_absolute() else ws / path
            if not path.is_file() or path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".svg"):
                raise ConfigError(f"{cfg_file}: logotyp {logo!r}" + (f" ({unit})" if unit else "")
                                  + " finns inte eller är inte PNG, JPEG eller SVG / does not exist or is not PNG, JPEG or SVG")
    if not cfg.units:
        raise ConfigError(f"{cfg_file}: [organisation] enheter behöver minst en enhet / needs at least one unit")
    if num["standardserie"] not in num["serier"]:
        raise ConfigError(f"{cfg_file}: [numrering] standardserie {num['standardserie']!r} finns inte i serier / "
                          f"is not in serier {num['serier']}")
    both = sorted(set(num["serier"]) & set(num["externa_serier"]))
    if both:
        raise ConfigError(f"{cfg_file}: [numrering] {', '.join(both)} står i både serier och externa_serier / "
                          "is in both serier and externa_serier; a series is allocated by docgen or by another system")
    try:
        num["format"].format(serie="RS", år=2024, nummer=1)
    except (KeyError, ValueError, IndexError) as exc:
        raise ConfigError(f"{cfg_file}: [numrering] format går inte att använda / is not usable: {exc}") from None
    for key in ("arbete", "behandlade", "fel"):
        name = data["bevakning"][key]
        if not name or "/" in name or name.startswith("."):
            raise ConfigError(f"{cfg_file}: [bevakning] {key} = {name!r}: ett mappnamn utan / och inte dolt / "
                              "a plain folder name (no /, not hidden)")
    return cfg


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)


def config_text(organisation: str, extra: list[Setting] = ()) -> str:
    """A new workspace's docgen.toml: the organisation set, every other key shown commented with its default."""
    lines = ["# docgen configuration (`docgen config` shows the effective values and where each came from).",
             "# Paths are relative to this folder, the workspace. Uncomment a key to change it.", ""]
    section = None
    for s in list(SETTINGS) + list(extra):
        if s.section != section:
            if section is not None:
                lines.append("")
            lines.append(f"[{s.section}]")
            section = s.section
        rng = []
        if s.min is not None:
            rng.append(f"min {s.min:g}")
        if s.max is not None:
            rng.append(f"max {s.max:g}")
        lines.append(f"# {s.help}" + (f" ({', '.join(rng)})" if rng else ""))
        if s.section == "organisation" and s.key == "namn":
            lines.append(f"namn = {_toml_value(organisation)}")
        elif isinstance(s.default, str) and "\n" in s.default or isinstance(s.default, str) and len(s.default) > 100:
            lines.append(f"# {s.key} = \"\"\"{s.default}\"\"\"".replace("\n", "\n# "))
        else:
            lines.append(f"# {s.key} = {_toml_value(s.default)}")
    return "\n".join(lines) + "\n"


def effective(config: Config, extra: list[Setting] = ()) -> list[dict]:
    """Every setting with its effective value, where it came from, and its help (for `docgen config`)."""
    out = []
    for s in list(SETTINGS) + list(extra):
        out.append({"sektion": s.section, "nyckel": s.key, "varde": config.data.get(s.section, {}).get(s.key),
                    "kalla": config.sources.get((s.section, s.key), "standard"), "hjalp": s.help})
    return out
