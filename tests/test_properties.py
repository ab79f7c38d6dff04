"""Property tests over the types' own JSON Schemas: every input a schema accepts renders, or is refused
with a clear report for a reason the schema cannot express (never any other exception).

Inputs are generated with hypothesis-jsonschema from each type's ``full_schema()``, narrowed only where
the workspace decides what is meaningful: ``serie`` and ``enhet`` from docgen.toml, recipients that name
a distribution list of the workspace or a party of the type, decision makers (``beslutsfattare``) who are
users of the workspace, no attachments (test_refusals.py covers
them), and no ``diarienummer`` except the one of a case the test creates. Every generated input is first
checked to be valid against the unmodified ``full_schema()`` (standard formats), so a refusal is a
disagreement between the schema and the engine.

Run with ``-s`` to see how many inputs were rendered and how long it took.
"""
from __future__ import annotations

import io
from collections import Counter
import json
import os
import re
import sys
import time
import warnings
import zipfile
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, given, settings, strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator
from lxml import etree
from pypdf import PdfReader

import docgen.pipeline as pipeline
from conftest import as_loaded, example, run, write_yaml
from docgen import richtext
from docgen.errors import InputError, Problem

DuplicateInput = pipeline.DuplicateInput
_render = sys.modules[pipeline.Renderer.__module__]
DRAFT_NUMBER, NUMBER_PLACEHOLDER = _render.DRAFT_NUMBER, _render.NUMBER_PLACEHOLDER


def prepare(engine, path: Path):
    """Every step before a number is taken (what `docgen validate` runs), raising InputError or
    DuplicateInput for a refused input; returns (the document, the rendered DOCX)."""
    if hasattr(engine, "prepare"):
        prepared = engine.prepare(path)
        return prepared.doc, prepared.rendered
    from docgen.model import Job

    job = Job(str(path), Path(path))
    for step in pipeline.CHECK:
        job = step.run(job, engine)
    return job.doc, job.rendered


def diarium(engine):
    return getattr(engine, "store", None) or engine.registry


def handlings(engine) -> list[dict]:
    return diarium(engine).query("select * from handling")


def open_case(engine, workspace: Path, serie: str = "RS") -> str:
    """A registered case to join (its diarienummer), made the way a user makes one."""
    data = as_loaded(example("beslut")) | {"serie": serie, "rubrik": f"Ett befintligt ärende i {serie}"}
    result = engine.process(write_yaml(workspace / "inbox", "case.yaml", data))
    assert result.ok, result.error
    return result.diarienummer


TYPES = [("uppdragshandling", None), ("beslut", None), ("lagesrapport", "program"), ("lagesrapport", "lagesbild")]
IDS = ["uppdragshandling", "beslut", "lagesrapport-program", "lagesrapport-lagesbild"]
#: Generated inputs rendered per type and variant (four of them): several hundred in all.
EXAMPLES = 80
#: Generated inputs that go all the way to a registered PDF/A, per type and variant.
PROCESSED = 3

#: Reproducible in CI: derandomized, no example database. Shrinking a failure re-renders an input
#: hundreds of times (minutes); DOCGEN_SHRINK=1 turns it on to get the smallest failing input.
PROPERTY = dict(
    deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
    phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if os.environ.get("DOCGEN_SHRINK") else []),
)

#: The workspace's users with the role beslutsfattare (the names a decided type's input may give).
DECISION_MAKERS = ["Maja Beslutsam", "Erik Avgör"]
LISTS = {
    "listor": {
        "ledningsgruppen": {"namn": "Ledningsgruppen", "medlemmar": [
            {"namn": "Helena Sjö", "titel": "Regiondirektör", "epost": "helena.sjo@example.se"},
            {"lista": "kansliet"}]},
        "kansliet": {"namn": "Kansliet", "medlemmar": [
            {"namn": "Eva Strand", "epost": "eva.strand@example.se"}, {"namn": "Utan Adress"}]},
    }
}

#: Characters the loader refuses in any text (XML 1.0 cannot hold them); test_hostile_load.py covers them.
_LOADER_REFUSES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

#: Every kind of text a person may write: Swedish letters, emoji (with joiners and flags), right-to-left
#: scripts, tabs, template syntax, XML's special characters, backslashes and Markdown-looking text.
SPECIAL = ("Åsa Ängström-Öberg ß 😀 👩‍👩‍👧 🇸🇪 مرحبا שלום \ttab\t {{ rubrik }} {% if x %}{% endif %} {#c#} "
           "{_{ x }_} &amp; <w:t>x</w:t> \"'\\ C:\\temp\\ **fet** *kursiv* [länk](https://x.se) # rubrik")
