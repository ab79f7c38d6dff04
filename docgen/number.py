"""Stage 3, number: give a document its diarienummer and running number, or take the case it names.

A reservation is made in one write transaction: the number series row is incremented, the case
(new numbers only) and the document are inserted with status ``reserverad``. It becomes
``registrerad`` when the document is registered, or ``makulerad`` with a reason when it fails, so
every number handed out is accounted for. A reservation whose process died (crash) is taken over
by the next attempt at the same input instead of allocating a second number.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from .errors import DocgenError, InputError, problem
from .owners import owner_alive, owner_id
from .registry import Registry, arende, handling, now, nummerserie, version
from .validate import Document


class DuplicateInput(DocgenError):
    """The same input (by content) is already registered, or is being processed right now."""

    def __init__(self, source: str, diarienummer: str, lopnummer: int, status: str, registered_from: str | None = None):
        self.source, self.diarienummer, self.lopnummer, self.status = source, diarienummer, lopnummer, status
        #: the source (input name) of the version already registered for this input
        self.registered_from = registered_from
        if status == "reserverad":
            msg = (f"{source}: samma indata behandlas redan som {diarienummer} handling {lopnummer}. / "
                   f"the same input is already being processed as {diarienummer} document {lopnummer}.")
        else:
            msg = (f"{source}: dubblett — samma indata är redan registrerad som {diarienummer} handling {lopnummer}. "
                   f"Använd `docgen regenerate` för en ny version. / duplicate: the same input is already "
                   f"registered as {diarienummer} document {lopnummer}; use `docgen regenerate` for a new version.")
        super().__init__(msg)


@dataclass
class Reservation:
    case_id: int
    handling_id: int
    diarienummer: str
    lopnummer: int
    new_case: bool
    taken_over: bool = False


def format_dnr(config, serie: str, year: int, number: int) -> str:
    return config.numbering["format"].format(serie=serie, år=year, nummer=number)


def _next_in_series(conn, serie: str, year: int) -> int:
    row = conn.execute(
        select(nummerserie.c.senaste).where(nummerserie.c.serie == serie, nummerserie.c.ar == year).with_for_update()
    ).first()
    if row is None:
        conn.execute(nummerserie.insert().values(serie=serie, ar=year, senaste=1))
        return 1
    number = row[0] + 1
    conn.execute(nummerserie.update().where(nummerserie.c.serie == serie, nummerserie.c.ar == year).values(senaste=number))
    return number


def allocate_number(registry: Registry, config, serie: str, rubrik: str, year: int | None = None) -> tuple[int, str]:
    """Hand out the next number of a series as a new reserved case; returns (case id, diarienummer)."""
    with registry.tx() as conn:
        return _allocate(conn, config, serie, rubrik, year or date.today().year)


def _allocate(conn, config, serie: str, rubrik: str, year: int) -> tuple[int, str]:
    number = _next_in_series(conn, serie, year)
    dnr = format_dnr(config, serie, year, number)
    case_id = conn.execute(arende.insert().values(
        diarienummer=dnr, serie=serie, ar=year, nummer=number, rubrik=rubrik, status="reserverad", skapad=now(),
    )).inserted_primary_key[0]
    return case_id, dnr


def _prior(conn, sha: str):
    return conn.execute(
        select(handling.c.id, handling.c.arende_id, handling.c.lopnummer, handling.c.status, handling.c.agare,
               arende.c.diarienummer, arende.c.status.label("arende_status"))
        .join(arende, arende.c.id == handling.c.arende_id)
        .where(handling.c.input_sha256 == sha, handling.c.status.in_(["reserverad", "registrerad", "arkiverad"]))
        .order_by(handling.c.id.desc()).limit(1)
    ).first()


def _duplicate(conn, doc: Document, prior) -> DuplicateInput:
    kalla = conn.execute(select(version.c.kalla).where(version.c.handling_id == prior.id)
                         .order_by(version.c.version).limit(1)).scalar()
    return DuplicateInput(doc.source, prior.diarienummer, prior.lopnummer, prior.status, kalla)


def _case_problem(doc: Document, case) -> InputError:
    dnr = doc.data["diarienummer"]
    what_sv = "är makulerat" if case is not None else "finns inte i diariet"
    what_en = "is voided" if case is not None else "is not in the diarium"
    return InputError(doc.source, [problem(
        "diarienummer", f"ärendet {dnr} {what_sv}.", f"the case {dnr} {what_en}.",
        "kontrollera numret (`docgen registry list`), eller ta bort diarienummer och ange serie för ett nytt ärende.",
        "check the number (`docgen registry list`), or remove diarienummer and give serie for a new case.",
        doc.loaded.line_of("diarienummer"))])


def external_case(config, diarienummer: str) -> dict | None:
    """serie, år and nummer of a diarienummer in one of the external series, or None."""
    from .validate import dnr_regex

    m = dnr_regex(config.numbering["format"]).match(diarienummer)
    if m and m["serie"] in config.numbering["externa_serier"]:
        return {"serie": m["serie"], "ar": int(m["år"]), "nummer": int(m["nummer"])}
    return None


def precheck(registry: Registry, doc: Document, config) -> None:
    """What the diarium can refuse, checked without taking a number: an unknown or voided case, a duplicate.

    ``reserve`` checks the same again inside its transaction (another process may have acted meanwhile).
    """
    if doc.is_draft:
        return
    with registry.engine.connect() as conn:
        prior = _prior(conn, doc.sha256)
        if prior is not None and (prior.status != "reserverad" or owner_alive(prior.agare)):
            raise _duplicate(conn, doc, prior)
        if "diarienummer" in doc.data:
            case = conn.execute(select(arende.c.id, arende.c.status).where(arende.c.diarienummer == doc.data["diarienummer"])).first()
            if case is None and external_case(config, doc.data["diarienummer"]):
                return  # a case of the records system docgen has not seen: opened when the number is reserved
            if case is None or case.status == "makulerad":
                raise _case_problem(doc, case)


def reserve(registry: Registry, doc: Document, config) -> Reservation:
    """Reserve the diarienummer and running number for a validated, non-draft document."""
    data, sha = doc.data, doc.sha256
    with registry.tx() as conn:
        prior = _prior(conn, sha)
        if prior is not None:
            if prior.status != "reserverad" or owner_alive(prior.agare):
                raise _duplicate(conn, doc, prior)
            conn.execute(handling.update().where(handling.c.id == prior.id).values(agare=owner_id()))
            return Reservation(prior.arende_id, prior.id, prior.diarienummer, prior.lopnummer,
                               new_case=prior.arende_status == "reserverad", taken_over=True)
        if "diarienummer" in data:
            case = conn.execute(select(arende.c.id, arende.c.status).where(arende.c.diarienummer == data["diarienummer"])).first()
            ext = external_case(config, data["diarienummer"]) if case is None else None
            if ext is not None:  # opened here, as the records system numbered it; never voided with a document
                case_id = conn.execute(arende.insert().values(
                    diarienummer=data["diarienummer"], rubrik=data["rubrik"], status="oppen", skapad=now(), extern=1, **ext,
                )).inserted_primary_key[0]
            elif case is None or case.status == "makulerad":
                raise _case_problem(doc, case)
            else:
                case_id = case.id
            dnr, new_case = data["diarienummer"], False
        else:
            case_id, dnr = _allocate(conn, config, data["serie"], data["rubrik"], date.today().year)
            new_case = True
        lop = (conn.execute(select(func.max(handling.c.lopnummer)).where(handling.c.arende_id == case_id)).scalar() or 0) + 1
        hid = conn.execute(handling.insert().values(
            arende_id=case_id, lopnummer=lop, dokumenttyp=doc.type.name, rubrik=data["rubrik"], datum=data["datum"],
            enhet=data.get("enhet"), status="reserverad", input_sha256=sha, agare=owner_id(),
        )).inserted_primary_key[0]
        return Reservation(case_id, hid, dnr, lop, new_case)


def void(registry: Registry, res: Reservation, reason: str) -> None:
    """Mark a reservation's document (and its case, if the case was new) as voided, with the reason."""
    with registry.tx() as conn:
        conn.execute(handling.update().where(handling.c.id == res.handling_id, handling.c.status == "reserverad")
                     .values(status="makulerad", makulerad_orsak=reason, agare=None))
        if res.new_case:
            conn.execute(arende.update().where(arende.c.id == res.case_id, arende.c.status == "reserverad")
                         .values(status="makulerad", makulerad_orsak=reason))
