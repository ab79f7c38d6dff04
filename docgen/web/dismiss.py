"""The failed queue's "dismiss with reason": a registrar takes an input out of ``fel/`` that will not be
corrected (sent twice, withdrawn). Nothing is deleted: the folder moves whole to ``avfardade/`` beside
``fel/`` with the reason in ``avfardad.txt``, and the dismissal (who, when, which folder, why) is kept in
the access log (``avfardande``)."""
from __future__ import annotations

import os
import re

from ..errors import problem
from ..files import atomic_write
from ..pipeline import Engine
from ..service import folders_of
from ..store import users
from .auth import User
from .submit import Refused

DISMISSED = "avfardade"
REASON_FILE = "avfardad.txt"
ACTION = "avfardande"
FOLDER = re.compile(r"[^/\\\x00]{1,255}")


def dismissed_root(engine: Engine):
    return folders_of(engine.config).inbox / DISMISSED


def dismiss(engine: Engine, user: User, folder: str, reason: str) -> None:
    """Move ``fel/<folder>`` to ``avfardade/<folder>`` with the reason; Refused (404) if it is not in the queue."""
    failed = folders_of(engine.config).failed
    src = failed / folder
    if not FOLDER.fullmatch(folder) or folder in (".", "..") or not src.is_dir() or not list(src.glob("*.fel.txt")):
        raise Refused(404, [problem("mapp", "det finns ingen sådan post i felkön.", "no such entry in the failed queue.")
                            .to_dict()])
    atomic_write(src / REASON_FILE, f"Avfärdad av {user.namn}: {reason}\n".encode("utf-8"))
    dest_root = dismissed_root(engine)
    dest_root.mkdir(exist_ok=True)
    try:
        os.rename(src, dest_root / folder)  # whole or not at all; never over an earlier one
    except OSError:
        raise Refused(409, [problem("mapp", "posten avfärdas redan, eller har avfärdats.",
                                    "the entry is being dismissed, or was dismissed already.").to_dict()]) from None
    with engine.store.tx() as conn:
        users.log(conn, user.namn, ACTION, detalj=f"{folder}: {reason}")