assert len(SPECIAL) <= 200  # a person's namn may have 200 characters
SPECIAL_TEXT = SPECIAL + "\n\n- punkt {{p x }}\n  - under\n1. ett\n\n| a | b |\n| --- | --- |\n| {{ }} | \\| |\n\n> citat\n"


# -- the workspace -------------------------------------------------------------------------------

@pytest.fixture
def prop_engine(workspace, make_engine):
    (workspace / "distribution.yaml").write_text(yaml.safe_dump(LISTS, allow_unicode=True), encoding="utf-8")
    for name in DECISION_MAKERS:
        assert run(workspace, "user", "add", name, "--role", "beslutsfattare").exit_code == 0
    return make_engine(workspace)


def standard_validator(cls) -> Draft202012Validator:
    """The type's schema as any JSON Schema tool reads it (standard formats, nothing of docgen's)."""
    return Draft202012Validator(cls.full_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def generation_schema(engine, name: str, variant: str | None) -> dict:
    """``full_schema()`` narrowed to what is meaningful in this workspace (see the module docstring)."""
    cls = engine.plugins.get(name)
    s = cls.full_schema()
    props = s["properties"]
    for drop in ("diarienummer", "bilagor"):
        props.pop(drop)
    s.pop("not", None)  # "not both diarienummer and serie": there is no diarienummer here
    props["serie"] = {"enum": list(engine.config.numbering["serier"])}
    props["enhet"] = {"enum": list(engine.config.units)}
    if "beslutsfattare" in props:  # user names: those of the workspace's decision makers
        props["beslutsfattare"] = {**props["beslutsfattare"], "items": {"enum": DECISION_MAKERS}}
    if variant:
        props["variant"] = {"const": variant}
        s["required"] = sorted(set(s["required"]) | {"variant"})
    rec = s["$defs"]["mottagare"]
    kinds = {"namn": rec["properties"]["namn"], "lista": {"enum": sorted(engine.lists)}}
    if cls.cls.parties:
        kinds["part"] = {"enum": sorted(cls.cls.parties)}
    shared = {k: v for k, v in rec["properties"].items() if k not in ("namn", "lista", "part")}
    plain = {k: v for k, v in rec.items() if k not in ("oneOf", "anyOf", "allOf")}  # each shape has one kind
    s["$defs"]["mottagare"] = {"anyOf": [
        {**plain, "properties": {**shared, kind: sub}, "required": [kind]} for kind, sub in kinds.items()]}
    return s


_IDN_EMAILS = st.builds(
    "{}@{}".format, st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,12})?", fullmatch=True),
    st.sampled_from(["sub-domän.se", "räksmörgås.example.se", "ÅRE.se", "example.se"]))
FORMATS = {
    # JSON Schema's `date` is any year 0000-9999; docgen's schemas narrow it to 1900-2100 with a pattern,
    # which would filter almost every date hypothesis draws. Boundaries: test_schema_says_what_the_engine_refuses.
    "date": st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(date.isoformat),
    "email": st.one_of(st.emails(), _IDN_EMAILS),
}
_strategies: dict = {}
#: The schemas' words for people (the form's labels and help, Swedish and English): no part of what is valid.
ANNOTATIONS = ("title", "x-title-en", "x-description-en", "x-enum-titles")


