"""E-mail addresses: whether a text is one (in the ASCII form SMTP carries) and whether it is internal."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def email_address(value: str) -> str | None:
    """The address in the ASCII form SMTP carries (IDN domains as punycode), or None if it is not one.

    Uses email-validator (syntax only, no DNS): non-ASCII local parts, whitespace and newlines are refused.
    """
    try:
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except (EmailNotValidError, UnicodeError, ValueError):
        return None
    # email-validator checks syntax, not the root zone: every top-level domain has at least two letters
    return checked.ascii_email if len(checked.ascii_domain.rsplit(".", 1)[-1]) >= 2 else None


def is_internal(address: str, domains: list[str]) -> bool:
    """Whether the address is in one of the domains (or a subdomain of one)."""
    domain = address.rpartition("@")[2].lower()
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in domains)
