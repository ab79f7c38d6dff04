"""The web form drawn from a schema (``docgen.web.forms``): a third-party type with no titles and no layout gets a
usable form, the posted fields become the input the schema describes (empty fields and rows left out, only the chosen
kind of recipient kept), and every problem lands on its field in plain Swedish."""
from __future__ import annotations

import re

from docgen.doctype import DocumentType
from docgen.plugins import Plugins, full_schema
from docgen.web import forms


class Kvitto(DocumentType):
    """A third-party type as someone outside the project would write it: a schema, nothing for the web."""
    name = "kvitto"
    title = "Kvitto"
    schema = {"required": ["belopp", "betalare"],
              "properties": {"belopp": {"type": "integer", "minimum": 0},
                             "betalare": {"$ref": "#/$defs/person"},
                             "rader": {"type": "array", "items": {"type": "object", "required": ["vara"],
                                                                  "properties": {"vara": {"type": "string"},
                                                                                 "antal_st": {"type": "integer"}}}},
                             "betald": {"type": "boolean"}}}


class Form(dict):
    """Posted form fields (what ``request.form()`` gives: ``multi_items``)."""

    def multi_items(self):
        return list(self.items())


def draw(cls, data: dict, errors=()):
    schema = forms.form_schema(full_schema(cls), None, cls.form_layout)
    ctx = forms.Context(lists={"ledning": {"namn": "Ledningsgruppen", "medlemmar": [{"namn": "Eva Strand"}]}},
                        parties=dict(cls.parties), units=["Kansliet"])
    html, summary = forms.form_html(schema, cls.form_layout, data, ctx, list(errors))
    return schema, str(html), summary


def labels(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t).strip() for t in re.findall(r"<(?:label|legend)[^>]*>(.*?)</(?:label|legend)>", html)]


def test_a_third_party_type_gets_a_form_from_its_schema_alone():
    schema, html, _ = draw(Kvitto, {})
    assert "Rader (valfritt)" in labels(html) and "Vara" not in labels(html)  # an optional list starts without rows
    data: dict = {}
    forms.add_row(schema, data, "rader")  # "Lägg till rader"
    schema, html, _ = draw(Kvitto, data)
    names = labels(html)
    assert {"Belopp", "Betalare", "Rader 1", "Vara", "Antal st (valfritt)", "Betald (valfritt)"} <= set(names)
    assert not any("root[" in n or "_" in n for n in names)
    # required fields come first, after rubrik and datum; every input has a label pointing at it
    order = [m for m in re.findall(r'name="([^"]+)"', html) if m != "atgard"]
    assert order[:3] == ["rubrik", "datum", "belopp"]
    for fid in re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html):
        assert f'for="{fid}"' in html, fid
    assert 'type="date"' in html and 'inputmode="decimal"' in html


def test_posted_fields_become_the_input_and_problems_land_on_their_fields():
    schema, _, _ = draw(Kvitto, {})
    posted = Form({"rubrik": "Kvitto för kursavgift", "datum": "2026-01-10", "belopp": "-5", "betalare.namn": "",
                   "rader.0.vara": "Kursbok", "rader.0.antal_st": "2", "rader.1.vara": "", "betald": "nej", "csrf": "x"})
    data = forms.read(schema, posted, "kvitto", None)
    assert data == {"dokumenttyp": "kvitto", "rubrik": "Kvitto för kursavgift", "datum": "2026-01-10", "belopp": -5,
                    "rader": [{"vara": "Kursbok", "antal_st": 2}], "betald": False}
    errors = forms.schema_errors(schema, data)
    _, html, summary = draw(Kvitto, data, errors)
    assert [s["text"] for s in summary] == ["Belopp ska vara minst 0.", "Fyll i namn."]
    assert [s["href"] for s in summary] == ["#f-belopp", "#f-betalare-namn"]
    assert 'id="f-belopp-fel"' in html and 'aria-describedby="f-belopp-fel"' in html
    assert 'value="Kursbok"' in html  # what was typed is drawn again


def test_a_recipient_keeps_only_the_chosen_kind_and_engine_problems_are_placed():
    beslut = Plugins().get("beslut").cls
    schema, _, _ = draw(beslut, {})
    posted = Form({"skickas_till.0.syfte": "för kännedom", "skickas_till.0.mottagare.0.slag": "lista",
                   "skickas_till.0.mottagare.0.namn": "Kvar från förut", "skickas_till.0.mottagare.0.lista": "ledning"})
    data = forms.read(schema, posted, "beslut", None)
    assert data["skickas_till"] == [{"syfte": "för kännedom", "mottagare": [{"lista": "ledning"}]}]  # no hidden twin
    problems = [{"field": "skickas_till[1].mottagare[1].lista", "sv": "okänd sändlista 'ledning'.", "fix_sv": "kända listor: `x`."}]
    errors = forms.merge([], problems)
    _, html, summary = draw(beslut, data, errors)
    assert summary == [{"text": "Okänd sändlista 'ledning'. Kända listor: x.", "href": "#f-skickas_till-0-mottagare-0-lista"}]
    assert "root[" not in html and "post 1" not in html and "-opt-in" not in html
    # a type's own titles, Swedish, in its layout's sections
    assert "Typ av beslut" in labels(html) and "<h2 id=\"avsnitt-1\">Beslutet</h2>" in html
    assert '<option value="verkställighetsbeslut">Verkställighetsbeslut</option>' in html


def test_every_field_of_the_built_in_types_has_a_swedish_title_and_an_english_one():
    for t in Plugins().types.values():
        if t.cls.__module__.split(".")[0] != "plugins":
            continue

        def walk(node, path):
            for key, sub in (node.get("properties") or {}).items():
                assert sub.get("title") and sub.get("x-title-en"), f"{t.name}: {path}{key}"
                walk(sub, f"{path}{key}.")
                if isinstance(sub.get("items"), dict):
                    walk(sub["items"], f"{path}{key}[].")

        full = t.full_schema()
        walk(full, "")
        for name, d in full["$defs"].items():
            walk(d, f"$defs.{name}.")


def test_rows_are_added_one_at_a_time_whatever_a_post_names():
    schema, _, _ = draw(Kvitto, {})
    data: dict = {"rader": [{"vara": "Kursbok"}]}
    forms.add_row(schema, data, "rader")
    assert data["rader"] == [{"vara": "Kursbok"}, None]
    forms.add_row(schema, data, "rader.99999999.vara")  # not a list: nothing happens
    forms.add_row(schema, {"rader": "text"}, "rader")  # a value of the wrong shape: nothing happens
    forms.remove_row(data, "rader.0")
    assert data["rader"] == [None]
    nested = {}
    forms.add_row(forms.form_schema(Plugins().get("beslut").full_schema()), nested, "skickas_till.5.mottagare")
    assert nested in ({}, {"skickas_till": []})  # row 6 of a list with none is never made
