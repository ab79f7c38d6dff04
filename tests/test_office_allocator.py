"""[libreoffice] allokerare: LibreOffice runs with jemalloc unless told otherwise, and still converts."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from docgen import officemalloc
from docgen.config import load_config
from docgen.errors import ConfigError
from docgen.office import OfficePool


def mapped(pid: int) -> set[str]:
    """The shared libraries a process has mapped."""
    text = Path(f"/proc/{pid}/maps").read_text()
    return {m.group(0) for m in re.finditer(r"/\S+\.so[\d.]*", text)}


def malloc_libraries(pid: int) -> list[str]:
    return sorted(p for p in mapped(pid) if re.search(r"lib(je|mi|tc)malloc", p))


def set_allocator(ws: Path, value: str) -> None:
    toml = ws / "docgen.toml"
    text = re.sub(r'(?m)^allokerare = ".*"\n', "", toml.read_text(encoding="utf-8"))
    assert "[libreoffice]\n" in text
    toml.write_text(text.replace("[libreoffice]\n", f'[libreoffice]\nallokerare = "{value}"\n', 1), encoding="utf-8")


def convert_one(pool: OfficePool, tmp: Path, docx: Path) -> bytes:
    pdf = tmp / f"{docx.stem}.pdf"
    pool.convert(docx, pdf)
    return pdf.read_bytes()


@pytest.fixture(scope="module")
def docx(tmp_path_factory) -> Path:
    """A small real DOCX (python-docx's own)."""
    import docx as python_docx

    path = tmp_path_factory.mktemp("alloc") / "liten.docx"
    d = python_docx.Document()
    d.add_paragraph("Ett stycke text för konverteringen.")
    d.save(path)
    return path


def test_libreoffice_runs_with_jemalloc_by_default_and_converts(workspace, tmp_path, docx):
    cfg = load_config(workspace)
    assert cfg.settings.libreoffice.allokerare == "jemalloc"
    with OfficePool.from_config(cfg, size=1) as pool:
        pool.start()
        pid = pool.instances[0].pid
        assert [Path(p).name for p in malloc_libraries(pid)] == ["libjemalloc.so.2"]
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert b"SAX_DISABLE_THREADS=1" in environ  # the DOCX's XML is parsed on one thread
        assert convert_one(pool, tmp_path, docx).startswith(b"%PDF")
        # a restart (recycling) starts the new process with the same allocator
        pool.instances[0].restart()
        assert pool.instances[0].pid != pid
        assert [Path(p).name for p in malloc_libraries(pool.instances[0].pid)] == ["libjemalloc.so.2"]


def test_system_means_glibc_malloc_and_a_path_is_preloaded(workspace, tmp_path, docx):
    set_allocator(workspace, "system")
    with OfficePool.from_config(load_config(workspace), size=1) as pool:
        pool.start()
        assert malloc_libraries(pool.instances[0].pid) == []
        assert convert_one(pool, tmp_path, docx).startswith(b"%PDF")
        system_maps = mapped(pool.instances[0].pid)
    # the path form: the same library named by its absolute path
    with OfficePool(size=1) as pool:
        pool.start()
        (jemalloc,) = malloc_libraries(pool.instances[0].pid)
    assert jemalloc not in system_maps
    set_allocator(workspace, jemalloc)
    with OfficePool.from_config(load_config(workspace), size=1) as pool:
        pool.start()
        assert malloc_libraries(pool.instances[0].pid) == [jemalloc]
        assert convert_one(pool, tmp_path, docx).startswith(b"%PDF")


@pytest.mark.parametrize("value, says", [
    ("tcmalloc", "absolute path"),
    ("libs/libjemalloc.so.2", "absolute path"),
    ("/nowhere/libjemalloc.so.2", "does not exist"),
    ("/opt/my libs/libjemalloc.so.2", "without spaces or colons"),
])
def test_an_unusable_allocator_is_a_config_error_naming_the_key(workspace, value, says):
    set_allocator(workspace, value)
    with pytest.raises(ConfigError) as caught:
        load_config(workspace)
    assert "[libreoffice] allokerare" in str(caught.value) and value in str(caught.value)
    assert says in str(caught.value)


def test_the_preload_keeps_what_the_environment_preloads():
    env = officemalloc.environment("jemalloc", {"LD_PRELOAD": "/opt/x/libaudit.so", "PATH": "/usr/bin"})
    first, second = env["LD_PRELOAD"].split(" ")
    assert "jemalloc" in first and second == "/opt/x/libaudit.so" and env["PATH"] == "/usr/bin"
    assert "LD_PRELOAD" not in officemalloc.environment("system", {"PATH": "/usr/bin"})


def test_a_named_allocator_that_is_not_installed_falls_back_with_one_warning(monkeypatch, caplog):
    monkeypatch.setitem(officemalloc.KNOWN, "jemalloc", ("docgen-no-such-allocator", "libjemalloc2"))
    monkeypatch.setattr(officemalloc, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="docgen.office"):
        assert officemalloc.environment("jemalloc", {}) == {}
        assert officemalloc.environment("jemalloc", {}) == {}
    warnings = [r for r in caplog.records if "allokerare" in r.getMessage()]
    assert len(warnings) == 1 and "libjemalloc2" in warnings[0].getMessage()


def test_libreoffice_parses_on_one_thread_unless_the_environment_says_otherwise(monkeypatch):
    from docgen.office import OfficeInstance

    inst = OfficeInstance(name="env")
    try:
        assert inst.environment()["SAX_DISABLE_THREADS"] == "1"
        monkeypatch.setenv("SAX_DISABLE_THREADS", "0")  # an administrator keeps LibreOffice's threaded parser
        assert "SAX_DISABLE_THREADS" not in inst.environment()  # (LibreOffice looks only at whether it is set)
    finally:
        inst.close()
