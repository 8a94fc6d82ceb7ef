"""`pyview compile`: writes importable modules, deterministically; --check and --show."""

import importlib.util
import subprocess
import sys

from pyview_templates.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "pyview_templates.cli", *args], capture_output=True, text=True)


def test_compile_writes_importable_deterministic_modules(tmp_templates):
    root = tmp_templates({"page.html": "<p>{{ v }}</p>", "deep/part.html": "{% for x in xs %}{{ x }}{% endfor %}"})
    assert main(["compile", str(root)]) == 0
    first = {p: p.read_bytes() for p in sorted((root / "__pyview__").rglob("*.py"))}
    assert {p.relative_to(root).as_posix() for p in first} == {"__pyview__/page_html.py", "__pyview__/deep/part_html.py"}
    for p in first:
        p.unlink()
    assert main(["compile", str(root)]) == 0
    assert {p: p.read_bytes() for p in sorted((root / "__pyview__").rglob("*.py"))} == first
    spec = importlib.util.spec_from_file_location("compiled_page", root / "__pyview__" / "page_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.NAME == "page.html" and callable(module.bind)


def test_check_reports_every_error_as_file_line_col(tmp_templates):
    root = tmp_templates({"ok.html": "fine", "bad1.html": "{% if x %}", "sub/bad2.html": "\n  {{ x|nope }}"})
    result = run("compile", "--check", str(root))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if ": " in line and line.startswith(str(root))]
    assert f"{root / 'bad1.html'}:1:4: 'if' on line 1 is never closed: expected 'endif'" in lines
    assert f"{root / 'sub' / 'bad2.html'}:2:8: unknown filter 'nope'" in lines
    assert not (root / "__pyview__").exists()  # --check writes nothing


def test_check_passes_on_good_templates(tmp_templates):
    root = tmp_templates({"ok.html": "{{ 1 }}"})
    assert run("compile", "--check", str(root)).returncode == 0


def test_show_prints_the_generated_python(tmp_templates):
    root = tmp_templates({"page.html": "<p>{{ user.name }}</p>"})
    result = run("compile", str(root), "--show", "page.html")
    assert result.returncode == 0
    assert "def render(ctx):" in result.stdout and "attr_html(l_user, 'name')" in result.stdout
    compile(result.stdout, "shown", "exec")  # it is valid Python
