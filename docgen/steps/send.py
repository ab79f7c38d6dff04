"""Step: send. Deliver the messages not yet sent through the configured SMTP server and record each
outcome in the diarium (`docgen send` runs the same for everything unsent). A failed send keeps its
message file and is tried again by the next `docgen send`."""
from __future__ import annotations

from typing import TYPE_CHECKING

from email import policy
from email.parser import BytesParser

from ..mail import SmtpSender
from ..model import DeliveryStatus, Job
from ..store import Store, deliveries

if TYPE_CHECKING:
    from ..config import Config


def send_unsent(store: Store, config: Config, only_version: int | None = None, diarienummer: str | None = None) -> list[dict]:
    """Send every delivery not yet sent (created, or failed before); record and return the outcome of each."""
    sender = SmtpSender(config.section("smtp"))
    if not sender.enabled:
        return []
    with store.read() as conn:
        rows = deliveries.unsent(conn, only_version=only_version, diarienummer=diarienummer)
    outcomes = []
    for row in rows:
        path = config.outbox / row["meddelande"]
        try:
            with path.open("rb") as f:
                msg = BytesParser(policy=policy.SMTP).parse(f)
            result, status = sender.send(msg), DeliveryStatus.SENT
        except Exception as exc:  # the message file stays; the next run tries again
            result, status = f"{type(exc).__name__}: {exc}", DeliveryStatus.FAILED
        with store.tx() as conn:
            deliveries.record(conn, row["id"], str(status), result)
        outcomes.append({"id": row["id"], "namn": row["namn"], "epost": row["epost"], "status": str(status), "resultat": result})
    return outcomes


def run(job: Job, engine) -> Job:
    if job.version_id is None or not job.deliveries:
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
