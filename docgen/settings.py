"""The engine's settings table: each section of docgen.toml a typed model, in the order docgen.toml lists them.

A document type declares its own section (docgen/settingtypes.py ``Setting``); these are the engine's.
Each field's description is the help `docgen init` writes above it and `docgen config` shows.
"""
from __future__ import annotations

import warnings

from pydantic import BaseModel, ConfigDict, Field

from .settingtypes import Section, Setting, settings_of


class Organisation(Section):
    """[organisation] The organisation: its name, units and the letterhead's details."""

    namn: str = Field(..., description="The organisation's name: every document's header and the PDF author.")
    enheter: list[str] = Field(['Kansliet'], description=
        'Units (förvaltningar, staber) inputs may name in `enhet`; the first is the default.')
    organisationsnummer: str = Field('', description=
        "Organisationsnummer (e.g. 232100-0000): in every document's footer; archival packages name the "
        'archival creator by it.')
    logotyp: str = Field('', description=
        "The logo in the first page's letterhead: a PNG, JPEG or SVG file (decorative: the organisation's "
        'name stands beside it); empty for none.')
    postadress: str = Field('', description=
        'Postal address in every document\'s footer, e.g. "Regionens hus, 123 45 Exempelby".')
    telefon: str = Field('', description='Telephone number in the footer.')
    webbadress: str = Field('', description='Web address in the footer.')
    enhetsuppgifter: dict = Field({}, description=
        'Per unit, its own logotyp, postadress, telefon or webbadress: [organisation.enhetsuppgifter."Unit '
        'name"] with any of those keys.')


class Numrering(Section):
    """[numrering] How diarienummer are formed and in which series."""

    format: str = Field('{serie} {år}-{nummer:05d}', description=
        'Format of a diarienummer: {serie}, {år} and {nummer} (with a format spec).')
    serier: list[str] = Field(['RS'], description=
        'Series docgen allocates numbers in; an input names one with `serie`.')
    standardserie: str = Field('RS', description='The series of an input that names neither serie nor diarienummer.')
    externa_serier: list[str] = Field([], description=
        'Series whose numbers another system (the diarium of record) allocates: an input names its '
        'diarienummer, docgen opens a case it has not seen and never allocates a number there.')


# `register` is also ABCMeta's method on the class; the field is what an instance answers (pydantic warns).
warnings.filterwarnings("ignore", message='Field name "register" in "Sokvagar"', category=UserWarning)


class Sokvagar(Section):
    """[sokvagar] Paths, relative to the workspace."""

    inkorg: str = Field('inbox', description='The inbox the watcher takes input files from.')
    utkorg: str = Field('outbox', description='Where documents are written.')
    register: str = Field('docgen.sqlite', description=
        'The diarium: a SQLite file, or an SQLAlchemy URL (postgresql+psycopg://user@host/db).')
    mallar: str = Field('templates', description=
        "The workspace's own templates, searched before a type's built-in ones (same file name overrides).")
    plugins: str = Field('', description=
        'A folder of plugin modules (*.py) to load besides the installed ones; empty for none.')
    sandlistor: str = Field('distribution.yaml', description='Named distribution lists (sändlistor).')


class Granser(Section):
    """[granser] Limits on one input."""

    max_filstorlek: int = Field(1024 * 1024, ge=1, le=64 * 1024 * 1024, description=
        'Largest input file accepted, in bytes.')
    max_djup: int = Field(20, ge=2, le=200, description='Deepest nesting of lists and fields in an input.')
    max_noder: int = Field(20000, ge=10, description=
        'Most elements an input may hold once YAML aliases are expanded (alias bombs).')
    max_expanderad: int = Field(4 * 1024 * 1024, ge=1024, description=
        'Largest size in bytes an input may reach once YAML aliases are expanded.')
    # Measured with bench/limits.py (`make bench`): each is about half of what converted within half the
    # conversion deadline (60 s) on 2 shared cores; the README's "Limits" gives the figures.
    max_tecken: int = Field(600_000, ge=1, description=
        "Most characters of text in one input (LibreOffice's time grows with it).")
    max_stycke: int = Field(40_000, ge=1, description='Most characters in one paragraph (text without a blank line).')
    max_listposter: int = Field(3_000, ge=1, description=
        'Most list items in one input (lists and Markdown list lines).')
    max_tabellceller: int = Field(6_000, ge=1, description='Most table cells in one input (Markdown tables).')
    max_lankar: int = Field(5_000, ge=1, description='Most links in one input.')


