"""Step: send. Deliver the messages not yet sent through the configured SMTP server and record each
outcome in the diarium (`docgen send` runs the same for everything unsent). A failed send keeps its
message file and is tried again by the next `docgen send`.

Exactly once: each delivery is claimed in the diarium (status skickas, with this process as owner)
before its message goes out, so concurrent senders never send the same one. A sender that dies
between claiming and recording leaves the delivery ``oklar`` (uncertain): it is not sent again until
a person checks and runs ``docgen send --again ID``."""
from __future__ import annotations

from typing import TYPE_CHECKING

from email import policy
from email.parser import BytesParser

from .. import liveness
from ..mail import DeliveryUncertain, SmtpSender
from ..model import DeliveryStatus, Job
from ..owners import owner_id
from ..store import Store, deliveries

if TYPE_CHECKING:
    from .base import EngineView
    from ..config import Config


def send_unsent(store: Store, config: Config, only_version: int | None = None, diarienummer: str | None = None) -> list[dict]:
    """Send every delivery not yet sent (created, or failed before); record and return the outcome of each."""
    sender = SmtpSender(config.settings.smtp)
    if not sender.enabled:
        return []
    mark_abandoned(store)
    me = owner_id()
    with store.read() as conn:
        rows = deliveries.unsent(conn, only_version=only_version, diarienummer=diarienummer)
    outcomes = []
    for row in rows:
        if not store.transact(lambda conn: deliveries.claim(conn, row["id"], me)):
            continue  # another sender has it
        path = config.outbox / row["meddelande"]
        try:
            with path.open("rb") as f:
                msg = BytesParser(policy=policy.SMTP).parse(f)
            result, status = sender.send(msg), DeliveryStatus.SENT
        except DeliveryUncertain as exc:  # taken or not: a person checks, then `docgen send --again ID`
            result, status = (f"servern svarade inte efter att ha fått hela meddelandet ({exc}); kontrollera med "
                              "mottagaren, skicka sedan igen med `docgen send --again ID` / the server did not answer "
                              "after receiving the whole message; check with the recipient"), DeliveryStatus.UNCERTAIN
        except Exception as exc:  # the message file stays; the next run tries again
            result, status = f"{type(exc).__name__}: {exc}", DeliveryStatus.FAILED
        store.transact(lambda conn: deliveries.record(conn, row["id"], str(status), result, owner=me))
        outcomes.append({"id": row["id"], "namn": row["namn"], "epost": row["epost"], "status": str(status), "resultat": result})
    return outcomes


def mark_abandoned(store: Store) -> list[int]:
    """Deliveries whose sender died while sending become ``oklar``; returns their ids."""
    with store.read() as conn:
        claimed = deliveries.being_sent(conn)
    marked = []
    for row in claimed:
        if liveness.alive(store, row["agare"]):
            continue
        with store.tx() as conn:
            if deliveries.mark_uncertain(conn, row["id"], row["agare"], (
                    f"avsändaren {row['agare']} avbröts under sändningen (påbörjad {row['paborjad']}); kontrollera med "
                    "mottagaren om meddelandet kom fram, skicka sedan igen med `docgen send --again ID` / the sender "
                    "stopped while sending; check with the recipient, then `docgen send --again ID`")):
                marked.append(row["id"])
    return marked


def run(job: Job, engine: EngineView) -> Job:
    if not job.deliveries:
        return job
    by_id = {o["id"]: o for o in send_unsent(engine.store, engine.config, only_version=job.version_id)}
    for d in job.deliveries:
        sent = by_id.get(d.id)
        if sent:
            d.status, d.resultat = DeliveryStatus(sent["status"]), sent["resultat"]
    o = job.outcome
    o.deliveries = [d.summary() for d in job.deliveries]
    refused = [f"{d.namn} <{d.epost}>" for d in job.deliveries if d.status == DeliveryStatus.REFUSED]
    if refused:
        o.delivery_errors.append(
            "utskick nekat (sekretess, adress utanför interna domäner) / delivery refused (confidential, "
            "address outside the internal domains): " + ", ".join(refused))
    return job
