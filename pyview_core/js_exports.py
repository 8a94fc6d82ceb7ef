"""The names an ES module exports, read from its source without a JavaScript parser.

Colocated hook files (``pyview_core.colocated``) export their hooks by name, and two files must not
export the same name: the app refuses to start, naming both files, rather than letting one hook
silently replace the other in the browser. That check needs the names at startup, in Python.

The scan blanks out comments, string and template literals and regular-expression literals (so
``"export const X"`` in a string is not an export), then matches the export forms:
``export const|let|var|function|function*|async function|class Name``,
``export { a, b as c }`` (with or without ``from``), ``export * as ns from`` and
``export default``. It does not follow ``export * from "..."`` (the names are in another file)
nor destructuring declarations (``export const {a, b} = x``); it reports them, and the browser-side
entry module checks the real names again at load time. Deliberately approximate where JavaScript
needs a full parser (a ``/`` after ``)`` or ``}`` is taken as division, resp. a regex), which
matters only for files whose exports are already unusual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Exports", "scan_exports"]

_IDENT = r"[A-Za-z_$][\w$]*"
_NOT_AFTER = r"(?<![\w$.])"  # `export` as a statement keyword, not `obj.export` or `reexport`
_DECLARATION = re.compile(
    _NOT_AFTER + r"export\s+(?:(?:async\s+)?function\b\s*\*?\s*(" + _IDENT + r")|class\s+(" + _IDENT + r"))"
)
_VARIABLE = re.compile(_NOT_AFTER + r"export\s+(?:const|let|var)\s+")
_LIST = re.compile(_NOT_AFTER + r"export\s*\{([^}]*)\}")
_STAR_AS = re.compile(_NOT_AFTER + r"export\s*\*\s*as\s+(" + _IDENT + r")")
_STAR = re.compile(_NOT_AFTER + r"export\s*\*\s*from\b")
_DEFAULT = re.compile(_NOT_AFTER + r"export\s+default\b")
_NAME = re.compile(_IDENT)

# After these (or at the start), a `/` begins a regular-expression literal; otherwise it divides.
_REGEX_AFTER_CHARS = set("(,=:[!&|?{};+-*%<>~^")
_REGEX_AFTER_WORDS = {
    "return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw",
    "instanceof", "yield", "await",
}
# A newline ends `export const A = <value>` (automatic semicolon insertion) unless the line ends in
# one of these, which continue the expression.
_CONTINUES = set(",=+-*/%&|^!?:<>.([{~")


@dataclass(frozen=True)
class Exports:
    """What a module's source exports, as far as a scan can tell."""

    names: tuple[str, ...]  # the named exports found, in source order ("default" excluded)
    default: bool = False  # it has a default export (which is no hook: hooks need a name)
    star: bool = False  # `export * from "..."`: more names, from another file
    patterns: bool = False  # `export const {a} = ...`/`[a]`: names inside a destructuring pattern


def scan_exports(source: str) -> Exports:
    """The exports of ES module ``source`` (see the module docstring for what is recognised)."""
    code = _blank(source)
    found: list[tuple[int, str]] = []
    default = bool(_DEFAULT.search(code))
    patterns = False
    for match in _DECLARATION.finditer(code):
        found.append((match.start(), match.group(1) or match.group(2)))
    for match in _VARIABLE.finditer(code):
        names, destructured = _declarators(code, match.end())
        patterns = patterns or destructured
        found.extend((match.start(), name) for name in names)
    for match in _LIST.finditer(code):
        for item in match.group(1).split(","):
            words = item.split()
            if not words:
                continue
            name = words[-1]  # `a` or `a as b`
            if name == "default":
                default = True
            elif _NAME.fullmatch(name):
                found.append((match.start(), name))
    for match in _STAR_AS.finditer(code):
        found.append((match.start(), match.group(1)))
    found.sort(key=lambda item: item[0])
    names = tuple(dict.fromkeys(name for _, name in found))
    return Exports(names=names, default=default, star=bool(_STAR.search(code)), patterns=patterns)


