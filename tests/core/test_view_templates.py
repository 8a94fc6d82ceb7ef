"""ViewTemplates: templates load in a worker thread, once, and reload only where the app allows it."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from pyview_core.live_view import LiveView
from pyview_core.view_templates import TemplateStartupError, ViewTemplates
from pyview_templates import Environment, FileSystemLoader, TemplateNotFound, TemplateSyntaxError
from pyview_templates.tree import join


def make_view(path: Path, source: str | None = None) -> type[LiveView]:
    """A fresh view class whose template is ``path`` (written first when ``source`` is given)."""
    if source is not None:
        path.write_text(source, encoding="utf-8")

    class PageView(LiveView):
        template_name = str(path)  # absolute: the folder of this test module is ignored

    return PageView


def edit(path: Path, source: str) -> None:
    """Rewrite a template and move its mtime on, as an editor save would (whatever the clock's resolution)."""
    before = path.stat().st_mtime
    path.write_text(source, encoding="utf-8")
    os.utime(path, (before + 5, before + 5))


def html(view: type[LiveView], **context) -> str:
    return join(view().render(context))


@pytest.fixture
def get_template_calls(monkeypatch):
    """Every Environment.get_template call, as the thread it ran on."""
    calls: list[threading.Thread] = []
    original = Environment.get_template

    def spy(self, name):
        calls.append(threading.current_thread())
        return original(self, name)

    monkeypatch.setattr(Environment, "get_template", spy)
    return calls


def forbid_loading(monkeypatch) -> None:
    """From here on, any compile, stat, source read or thread hop fails the test."""

    def fail(*args, **kwargs):
        raise AssertionError("loaded a template or hopped to a thread after ready()")

    monkeypatch.setattr(Environment, "get_template", fail)
    monkeypatch.setattr(FileSystemLoader, "mtime", fail)
    monkeypatch.setattr(FileSystemLoader, "get_source", fail)
    monkeypatch.setattr(asyncio, "to_thread", fail)


def test_ready_compiles_in_a_worker_thread_and_render_only_reads_the_cache(tmp_path, get_template_calls, monkeypatch):
    view = make_view(tmp_path / "page.html", "<p>{{ name }}</p>")
    templates = ViewTemplates(auto_reload=True)

    async def main():
        loop_thread = threading.current_thread()
        await templates.ready(view)
        assert get_template_calls and all(t is not loop_thread for t in get_template_calls)
        forbid_loading(monkeypatch)
        return html(view, name="Ada")

    assert asyncio.run(main()) == "<p>Ada</p>"


@pytest.mark.parametrize("auto_reload", [True, False])
def test_a_second_ready_does_no_io_and_no_thread_hop(tmp_path, monkeypatch, auto_reload):
    view = make_view(tmp_path / "page.html", "<p>{{ n }}</p>")
    templates = ViewTemplates(auto_reload=auto_reload, check_interval=3600)

    async def main():
        await templates.ready(view)
        forbid_loading(monkeypatch)
        await templates.ready(view)
        return html(view, n=1)

    assert asyncio.run(main()) == "<p>1</p>"


def test_concurrent_readies_compile_once(tmp_path, get_template_calls):
    view = make_view(tmp_path / "page.html", "<p>{{ n }}</p>")
    templates = ViewTemplates(auto_reload=True)

    async def main():
        await asyncio.gather(*(templates.ready(view) for _ in range(20)))

    asyncio.run(main())
    assert len(get_template_calls) == 1
    assert html(view, n=2) == "<p>2</p>"


def test_concurrent_readies_of_a_broken_template_all_see_the_error_of_one_compile(tmp_path, get_template_calls):
    view = make_view(tmp_path / "page.html", "{% for x in xs %}")
    templates = ViewTemplates(auto_reload=True)

    async def main():
        return await asyncio.gather(*(templates.ready(view) for _ in range(5)), return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, TemplateSyntaxError) for r in results)
    assert len(get_template_calls) == 1


def test_a_cancelled_caller_does_not_cancel_the_load_others_wait_for(tmp_path):
    view = make_view(tmp_path / "page.html", "<p>ok</p>")
    templates = ViewTemplates(auto_reload=True)

    async def main():
        first = asyncio.create_task(templates.ready(view))
        second = asyncio.create_task(templates.ready(view))
        await asyncio.sleep(0)  # both are now waiting for the same load
        first.cancel()
        await second
        with pytest.raises(asyncio.CancelledError):
            await first

    asyncio.run(main())
    assert html(view) == "<p>ok</p>"


