"""Errors a template author sees.

Every error names the template, the line and (for syntax errors) the column,
and quotes the offending source line with a caret, so the author can fix the
template without reading our code.
"""

from __future__ import annotations

from .undefined import UndefinedError

__all__ = ["TemplateError", "TemplateSecurityWarning", "TemplateSyntaxError", "TemplateNotFound", "UndefinedError"]


class TemplateError(Exception):
    """Base class of every template error."""


class TemplateSecurityWarning(UserWarning):
    """A template prints a value where escaping cannot make it safe (inside ``<script>``, an
    ``on*`` attribute, a ``javascript:`` URL…) without saying it is fit there (``|tojson``) or
    vouching for it (``|safe``). Raised as a warning when the template is compiled; the message
    names the template, the line and the context."""


class TemplateNotFound(TemplateError, LookupError):
    """A loader has no template of that name."""

    def __init__(self, name: str, message: str | None = None) -> None:
        self.name = name
        super().__init__(message or f"template {name!r} not found")


class TemplateSyntaxError(TemplateError):
    """A template could not be compiled.

    ``str(err)`` reads like a compiler diagnostic::

        unexpected 'endfor': the 'if' on line 2 is still open
          File "page.html", line 5, column 4
            {% endfor %}
               ^
    """

    def __init__(
        self,
        message: str,
        lineno: int = 1,
        name: str | None = None,
        filename: str | None = None,
        column: int = 1,
        source: str | None = None,
    ) -> None:
        self.message = message
        self.lineno = lineno
        self.column = column
        self.name = name
        self.filename = filename
        self.source_line: str | None = None
        self.source: str | None = None  # the whole template, for tools that show the lines around
        if source is not None:
            self.set_source(source)
        super().__init__(message)

    def set_source(self, source: str) -> None:
        self.source = source
        lines = source.splitlines()
        if 1 <= self.lineno <= len(lines):
            self.source_line = lines[self.lineno - 1]

    @property
    def location(self) -> str:
        """``file:line:col``, the form editors and ``pyview compile --check`` use."""
        return f"{self.filename or self.name or '<template>'}:{self.lineno}:{self.column}"

    def __str__(self) -> str:
        where = self.filename or self.name or "<template>"
        out = [self.message, f'  File "{where}", line {self.lineno}, column {self.column}']
        if self.source_line is not None:
            line = self.source_line.expandtabs(1)
            out.append("    " + line)
            out.append("    " + " " * max(self.column - 1, 0) + "^")
        return "\n".join(out)

    def __reduce__(self):
        return (
            self.__class__,
            (self.message, self.lineno, self.name, self.filename, self.column),
        )
