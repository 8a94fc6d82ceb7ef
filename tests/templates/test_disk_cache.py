"""The disk cache of compiled templates (``pyview_templates/diskcache.py``).

A cached module is only executed once its header says it was compiled from the current
sources; a broken one is recompiled with a warning; files are written with an explicit mode,
atomically, without touching the process umask.
"""

import importlib.util
import logging
import os
import py_compile
import shutil
import threading

import pytest

from pyview_templates import Environment, FileSystemLoader
from pyview_templates.cli import main as cli_main
from pyview_templates.diskcache import CacheFileError, read_header, stale_reason, write_module
from pyview_templates.loaders import CACHE_DIR, module_filename
from pyview_templates.moduleinfo import COMPILER_VERSION, normalize_source, source_hash


def cached(root, name="a.html"):
    return root / CACHE_DIR / module_filename(name)


def keep_mtime_write(path, text):
    """Change a file's contents but not its mtime: freshness must come from the contents."""
    st = path.stat()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def add_marker(module_path, marker):
    """Make the cached module leave ``marker`` behind if it is ever executed."""
    with open(module_path, "a", encoding="utf-8") as f:
        f.write(f"\n__import__('pathlib').Path({str(marker)!r}).touch()\n")


def current(root):
    """The hash function the environment uses: the current source of each template under root."""
    return lambda name: source_hash(normalize_source((root / name).read_text("utf-8")))


def warnings_of(caplog):
    return [r for r in caplog.records if r.name == "pyview_templates" and r.levelno == logging.WARNING]


# --- freshness is decided before a cached module runs -------------------------------------------


def test_a_current_cache_module_is_executed(tmp_templates, tmp_path):
    """The control for the stale cases below: the marker does show that a module ran."""
    root = tmp_templates({"a.html": "old {{ v }}"})
    Environment(FileSystemLoader(root)).get_template("a.html")
    marker = tmp_path / "executed"
    add_marker(cached(root), marker)
    assert Environment(FileSystemLoader(root)).get_template("a.html").render(v=1) == "old 1"
    assert marker.exists()


def _edit_template(root):
    keep_mtime_write(root / "a.html", "new {{ v }}{% include 'part.html' %}")


def _edit_include(root):
    keep_mtime_write(root / "part.html", "!")


def _other_compiler_version(root):
    path = cached(root)
    line = f"COMPILER_VERSION = {COMPILER_VERSION}\n"
    text = path.read_text("utf-8")
    assert line in text
    path.write_text(text.replace(line, f"COMPILER_VERSION = {COMPILER_VERSION - 1}\n"))


@pytest.mark.parametrize(
    "make_stale, expected",
    [(_edit_template, "new 1"), (_edit_include, "old 1!"), (_other_compiler_version, "old 1")],
    ids=["edited-same-mtime", "edited-include-same-mtime", "other-compiler-version"],
)
def test_a_stale_cache_module_is_never_executed(tmp_templates, tmp_path, caplog, make_stale, expected):
    root = tmp_templates({"part.html": "", "a.html": "old {{ v }}{% include 'part.html' %}"})
    Environment(FileSystemLoader(root)).get_template("a.html")
    marker = tmp_path / "executed"
    add_marker(cached(root), marker)
    make_stale(root)
    caplog.set_level(logging.DEBUG, logger="pyview_templates")

    assert Environment(FileSystemLoader(root)).get_template("a.html").render(v=1) == expected
    assert not marker.exists()
    assert warnings_of(caplog) == []  # stale is normal, not a problem
    header = read_header(cached(root))
    assert stale_reason(header, "a.html", current(root)) is None  # replaced by a current module
    assert str(marker) not in cached(root).read_text("utf-8")


# --- a broken cache module is recompiled, and said so --------------------------------------------


def _append(text):
    def corrupt(path):
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)

    return corrupt


def _truncate_in_header(path):
    text = path.read_text("utf-8")
    path.write_text(text[: text.index("SOURCES = {") + len("SOURCES = {\n")])


def _binary_garbage(path):
    path.write_bytes(b"\xff\xfe\x00garbage\x80")


def _header_only(path):
    text = path.read_text("utf-8")
    path.write_text(text[: text.index("}\n", text.index("SOURCES = {")) + 2])


@pytest.mark.parametrize(
    "corrupt, says",
    [
        (_append("\ndef broken(:\n"), "SyntaxError"),
        (_append("\nraise ZeroDivisionError('cache module blew up')\n"), "cache module blew up"),
        (_truncate_in_header, "cannot be read"),
        (_binary_garbage, "cannot be read"),
        (_header_only, "no bind()"),
    ],
    ids=["syntax-error", "raises-on-import", "truncated-header", "binary-garbage", "no-code"],
)
def test_a_broken_cache_module_is_recompiled_with_a_warning(tmp_templates, caplog, corrupt, says):
    root = tmp_templates({"a.html": "<p>{{ v }}</p>"})
    Environment(FileSystemLoader(root)).get_template("a.html")
    good = cached(root).read_text("utf-8")
    corrupt(cached(root))
    caplog.set_level(logging.WARNING, logger="pyview_templates")

    assert Environment(FileSystemLoader(root)).get_template("a.html").render(v=1) == "<p>1</p>"
    [record] = warnings_of(caplog)
    assert str(cached(root)) in record.getMessage() and says in record.getMessage()
    assert cached(root).read_text("utf-8") == good  # rewritten

    caplog.clear()
    assert Environment(FileSystemLoader(root)).get_template("a.html").render(v=2) == "<p>2</p>"
    assert warnings_of(caplog) == []


