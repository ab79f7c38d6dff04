"""Attachments (bilagor): checked references, DOCX converted, pages stamped and appended to the PDF.

A reference must stay inside the input's folder (no absolute path, no ``..``, no link pointing
outside) and name an existing PDF or DOCX. Each attachment page gets "Bilaga N till <diarienummer>"
in its top margin; the stamp is itself made by LibreOffice, so its font is embedded.
"""
from __future__ import annotations

import io
import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.errors import PdfReadError

from .errors import InputError, Problem, problem
from .load import join_path

SUFFIXES = {".pdf", ".docx"}


def check_references(data: dict, base_dir: Path | None, line_of) -> list[Problem]:
    """Problems with the input's attachment references (before anything is rendered)."""
    out: list[Problem] = []
    for i, item in enumerate(data.get("bilagor") or []):
        path = join_path(join_path(join_path("", "bilagor"), i), "fil")
        name = item.get("fil", "")
        line = line_of(path)
        pure = PurePosixPath(name.replace("\\", "/"))
        if pure.is_absolute() or PureWindowsPath(name).is_absolute() or ".." in pure.parts:
            out.append(problem(path, f"bilagan {name!r} pekar utanför inkorgen.", f"the attachment {name!r} points outside the inbox.",
                               "ange bara filnamnet och lägg filen bredvid indatafilen.",
                               "give only the file name and put the file beside the input.", line))
            continue
        if pure.suffix.lower() not in SUFFIXES:
            out.append(problem(path, f"bilagan {name!r} är varken PDF eller DOCX.", f"the attachment {name!r} is neither PDF nor DOCX.",
                               "spara bilagan som PDF eller DOCX.", "save the attachment as PDF or DOCX.", line))
            continue
        if base_dir is None:
            continue
        target = base_dir / pure
        try:
            found = _file_problem(target, base_dir)
        except OSError as exc:  # e.g. a name longer than the file system allows (255 bytes): never a crash
            out.append(problem(path, f"bilagan {name!r} kan inte läsas ({exc.strerror or type(exc).__name__}).",
                               f"the attachment {name!r} cannot be read ({exc.strerror or type(exc).__name__}).",
                               "ge filen ett kortare namn (högst 255 byte) och kontrollera att den går att läsa.",
                               "give the file a shorter name (at most 255 bytes) and check that it can be read.", line))
            continue
        if found:
            sv, en, fix_sv, fix_en = found
            out.append(problem(path, f"bilagan {name!r} {sv}", f"the attachment {name!r} {en}", fix_sv, fix_en, line))
    return out


def _file_problem(target: Path, base_dir: Path) -> tuple[str, str, str, str] | None:
    """Why the file an attachment names cannot be used (a link out of the inbox, missing, broken), or None."""
    if target.is_symlink() or not Path(os.path.realpath(target)).is_relative_to(os.path.realpath(base_dir)):
        return ("är en länk som pekar utanför inkorgen.", "is a link pointing outside the inbox.",
                "lägg en kopia av filen i inkorgen.", "put a copy of the file in the inbox.")
    if not target.is_file():
        return ("finns inte bredvid indatafilen.", "is not beside the input file.",
                "lägg bilagan i samma mapp som indatafilen, med exakt det namnet.",
                "put the attachment in the same folder as the input, with exactly that name.")
    return content_problem(target)


def content_problem(path: Path) -> tuple[str, str, str, str] | None:
    """Why a PDF or DOCX file cannot be appended (broken, encrypted, no pages, not really DOCX), or None."""
    import zipfile

    try:
        if path.suffix.lower() == ".docx":
            if not zipfile.is_zipfile(path):
                return ("är ingen riktig DOCX-fil (inte ett Word-dokument).", "is not a real DOCX file (not a Word document).",
                        "öppna den i Word och spara som .docx, eller bifoga den som PDF.",
                        "open it in Word and save it as .docx, or attach it as PDF.")
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                    return ("är ett zip-arkiv men inget Word-dokument.", "is a zip archive but not a Word document.",
                            "spara den som .docx i Word, eller bifoga den som PDF.", "save it as .docx in Word, or attach it as PDF.")
                if z.testzip() is not None:
                    raise zipfile.BadZipFile("a damaged member")
            import docx
            docx.Document(str(path))
            return None
        reader = PdfReader(path)
        if reader.is_encrypted:
            return ("är krypterad eller lösenordsskyddad.", "is encrypted or password protected.",
                    "spara en kopia utan lösenord.", "save a copy without a password.")
        if len(reader.pages) == 0:
            return ("har inga sidor.", "has no pages.", "skapa PDF-filen på nytt.", "make the PDF file again.")
        # What append does, with a stand-in for the stamp, written nowhere: whatever it would trip on after
        # the number is taken (a page without a usable box, a broken object) is found here, before.
        writer = PdfWriter()
        _append_stamped(writer, reader.pages, _stand_in_stamp())
        writer.write(_Discard())
    except Exception as exc:
        kind = "DOCX" if path.suffix.lower() == ".docx" else "PDF"
        return (f"är en trasig {kind}-fil ({type(exc).__name__}).", f"is a broken {kind} file ({type(exc).__name__}).",
                f"skapa {kind}-filen på nytt.", f"make the {kind} file again.")
    return None


