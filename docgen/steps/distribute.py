"""Step: distribute. Plan one delivery per recipient and write an RFC 5322 message with the PDF for each
one to send (``utskick/NN-name.eml`` beside the document). No SQL: register records the deliveries,
send sends them. Drafts and new versions of registered documents are not distributed."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..files import atomic_write, safe_name
from .publish import staged
from ..mail import build_message, pdf_part
from ..model import Delivery, DeliveryStatus, Job
from ..addresses import email_address, is_internal

if TYPE_CHECKING:
    from .base import EngineView
    from ..config import Config


def plan(doc, distribution, config: Config) -> list[Delivery]:
    """One delivery per recipient: created (to send), no address, or refused (confidential, not internal)."""
    internal = config.settings.distribution.interna_domaner
    confidential = bool(doc.data.get("sekretess"))
    out = []
    for g in distribution:
        for m in g.mottagare:
            d = Delivery(syfte=g.syfte, namn=m.namn or "", epost=m.epost, status=DeliveryStatus.CREATED)
            if not d.epost:
                d.status, d.resultat = DeliveryStatus.NO_ADDRESS, "ingen e-postadress / no e-mail address"
            elif confidential and not is_internal(d.epost, internal):
                d.status = DeliveryStatus.REFUSED
                d.resultat = "sekretess: adressen är inte intern / confidential: address outside the internal domains"
            out.append(d)
    return out


def instruction(syfte: str, recipient) -> str:
    """What the message asks of its recipient: why it is sent, through whom, and whom to pass it on to."""
    line = f"Den skickas till dig {syfte}" + (f" via {recipient.via}" if recipient and recipient.via else "") + "."
    if recipient and recipient.distribuerar_till:
        line += (f" Du ombeds distribuera den vidare till {recipient.distribuerar_till}: "
                 "skicka den till dem.")
    return line


def write_messages(job: Job, config: Config) -> None:
    """The message of every delivery to send, with the published PDF attached."""
    doc, dnr = job.doc, job.reservation.diarienummer
    sender = config.settings.distribution.avsandare
    title = doc.type.document_name(doc.data)
    unit = doc.data.get("enhet") or config.units[0]
    pdf = job.built["pdf"]  # in the attempt's staging folder: placed in the outbox after the diarium's commit
    attachment = None  # encoded once, for the first message to send, and shared by the others
    recipients = [m for g in job.distribution for m in g.mottagare]  # plan() made one delivery per recipient, in order
    if len(recipients) != len(job.deliveries):
        recipients = [None] * len(job.deliveries)
    for n, (d, person) in enumerate(zip(job.deliveries, recipients), 1):
        if d.status != DeliveryStatus.CREATED:
            continue
        body = doc.type.message_text(namn=d.namn, dokument=title.lower(), rubrik=doc.data["rubrik"], diarienummer=dnr,
                                     instruktion=instruction(d.syfte, person), avsandare=f"{config.organisation}, {unit}")
        ascii_address = email_address(d.epost) or d.epost  # IDN domains as punycode: what SMTP carries
        attachment = attachment or pdf_part(pdf)
        msg = build_message(sender=sender, recipient={"namn": d.namn, "epost": ascii_address},
                            subject=f"{dnr} {doc.data['rubrik']}", body=body, attachment=attachment)
        path = job.folder / "utskick" / f"{n:02d}-{safe_name(d.namn, 40)}.eml"
        atomic_write(staged(job, config.outbox, path), msg.as_bytes())
        d.meddelande = str(path.relative_to(config.outbox))


def run(job: Job, engine: EngineView) -> Job:
    job.deliveries = plan(job.doc, job.distribution, engine.config)
    write_messages(job, engine.config)
    return job
