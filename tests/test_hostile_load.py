"""Hostile input gets a clear InputError (Swedish, English, a fix, field/line) — never a crash, hang or huge message."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from docgen.errors import MAX_TEXT, InputError, problem, shorten
from docgen.load import load_input, parse_input

ROOT = Path(__file__).resolve().parent.parent
LIMITS = {"max_filstorlek": 1048576, "max_djup": 20, "max_noder": 20000, "max_expanderad": 4194304}
GOOD_HEAD = "dokumenttyp: uppdragshandling\nrubrik: Test\n"


def refused(raw: bytes | str, suffix: str = ".yaml", limits: dict = LIMITS) -> InputError:
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    with pytest.raises(InputError) as e:
        parse_input("fel" + suffix, raw, suffix, limits)
    return e.value


def assert_clear(err: InputError, field: str | None = None, line: int | None = None, words: tuple = ()) -> None:
    """Every problem is bilingual with a fix, the report stays short, and field/line/words are where expected."""
    assert err.problems
    for p in err.problems:
        assert p.sv and p.en and p.fix_sv and p.fix_en, p
        assert max(len(p.sv), len(p.en), len(p.fix_sv), len(p.fix_en)) <= MAX_TEXT, p
        assert len(p.text("sv")) <= 1000 and len(p.text("en")) <= 1000, p
    assert len(err.report()) <= 200 + 2100 * len(err.problems)
    if field is not None:
        assert field in [p.field for p in err.problems], err.report()
    if line is not None:
        assert line in [p.line for p in err.problems], err.report()
    report = err.report()
    for word in words:
        assert word in report, (word, report)


def _bomb_by_nodes() -> str:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i, name in enumerate("bcdefghij"):
        bomb += f"{name}: &{name} [{', '.join(['*' + 'abcdefghij'[i]] * 10)}]\n"
    return bomb


def _bomb_by_size() -> str:
    """About 110 KB on disk, about 40 MB with the aliases filled in, and only ~400 elements."""
    return "a: &a '" + "x" * 100_000 + "'\nb: [" + ", ".join(["*a"] * 400) + "]\n"


def _merge_bomb() -> str:
    text = "m0: &m0 {" + ", ".join(f"k{i}: v" for i in range(10)) + "}\n"
    for i in range(1, 7):
        text += f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 10)}]}}\n"
    return text


DEEP = 25_000

YAML_CASES = [
    # id, text, field, line, words
    ("deep-block-dash", "- " * DEEP + "x\n", "", 1, ("nästling", "nesting")),
    ("deep-flow-seq", "a: " + "[" * DEEP + "]" * DEEP + "\n", "", 1, ("nästling", "nesting")),
    ("deep-flow-map", "a: " + "{a: " * DEEP + "1" + "}" * DEEP + "\n", "", 1, ("nästling", "nesting")),
    ("deep-indent", "".join(" " * i + "a:\n" for i in range(1300)) + " " * 1300 + "a: 1\n", "", None, ("nesting",)),
    ("deep-21", "a: " + "[" * 21 + "]" * 21 + "\n", "", 1, ("högst 20", "at most 20")),
    ("deep-by-aliases", "".join(f"l{i}: &l{i} [{'*l%d' % (i - 1) if i else 'x'}]\n" for i in range(30)), "", None,
     ("nästling", "nesting")),
    ("bomb-nodes", _bomb_by_nodes(), "", None, ("alias", "20000")),
    ("bomb-size", _bomb_by_size(), "", 2, ("4194304 byte", "without aliases")),
    ("bomb-merge", _merge_bomb(), "", None, ("alias",)),
    ("recursive-alias", "a: &a [1, *a]\n", "", 1, ("sig självt", "itself")),
    ("undefined-alias", GOOD_HEAD + "b: *nope\n", "", 3, ("*nope", "&nope")),
    ("undefined-long-alias", GOOD_HEAD + "b: *" + "n" * 100_000 + "\n", "", 3, ("alias",)),
    ("int-tag", GOOD_HEAD + "antal: !!int abc\n", "antal", 3, ("!!int", "'abc'")),
    ("float-tag", GOOD_HEAD + "belopp: !!float x\n", "belopp", 3, ("!!float",)),
    ("bool-tag", GOOD_HEAD + "klar: !!bool kanske\n", "klar", 3, ("!!bool",)),
    ("bad-timestamp", GOOD_HEAD + "datum: !!timestamp 2025-02-30\n", "datum", 3, ("!!timestamp", "2025-02-28")),
    ("timestamp", GOOD_HEAD + "datum: !!timestamp 2025-02-28\n", "datum", 3, ("!!timestamp",)),
    ("binary-garbage", GOOD_HEAD + "fil: !!binary '!!!'\n", "fil", 3, ("!!binary", "bilaga")),
    ("binary", GOOD_HEAD + "fil: !!binary aGVq\n", "fil", 3, ("!!binary",)),
    ("python-object", GOOD_HEAD + "x: !!python/object:os.system ls\n", "x", 3, ("!!python/object", "kod")),
    ("python-apply", GOOD_HEAD + "x: !!python/object/apply:os.system [ls]\n", "x", 3, ("!!python/object/apply",)),
    ("python-name", GOOD_HEAD + "x: !!python/name:os.system ''\n", "x", 3, ("!!python/name",)),
    ("unknown-tag", GOOD_HEAD + "lista:\n  - !foo bar\n", "lista[1]", 4, ("!foo", "unknown tag")),
    ("set", GOOD_HEAD + "m: !!set {a, b}\n", "m", 3, ("!!set",)),
    ("omap", GOOD_HEAD + "m: !!omap [a: 1, b: 2]\n", "m", 3, ("!!omap",)),
    ("pairs", GOOD_HEAD + "m: !!pairs [a: 1]\n", "m", 3, ("!!pairs",)),
    ("huge-int", GOOD_HEAD + "n: " + "9" * 5000 + "\n", "n", 3, ("4300",)),
    ("huge-hex", GOOD_HEAD + "n: 0x" + "f" * 5000 + "\n", "n", 3, ("4300",)),
    ("huge-base-60", GOOD_HEAD + "n: 1" + ":1" * 200_000 + "\n", "n", 3, ("4300",)),
    ("inf", GOOD_HEAD + "n: .inf\n", "n", 3, ("inf/nan",)),
    ("minus-inf", GOOD_HEAD + "n: -.inf\n", "n", 3, ("inf/nan",)),
    ("nan", GOOD_HEAD + "n:\n  - 1\n  - .nan\n", "n[2]", 5, ("inf/nan",)),
    ("float-overflow", GOOD_HEAD + "n: 1.0e+999\n", "n", 3, ("inf/nan",)),
    ("int-key", GOOD_HEAD + "1: x\n", "", 3, ("'1'", "not text")),
    ("list-key", GOOD_HEAD + "? [a, b]\n: x\n", "", 3, ("not text",)),
    ("long-key", GOOD_HEAD + "? " + "k" * 100_000 + "\n: 1\n", "", 3, ("100000 tecken", "too long")),
    ("bad-merge", GOOD_HEAD + "m:\n  <<: 1\n", "m", 4, ("<<",)),
    ("duplicate-anchor", GOOD_HEAD + "a: &x 1\nb: &x 2\n", "", 4, ("&x", "rad 3")),
    ("multi-document", GOOD_HEAD + "---\nrubrik: Igen\n", "", 3, ("ett dokument", "one document")),
    ("multi-document-end", GOOD_HEAD + "...\n---\nx: 1\n", "", 4, ("one document",)),
    ("empty", "", "", None, ("tom", "empty", "docgen new")),
    ("only-comments", "# bara kommentarer\n\n   # och tomrader\n", "", None, ("tom", "empty", "docgen new")),
    ("only-marker", "---\n", "", None, ("empty",)),
    ("top-level-list", "- a\n- b\n", "", None, ("docgen new",)),
    ("top-level-scalar", "bara text\n", "", None, ("docgen new",)),
    ("control-char", GOOD_HEAD + "enhet: Kon\x07cern\n", "", 3, ("U+0007",)),
    ("escaped-control", GOOD_HEAD + 'enhet: "Kon\\x07cern"\n', "enhet", 3, ("U+0007",)),
    ("duplicate-nested", GOOD_HEAD + "m:\n  a: 1\n  a: 2\n", "m.a", 5, ("två gånger", "twice", "rad 4")),
    ("long-line-broken", GOOD_HEAD + 'a: "' + "x" * 500_000 + '" b\n', "", 3, ("YAML",)),
    ("long-value-bad-tag", GOOD_HEAD + "a: !!int " + "x" * 100_000 + "\n", "a", 3, ("100000 tecken",)),
]


@pytest.mark.parametrize("text, field, line, words", [c[1:] for c in YAML_CASES], ids=[c[0] for c in YAML_CASES])
def test_hostile_yaml_is_refused_clearly(text, field, line, words):
    assert_clear(refused(text), field, line, words)


JSON_CASES = [
    ("deep-array", "[" * 500_000 + "]" * 500_000, "", 1, ("nästling", "nesting")),
    ("deep-object", '{"a": ' * DEEP + "1" + "}" * DEEP, "", 1, ("nesting",)),
    ("deep-21", '{"a": ' + "[" * 20 + "]" * 20 + "}", "", 1, ("at most 20",)),
    ("deep-on-line-3", '{\n"a": 1,\n"b": ' + "[" * 30 + "]" * 30 + "}", "", 3, ("nesting",)),
    ("nan", '{"a": NaN}', "a", None, ("inf/nan",)),
    ("infinity", '{"a": [1, Infinity]}', "a[2]", None, ("inf/nan",)),
    ("minus-infinity", '{"a": {"b": -Infinity}}', "a.b", None, ("inf/nan",)),
    ("1e999", '{"a": 1e999}', "a", None, ("inf/nan",)),
    ("huge-int", '{"a": ' + "9" * 5000 + "}", "a", None, ("4300",)),
    ("huge-negative-int", '{"a": -' + "9" * 5000 + "}", "a", None, ("4300",)),
    ("duplicate", '{"a": 1, "a": 2}', "a", None, ("twice",)),
    ("control", '{"rubrik": "a\\u0001b"}', "rubrik", None, ("U+0001",)),
    ("long-key", '{"' + "k" * 500_000 + '": [' + ",".join(["1"] * 100_000) + "]}", "", None, ("500000 tecken",)),
    ("empty", "", "", None, ("empty", "docgen new")),
    ("whitespace", " \n\t\n", "", None, ("empty",)),
    ("top-level-list", "[1, 2]", "", None, ("docgen new",)),
    ("broken", '{"a": 1,\n "b": }', "", 2, ("JSON",)),
    ("unterminated-escapes", '{"a": "' + '\\"' * 200_000, "", 1, ("JSON",)),
]


@pytest.mark.parametrize("text, field, line, words", [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES])
def test_hostile_json_is_refused_clearly(text, field, line, words):
    assert_clear(refused(text, ".json"), field, line, words)


@pytest.mark.parametrize("raw, line", [
    ("a: 1\nb: Göteborg\n".encode("latin-1"), 2),
    ("dokumenttyp: x\n".encode("utf-16"), 1),
    ("dokumenttyp: x\n".encode("utf-16-le"), 1),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", 1),
], ids=["latin-1", "utf-16-bom", "utf-16-le", "binary"])
def test_not_utf8_names_the_line(raw, line):
    assert_clear(refused(raw), "", line, ("UTF-8",))


def test_too_large_is_refused_before_parsing():
    err = refused(GOOD_HEAD + "a: " + "[" * 2000 + "\n", limits=LIMITS | {"max_filstorlek": 1000})
    assert_clear(err, words=("för stor", "too large"))


def test_limits_come_from_the_dict_and_depth_has_a_hard_ceiling():
    text = "a: " + "[" * 30 + "]" * 30 + "\n"
    assert parse_input("ok.yaml", text.encode(), ".yaml", LIMITS | {"max_djup": 40}).data["a"]
    assert_clear(refused("a: " + "[" * 300 + "]" * 300 + "\n", limits=LIMITS | {"max_djup": 10**6}),
                 words=("högst 200", "at most 200"))
    assert_clear(refused(_bomb_by_size()[:20_000] + "'\n", limits=LIMITS | {"max_expanderad": 1000}), words=("1000 byte",))
    limits = {k: v for k, v in LIMITS.items() if k != "max_expanderad"}  # an older config: the default applies
    assert_clear(refused(_bomb_by_size(), limits=limits), words=("4194304",))


def test_depth_boundary_is_exact():
    # root mapping + k lists + the scalar = k + 2 levels
    ok = "a: " + "[" * 18 + "x" + "]" * 18 + "\n"
    assert parse_input("ok.yaml", ok.encode(), ".yaml", LIMITS).data["a"]
    assert_clear(refused("a: " + "[" * 19 + "x" + "]" * 19 + "\n"), words=("nesting",))
    ok = '{"a": ' + "[" * 18 + "1" + "]" * 18 + "}"
    assert parse_input("ok.json", ok.encode(), ".json", LIMITS).data["a"]
    assert_clear(refused('{"a": ' + "[" * 19 + "1" + "]" * 19 + "}", ".json"), words=("nesting",))


def test_many_problems_are_capped():
    text = GOOD_HEAD + "".join(f"f{i}: !!int x{i}\n" for i in range(500))
    err = refused(text)
    assert_clear(err, "f0", 3)
    assert len(err.problems) <= 20


def test_messages_have_a_hard_ceiling():
    p = problem("a" * 5000, "x" * 5000, "y" * 5000, "z" * 5000, "w" * 5000, 1)
    assert max(len(p.sv), len(p.en), len(p.fix_sv), len(p.fix_en)) <= MAX_TEXT
    assert len(p.field) <= 200 and p.field.startswith("aaa") and "…" in p.field
    text = shorten("a" * 20000)
    assert len(text) < 120 and "…" in text and "20000 tecken/characters" in text
    assert shorten("kort") == "'kort'"


# --- the deepest inputs run in a separate process: it must not crash (a segfault has no traceback)

_CHILD = textwrap.dedent("""
    import sys
    from docgen.errors import InputError
    from docgen.load import _parse_yaml, parse_input
    L = {"max_filstorlek": 1048576, "max_djup": 20, "max_noder": 20000, "max_expanderad": 4194304}
    N = 25000
    cases = [
        ("yaml-dash", "- " * N + "x\\n", ".yaml"),
        ("yaml-flow", "a: " + "[" * N + "]" * N + "\\n", ".yaml"),
        ("yaml-flow-map", "{a: " * N + "1" + "}" * N + "\\n", ".yaml"),
        ("yaml-flow-lines", "a:\\n" + "[\\n" * N + "]" * N + "\\n", ".yaml"),
        ("yaml-seq-in-map", "".join("  " * i + "- a:\\n" for i in range(600)), ".yaml"),
        ("json-array", "[" * 400000 + "]" * 400000, ".json"),
        ("json-object", '{"a":' * 150000 + "1" + "}" * 150000, ".json"),
    ]
    def clear(exc, source):
        p = exc.problems[0]
        return exc.source == source and all((p.sv, p.en, p.fix_sv, p.fix_en)) and p.line is not None

    for name, text, suffix in cases:
        try:
            parse_input(name + suffix, text.encode(), suffix, L)
            print(name, "LOADED")
        except InputError as exc:
            print(name, "InputError", "clear" if clear(exc, name + suffix) else exc.report())
    # The composer alone (no text pre-scan) must also stop a deep document without recursing. Which layer stops
    # it (docgen's composer or a PyYAML/libyaml that has its own depth limit) is theirs to choose.
    for name, text in [("composer-flow", "a: " + "[" * 400000 + "]" * 400000), ("composer-dash", "- " * 400000 + "x")]:
        try:
            _parse_yaml(name, text, L)
            print(name, "LOADED")
        except InputError as exc:
            print(name, "InputError", "clear" if clear(exc, name) else exc.report())
