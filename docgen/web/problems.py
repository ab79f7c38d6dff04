"""What an HTTP error means, said as the one problem an answer carries (``{"problem": [...]}``) or the text of an
error page: shared by the application's error handlers, the API and the pages."""
from __future__ import annotations

from ..errors import problem

#: What each HTTP error means, for answers that have nothing more specific to say.
MEANING = {
    400: ("felaktig begäran.", "bad request."),
    401: ("inloggning krävs: ange en API-nyckel (Authorization: Bearer …) eller logga in.",
          "authentication required: send an API token (Authorization: Bearer …) or log in."),
    403: ("din roll får inte göra detta.", "your role may not do this."),
    404: ("finns inte (eller så får du inte se det).", "not found (or not yours to see)."),
    405: ("metoden stöds inte här.", "method not allowed here."),
    413: ("för stor begäran.", "request too large."),
    415: ("fel innehållstyp: skicka application/json.", "wrong content type: send application/json."),
    422: ("indata kan inte användas.", "the input cannot be used."),
}
#: What any other status means.
SERVER_ERROR = ("fel på servern; försök igen eller kontakta administratören.",
                "server error; try again or contact the administrator.")


def problems_for(status: int, detail_sv: str | None = None, detail_en: str | None = None) -> list[dict]:
    """The one problem an HTTP error answers with: what the status means, and what more there is to say."""
    sv, en = MEANING.get(status, SERVER_ERROR)
    if detail_sv:
        sv, en = f"{sv} {detail_sv}", f"{en} {detail_en or detail_sv}"
    return [problem("", sv, en).to_dict()]


def page_text(status: int) -> str:
    """What the status means, as the sentence an error page shows."""
    sv = MEANING.get(status, SERVER_ERROR)[0]
    return sv[:1].upper() + sv[1:]