def listing(data: dict) -> list[dict]:
    """The attachments as the template lists them: nummer and titel."""
    return [{"nummer": i, "titel": a.get("titel") or Path(a["fil"]).stem, "fil": a["fil"]}
            for i, a in enumerate(data.get("bilagor") or [], 1)]


def _append_stamped(writer: PdfWriter, pages, stamp) -> None:
    """Add ``pages`` to ``writer``, each with ``stamp`` in its top right corner."""
    sw, sh = float(stamp.mediabox.width), float(stamp.mediabox.height)
    for page in pages:
        box = page.mediabox
        pw, ph = float(box.width), float(box.height)
        added = writer.add_page(page)
        added.merge_transformed_page(stamp, Transformation().translate(float(box.left) + pw - sw, float(box.bottom) + ph - sh))


class _Discard(io.RawIOBase):
    """A file that keeps nothing (the check writes the appended pages only to see that it can)."""

    def __init__(self):
        super().__init__()
        self._size = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self._size += len(b)
        return len(b)

    def tell(self) -> int:
        return self._size


def _stand_in_stamp():
    """A page like the real stamp (a line of text in a font), made without LibreOffice."""
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(595.3, 841.9)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    content = DecodedStreamObject()
    content.set_data(b"BT /F1 9 Tf 430 825 Td (Bilaga 1 till RS 2024-00001) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(content)
    return page


def _stamp_docx(text: str) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    d = docx.Document()
    sec = d.sections[0]
    sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Cm(0.6), Cm(27.0), Cm(1.0), Cm(1.0)
    p = d.paragraphs[0] if d.paragraphs else d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    r = p.add_run(text)
    r.font.size, r.font.name, r.bold = Pt(9), "Arial", True
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def append(pdf: Path, data: dict, base_dir: Path, diarienummer: str, staging: Path, convert, source: str) -> list[str]:
    """Append every attachment to ``pdf`` (in place), stamped; returns warnings. ``convert(docx, pdf)`` is the pool's."""
    writer = PdfWriter(clone_from=PdfReader(pdf))
    warnings: list[str] = []
    problems: list[Problem] = []
    for i, item in enumerate(data.get("bilagor") or [], 1):
        field = join_path(join_path(join_path("", "bilagor"), i - 1), "fil")
        src = base_dir / item["fil"]
        if src.suffix.lower() == ".docx":
            converted = staging / f"bilaga-{i}.pdf"
            try:
                convert(src, converted)
            except Exception as exc:
                problems.append(problem(field, f"bilagan {item['fil']!r} kunde inte konverteras till PDF ({exc}).",
                                        f"the attachment {item['fil']!r} could not be converted to PDF ({exc}).",
                                        "öppna och spara om den i Word, eller bifoga den som PDF.",
                                        "open and re-save it in Word, or attach it as PDF."))
                continue
            src_pdf = converted
        else:
            src_pdf = src
        try:
            reader = PdfReader(src_pdf)
            if reader.is_encrypted:
                problems.append(problem(field, f"bilagan {item['fil']!r} är krypterad eller lösenordsskyddad.",
                                        f"the attachment {item['fil']!r} is encrypted or password protected.",
                                        "spara en kopia utan lösenord.", "save a copy without a password."))
                continue
            pages = list(reader.pages)
            if not pages:
                raise PdfReadError("no pages")
            xmp = reader.xmp_metadata
            if src.suffix.lower() == ".pdf" and not (xmp and xmp.pdfaid_part):
                warnings.append(f"bilaga {i} ({item['fil']}) är inte PDF/A / attachment {i} is not PDF/A")
        except Exception as exc:
            problems.append(problem(field, f"bilagan {item['fil']!r} är en trasig PDF ({exc}).",
                                    f"the attachment {item['fil']!r} is a broken PDF ({exc}).",
                                    "skapa PDF-filen på nytt.", "make the PDF file again."))
            continue
        stamp_docx = staging / f"stamp-{i}.docx"
        stamp_pdf = staging / f"stamp-{i}.pdf"
        stamp_docx.write_bytes(_stamp_docx(f"Bilaga {i} till {diarienummer}"))
        convert(stamp_docx, stamp_pdf)
        _append_stamped(writer, pages, PdfReader(stamp_pdf).pages[0])
    if problems:
        raise InputError(source, problems)
    tmp = pdf.with_suffix(".tmp.pdf")
    with open(tmp, "wb") as f:
        writer.write(f)
    os.replace(tmp, pdf)
    return warnings
