"""What a developer sees when a page fails in development, and the one line the terminal shows.

A bare "Internal Server Error" sends the developer to the terminal and through a parser's
traceback to find a typo in a template. In development the app answers instead with
:func:`error_page_html`: the error, and the lines of the template (or of the Python code) where it
happened, with the failing line marked. The page shows source code, so it is for development
only; production answers with :func:`production_error_html`, which says nothing about the cause.

Everything taken from the exception or from source files is HTML-escaped: a template line or an
error message may hold markup (``<script>`` included), and it must be shown, not run.
"""

from __future__ import annotations

import html
import linecache
import os
import traceback
from pathlib import Path
from typing import Optional

import pyview_templates
from pyview_templates import TemplateSyntaxError

#: Lines shown before and after the failing line of a template or a traceback frame.
CONTEXT_LINES = 3
#: Frames shown per exception (the last ones: where it went wrong, not how the server got there).
MAX_FRAMES = 12

# Frames from these folders are shown dimmed: the developer's own code is what they came to see.
_LIBRARY_DIRS = tuple(
    str(Path(p).resolve()) + os.sep
    for p in (os.path.dirname(os.__file__), Path(__file__).parent, Path(pyview_templates.__file__).parent)
)


def short_error(exc: BaseException) -> str:
    """The error in one line, for the terminal (printed before any traceback).

    ``page.html:5:4: unexpected 'endfor'...`` for a syntax error (the ``file:line:col`` editors
    jump to); ``ValueError: bad (in page.html line 3)`` for an error raised while a template
    rendered; ``Type: message`` otherwise.
    """
    if isinstance(exc, TemplateSyntaxError):
        return f"{exc.location}: {_first_line(exc.message)}"
    text = f"{type(exc).__name__}: {_first_line(str(exc))}" if str(exc) else type(exc).__name__
    lineno = getattr(exc, "template_lineno", None)
    if lineno is not None:
        text += f" (in {getattr(exc, 'template_name', '?')} line {lineno})"
    return text


def error_page_html(exc: BaseException, *, request_path: Optional[str] = None) -> str:
    """A complete HTML page describing ``exc``, for development only (it shows source code).

    A template syntax error shows the template's lines around the error with a caret under the
    column; an error raised while a template rendered shows the template's lines around the
    failing one, then the traceback; any other error shows the last frames of its traceback (and
    of the exceptions it was raised from) with their source lines. Self-contained: inline CSS, no
    scripts, no external assets.
    """
    parts = _describe(exc)
    where = f'<p class="request">while serving <code>{_e(request_path)}</code></p>' if request_path else ""
    return _PAGE.format(css=_CSS, where=where, **parts)


def error_overlay(exc: BaseException, *, where: Optional[str] = None) -> dict[str, str]:
    """What the development overlay shows for ``exc`` in a live page, for development only.

    The same description as :func:`error_page_html` (message, template lines or Python frames,
    the caret), as a fragment for the page's overlay: ``html`` (a ``<header>`` and a ``<main>``,
    everything from the exception and the sources HTML-escaped), ``css`` (the error page's
    styles, which the overlay scopes to itself), ``title`` (the one-line form) and ``kind``.
    ``where`` says what the view was doing (escaped too).
    """
    parts = _describe(exc)
    place = f'<p class="request">{_e(where)}</p>' if where else ""
    html_text = (
        f'<header><p class="kind">{parts["kind"]}</p><h1>{parts["type"]}</h1>'
        f'<pre class="message">{parts["message"]}</pre>{parts["notes"]}{place}</header>'
        f'<main>{parts["body"]}</main>'
    )
    return {"title": short_error(_template_cause(exc)), "kind": html.unescape(parts["kind"]), "html": html_text, "css": _CSS}


