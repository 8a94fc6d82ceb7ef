"""Explain a failed parse in the template author's terms.

An LALR parser knows *where* it got stuck but not *why* in human terms: for
``{% if %}…{% endfor %}`` it can only say "unexpected token". So when parsing
fails we re-scan the source with a simple tag-balance walker that knows which
block is open, and fall back to the parser's position and expected tokens only
when the tags balance.
"""

from __future__ import annotations

import re

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

# Each block tag, and the closer that ends it.
OPENERS = {
    "if": "endif", "for": "endfor", "with": "endwith", "block": "endblock", "set": "endset",
    "macro": "endmacro", "call": "endcall", "slot": "endslot",
}
CLOSERS = {v: k for k, v in OPENERS.items()}
# Tags that split an open block, and the blocks they may appear in.
MIDDLES = {"elif": ("if",), "else": ("if", "for"), "empty": ("for",)}
SINGLES = {"include", "extends", "raw", "endraw", "import", "from"}

_TOKEN = re.compile(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}|\{#.*?#\}|\{%-?\s*(\w*)|\{\{|\{#", re.S)
_TAG_END = re.compile(r"-?%\}")
_VAR_END = re.compile(r"-?\}\}")

# Terminal names the parser reports, spelled the way the author typed them.
_TERMINALS = {
    "VAR_START": "'{{'", "VAR_END": "'}}'", "BLOCK_END": "'%}'", "NAME": "a name", "NUMBER": "a number",
    "INT": "a number", "STRING": "a string", "TEXT": "text", "LPAR": "'('", "RPAR": "')'", "LSQB": "'['",
    "RSQB": "']'", "LBRACE": "'{'", "RBRACE": "'}'", "COMMA": "','", "DOT": "'.'", "COLON": "':'",
    "VBAR": "'|'", "EQUAL": "'='", "CMP_OP": "a comparison", "ADD_OP": "'+' or '-'", "MUL_OP": "an operator",
    "POW_OP": "'**'", "TILDE": "'~'", "MINUS": "'-'", "PLUS": "'+'", "$END": "the end of the template",
}


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def check_tag_balance(text: str) -> tuple[str, int, int] | None:
    """First structural problem in the tags of ``text``: (message, line, column), or None."""
    stack: list[tuple[str, int]] = []  # (tag, position of its name)
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok.startswith("{{"):
            if not _VAR_END.search(text, m.end()):
                line, col = _line_col(text, m.start())
                return "'{{' is never closed: expected '}}'", line, col
            continue
        if tok.startswith("{#"):
            if not tok.endswith("#}"):
                line, col = _line_col(text, m.start())
                return "comment is never closed: expected '#}'", line, col
            continue
        tag = m.group(1)
        if tag is None:  # a complete {% raw %} block
            continue
        pos = m.start(1)
        line, col = _line_col(text, pos)
        tag_end = _TAG_END.search(text, m.end())
        if tag == "raw":
            return "'raw' is never closed: expected '{% endraw %}'", line, col
        if not tag:
            return "expected a tag name after '{%'", line, col
        if tag in OPENERS:
            if tag == "set" and tag_end and "=" in text[m.end() : tag_end.start()]:
                continue  # {% set x = … %} has no closer
            stack.append((tag, pos))
        elif tag in CLOSERS:
            want = CLOSERS[tag]
            if not stack:
                return f"unexpected '{tag}': there is no open '{want}' to close", line, col
            open_tag, open_pos = stack[-1]
            if open_tag != want:
                oline, _ = _line_col(text, open_pos)
                return (
                    f"unexpected '{tag}': expected '{OPENERS[open_tag]}' to close the '{open_tag}' on line {oline}",
                    line,
                    col,
                )
            stack.pop()
        elif tag in MIDDLES:
            allowed = MIDDLES[tag]
            if not stack or stack[-1][0] not in allowed:
                where = " or ".join(f"'{a}'" for a in allowed)
                return f"'{tag}' outside of an {where} block", line, col
        elif tag == "endraw":
            return "unexpected 'endraw': there is no open 'raw'", line, col
        elif tag not in SINGLES:
            return f"unknown tag '{tag}'", line, col
        if tag_end is None:
            return f"'{{% {tag}' is never closed: expected '%}}'", line, col
    if stack:
        tag, pos = stack[-1]
        line, col = _line_col(text, pos)
        return f"'{tag}' on line {line} is never closed: expected '{OPENERS[tag]}'", line, col
    return None


def _expected(names) -> str:
    spelled = sorted({_TERMINALS.get(x, x.lower() if not x.isupper() else x) for x in names})
    keywords = [s for s in spelled if s.isupper() and not s.startswith("TAG_") and "_" not in s]
    spelled = [s for s in spelled if s not in keywords and not s.startswith("TAG_") and not s.startswith("__")]
    spelled += [f"'{k.lower()}'" for k in keywords]
    if not spelled:
        return ""
    if len(spelled) > 6:
        return ""
    return ", expected " + (spelled[0] if len(spelled) == 1 else ", ".join(spelled[:-1]) + " or " + spelled[-1])


def describe_parse_error(text: str, err: UnexpectedInput) -> tuple[str, int, int]:
    """Turn a Lark parse failure on ``text`` into (message, line, column)."""
    structural = check_tag_balance(text)
    if structural is not None:
        return structural
    if isinstance(err, UnexpectedToken):
        tok = err.token
        if tok.type == "$END":
            line, col = _line_col(text, len(text))
            return "unexpected end of template" + _expected(err.expected), line, col
        shown = str(tok).strip() or tok.type
        expected = _expected(err.expected)
        if tok.type == "VAR_END" and "'}}'" not in expected:
            return f"unexpected '}}}}'{expected or ': the expression is incomplete'}", tok.line, tok.column
        if tok.type == "BLOCK_END":
            return f"unexpected '%}}'{expected or ': the tag is incomplete'}", tok.line, tok.column
        return f"unexpected {shown!r}{expected}", tok.line, tok.column
    if isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
        return f"unexpected character {char!r}{_expected(err.allowed or ())}", err.line, err.column
    if isinstance(err, UnexpectedEOF):
        line, col = _line_col(text, len(text))
        return "unexpected end of template", line, col
    line = getattr(err, "line", 1) or 1
    col = getattr(err, "column", 1) or 1
    return str(err).splitlines()[0], line, col