def test_header_is_read_without_running_the_module(tmp_templates, tmp_path):
    root = tmp_templates({"part.html": "p", "a.html": "{% include 'part.html' %}{{ v }}"})
    template = Environment(FileSystemLoader(root)).get_template("a.html")
    marker = tmp_path / "executed"
    add_marker(cached(root), marker)
    header = read_header(cached(root))
    assert (header.name, header.compiler_version, header.sources) == (
        "a.html", COMPILER_VERSION, template.module.SOURCES,
    )
    assert set(header.sources) == {"a.html", "part.html"}
    assert not marker.exists()


@pytest.mark.parametrize(
    "text",
    ["", "x = 1\n", "NAME = 'a.html'\nCOMPILER_VERSION = 6\nSOURCES = {1: 2}\n", "NAME = f()\n", "SOURCES = {\n"],
    ids=["empty", "no-header", "wrong-types", "not-a-literal", "unterminated"],
)
def test_unreadable_headers_are_refused(tmp_path, text):
    path = tmp_path / "m.py"
    path.write_text(text)
    with pytest.raises(CacheFileError):
        read_header(path)


# --- writing: explicit mode, atomic, the umask untouched -----------------------------------------


def test_the_umask_is_never_changed(tmp_templates, monkeypatch):
    """Setting the umask, even for an instant, applies to files every other thread creates."""
    calls = []

    def no_umask(*args):
        calls.append(args)
        raise AssertionError("os.umask called")

    monkeypatch.setattr(os, "umask", no_umask)
    root = tmp_templates({"a.html": "a {{ v }}", "b.html": "{% include 'a.html' %}"})
    assert Environment(FileSystemLoader(root)).get_template("b.html").render(v=1) == "a 1"
    keep_mtime_write(root / "a.html", "A {{ v }}")
    assert Environment(FileSystemLoader(root)).get_template("b.html").render(v=1) == "A 1"  # rewritten
    shutil.rmtree(root / CACHE_DIR)
    assert cli_main(["compile", str(root)]) == 0 and cached(root, "b.html").is_file()
    assert calls == []


@pytest.fixture
def umask():
    """Set the process umask for one test (only tests may change it)."""
    saved = os.umask(0o022)
    yield os.umask
    os.umask(saved)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664), (0o077, 0o600)])
def test_cache_files_get_the_mode_the_umask_allows(tmp_templates, umask, mask, mode):
    root = tmp_templates({"a.html": "one"})
    umask(mask)
    Environment(FileSystemLoader(root)).get_template("a.html")
    assert cached(root).stat().st_mode & 0o777 == mode
    assert (root / CACHE_DIR).stat().st_mode & 0o777 == 0o777 & ~mask

    keep_mtime_write(root / "a.html", "two")  # a rewrite gets a new file, with the same mode
    assert Environment(FileSystemLoader(root)).get_template("a.html").render() == "two"
    assert cached(root).stat().st_mode & 0o777 == mode


def test_concurrent_compiles_of_one_template_leave_one_valid_module(tmp_templates, monkeypatch):
    """Writers in several threads, each with its own environment (as separate processes would be).

    Every writer waits at ``os.replace`` until all have written their temporary file, so the
    writes really overlap.
    """
    n = 6
    root = tmp_templates({"a.html": "<p>{{ v }}</p>"})
    real_replace = os.replace
    all_written = threading.Barrier(n, timeout=60)
    replaced = []

    def replace_together(src, dst):
        all_written.wait()
        real_replace(src, dst)
        replaced.append(dst)

    monkeypatch.setattr(os, "replace", replace_together)
    go = threading.Barrier(n, timeout=60)
    results: list = [None] * n
    errors: list = []

    def compile_and_render(i):
        try:
            go.wait()
            results[i] = Environment(FileSystemLoader(root)).get_template("a.html").render(v=i)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=compile_and_render, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert results == [f"<p>{i}</p>" for i in range(n)]
    assert len(replaced) == n  # each writer had its own temporary file
    assert sorted(p.name for p in (root / CACHE_DIR).iterdir()) == [module_filename("a.html")]

    # What is left is a complete, current module: a new environment runs it without compiling.
    monkeypatch.setattr(os, "replace", real_replace)
    monkeypatch.setattr(Environment, "_compile", lambda *a: pytest.fail("compiled instead of loading the cache"))
    assert Environment(FileSystemLoader(root)).get_template("a.html").render(v="x") == "<p>x</p>"


def test_a_failed_write_leaves_no_temporary_file(tmp_templates, monkeypatch):
    def refuse(src, dst):
        raise PermissionError("read-only for this test")

    monkeypatch.setattr(os, "replace", refuse)
    root = tmp_templates({"a.html": "ok"})
    assert Environment(FileSystemLoader(root)).get_template("a.html").render() == "ok"  # memory only
    assert list((root / CACHE_DIR).iterdir()) == []


def test_a_rewrite_never_runs_the_previous_bytecode(tmp_path):
    """Bytecode is checked against the source's mtime in whole seconds and its size: a module
    rewritten within the same second with the same size must not import the old bytecode."""
    path = tmp_path / "m.py"
    assert write_module(path, "VALUE = 'old'\n")
    py_compile.compile(str(path))  # what importing it in another process leaves behind
    st = path.stat()
    assert write_module(path, "VALUE = 'new'\n")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

    spec = importlib.util.spec_from_file_location("m_for_this_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.VALUE == "new"