def _describe(exc: BaseException) -> dict[str, str]:
    """The escaped parts of a description of ``exc``: title, kind, type, message, notes, body."""
    shown = _template_cause(exc)
    parts: list[str] = []
    if isinstance(shown, TemplateSyntaxError):
        kind = "Template syntax error"
        parts.append(_syntax_error_section(shown))
    elif getattr(shown, "template_lineno", None) is not None:
        kind = "Error while rendering a template"
        parts.append(_render_error_section(shown))
        parts.append(_traceback_sections(shown))
    else:
        kind = "Unhandled exception"
        parts.append(_traceback_sections(shown))
    if shown is not exc:  # e.g. a TemplateStartupError: say what wrapped the template error
        parts.append(f'<section><h2>Reported as</h2><pre class="message">{_e(type(exc).__name__)}: {_e(str(exc))}</pre></section>')
    message = shown.message if isinstance(shown, TemplateSyntaxError) else str(shown)
    return {
        "title": _e(short_error(shown)),
        "kind": _e(kind),
        "type": _e(type(shown).__name__),
        "message": _e(message),
        "notes": _notes(shown),
        "body": "\n".join(p for p in parts if p),
    }


def production_error_html(status_code: int = 500) -> str:
    """The page a production app answers a failed request with: nothing about the cause."""
    title = "Internal Server Error" if status_code == 500 else f"Error {status_code}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;color:#222;max-width:40rem;margin:4rem auto;padding:0 1rem}</style>"
        f"</head><body><h1>{title}</h1><p>Something went wrong on our side. Please try again later.</p></body></html>\n"
    )


# --- sections -------------------------------------------------------------------------------------


def _template_cause(exc: BaseException) -> BaseException:
    """The exception to describe: a wrapper's template error (TemplateStartupError) if it has one."""
    cause = exc.__cause__
    if not isinstance(exc, TemplateSyntaxError) and isinstance(cause, TemplateSyntaxError):
        return cause
    return exc


def _syntax_error_section(err: TemplateSyntaxError) -> str:
    where = err.filename or err.name or "<template>"
    heading = f"{_e(where)}, line {err.lineno}, column {err.column}"
    source = err.source if err.source is not None else _read(err.filename)
    if source is None:
        lines = {err.lineno: err.source_line} if err.source_line is not None else {}
    else:
        lines = _numbered(source.splitlines())
    return (
        f'<section><h2>{heading}</h2>'
        f"{_snippet(lines, err.lineno, caret_column=err.column)}</section>"
    )


def _render_error_section(exc: BaseException) -> str:
    lineno: int = getattr(exc, "template_lineno")
    where = getattr(exc, "template_filename", None) or getattr(exc, "template_name", None) or "<template>"
    source = getattr(exc, "template_source", None)
    if source is None:
        source = _read(where)
    lines = _numbered(source.splitlines()) if source is not None else {}
    return f'<section><h2>{_e(where)}, line {lineno}</h2>{_snippet(lines, lineno)}</section>'


