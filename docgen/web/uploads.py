"""An input with its attachments from the web: a ``multipart/form-data`` post whose part ``indata`` is the input
(JSON, as in an inbox file) and whose file parts carry the files its ``bilagor[].fil`` name (the file part's file
name is the reference). Every reference must have its file and every file its reference.

The files get names of their own (``api-<random>-<name>``) so that posts never meet in the inbox; an attachment
without a ``titel`` keeps the title its own name gives it. Then the input goes the inbox's way with them
(``submit(..., files=...)``): the same checks (a reference leaving the folder, a type other than PDF/DOCX, a
broken or encrypted file) and the same report."""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import PurePosixPath

from starlette.datastructures import UploadFile
from starlette.requests import Request

from ..attachments import SUFFIXES
from ..errors import problem
from ..load import join_path
from .submit import Refused, parse_json, too_large

#: At most this many attachments, each at most this large (bytes), in one post.
MAX_FILES, MAX_FILE_SIZE = 20, 64 * 1024 * 1024
PART = "indata"


@dataclass
class Upload:
    raw: bytes  # the input as it goes into the inbox (its references renamed)
    files: dict[str, bytes]  # the attachments, by their names in the inbox
    digest: str  # the content as sent (input and files), for one submission per content
    prefix: str = ""  # what the files' names in the inbox start with

    def restore_names(self, exc: Refused) -> Refused:
        """A refusal that names the files as the sender did (not by their names in the inbox)."""
        if self.prefix:
            exc.problems = [{k: v.replace(self.prefix, "") if isinstance(v, str) else v for k, v in p.items()}
                            for p in exc.problems]
            exc.report = exc.report.replace(self.prefix, "") if exc.report else exc.report
        return exc


def _refuse(field: str, sv: str, en: str, fix_sv: str = "", fix_en: str = "", status: int = 422) -> Refused:
    return Refused(status, [problem(field, sv, en, fix_sv, fix_en).to_dict()])


async def read(request: Request, limit: int) -> Upload:
    """The post's input and attachments, checked against each other; Refused (400, 413, 422) if they do not fit."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + MAX_FILES * MAX_FILE_SIZE:
        raise too_large(limit)
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=5, max_part_size=limit)
    except Exception as exc:  # the parser's own refusals (too many parts, a malformed body)
        raise _refuse("", f"multipart-delen kan inte läsas: {exc}.", f"the multipart body cannot be read: {exc}.",
                      "skicka indata som delen indata och filerna som fildelar.",
                      "send the input as the part indata and the files as file parts.", status=400) from None
    try:
        text = form.get(PART)
        if isinstance(text, UploadFile):
            text = (await text.read()).decode("utf-8", "replace") if text.size is None or text.size <= limit else None
            if text is None:
                raise too_large(limit)
        if not isinstance(text, str):
            raise _refuse(PART, "delen indata saknas.", "the part indata is missing.",
                          "lägg indata (JSON) i delen indata.", "put the input (JSON) in the part indata.")
        raw = text.encode("utf-8")
        data = parse_json(raw, limit, with_files=True)
        files: dict[str, bytes] = {}
        for key, value in form.multi_items():
            if key == PART:
                continue
            if not isinstance(value, UploadFile):
                raise _refuse(key, f"okänd del {key!r}.", f"unknown part {key!r}.", "skicka bara indata och filer.",
                              "send only indata and files.")
            name = value.filename or ""
            if name in files:
                raise _refuse(key, f"filen {name!r} skickades två gånger.", f"the file {name!r} was sent twice.")
            if value.size is not None and value.size > MAX_FILE_SIZE:
                raise _refuse(key, f"filen {name!r} är större än {MAX_FILE_SIZE} byte.",
                              f"the file {name!r} is larger than {MAX_FILE_SIZE} bytes.", status=413)
            files[name] = await value.read()
    finally:
        await form.close()
    return _match(data, files)


def _match(data: dict, files: dict[str, bytes]) -> Upload:
    refs = data.get("bilagor") or []
    if not isinstance(refs, list):
        refs = []
    named = [r.get("fil") for r in refs if isinstance(r, dict)]
    for i, ref in enumerate(named):
        if isinstance(ref, str) and ref not in files:
            raise _refuse(join_path(join_path("bilagor", i), "fil"), f"bilagan {ref!r} har ingen fildel.", f"the attachment {ref!r} has no file part.",
                          f"skicka filen som en fildel med filnamnet {ref!r}.", f"send the file as a file part named {ref!r}.")
    for name in files:
        if name not in named:
            raise _refuse("bilagor", f"filen {name!r} nämns inte i bilagor.", f"the file {name!r} is not named in bilagor.",
                          "ta med den i bilagor (fil) eller skicka den inte.", "list it in bilagor (fil) or do not send it.")
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
                            + b"".join(hashlib.sha256(files[n]).digest() for n in sorted(files))).hexdigest()
    prefix = f"api-{secrets.token_hex(6)}-"
    renamed: dict[str, bytes] = {}
    out = json.loads(json.dumps(data))
    for i, ref in enumerate(out.get("bilagor") or []):
        name = ref.get("fil") if isinstance(ref, dict) else None
        pure = PurePosixPath(name.replace("\\", "/")) if isinstance(name, str) else None
        if pure is None or len(pure.parts) != 1 or pure.suffix.lower() not in SUFFIXES or name.startswith("."):
            continue  # not renamed: the inbox's checks report it (outside the folder, not PDF/DOCX, …)
        ref.setdefault("titel", pure.stem)
        ref["fil"] = prefix + name
        renamed[prefix + name] = files[name]
    return Upload(json.dumps(out, ensure_ascii=False, indent=1).encode("utf-8"), renamed, digest, prefix)
