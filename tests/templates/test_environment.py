"""Loading, caching (memory and disk), auto-reload, and precompiled templates without lark."""

import os
import subprocess
import sys

import pytest

from pyview_templates import Environment, FileSystemLoader, TemplateNotFound


def bump_mtime(path):
    # Filesystems with coarse timestamps: make sure the change is visible.
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_get_template_caches_in_memory(tmp_templates):
    env = Environment(FileSystemLoader(tmp_templates({"a.html": "{{ v }}"})))
    assert env.get_template("a.html") is env.get_template("a.html")


def test_changed_file_is_recompiled(tmp_templates):
    root = tmp_templates({"a.html": "one {{ v }}"})
    env = Environment(FileSystemLoader(root))
    assert env.get_template("a.html").render(v=1) == "one 1"
    (root / "a.html").write_text("two {{ v }}")
    bump_mtime(root / "a.html")
    assert env.get_template("a.html").render(v=1) == "two 1"


def test_changed_parent_or_include_recompiles_the_child(tmp_templates):
    root = tmp_templates({
        "base.html": "<main>{% block b %}{% endblock %}</main>",
        "part.html": "p1",
        "page.html": "{% extends 'base.html' %}{% block b %}{% include 'part.html' %}{% endblock %}",
    })
    env = Environment(FileSystemLoader(root))
    assert env.get_template("page.html").render() == "<main>p1</main>"
    (root / "base.html").write_text("<div>{% block b %}{% endblock %}</div>")
    bump_mtime(root / "base.html")
    assert env.get_template("page.html").render() == "<div>p1</div>"
    (root / "part.html").write_text("p2")
    bump_mtime(root / "part.html")
    assert env.get_template("page.html").render() == "<div>p2</div>"


def test_auto_reload_off_keeps_the_first_compile(tmp_templates):
    root = tmp_templates({"a.html": "one"})
    env = Environment(FileSystemLoader(root), auto_reload=False)
    assert env.get_template("a.html").render() == "one"
    (root / "a.html").write_text("two")
    bump_mtime(root / "a.html")
    assert env.get_template("a.html").render() == "one"


def test_disk_cache_is_written_and_reused_by_a_new_environment(tmp_templates):
    root = tmp_templates({"sub/a.html": "{{ v }}!"})
    Environment(FileSystemLoader(root)).get_template("sub/a.html")
    compiled = root / "__pyview__" / "sub" / "a_html.py"
    assert compiled.is_file()
    before = compiled.stat().st_mtime_ns
    assert Environment(FileSystemLoader(root)).get_template("sub/a.html").render(v=1) == "1!"
    assert compiled.stat().st_mtime_ns == before  # reused, not rewritten


def test_stale_disk_cache_is_replaced(tmp_templates):
    root = tmp_templates({"a.html": "old"})
    Environment(FileSystemLoader(root)).get_template("a.html")
    (root / "a.html").write_text("new")
    assert Environment(FileSystemLoader(root)).get_template("a.html").render() == "new"
    assert "new" in (root / "__pyview__" / "a_html.py").read_text()


def test_unwritable_cache_folder_falls_back_to_memory(tmp_templates):
    root = tmp_templates({"a.html": "ok"})
    (root / "__pyview__").write_text("a file where the cache folder should be")
    assert Environment(FileSystemLoader(root)).get_template("a.html").render() == "ok"


def test_missing_template(tmp_templates):
    env = Environment(FileSystemLoader(tmp_templates({})))
    with pytest.raises(TemplateNotFound):
        env.get_template("nope.html")
    with pytest.raises(TemplateNotFound):
        env.get_template("../escape.html")


def test_precompiled_templates_load_without_lark(tmp_templates):
    root = tmp_templates({"base.html": "<b>{% block x %}{% endblock %}</b>", "a.html": "{% extends 'base.html' %}{% block x %}{{ v|upper }}{% endblock %}"})
    subprocess.run([sys.executable, "-m", "pyview_templates.cli", "compile", str(root)], check=True, capture_output=True)
    code = (
        "import sys\n"
        "from pyview_templates import Environment, FileSystemLoader\n"
        f"env = Environment(FileSystemLoader({str(root)!r}))\n"
        "print(env.get_template('a.html').render(v='ok'))\n"
        "print('lark' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    assert out == ["<b>OK</b>", "False"]


def test_template_from_string_does_not_import_lark_until_compiling():
    code = "import sys, pyview_templates; print('lark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert out == "False"


def test_compiling_the_same_string_again_does_not_grow_linecache():
    import linecache

    from pyview_templates import Template

    Template("{{ v }} unique-source-for-this-test")
    before = len(linecache.cache)
    for _ in range(20):
        Template("{{ v }} unique-source-for-this-test")
    assert len(linecache.cache) == before


def test_disk_cache_files_are_readable_by_others(tmp_templates):
    root = tmp_templates({"a.html": "x"})
    Environment(FileSystemLoader(root)).get_template("a.html")
    umask = os.umask(0)
    os.umask(umask)
    assert (root / "__pyview__" / "a_html.py").stat().st_mode & 0o777 == 0o666 & ~umask