def _traceback_sections(exc: BaseException) -> str:
    """The exception's last frames, then those of the exceptions it was raised from (newest first)."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__, capture_locals=False)
    out: list[str] = []
    seen: set[int] = set()
    current: Optional[traceback.TracebackException] = te
    label = "Traceback (most recent call last)"
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current is not te:
            summary = "".join(current.format_exception_only()).strip()
            out.append(f'<h3 class="chained">{_e(label)}</h3><pre class="message">{_e(summary)}</pre>')
        out.append(_frames(current.stack))
        if current.__cause__ is not None:
            current, label = current.__cause__, "Raised from this exception"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, label = current.__context__, "While handling this exception"
        else:
            current = None
    return f'<section><h2>Traceback <small>(most recent call last)</small></h2>{"".join(out)}</section>'


def _frames(stack: traceback.StackSummary) -> str:
    frames = list(stack)
    skipped = len(frames) - MAX_FRAMES
    out = []
    if skipped > 0:
        out.append(f'<p class="skipped">{skipped} earlier frame{"s" if skipped != 1 else ""} not shown</p>')
        frames = frames[-MAX_FRAMES:]
    for frame in frames:
        lineno = frame.lineno or 0
        lines = linecache.getlines(frame.filename)
        if lines:
            numbered = _numbered([line.rstrip("\r\n") for line in lines])
        else:
            numbered = {lineno: frame.line} if frame.line else {}
        cls = "frame library" if _is_library(frame.filename) else "frame"
        out.append(
            f'<div class="{cls}"><p class="where"><code>{_e(frame.filename)}</code>, line {lineno}, '
            f"in <code>{_e(frame.name)}</code></p>{_snippet(numbered, lineno, context=2)}</div>"
        )
    return "".join(out)


def _notes(exc: BaseException) -> str:
    notes = getattr(exc, "__notes__", None)
    if not notes or isinstance(exc, TemplateSyntaxError):
        return ""
    return '<pre class="notes">' + _e("\n".join(str(n) for n in notes)) + "</pre>"


# --- helpers --------------------------------------------------------------------------------------


def _snippet(lines: dict[int, str], lineno: int, *, context: int = CONTEXT_LINES, caret_column: Optional[int] = None) -> str:
    """Numbered lines around ``lineno`` (highlighted), with a caret under ``caret_column``."""
    if lineno not in lines:
        return ""
    rows = []
    for n in range(max(lineno - context, 1), lineno + context + 1):
        if n not in lines:
            continue
        mark = ' class="error"' if n == lineno else ""
        rows.append(f'<tr{mark}><td class="no">{n}</td><td class="code">{_e(lines[n])}</td></tr>')
        if n == lineno and caret_column is not None:
            # Tabs stay tabs so the caret lines up with a tab-indented line at any tab width.
            pad = "".join("\t" if ch == "\t" else " " for ch in lines[n][: max(caret_column - 1, 0)])
            rows.append(f'<tr class="caret"><td class="no"></td><td class="code">{pad}^</td></tr>')
    return f'<table class="source">{"".join(rows)}</table>'


def _numbered(lines: list[str]) -> dict[int, str]:
    return {i: line for i, line in enumerate(lines, 1)}


def _read(filename: Optional[str]) -> Optional[str]:
    if not filename:
        return None
    try:
        return Path(filename).read_text("utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _is_library(filename: str) -> bool:
    if filename.startswith("<"):
        return True  # generated code (compiled templates, exec'd strings)
    try:
        resolved = str(Path(filename).resolve())
    except OSError:
        return False
    return "site-packages" in resolved or "dist-packages" in resolved or resolved.startswith(_LIBRARY_DIRS)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


_CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;background:#fafafa}
header{background:#fff1f0;border-bottom:3px solid #d93025;padding:1.5rem 2rem}
header .kind{margin:0;color:#a50e0e;font-weight:600;text-transform:uppercase;font-size:.8rem;letter-spacing:.05em}
h1{margin:.25rem 0 .5rem;font-size:1.6rem}
h2{font-size:1.05rem;margin:0 0 .75rem;font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
h2 small{font-family:system-ui,sans-serif;font-weight:normal;color:#666}
h3.chained{font-size:.95rem;margin:1.5rem 0 .25rem;color:#555}
main{padding:1.5rem 2rem;max-width:80rem}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1rem 1.25rem;margin-bottom:1.25rem}
pre,code,table.source{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
pre.message{margin:0;white-space:pre-wrap;word-break:break-word;font-size:15px}
pre.notes{margin:.75rem 0 0;color:#555;white-space:pre-wrap}
.request{margin:.5rem 0 0;color:#555}
table.source{border-collapse:collapse;width:100%;tab-size:4}
table.source td{padding:0 .75rem;white-space:pre;vertical-align:top}
table.source td.no{width:1%;text-align:right;color:#888;user-select:none;border-right:1px solid #ddd}
table.source tr.error td{background:#fde2e1}
table.source tr.error td.no{color:#a50e0e;font-weight:bold}
table.source tr.caret td.code{color:#d93025;font-weight:bold}
.frame{margin:.75rem 0;padding:.5rem 0;border-top:1px solid #eee}
.frame .where{margin:0 0 .25rem;word-break:break-all}
.frame.library{opacity:.6}
.skipped{color:#666;font-style:italic}
footer{color:#777;font-size:.85rem;padding:0 2rem 2rem}
"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<header>
<p class="kind">{kind}</p>
<h1>{type}</h1>
<pre class="message">{message}</pre>
{notes}
{where}
</header>
<main>
{body}
</main>
<footer>pyview shows this page in development only; in production the visitor sees a generic error page.</footer>
</body>
</html>
"""

__all__ = ["error_overlay", "error_page_html", "production_error_html", "short_error"]
