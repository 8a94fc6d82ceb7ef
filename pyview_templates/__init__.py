"""pyview's template language: Jinja2-compatible at its core, with the Ibis forms.

Templates are compiled ahead of time into Python functions that return a
fingerprinted statics/dynamics tree (:mod:`pyview_templates.tree`); HTML is
always that tree joined, so the dead render and the live diff cannot drift.

    >>> from pyview_templates import Template
    >>> Template("<p>{{ name }}</p>").render({"name": "<Ada>"})
    '<p>&lt;Ada&gt;</p>'

Importing this package does not import the parser (or lark): only compiling a
template does, so precompiled templates load without it.
"""

from markupsafe import Markup, escape

from .environment import Environment, Template, register_filter
from .errors import TemplateError, TemplateNotFound, TemplateSecurityWarning, TemplateSyntaxError, UndefinedError
from .loaders import BaseLoader, DictLoader, FileSystemLoader
from .tree import Comprehension, Rendered, join
from .undefined import Undefined

__all__ = [
    "BaseLoader", "Comprehension", "DictLoader", "Environment", "FileSystemLoader", "Markup", "Rendered",
    "Template", "TemplateError", "TemplateNotFound", "TemplateSecurityWarning", "TemplateSyntaxError", "Undefined",
    "UndefinedError",
    "escape", "join", "register_filter",
]
