"""The development error page and the terminal's one-line error."""

from __future__ import annotations

import inspect
from html.parser import HTMLParser

import pytest

from pyview_core.error_page import error_page_html, production_error_html, short_error
from pyview_core.view_templates import TemplateStartupError
from pyview_templates import DictLoader, Environment, FileSystemLoader, TemplateSyntaxError

# The include's name puts markup into the error message; the broken line holds markup too.
BROKEN = "\n".join([
    "<h1>one</h1>",
    "<p>two</p>",
    "<ul>",
    "{% for x in xs %}",
    "<li><script>alert(1)</script>{% include '<script>evil()</script>.html' %}</li>",
    "{% endfor %}",
    "</ul>",
    "<p>eight</p>",
    "<p>nine</p>",
])


class SourceRows(HTMLParser):
    """The rows of the page's source tables, as (row class, line number cell, code cell), unescaped."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.rows: list[tuple[str, str, str]] = []
        self._row: list[str] | None = None
        self._cls = ""
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row, self._cls = [], dict(attrs).get("class") or ""
        elif tag == "td" and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None:
            self.rows.append((self._cls, *self._row))
            self._row = None

    def handle_data(self, data):
        if self._row:
            self._row[-1] += data


def syntax_error(tmp_path) -> TemplateSyntaxError:
    (tmp_path / "page.html").write_text(BROKEN, encoding="utf-8")
    env = Environment(FileSystemLoader(str(tmp_path)), disk_cache=False)
    with pytest.raises(TemplateSyntaxError) as info:
        env.get_template("page.html")
    return info.value


def assert_no_live_markup(page: str) -> None:
    assert "<script" not in page.lower()
    assert "<li>" not in page and "<h1>one" not in page


def test_a_syntax_error_page_shows_the_lines_around_with_a_caret(tmp_path):
    err = syntax_error(tmp_path)
    page = error_page_html(err, request_path="/items?<b>")
    assert_no_live_markup(page)
    assert "&lt;b&gt;" in page
    # The message, escaped.
    assert "template &#x27;&lt;script&gt;evil()&lt;/script&gt;.html&#x27; not found" in page
    assert f"{tmp_path / 'page.html'}, line 5, column 30" in page

    rows = SourceRows(page).rows
    lines = BROKEN.splitlines()
    numbered = [(no, code) for cls, no, code in rows if cls != "caret"]
    assert numbered == [(str(n), lines[n - 1]) for n in range(2, 9)]  # 3 before and after line 5
    assert [no for cls, no, _ in rows if cls == "error"] == ["5"]
    caret = [code for cls, _, code in rows if cls == "caret"]
    assert caret == [" " * 29 + "^"]
    assert lines[4][29:].startswith("{% include")


def test_the_caret_follows_tabs_in_the_line(tmp_path):
    (tmp_path / "page.html").write_text("<ul>\n\t\t{% endfor %}", encoding="utf-8")
    env = Environment(FileSystemLoader(str(tmp_path)), disk_cache=False)
    with pytest.raises(TemplateSyntaxError) as info:
        env.get_template("page.html")
    caret = [code for cls, _, code in SourceRows(error_page_html(info.value)).rows if cls == "caret"]
    assert info.value.column == 6
    assert caret == ["\t\t   ^"]  # the tabs kept, so the caret is under the 'e' of 'endfor' at any tab width


def test_a_render_error_page_shows_the_template_lines_and_the_traceback():
    source = "<h1>{{ title }}</h1>\n<script>var x = 1;</script>\n{% for v in xs %}\n<b>{{ 10 // v }}</b>\n{% endfor %}"
    template = Environment(DictLoader({"page.html": source})).get_template("page.html")
    with pytest.raises(ZeroDivisionError) as info:
        template.render({"title": "<script>t</script>", "xs": [1, 0]})
    page = error_page_html(info.value)
    assert_no_live_markup(page)
    assert "ZeroDivisionError" in page and "Traceback" in page
    rows = SourceRows(page).rows
    source_rows = rows[: len(source.splitlines())]
    assert [(no, code) for _, no, code in source_rows] == [(str(n), line) for n, line in enumerate(source.splitlines(), 1)]
    assert [no for cls, no, _ in source_rows if cls == "error"] == ["4"]
    assert short_error(info.value) == "ZeroDivisionError: integer division or modulo by zero (in page.html line 4)"


def failing_helper(value):
    raise ValueError(f"bad value <script>{value}</script>")


def test_a_python_error_page_shows_the_frames_and_the_exception_it_came_from():
    try:
        try:
            failing_helper("x")
        except ValueError as exc:
            raise KeyError("<em>missing</em>") from exc
    except KeyError as exc:
        page = error_page_html(exc, request_path="/")
    assert_no_live_markup(page)
    assert "&lt;em&gt;missing&lt;/em&gt;" in page
    assert "ValueError: bad value &lt;script&gt;x&lt;/script&gt;" in page
    assert "failing_helper" in page and __file__ in page
    # The raise line of failing_helper is shown with its number, highlighted.
    lines, start = inspect.getsourcelines(failing_helper)
    raise_no = start + 1
    errors = [(no, code) for cls, no, code in SourceRows(page).rows if cls == "error"]
    assert (str(raise_no), lines[1].rstrip("\n")) in errors


def test_a_startup_error_page_shows_the_template_error_it_wraps(tmp_path):
    err = syntax_error(tmp_path)
    try:
        raise TemplateStartupError(type("SomeView", (), {}), err) from err
    except TemplateStartupError as wrapped:
        page = error_page_html(wrapped)
    assert [no for cls, no, _ in SourceRows(page).rows if cls == "error"] == ["5"]
    assert "TemplateStartupError" in page


def test_short_error_forms(tmp_path):
    err = syntax_error(tmp_path)
    assert short_error(err) == f"{tmp_path / 'page.html'}:5:30: template '<script>evil()</script>.html' not found"
    assert short_error(KeyError("k")) == "KeyError: 'k'"
    assert short_error(ValueError("first\nsecond")) == "ValueError: first"
    assert short_error(RuntimeError()) == "RuntimeError"


def test_the_production_page_says_nothing_about_the_cause():
    page = production_error_html()
    assert "Internal Server Error" in page and "Traceback" not in page and "<script" not in page
