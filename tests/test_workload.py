"""Bounded work (issue 28, item 1): an input at a limit of [granser] converts within the conversion
deadline; one beyond is refused before a number, with a report naming the field and the limit."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import example, write_yaml
from docgen.config import load_config
from docgen.workload import KINDS, measure
from helpers import DOCGEN

sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
import limits as bench  # noqa: E402  (the generators `make bench` measures with)


def docgen(ws, *args) -> subprocess.CompletedProcess:
    return subprocess.run(DOCGEN + ["-w", str(ws), *args], capture_output=True, text=True, timeout=900)


def at(kind: str, amount: int, over: bool = False) -> dict:
    """A beslut holding ``amount`` of one kind as docgen.workload counts it (or the nearest amount the generator
    can make: at most ``amount``, or with ``over`` just above it), nothing else large."""
    _, generate, _ = bench.KINDS[kind]

    def make(n: int) -> dict:  # as the JSON file holds it (dates as text)
        return json.loads(json.dumps(generate(n) | {"status": "slutlig", "rubrik": f"Gränsen för {kind}"}, default=str))

    def fits(got: int) -> bool:
        return amount < got <= amount + 8 if over else amount - 8 <= got <= amount

    n = target = amount + 1 if over else amount
    for _ in range(60):  # the generators count slightly differently (headers, the example's own items)
        got = getattr(measure(make(n)), kind)
        if fits(got):
            break
        n += (target - got) or (1 if over else -1)
    data = make(n)
    assert fits(getattr(measure(data), kind)), (kind, amount, getattr(measure(data), kind))
    return data


def handlingar(ws) -> int:
    from docgen.store import Store

    store = Store(f"sqlite:///{ws / 'docgen.sqlite'}")
    try:
        return store.query("SELECT count(*) AS n FROM handling")[0]["n"]
    finally:
        store.close()


@pytest.mark.parametrize("kind", [*KINDS, "stycke"])
def test_input_at_a_limit_converts_and_one_beyond_is_refused_before_a_number(workspace, kind):
    key = KINDS[kind][0] if kind in KINDS else "max_stycke"
    limit = load_config(workspace).limits[key]
    beyond = workspace / "over.json"
    beyond.write_text(json.dumps(at(kind, limit, over=True), ensure_ascii=False, default=str), encoding="utf-8")
    r = docgen(workspace, "render", "--json", str(beyond))
    line = json.loads(r.stdout)
    assert r.returncode == 1 and line["status"] == "fel" and line["diarienummer"] is None
    (p,) = line["problem"]
    assert p["field"] == "skäl" if kind != "listposter" else p["field"] == "beslutspunkter"
    assert key in p["en"] and str(limit) in p["en"] and str(limit) in p["sv"]
    assert handlingar(workspace) == 0, "refused before a number"

    within = workspace / "inom.json"  # the largest accepted input of this kind, with the default deadline
    within.write_text(json.dumps(at(kind, limit), ensure_ascii=False, default=str), encoding="utf-8")
    r = docgen(workspace, "render", "--json", str(within))
    line = json.loads(r.stdout)
    assert r.returncode == 0 and line["status"] == "registrerad", line["fel"]


def test_kinds_add_up_to_one_budget(workspace):
    limits = load_config(workspace).limits
    data = example("beslut") | {  # each kind at 70 % of its limit: 210 % in all
        "beslutspunkter": [f"genomföra punkt {i}," for i in range(limits["max_listposter"] * 7 // 10)],
        "skäl": bench.table_of(limits["max_tabellceller"] * 7 // 10 // 4) + "\n\n" +
        bench.links_of(limits["max_lankar"] * 7 // 10),
    }
    path = write_yaml(workspace, "tillsammans.yaml", data)
    r = docgen(workspace, "validate", "--json", str(path))
    line = json.loads(r.stdout)
    assert r.returncode == 1, line
    (p,) = line["problem"]
    assert "taken together" in p["en"] and "200%" in p["en"] and "list items" in p["en"]


def test_the_issues_bodies_are_refused_at_once(workspace):
    """100,000 short decision points (500 KB) and 900,000 characters of grounds, both under the file limit."""
    many = example("beslut") | {"beslutspunkter": ["punkt"] * 100_000}
    long = example("beslut") | {"skäl": "Skäl. " * 150_000}
    for name, data in (("manga.json", many), ("lang.json", long)):
        path = workspace / name
        path.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
        r = docgen(workspace, "validate", "--json", str(path))
        assert r.returncode == 1 and json.loads(r.stdout)["problem"], r.stdout
    assert handlingar(workspace) == 0