class Distribution(Section):
    """[distribution] Messages written for each recipient."""

    avsandare: str = Field('registrator@example.se', description=
        'From address of the messages written for each recipient.')
    interna_domaner: list[str] = Field(['example.se'], description=
        'Internal e-mail domains (and their subdomains): a confidential document is only delivered there.')


class Smtp(Section):
    """[smtp] Sending the messages."""

    server: str = Field('', description=
        'SMTP server; empty: only write the messages (outbox/<document>/utskick/*.eml).')
    port: int = Field(587, ge=1, le=65535, description='SMTP port.')
    starttls: bool = Field(True, description='Use STARTTLS.')
    anvandare_variabel: str = Field('DOCGEN_SMTP_ANVANDARE', description=
        'Environment variable holding the SMTP user name (never this file).')
    losenord_variabel: str = Field('DOCGEN_SMTP_LOSENORD', description=
        'Environment variable holding the SMTP password.')
    timeout: float = Field(30.0, ge=0.1, le=600, description='Seconds per SMTP operation.')
    forsok: int = Field(3, ge=1, le=20, description='Attempts per message on temporary failures.')
    ca_fil: str = Field('', description=
        "A CA certificate file to trust for STARTTLS (an internal CA); empty: the system's.")


class Arkiv(Section):
    """[arkiv] Archival packages."""

    docx: bool = Field(False, description='Archival packages also hold the DOCX files, as a second representation.')


class Bevakning(Section):
    """[bevakning] The inbox watcher."""

    polling: bool = Field(False, description=
        'Poll the inbox instead of inotify (network shares: SMB/NFS send no inotify events).')
    stabil_tid: float = Field(1.0, ge=0.05, le=3600, description=
        "Seconds a file's size and time must stay unchanged before it is taken (polling).")
    omsokning_minuter: float = Field(2.0, ge=0.001, le=1440, description=
        'Full rescan of the inbox every N minutes (events are hints, not a ledger).')
    arbetare: int = Field(0, ge=0, le=64, description=
        'Workers, each with a warm LibreOffice; 0 = the number of cores.')
    undermappar: bool = Field(False, description='Watch sub-folders of the inbox too.')
    bilagor_vantetid: float = Field(30.0, ge=0, le=86400, description=
        "Seconds to wait for an input's attachments before processing it anyway.")
    arbete: str = Field('arbete', description='Folder inside the inbox for claimed inputs (owned by the watcher).')
    behandlade: str = Field('behandlade', description='Folder inside the inbox for processed inputs.')
    fel: str = Field('fel', description='Folder inside the inbox for failed inputs and their reports.')


class Libreoffice(Section):
    """[libreoffice] The LibreOffice pool."""

    soffice: str = Field('soffice', description='The soffice binary; docgen starts its own headless instances.')
    timeout: float = Field(60, ge=1, le=3600, description=
        'Seconds one conversion may take before its instance is killed and restarted.')
    omstart_efter: int = Field(500, ge=0, description=
        'Restart an instance after this many conversions (bounds memory and the slowing of a long-running '
        'instance; a restart costs about a second); 0 = never.')
    instanser: int = Field(0, ge=0, le=64, description='Warm instances in the pool; 0 = one per worker.')
    allokerare: str = Field('jemalloc', description=
        "The memory allocator LibreOffice runs with: \"jemalloc\" (Debian's libjemalloc2; conversions about a "
        'third faster than with glibc\'s malloc, and they stay that fast), "system" (glibc\'s malloc) or the '
        'absolute path of another malloc library to preload.')