""")


def test_deepest_inputs_do_not_crash_the_process():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", _CHILD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    lines = proc.stdout.splitlines()
    assert len(lines) == 9, proc.stdout
    # Each is refused with a clear error naming its file, whichever layer stopped it; the process lived on.
    assert all(line.endswith(" InputError clear") for line in lines), proc.stdout


# --- files: only regular files are read, never blocking

def _load_with_timeout(path: Path, limits: dict = LIMITS, timeout: float = 5) -> InputError:
    outcome: list = []

    def run():
        try:
            load_input(path, limits)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        if path.is_fifo():  # release the blocked reader
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"load_input blocked on {path}")
    assert isinstance(outcome[0], InputError), outcome
    return outcome[0]


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "rör.yaml"
    os.mkfifo(fifo)
    assert_clear(_load_with_timeout(fifo), words=("inte en vanlig fil", "not a regular file"))


def test_device_and_socket_are_refused(tmp_path):
    if os.path.exists("/dev/zero"):
        (tmp_path / "noll.yaml").symlink_to("/dev/zero")
        assert_clear(_load_with_timeout(tmp_path / "noll.yaml"), words=("not a regular file",))
    sock_path = tmp_path / "s.yaml"
    if len(str(sock_path)) < 100:
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(str(sock_path))
            assert_clear(_load_with_timeout(sock_path), words=("not a regular file",))


def test_size_is_checked_on_what_is_read_not_on_stat(tmp_path):
    maps = Path("/proc/self/maps")  # a regular file whose stat size is 0
    (tmp_path / "proc.yaml").symlink_to(maps)
    assert_clear(_load_with_timeout(tmp_path / "proc.yaml", LIMITS | {"max_filstorlek": 10}),
                 words=("över 10 byte", "more than 10 bytes"))


def test_folder_and_missing_file_keep_their_messages(tmp_path):
    (tmp_path / "mapp.yaml").mkdir()
    assert_clear(_load_with_timeout(tmp_path / "mapp.yaml"), words=("detta är en mapp, inte en fil.",))
    assert_clear(_load_with_timeout(tmp_path / "saknas.yaml"), words=("filen finns inte.",))


# --- no regression: valid inputs still load, with their lines

def test_valid_yaml_loads_with_lines(tmp_path):
    text = textwrap.dedent("""\
        \ufeffdokumenttyp: uppdragshandling
        rubrik: "Citat: med kolon # och brädgård"
        datum: 2024-03-05
        formel: =
        mall: &mall
          titel: Handläggare
          enhet: Koncernkontoret
        uppdragstagare:
          - namn: Anna
            <<: *mall
          - namn: Bo
            <<: *mall
            titel: Chef
        lista: [a, [b, c], {d: e}]
        text: |
          Se [bilaga 1 och {inte} en lista:
            - "citat
        lang: """) + "x" * 300_000 + "\n"
    path = tmp_path / "bra.yaml"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    loaded = load_input(path, LIMITS)
    d = loaded.data
    assert d["datum"] == "2024-03-05" and d["formel"] == "=" and d["rubrik"].startswith("Citat: med kolon")
    assert d["uppdragstagare"] == [
        {"namn": "Anna", "titel": "Handläggare", "enhet": "Koncernkontoret"},
        {"namn": "Bo", "titel": "Chef", "enhet": "Koncernkontoret"},
    ]
    assert d["lista"] == ["a", ["b", "c"], {"d": "e"}] and d["text"].startswith("Se [bilaga")
    assert len(d["lang"]) == 300_000
    assert loaded.lines["uppdragstagare[2].namn"] == 11 and loaded.lines["uppdragstagare[2].titel"] == 13
    assert loaded.line_of("uppdragstagare[1].enhet") == 7  # from the merged mapping
    assert loaded.lines["lista[2]"] == 14 and loaded.base_dir == tmp_path


def test_valid_json_and_moderate_aliases_load():
    loaded = parse_input("bra.json", '{"a": [1, 2.5, true, null, "x"], "b": {"c": -12}}'.encode(), ".json", LIMITS)
    assert loaded.data == {"a": [1, 2.5, True, None, "x"], "b": {"c": -12}}
    text = "a: &a [x, y, z]\nb: [*a, *a, *a]\nc: &c {k: v}\nd: *c\n"
    loaded = parse_input("bra.yaml", text.encode(), ".yaml", LIMITS)
    assert loaded.data["b"] == [["x", "y", "z"]] * 3 and loaded.data["d"] == {"k": "v"}
    assert loaded.lines["b[2]"] == 1 and loaded.lines["d.k"] == 3  # an alias has the line of its anchor