def strategy_for(schema: dict, defs: dict):
    """Inputs valid per ``schema``: objects and arrays built here (fixed dictionaries, lists), every
    other schema by hypothesis-jsonschema. Same values as ``from_schema`` on the whole, but its
    strategies for objects are built again at every draw, which made generation most of the run time."""
    schema = {k: v for k, v in schema.items() if k not in ANNOTATIONS}  # labels say nothing about what is valid
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        schema = {**defs[ref.rsplit("/", 1)[1]], **{k: v for k, v in schema.items() if k != "$ref"}}
        return strategy_for(schema, defs)
    if "anyOf" in schema and set(schema) <= {"anyOf", "description"}:
        return st.one_of([strategy_for(s, defs) for s in schema["anyOf"]])
    if schema.get("type") == "object" and "properties" in schema and not ({"allOf", "anyOf", "oneOf", "if"} & set(schema)):
        assert schema.get("additionalProperties") is False
        props = {k: strategy_for(v, defs) for k, v in schema["properties"].items()}
        required = set(schema.get("required", []))
        return st.fixed_dictionaries({k: props[k] for k in props if k in required},
                                     optional={k: props[k] for k in props if k not in required})
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict) and set(schema) <= {
            "type", "items", "minItems", "maxItems", "description"}:
        return st.lists(strategy_for(schema["items"], defs), min_size=schema.get("minItems", 0),
                        max_size=schema.get("maxItems"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Overriding standard format": on purpose, see FORMATS
        return from_schema({**schema, "$defs": defs}, custom_formats=FORMATS)


def inputs(engine, name: str, variant: str | None):
    key = (name, variant)
    if key not in _strategies:
        schema = generation_schema(engine, name, variant)
        # the variant is fixed, so its rules (allOf: if variant ... then required ...) are plain requirements
        for rule in schema.pop("allOf", []):
            cond = rule["if"]["properties"]["variant"]["const"]
            schema["required"] = sorted(set(schema["required"]) | set(rule["then" if cond == variant else "else"]["required"]))
        _strategies[key] = strategy_for(schema, schema.pop("$defs"))
    return _strategies[key]


def loadable(value):
    """The value with characters the loader refuses (XML cannot hold them) replaced by a letter."""
    if isinstance(value, str):
        return _LOADER_REFUSES.sub("x", value)
    if isinstance(value, list):
        return [loadable(v) for v in value]
    if isinstance(value, dict):
        return {k: loadable(v) for k, v in value.items()}
    return value


#: Line breaks YAML reads as line breaks even inside quotes (PyYAML writes them raw and loses them).
_YAML_BREAKS = re.compile("[\x85\u2028\u2029]")


def yaml_safe(value):
    """The value as it can be written in YAML at all (see _YAML_BREAKS); JSON inputs keep those characters."""
    if isinstance(value, str):
        return _YAML_BREAKS.sub("x", value)
    if isinstance(value, list):
        return [yaml_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: yaml_safe(v) for k, v in value.items()}
    return value


def write_input(folder: Path, stem: str, data: dict, as_json: bool) -> Path:
    if as_json:
        path = folder / f"{stem}.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        return path
    return write_yaml(folder, f"{stem}.yaml", data)


# -- what a verdict must look like ---------------------------------------------------------------

def value_at(data, field: str):
    """The value at a problem's field path (``avsnitt[2].text``), or None."""
    value = data
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field):
        try:
            value = value[int(index) - 1] if index else value[name]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def engine_only(p: Problem, data: dict) -> bool:
    """A refusal for a reason no JSON Schema can express: the order of two values, or free text that
    would not render as written (a ragged Markdown table)."""
    if p.field == "period.till" and data["period"]["från"] > data["period"]["till"]:
        return True
    text = value_at(data, p.field)
    return isinstance(text, str) and any(tp.sv == p.sv for tp in richtext.check(text))


def assert_well_formed(exc: Exception, from_yaml: bool) -> None:
    assert isinstance(exc, (InputError, DuplicateInput))
    report = str(exc)
    assert "Traceback" not in report and report.strip()
    if isinstance(exc, DuplicateInput):
        assert exc.diarienummer
        return
    assert exc.problems
    for p in exc.problems:
        assert isinstance(p, Problem) and isinstance(p.field, str)
        assert p.sv.strip() and p.en.strip(), p
        assert p.line is None or (isinstance(p.line, int) and p.line >= 1), p
        if from_yaml and p.field:
            assert p.line is not None, f"a problem of a YAML input names no line: {p}"
        assert (p.field in report) and (p.sv in report) and (p.en in report)


def collapse(text: str) -> str:
    return " ".join(str(text).split())


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: Tabs, line breaks and paragraph ends count as spaces (docxtpl writes a value's tab and newline so).
_GAPS = {_W + "tab", _W + "br", _W + "cr", _W + "p"}


def docx_text(data: bytes) -> tuple[str, str]:
    """(the text of the body, the text of the headers) of a DOCX; each part must be well-formed XML."""
    body, headers = [], []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            out = body if name == "word/document.xml" else headers if name.startswith("word/header") else None
            if out is not None:
                for el in etree.fromstring(z.read(name)).iter(_W + "t", _W + "noBreakHyphen", *_GAPS):
                    out.append(" " if el.tag in _GAPS else "-" if el.tag == _W + "noBreakHyphen" else el.text or "")
    return collapse("".join(body)), collapse("".join(headers))


#: Values each template prints as they are (no Markdown), so they must be found in the rendered text.
PRINTED = {
    ("uppdragshandling", None): ["rubrik", "uppdragsgivare[*].namn", "uppdragstagare[*].namn", "avsnitt[*].rubrik"],
    ("beslut", None): ["rubrik", "beslutsinstans", "underskrifter[*].namn", "närvarande[*].namn", "hänvisningar[*].diarienummer"],
    ("lagesrapport", "program"): ["program", "version", "arbetsomraden[*].namn"],
    ("lagesrapport", "lagesbild"): ["rubrik", "avsnitt[*].rubrik", "talesperson.namn"],
}


def printed_values(data: dict, spec: str) -> list[str]:
    """The values a spec like ``avsnitt[*].rubrik`` or ``talesperson.namn`` names in an input."""
    if "[*]." in spec:
        head, tail = spec.split("[*].")
        return [item[tail] for item in data.get(head) or [] if isinstance(item.get(tail), str)]
    head, _, tail = spec.partition(".")
    value = data.get(head)
    if tail:
        value = value.get(tail) if isinstance(value, dict) else None
    return [value] if isinstance(value, str) else []


#: A number filled in where prepare left the placeholder (as process does once it has reserved one).
TEST_DNR = "RS 2099-99999"


def rendered_bytes(rendered, draft: bool) -> tuple[bytes, str]:
    """The DOCX bytes of a prepared document and the number its header must show."""
    if getattr(rendered, "data", None):  # saved when rendered, with the placeholder
        return rendered.data, DRAFT_NUMBER if draft else NUMBER_PLACEHOLDER
    if draft:
        return rendered.finish().data, DRAFT_NUMBER
    return rendered.with_number(TEST_DNR).data, TEST_DNR


def assert_rendered(prepared, data: dict, key) -> None:
    doc, rendered = prepared
    back = {k: doc.data[k] for k in data}
    assert back == data, ("the input read back is not the input written: "
                          + repr({k: (data[k], back[k]) for k in data if back[k] != data[k]})[:2000])
    docx, number = rendered_bytes(rendered, doc.is_draft)
    body, headers = docx_text(docx)
    assert number in headers
    for spec in PRINTED[key]:
        for v in printed_values(data, spec):
            if collapse(v):
                assert collapse(v) in body or collapse(v) in headers, f"{spec} = {v!r} is not in the rendered document"


# -- the property: every schema-valid input renders or is refused for an engine-only reason ------------

class Stats:
    """What the property tests covered (printed after the module, with -s)."""

    rendered = refused = 0
    reasons: Counter = Counter()
    seconds = 0.0
    processed = 0


def _check_one(engine, key, data, n: list, folder: Path, as_json: bool, validator) -> None:
    data = loadable(data) if as_json else yaml_safe(loadable(data))
    errors = [e.message for e in validator.iter_errors(data)]
    assert not errors, f"the generator made an input its own schema refuses: {errors[:3]}"
    n[0] += 1
    path = write_input(folder, f"gen-{n[0]}", data, as_json)
    try:
        prepared = prepare(engine, path)
    except (InputError, DuplicateInput) as exc:
        assert_well_formed(exc, not as_json)
        unexpected = [p.text("en") for p in getattr(exc, "problems", []) if not engine_only(p, data)]
        assert not unexpected, ("a schema-valid input was refused for a reason its schema does not say:\n"
                                + "\n".join(unexpected) + "\n" + json.dumps(data, ensure_ascii=False)[:3000])
        Stats.refused += 1
        Stats.reasons.update(f"{re.sub(r'[0-9]+', '#', p.field)}: {p.en}" for p in getattr(exc, "problems", []))
    else:
        assert_rendered(prepared, data, key)
        Stats.rendered += 1
    finally:
        path.unlink()


@pytest.mark.parametrize("name, variant", TYPES, ids=IDS)
def test_every_schema_valid_input_renders_or_is_refused_clearly(prop_engine, workspace, name, variant):
    engine = prop_engine
    cls = engine.plugins.get(name)
    validator = standard_validator(cls)
    case_dnr = open_case(engine, workspace)
    before = handlings(engine)
    strategy = inputs(engine, name, variant)
    folder = workspace / "inbox"
    n = [0]
    rendered_before, t0 = Stats.rendered, time.perf_counter()

    @settings(max_examples=EXAMPLES, **PROPERTY)
    @given(data=strategy, as_json=st.booleans(), in_case=st.booleans(), unordered=st.integers(0, 3))
    def run(data, as_json, in_case, unordered):
        if in_case and "serie" in data:  # join the existing case instead of taking a new number
            data = {k: v for k, v in data.items() if k != "serie"} | {"diarienummer": case_dnr}
        if "period" in data and unordered != 3:  # most periods in order; the rest test the refusal
            first, last = sorted(data["period"].values())
            data = data | {"period": {"från": first, "till": last}}
        _check_one(engine, (name, variant), data, n, folder, as_json, validator)

    run()
    Stats.seconds += time.perf_counter() - t0
    rendered = Stats.rendered - rendered_before
    print(f"\n{name} {variant or ''}: {n[0]} generated inputs, {rendered} rendered, "
          f"{n[0] - rendered} refused for engine-only reasons, {time.perf_counter() - t0:.1f} s")
    assert rendered >= n[0] * 0.75, "most generated inputs must render, or the test tests little"
    assert handlings(engine) == before, "what `docgen validate` runs must not take a number"


@pytest.mark.parametrize("name, variant", TYPES, ids=IDS)
def test_generated_inputs_register_as_pdfa(prop_engine, workspace, name, variant):
    """A few generated inputs all the way: number, LibreOffice PDF/A, outbox, diarium."""
    engine = prop_engine
    validator = standard_validator(engine.plugins.get(name))
    strategy = inputs(engine, name, variant)
    seen: set[str] = set()
    n = [0]

    @settings(max_examples=PROCESSED, **PROPERTY)
    @given(data=strategy)
    def run(data):
        # without decision makers: a decided document waits for its decision (test_decisions.py goes on from there)
        data = {k: v for k, v in yaml_safe(loadable(data)).items() if k != "beslutsfattare"} | {"status": "slutlig"}
        assert not list(validator.iter_errors(data))
        sha = json.dumps(data, sort_keys=True, ensure_ascii=False)
        assume(sha not in seen)
        n[0] += 1
        path = write_yaml(workspace / "inbox", f"p-{n[0]}.yaml", data)
        verdict = engine.check(path)
        assume(verdict.ok)  # engine-only refusals are covered above
        result = engine.process(path)
        assert result.ok and result.error_kind is None, result.error
        seen.add(sha)
        assert result.diarienummer and result.diarienummer in pdf_text(result.files["pdf"])
        reader = PdfReader(result.files["pdf"])
        assert reader.xmp_metadata.pdfaid_part == "2"
        rows = diarium(engine).query("select status from handling where id = (select max(id) from handling)")
        assert rows == [{"status": "registrerad"}]
        Stats.processed += 1

    run()
    assert len(seen) == PROCESSED


def pdf_text(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(path).pages)


# -- explicit cases --------------------------------------------------------------------------------

def base_input(name: str, variant: str | None) -> dict:
    return as_loaded(example(f"{name}-{variant}" if variant else name))


#: A value for every optional field of every type (and of the other variant), valid per its schema.
OPTIONAL_VALUES = {
    "beslutsfattare": ["Maja Beslutsam"],
    "serie": "HS",
    "status": "slutlig",
    "enhet": "Digitaliseringsstaben",
    "sekretess": {"bestämmelse": "25 kap. 1 § OSL", "datum": "2026-03-01"},
    "skickas_till": [{"syfte": "för kännedom", "mottagare": [{"namn": "Eva Strand", "epost": "eva.strand@example.se"},
                                                             {"lista": "ledningsgruppen"}]}],
    # uppdragshandling
    "beslutsdatum": "2026-02-16",
    "underskrifter": [{"namn": "Maria Lindqvist", "titel": "Regiondirektör"}],
    # beslut
    "sammanfattning": "En **kort** sammanfattning.",
    "skäl": "Skälen.\n\n- ett\n- två\n",
    "hänvisningar": [{"diarienummer": "RS 2025-00318", "beskrivning": "Riktlinjer"}],
    "föredragande": {"namn": "Oskar Lind", "titel": "Utvecklingsstrateg"},
    "närvarande": [{"namn": "Helena Sjö"}],
    "överklagande": True,
    "ersätter": {"diarienummer": "RS 2025-00777", "datum": "2025-11-03"},
    # lagesrapport, both variants (a field of the other variant is allowed and left out of the layout)
    "program": "Program Vårdnära IT",
    "version": "1.0",
    "period": {"från": "2025-11", "till": "2025-12"},
    "inledning": "Inledning.",
    "arbetsomraden": [{"namn": "Utbildning", "summering": "Summering."}],
    "sammanstalld": "2026-03-02 14:30",
    "avsnitt": [{"rubrik": "Läge", "text": "Text."}],
    "kommunikationsinsatser": [{"datum": "2026-03-02", "text": "Nyhet", "lank": "https://www.example.se/n"}],
    "lankar": [{"text": "Drift", "url": "https://intra.example.se/drift"}],
    "talesperson": {"namn": "Karin Dahl", "titel": "Kommunikationschef", "epost": "karin.dahl@example.se"},
    "avslutning": "Nästa uppdatering kommer klockan 18.00.",
    "avsnitt_efter": [{"rubrik": "Nästa lägesbild", "text": "Kommer på fredag."}],
    "digital_underskrift": False,
}


def simple_value(schema: dict, defs: dict):
    """A plain valid value for a field this file has no value for (a type's new field)."""
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        return simple_value({**defs[ref.rsplit("/", 1)[1]], **{k: v for k, v in schema.items() if k != "$ref"}}, defs)
    if "const" in schema or "enum" in schema:
        return schema.get("const", (schema.get("enum") or [None])[0])
    kind = schema.get("type")
    if kind == "boolean":
        return True
    if kind == "array":
        return [simple_value(schema.get("items", {}), defs) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "object":
        return {k: simple_value(schema["properties"][k], defs) for k in schema.get("required", [])}
    if schema.get("format") == "date":
        return "2026-03-01"
    return "Text"


def optional_fields(cls, variant: str | None) -> list[str]:
    s = cls.full_schema()
    required = set(s["required"])
    for rule in s.get("allOf", []):
        cond = rule.get("if", {}).get("properties", {}).get("variant", {}).get("const")
        required |= set(rule.get("then" if cond == variant else "else", {}).get("required", []))
    return sorted(set(s["properties"]) - required - {"dokumenttyp", "variant", "diarienummer", "bilagor"})


def minimal(cls, name: str, variant: str | None) -> dict:
    data = base_input(name, variant)
    for f in optional_fields(cls, variant):
        data.pop(f, None)
    return data


def explicit_cases(engine) -> list[tuple[str, tuple, dict]]:
    cases = []
    for name, variant in TYPES:
        cls = engine.plugins.get(name)
        key = (name, variant)
        fields = optional_fields(cls, variant)
        schema = cls.full_schema()
        values = {f: OPTIONAL_VALUES[f] if f in OPTIONAL_VALUES else simple_value(schema["properties"][f], schema["$defs"])
                  for f in fields}
        least = minimal(cls, name, variant)
        most = least | values
        cases += [(f"{name}/{variant}: minimal", key, least), (f"{name}/{variant}: every optional field", key, most)]
        for f in fields:
            cases.append((f"{name}/{variant}: only {f}", key, least | {f: values[f]}))
            cases.append((f"{name}/{variant}: all but {f}", key, {k: v for k, v in most.items() if k != f}))
        cases.append((f"{name}/{variant}: draft", key, least | {"status": "utkast"}))
    return cases


def test_each_optional_field_absent_and_present(prop_engine, workspace):
    engine = prop_engine
    for label, key, data in explicit_cases(engine):
        validator = standard_validator(engine.plugins.get(key[0]))
        assert not list(validator.iter_errors(data)), label
        path = write_yaml(workspace / "inbox", "x.yaml", data)
        try:
            prepared = prepare(engine, path)
        except InputError as exc:
            pytest.fail(f"{label}: {exc.report('en')}")
        assert_rendered(prepared, data, key)
        Stats.rendered += 1


def only_names(name: str, variant: str | None) -> dict:
    """Every person and recipient with only `namn`; optional lists empty where the schema allows it."""
    data = base_input(name, variant)
    person = {"namn": "Anna Berg"}
    data["skickas_till"] = [{"syfte": "för kännedom", "mottagare": [{"namn": "Bo Ek"}]}]
    if name == "uppdragshandling":
        data |= {"uppdragsgivare": [person], "uppdragstagare": [{"namn": "Bo Ek"}], "underskrifter": [person]}
    elif name == "beslut":
        data |= {"underskrifter": [person], "föredragande": person, "närvarande": [], "hänvisningar": []}
    elif variant == "lagesbild":
        data |= {"talesperson": {"namn": "Karin Dahl", "titel": "Kommunikationschef"},
                 "kommunikationsinsatser": [], "lankar": []}
    return data


def longest(name: str, variant: str | None, cls) -> dict:
    """The longest values the schema allows (maxLength), in characters of several UTF-8 lengths."""
    defs = cls.full_schema()
    data = base_input(name, variant)
    data["rubrik"] = ("Å😀" * 200)[: defs["properties"]["rubrik"]["maxLength"]]
    data["sekretess"] = {"bestämmelse": ("25 kap. 1 § OSL ö" * 20)[:defs["properties"]["sekretess"]["properties"]["bestämmelse"]["maxLength"]],
                         "datum": "2026-03-01"}
    local = "a" * 64
    domain = ".".join(["b" * 63, "c" * 63, "d" * 58, "se"])
    address = f"{local}@{domain}"
    assert len(address) == defs["$defs"]["person"]["properties"]["epost"]["maxLength"]
    long_name = ("Ö" * 199 + "x")[: defs["$defs"]["person"]["properties"]["namn"]["maxLength"]]
    data["skickas_till"] = [{"syfte": "för kännedom", "mottagare": [{"namn": long_name, "epost": address}]}]
    return data


def special(name: str, variant: str | None) -> dict:
    """Every text field holds every kind of character the loader accepts."""
    data = base_input(name, variant)
    data["rubrik"] = SPECIAL
    data["skickas_till"] = [{"syfte": SPECIAL, "mottagare": [{"namn": SPECIAL, "titel": SPECIAL, "organisation": SPECIAL,
                                                              "via": SPECIAL}]}]
    data["sekretess"] = {"bestämmelse": SPECIAL, "datum": "2026-03-01"}
    people = {"namn": SPECIAL, "titel": SPECIAL}
    if name == "uppdragshandling":
        data |= {"uppdragsgivare": [people], "uppdragstagare": [people],
                 "avsnitt": [{"rubrik": SPECIAL, "text": SPECIAL_TEXT}]}
    elif name == "beslut":
        data |= {"beslutsinstans": SPECIAL, "beslutspunkter": [SPECIAL, SPECIAL_TEXT], "sammanfattning": SPECIAL_TEXT,
                 "skäl": SPECIAL_TEXT, "underskrifter": [people], "föredragande": people, "närvarande": [people],
                 "hänvisningar": [{"diarienummer": SPECIAL, "beskrivning": SPECIAL}]}
    elif variant == "program":
        data |= {"program": SPECIAL, "version": SPECIAL, "inledning": SPECIAL_TEXT, "sammanfattning": SPECIAL_TEXT,
                 "arbetsomraden": [{"namn": SPECIAL, "summering": SPECIAL_TEXT, "planering": SPECIAL_TEXT}]}
    else:
        data |= {"avsnitt": [{"rubrik": SPECIAL, "text": SPECIAL_TEXT}], "avslutning": SPECIAL_TEXT,
                 "kommunikationsinsatser": [{"datum": "2026-03-02", "text": SPECIAL, "lank": "https://x.se/a(b)c?d=1&e=[2]"}],
                 "lankar": [{"text": SPECIAL, "url": "https://x.se/{{rubrik}}/%7B%25<&>\"'\\"}], "talesperson": people}
    return data


def empty_lists(name: str, variant: str | None) -> dict:
    """Every optional list present and empty."""
    data = base_input(name, variant) | {"skickas_till": []}
    if name == "beslut":
        data |= {"närvarande": [], "hänvisningar": []}
    elif variant == "lagesbild":
        data |= {"kommunikationsinsatser": [], "lankar": []}
    return data


SHAPES = {"only namn": only_names, "empty lists": empty_lists, "special characters": special}


@pytest.mark.parametrize("name, variant", TYPES, ids=IDS)
@pytest.mark.parametrize("shape", ["only namn", "empty lists", "longest", "special characters"])
def test_edge_inputs_render(prop_engine, workspace, name, variant, shape):
    engine = prop_engine
    cls = engine.plugins.get(name)
    data = longest(name, variant, cls) if shape == "longest" else SHAPES[shape](name, variant)
    assert not list(standard_validator(cls).iter_errors(data))
    for as_json in (False, True):
        path = write_input(workspace / "inbox", "edge", data, as_json)
        try:
            prepared = prepare(engine, path)
        except InputError as exc:
            pytest.fail(exc.report("en"))
        assert_rendered(prepared, data, (name, variant))
        Stats.rendered += 1


@pytest.mark.parametrize("name, variant", TYPES, ids=IDS)
def test_edge_inputs_register(prop_engine, workspace, name, variant):
    """The special characters and the longest values go through LibreOffice and register, too."""
    engine = prop_engine
    cls = engine.plugins.get(name)
    for n, data in enumerate([special(name, variant), longest(name, variant, cls)]):
        path = write_yaml(workspace / "inbox", f"edge-{n}.yaml", data)
        result = engine.process(path)
        assert result.ok, result.error
        assert result.diarienummer in pdf_text(result.files["pdf"])
        for f in Path(result.folder).rglob("*"):
            assert len(f.name.encode("utf-8")) <= 255
        Stats.processed += 1


def test_joining_an_existing_case(prop_engine, workspace):
    engine = prop_engine
    dnr = open_case(engine, workspace, "HS")
    data = {k: v for k, v in base_input("beslut", None).items() if k != "serie"} | {"diarienummer": dnr}
    result = engine.process(write_yaml(workspace / "inbox", "b.yaml", data))
    assert result.ok and result.diarienummer == dnr, result.error
    assert dnr in pdf_text(result.files["pdf"])


# -- the schema says what the engine refuses ------------------------------------------------------

REFUSED_BY_ENGINE = [
    # (type, variant, change) — inputs docgen refuses, which the schema must refuse too
    *[pytest.param(n, v, {"datum": d}, id=f"{n}-{v}-datum-{d}")
      for n, v in TYPES for d in ("1899-12-31", "2101-01-01", "0001-01-01")],
    *[pytest.param(n, v, {"sekretess": {"bestämmelse": "x", "datum": "2101-01-01"}}, id=f"{n}-{v}-sekretess")
      for n, v in TYPES],
    pytest.param("uppdragshandling", None, {"beslutsdatum": "1899-12-31"}, id="beslutsdatum"),
    pytest.param("beslut", None, {"ersätter": {"diarienummer": "RS 1", "datum": "2101-01-01"}}, id="ersätter.datum"),
    pytest.param("lagesrapport", "lagesbild", {"kommunikationsinsatser": [{"datum": "1800-05-01", "text": "x"}]},
                 id="kommunikationsinsatser.datum"),
    *[pytest.param("lagesrapport", "lagesbild", {"sammanstalld": s}, id=f"sammanstalld-{s}")
      for s in ("2026-02-30 10:00", "2100-02-29 10:00", "1899-12-31 10:00", "2026-13-01 10:00", "2026-01-01 24:00",
                "2026-01-01 10:60", "٢٠٢٦-01-01 10:00")],
    *[pytest.param("lagesrapport", "program", {"period": {"från": f, "till": "2026-01"}}, id=f"period-{f}")
      for f in ("1899-12", "2101-01", "２０２４-01", "2026-13")],
    pytest.param("beslut", None, {"skickas_till": [{"syfte": "x", "mottagare": [{"titel": "utan namn"}]}]},
                 id="mottagare-without-kind"),
    pytest.param("beslut", None, {"skickas_till": [{"syfte": "x", "mottagare": [{"namn": "a", "lista": "kansliet"}]}]},
                 id="mottagare-two-kinds"),
    pytest.param("beslut", None, {"diarienummer": "RS 2024-00001"}, id="diarienummer-and-serie"),
]


@pytest.mark.parametrize("name, variant, change", REFUSED_BY_ENGINE)
def test_schema_says_what_the_engine_refuses(prop_engine, workspace, name, variant, change):
    engine = prop_engine
    data = base_input(name, variant) | change
    result = engine.check(write_yaml(workspace / "inbox", "x.yaml", data))
    assert not result.ok and result.error_kind == "input", result.error
    errors = list(standard_validator(engine.plugins.get(name)).iter_errors(data))
    assert errors, f"docgen refuses {change} but the type's JSON Schema accepts it: {result.problems}"


ACCEPTED_EDGES = [
    ("uppdragshandling", None, {"datum": "1900-01-01", "beslutsdatum": "2100-12-31"}),
    ("beslut", None, {"datum": "2100-12-31", "ersätter": {"diarienummer": "RS 1", "datum": "1900-01-01"}}),
    ("lagesrapport", "lagesbild", {"sammanstalld": "2000-02-29T23:59", "kommunikationsinsatser": [{"datum": "2096-02-29", "text": "x"}]}),
    ("lagesrapport", "lagesbild", {"sammanstalld": "1900-01-01 00:00\n"}),
    ("lagesrapport", "program", {"period": {"från": "1900-01", "till": "2100-12"}}),
]


@pytest.mark.parametrize("name, variant, change", ACCEPTED_EDGES)
def test_schema_and_engine_accept_the_edges(prop_engine, workspace, name, variant, change):
    engine = prop_engine
    data = base_input(name, variant) | change
    assert not list(standard_validator(engine.plugins.get(name)).iter_errors(data))
    result = engine.check(write_yaml(workspace / "inbox", "x.yaml", data))
    assert result.ok, result.error


@pytest.fixture(scope="module", autouse=True)
def coverage_report(request):
    """How much the properties covered, printed when the module's tests are done (seen with -s); not a test,
    since it checks nothing."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and request.config.option.capture == "no":
        reporter.write_line(f"\nproperty tests: {Stats.rendered} inputs rendered to DOCX ({Stats.seconds:.1f} s for the "
                            f"generated ones), {Stats.refused} refused for engine-only reasons {dict(Stats.reasons)}, "
                            f"{Stats.processed} registered as PDF/A")