class Sigill(Section):
    """[sigill] The organisation's seal on registered PDFs."""

    pkcs12: str = Field('', description=
        "The organisation's seal: a PKCS#12 file (certificate and key) every registered PDF is sealed with "
        '(PAdES); empty: PDFs are not sealed (unless `pkcs11_modul` is set).')
    losenord_miljo: str = Field('DOCGEN_SIGILL_LOSENORD', description=
        "Environment variable holding the PKCS#12 file's password (never this file).")
    pkcs11_modul: str = Field('', description=
        'Instead of `pkcs12`: the seal key is on a PKCS#11 token (HSM, smart card); the path of its PKCS#11 '
        'library (e.g. /usr/lib/softhsm/libsofthsm2.so). Not together with `pkcs12`.')
    pkcs11_token: str = Field('', description=
        "The PKCS#11 token's label; empty: the first token the library has.")
    pkcs11_nyckel: str = Field('', description=
        "The label of the seal's private key on the token (the certificate has the same label unless "
        '`pkcs11_certifikat` names another).')
    pkcs11_certifikat: str = Field('', description=
        "The label of the seal's certificate on the token; empty: the key's label. The token's other "
        'certificates go into the seal as its chain.')
    pkcs11_pin_miljo: str = Field('DOCGEN_SIGILL_PIN', description=
        "Environment variable holding the token's user PIN (never this file).")
    tidsstampel_url: str = Field('', description=
        "An RFC 3161 timestamp authority's URL: the seal gets a timestamp (PAdES B-T, B-LT when revocation "
        'information can be embedded); empty: B-B, no timestamp.')
    betrodda_rotcertifikat: list[str] = Field([], description=
        'PEM files of the root certificates the seal (and its timestamp) must chain to: checked at start and '
        'by `docgen verify`.')
    timeout: float = Field(30.0, ge=0.1, le=600, description='Seconds to wait for the timestamp authority.')


class Beslutsfattande(Section):
    """[beslutsfattande] Decisions made in docgen (a type's own [beslut] section is the beslut type's texts)."""

    krav_godkannande: bool = Field(False, description=
        'A decided document type (one whose plugin says so) must name its beslutsfattare and wait for their '
        "decision in docgen; false: an input without beslutsfattare keeps the old behaviour (the signatories it "
        'lists, no approval). `docgen init` writes true.')
    egen_beslut: bool = Field(False, description=
        'A beslutsfattare may decide a document they submitted themselves.')


class Webb(Section):
    """[webb] `docgen serve`."""

    betrodd_anvandarrubrik: str = Field('', description=
        '`docgen serve` behind a reverse proxy that authenticates people: the request header naming the user '
        '(e.g. X-Remote-User), trusted as is; empty: off (people log in with a password).')
    session_timmar: float = Field(8.0, ge=0.1, le=720, description='Hours a web login lasts.')
    sakra_kakor: bool = Field(False, description=
        'Mark the login cookie Secure and send HSTS (the pages are served over HTTPS, e.g. behind a reverse '
        'proxy).')
    betrodda_proxyer: list[str] = Field([], description=
        'Addresses (or networks, CIDR) of reverse proxies whose X-Forwarded-For/-Proto `docgen serve` '
        "believes; empty: nobody's (the client is the connecting address).")
    webhook_tillatna: list[str] = Field([], description=
        'URL prefixes a webhook may be registered for (e.g. https://arende.example.se/docgen/); empty: no '
        'webhooks.')


class Settings(BaseModel):
    """The engine's sections of one docgen.toml, checked."""

    model_config = ConfigDict(frozen=True)

    organisation: Organisation
    numrering: Numrering
    sokvagar: Sokvagar
    granser: Granser
    distribution: Distribution
    smtp: Smtp
    arkiv: Arkiv
    bevakning: Bevakning
    libreoffice: Libreoffice
    sigill: Sigill
    beslutsfattande: Beslutsfattande
    webb: Webb


#: The engine's sections by name, in order.
SECTIONS: dict[str, type[Section]] = {name: f.annotation for name, f in Settings.model_fields.items()}
#: Every engine setting as a record (for `docgen init`, `docgen config` and the README check).
SETTINGS: list[Setting] = [s for name, model in SECTIONS.items() for s in settings_of(name, model)]
#: What `docgen init` writes into a new workspace where it differs from the default (a default that keeps an
#: existing docgen.toml working as before).
NEW_WORKSPACE = {("beslutsfattande", "krav_godkannande"): True}
#: What a unit may set for itself in [organisation.enhetsuppgifter."Unit"].
LETTERHEAD_KEYS = ("logotyp", "postadress", "telefon", "webbadress")
