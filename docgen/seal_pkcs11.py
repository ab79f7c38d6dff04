"""The seal's key on a PKCS#11 token (`[sigill] pkcs11_modul`): the token opened and logged in to once per
process (a token knows one login per process), with pyHanko's PKCS#11 signer. The PIN comes from the
environment variable `pkcs11_pin_miljo` names."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from .errors import ConfigError

_OPEN = threading.Lock()
#: (module, token label): the PIN, the logged-in session and the lock its signatures take turns on
_SESSIONS: dict[tuple, tuple] = {}


def open_signer(sigill, module: Path):
    """A pyHanko signer for the key and certificate `[sigill]` names on the token (every other certificate on
    the token is its chain) and the lock to hold while signing with it; ConfigError, saying what to fix, when
    any of it cannot be had."""
    with _OPEN:
        return _open_signer(sigill, module)


def _open_signer(sigill, module: Path):
    from pkcs11 import exceptions as p11
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.pkcs11 import PKCS11Error, PKCS11Signer, open_pkcs11_session

    env = sigill.pkcs11_pin_miljo
    pin = os.environ.get(env, "")
    where = f"[sigill] pkcs11_modul: {module}"
    if not module.is_file():
        raise ConfigError(f"{where} finns inte / does not exist")
    if not sigill.pkcs11_nyckel:
        raise ConfigError("[sigill] pkcs11_nyckel är tom: ange nyckelns etikett på token / "
                          "[sigill] pkcs11_nyckel is empty: give the key's label on the token")
    if not pin:
        raise ConfigError(f"{where}: miljövariabeln {env} med tokens PIN är inte satt / "
                          f"the environment variable {env} with the token's PIN is not set")
    criteria = TokenCriteria(label=sigill.pkcs11_token or None)
    token = f"token {sigill.pkcs11_token!r}" if sigill.pkcs11_token else "token"
    key = (str(module), sigill.pkcs11_token)
    if key in _SESSIONS and _SESSIONS[key][0] != pin:  # another PIN: log out (close), so the token checks this one
        _old_pin, old, old_lock = _SESSIONS.pop(key)
        with old_lock:
            old.close()
    try:
        _pin, session, lock = _SESSIONS.get(key) or (
            pin, open_pkcs11_session(str(module), token_criteria=criteria, user_pin=pin), threading.Lock())
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange) as exc:
        raise ConfigError(f"{where}: fel PIN i miljövariabeln {env} för {token} / wrong PIN in the environment "
                          f"variable {env} for the {token}") from exc
    except p11.PinLocked as exc:
        raise ConfigError(f"{where}: {token} är låst (för många fel PIN) / the {token} is locked (too many wrong "
                          "PINs)") from exc
    except PKCS11Error as exc:  # pyHanko's own: no such token
        raise ConfigError(f"{where}: hittar ingen {token} / finds no {token}") from exc
    except (OSError, RuntimeError, p11.PKCS11Error) as exc:
        raise ConfigError(f"{where} kan inte användas / cannot be used: {type(exc).__name__}: {exc}") from exc
    _SESSIONS[key] = (pin, session, lock)
    signer = PKCS11Signer(session, key_label=sigill.pkcs11_nyckel,
                          cert_label=sigill.pkcs11_certifikat or sigill.pkcs11_nyckel, other_certs_to_pull=None)
    try:
        with lock:
            signer.signing_cert  # noqa: B018 - pulls the key and the certificates now, for a clear message at start
    except (SigningError, p11.PKCS11Error) as exc:
        raise ConfigError(
            f"[sigill] pkcs11_nyckel/pkcs11_certifikat: {token} har ingen nyckel {sigill.pkcs11_nyckel!r} med "
            f"certifikat {sigill.pkcs11_certifikat or sigill.pkcs11_nyckel!r} / the {token} holds no such key "
            f"with its certificate ({exc})") from exc
    return signer, lock
