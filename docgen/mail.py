"""E-mail for distribution: RFC 5322 messages (Python's email package) and SMTP delivery."""
from __future__ import annotations

import os
import smtplib
import ssl
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage, Message, MIMEPart
from email.utils import formatdate, make_msgid
from pathlib import Path

from . import retry
from .errors import ConfigError
from .settings import Smtp


#: How every message is built and written: SMTP's line endings, 7-bit content (base64 or quoted-printable),
#: so that writing it out never re-encodes (and so never copies) the message.
SEVEN_BIT = email_policy.SMTP.clone(cte_type="7bit")
#: The body's text is encoded with its own line ends ("\n"), as it was written.
_TEXT = SEVEN_BIT.clone(linesep="\n")


def pdf_part(pdf: Path) -> MIMEPart:
    """The PDF as an attachment, base64-encoded once for all the messages that carry it (``build_message``)."""
    part = MIMEPart(policy=SEVEN_BIT)
    part.set_content(pdf.read_bytes(), maintype="application", subtype="pdf", disposition="attachment",
                     filename=pdf.name)
    return part


def build_message(*, sender: str, recipient: dict, subject: str, body: str, attachment: MIMEPart) -> EmailMessage:
    """An RFC 5322 message: plain-text body (UTF-8) and the attachment (``pdf_part``; only read, so one part
    serves every recipient's message). ``as_bytes()`` writes it as sent.

    A name with line breaks cannot add header lines (a Bcc: around the confidentiality check): all
    whitespace becomes one space, and the address is built as one Address, so a comma or non-ASCII
    letters in a name never split it into two recipients when the header is folded.
    """
    msg = EmailMessage(policy=SEVEN_BIT)
    msg["From"] = sender
    name = " ".join(str(recipient.get("namn") or "").split())
    local, _, domain = recipient["epost"].rpartition("@")
    msg["To"] = Address(display_name=name, username=local, domain=domain)
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg["MIME-Version"] = "1.0"
    text = MIMEPart(policy=_TEXT)
    text.set_content(body, charset="utf-8", cte="base64")
    msg.make_mixed()
    msg.attach(text)
    msg.attach(attachment)
    return msg


class DeliveryUncertain(Exception):
    """The whole message was handed to the server, which then did not answer: it may have been delivered."""


class _Smtp(smtplib.SMTP):
    """smtplib's client, noting when the message content itself has gone out (after DATA's 354)."""

    content_sent = False
    _in_data = False

    def putcmd(self, cmd, args=""):
        self._in_data = cmd.lower() == "data"
        super().putcmd(cmd, args)

    def send(self, s):
        if self._in_data and not (isinstance(s, str) and s.lower().startswith("data")):
            self.content_sent = True
        super().send(s)


class SmtpSender:
    """Sends messages through the configured server: STARTTLS, login from environment variables, retries."""

    def __init__(self, cfg: Smtp):
        self.host = cfg.server
        self.port = int(cfg.port)
        self.starttls = bool(cfg.starttls)
        self.timeout = float(cfg.timeout)
        self.attempts = max(1, int(cfg.forsok))
        self.ca_file = cfg.ca_fil or None
        self.user = os.environ.get(cfg.anvandare_variabel) or None
        self.password = os.environ.get(cfg.losenord_variabel) or None
        if self.user and not self.password:
            raise ConfigError(f"SMTP user is set in ${cfg.anvandare_variabel} but ${cfg.losenord_variabel} is empty")

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    def _once(self, msg: Message) -> None:
        smtp = _Smtp(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.starttls:
                ctx = ssl.create_default_context(cafile=self.ca_file)
                smtp.starttls(context=ctx)
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password)
            try:
                smtp.send_message(msg)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                if smtp.content_sent:  # no answer after the whole message went out: it may have been taken
                    raise DeliveryUncertain(f"{type(exc).__name__}: {exc}") from exc
                raise
        finally:
            try:
                smtp.quit()  # the message was accepted (or refused) before this: a failing QUIT changes nothing
            except Exception:
                smtp.close()

    def send(self, msg: Message) -> str:
        """Send with retries on temporary failures; returns the outcome text or raises the last error."""
        for attempt in retry.attempts(self.attempts, RETRY_PAUSE, _temporary):
            with attempt:
                self._once(msg)
        return f"skickat via {self.host}:{self.port} (försök {attempt.retry_state.attempt_number})"


#: Seconds before the second delivery attempt; doubled for each one after.
RETRY_PAUSE = 0.5


def _temporary(exc: BaseException) -> bool:
    """Whether a delivery that failed so may be tried again: a 4xx answer, a lost or refused connection;
    never one that may have been taken (``DeliveryUncertain``: a person checks first)."""
    if isinstance(exc, DeliveryUncertain):
        return False
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError))