def test_development_picks_up_an_edit_once_the_check_interval_has_passed(tmp_path, get_template_calls):
    path = tmp_path / "page.html"
    view = make_view(path, "<p>v1</p>")
    templates = ViewTemplates(auto_reload=True, check_interval=3600)

    async def main():
        loop_thread = threading.current_thread()
        await templates.ready(view)
        edit(path, "<p>v2</p>")
        await templates.ready(view)
        within_interval = html(view)
        templates.check_interval = 0  # the interval has passed
        await templates.ready(view)
        assert all(t is not loop_thread for t in get_template_calls)
        return within_interval, html(view)

    assert asyncio.run(main()) == ("<p>v1</p>", "<p>v2</p>")


def test_production_never_reloads(tmp_path):
    path = tmp_path / "page.html"
    view = make_view(path, "<p>v1</p>")
    templates = ViewTemplates(auto_reload=False, check_interval=0)
    templates.precompile([view])

    async def main():
        edit(path, "<p>v2</p>")
        await templates.ready(view)
        await templates.ready(view)

    asyncio.run(main())
    assert html(view) == "<p>v1</p>"


def test_a_production_app_does_not_stop_a_development_app_from_reloading(tmp_path):
    path = tmp_path / "page.html"
    view = make_view(path, "<p>v1</p>")
    production = ViewTemplates(auto_reload=False)
    development = ViewTemplates(auto_reload=True, check_interval=0)
    production.precompile([view])

    async def main():
        await development.ready(view)
        edit(path, "<p>v2</p>")
        await development.ready(view)

    asyncio.run(main())
    assert html(view) == "<p>v2</p>"


def test_in_development_a_fixed_template_works_again_on_the_next_ready(tmp_path):
    path = tmp_path / "page.html"
    view = make_view(path, "<p>v1</p>")
    templates = ViewTemplates(auto_reload=True, check_interval=0)

    async def main():
        await templates.ready(view)
        edit(path, "<p>{% if x %}</p>")
        with pytest.raises(TemplateSyntaxError):
            await templates.ready(view)
        edit(path, "<p>v3</p>")
        await templates.ready(view)

    asyncio.run(main())
    assert html(view) == "<p>v3</p>"


def test_a_view_that_renders_itself_needs_no_template_file(tmp_path, monkeypatch):
    class Custom(LiveView):
        template_name = str(tmp_path / "missing.html")

        def render(self, context):
            return Environment().from_string("<b>{{ n }}</b>").tree(context)

    templates = ViewTemplates(auto_reload=True, check_interval=3600)
    templates.precompile([Custom])

    async def main():
        await templates.ready(Custom)
        forbid_loading(monkeypatch)
        await templates.ready(Custom)  # remembered: no stat for the missing file either

    asyncio.run(main())
    assert join(Custom().render({"n": 3})) == "<b>3</b>"


def test_a_missing_template_fails_ready_and_precompile_naming_the_view(tmp_path):
    view = make_view(tmp_path / "nope.html")
    with pytest.raises(TemplateNotFound):
        asyncio.run(ViewTemplates(auto_reload=True).ready(view))
    with pytest.raises(TemplateStartupError) as info:
        ViewTemplates(auto_reload=False).precompile([view])
    assert str(info.value).startswith(f"{tmp_path / 'nope.html'}: TemplateNotFound: ")
    assert "PageView" in str(info.value)


def test_precompile_reports_a_broken_template_like_a_compiler(tmp_path):
    good = make_view(tmp_path / "good.html", "<p>fine</p>")
    path = tmp_path / "page.html"
    broken = make_view(path, "<ul>\n{% for x in xs %}\n  <li>{{ x }}</li>\n{% endif %}\n</ul>")

    with pytest.raises(TemplateStartupError) as info:
        ViewTemplates(auto_reload=False).precompile([good, broken])
    err = info.value
    assert isinstance(err, RuntimeError) and isinstance(err.__cause__, TemplateSyntaxError)
    lines = str(err).splitlines()
    assert lines[0].startswith(f"{path}:4:4: unexpected 'endif'")
    assert lines[1].strip() == "{% endif %}"
    assert lines[2].index("^") - lines[1].index("{") == 3  # under column 4
    assert err.view is broken and "PageView" in str(err)
    assert html(good) == "<p>fine</p>"  # compiled before the broken one stopped startup


def test_precompile_of_good_templates_makes_ready_free(tmp_path, monkeypatch):
    views = [make_view(tmp_path / f"p{i}.html", f"<p>{i}</p>") for i in range(3)]
    templates = ViewTemplates(auto_reload=False)
    templates.precompile(views + views)  # a view served at two paths is listed twice

    async def main():
        forbid_loading(monkeypatch)
        for view in views:
            await templates.ready(view)

    asyncio.run(main())
    assert [html(v) for v in views] == ["<p>0</p>", "<p>1</p>", "<p>2</p>"]


def test_template_and_render_still_work_standalone(tmp_path):
    view = make_view(tmp_path / "page.html", "<i>{{ who }}</i>")
    assert view.template().render({"who": "me"}) == "<i>me</i>"
    assert html(view, who="you") == "<i>you</i>"