def _declarators(code: str, at: int) -> tuple[list[str], bool]:
    """The names declared by ``const|let|var`` starting at ``at``: ``A = ..., B = ...``."""
    names: list[str] = []
    n = len(code)
    while True:
        while at < n and code[at].isspace():
            at += 1
        if at < n and code[at] in "{[":
            return names, True
        name = _NAME.match(code, at)
        if name is None:
            return names, False
        names.append(name.group(0))
        at = name.end()
        # Skip the initialiser to the comma of the next declarator, or to the statement's end.
        depth = 0
        last = ""  # the last non-space character at depth 0
        while at < n:
            char = code[at]
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
                if depth < 0:
                    return names, False
            elif depth == 0:
                if char == ";":
                    return names, False
                if char == ",":
                    at += 1
                    break
                if char == "\n" and last and last not in _CONTINUES:
                    return names, False
            if depth == 0 and not char.isspace():
                last = char
            at += 1
        else:
            return names, False


def _blank(source: str) -> str:
    """``source`` with comments and the insides of string, template and regex literals replaced by
    spaces (newlines kept), so that only code is left to match; template ``${...}`` stays code."""
    out = list(source)
    n = len(source)
    i = 0
    # One entry per open `${` of a template literal: the brace depth inside that substitution.
    templates: list[int] = []
    prev = ""  # the last significant character of code (or a word's last char), for `/`
    word = ""  # the last identifier-like word of code, for `return /re/` and friends

    def blank(start: int, end: int) -> None:
        for k in range(start, min(end, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        char = source[i]
        nxt = source[i + 1] if i + 1 < n else ""
        if char == "/" and nxt == "/":
            end = source.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
            continue
        if char == "/" and nxt == "*":
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            blank(i, end)
            i = end
            continue
        if char in "'\"":
            end = _string_end(source, i + 1, char)
            blank(i + 1, end)
            if source[end - 1] == char and end - 1 > i:
                out[end - 1] = char  # keep the quotes: a value ends the declaration like any other
            i, prev, word = end, char, ""
            continue
        if char == "`" or (char == "}" and templates and templates[-1] == 0):
            if char == "}":
                templates.pop()
            end, opens = _template_end(source, i + 1)
            blank(i + 1, end - (2 if opens else 1))
            if opens:
                templates.append(0)
            i, prev, word = end, "`", ""
            continue
        if char == "/" and (not prev or prev in _REGEX_AFTER_CHARS or word in _REGEX_AFTER_WORDS):
            end = _regex_end(source, i + 1)
            blank(i + 1, end)
            i, prev, word = end, "/", ""
            continue
        if templates:
            if char == "{":
                templates[-1] += 1
            elif char == "}":
                templates[-1] -= 1
        if char.isalnum() or char in "_$":
            word = word + char if prev == "w" else char
            prev = "w"
        elif not char.isspace():
            prev, word = char, ""
        i += 1
    return "".join(out)


def _string_end(source: str, i: int, quote: str) -> int:
    """The index just after the closing ``quote`` (or the line's end for an unterminated one)."""
    n = len(source)
    while i < n:
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if char == quote:
            return i + 1
        if char == "\n":
            return i
        i += 1
    return n


def _template_end(source: str, i: int) -> tuple[int, bool]:
    """From inside a template literal: the index after its closing backtick, or after the next
    ``${`` (then True: code follows until the matching ``}``)."""
    n = len(source)
    while i < n:
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if char == "`":
            return i + 1, False
        if char == "$" and i + 1 < n and source[i + 1] == "{":
            return i + 2, True
        i += 1
    return n, False


def _regex_end(source: str, i: int) -> int:
    """From inside a regex literal: the index of its closing ``/`` (classes ``[...]`` may hold ``/``)."""
    n = len(source)
    in_class = False
    while i < n:
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if char == "\n":
            return i
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "/":
            return i
        i += 1
    return n
