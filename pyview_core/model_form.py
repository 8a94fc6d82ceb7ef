"""Forms backed by pydantic v2 models: ``to_form(UserIn, payload.get("user"), name="user")``.

A :class:`Form` pairs a model with the params a browser submitted (the decoded ``phx-change`` /
``phx-submit`` map of that form) and answers what a template needs to render it: for each field its
input ``name`` and ``id``, the ``value`` to show, and the pydantic errors **of the fields the user
has used**. That last part is Phoenix's ``used_input?``: the 1.2 client sends ``_unused_<key>``
before the value of every field not touched yet, so a fresh form shows no errors, ``phx-change``
shows errors of touched fields only, and a submit (which sends no ``_unused_`` keys) shows all.

Submitted params are cast the way Phoenix/Ecto casts them before validation:

- only the model's fields are taken (by their alias when they have one); ``_unused_*`` keys,
  ``_target`` and anything else the form posts (button names, tokens) never reach the model;
- an empty string means "no value": a required field reports pydantic's ``Field required``, an
  optional one gets its default (empty strings are also dropped from lists of scalars, so a
  hidden ``tags[]`` sentinel can clear a multi-select);
- a list submitted as an index map (``addresses[0][city]`` decodes to ``{"0": {...}}``) becomes a
  list ordered by integer index; real lists (``tags[]``) are taken as they are;
- ``data`` (an edit form's model or mapping) fills the fields the params do not mention at all —
  not fields submitted empty, which the user cleared on purpose. Entries of a submitted list stand
  on their own: the browser sends every field of an entry it renders.

Errors are located by pydantic's ``loc``: a field of a nested model, or of the ``n``-th entry of a
list of models, gets its own messages; a model-level error (``model_validator``) belongs to the
form of that model and shows in :attr:`Form.errors`.

Fields are reached as ``form.email`` or ``form["email"]``. A field whose name is also a Form
attribute (``name``, ``id``, ``data``, ``errors``, ``params``, ``valid``, ``used``, ``index``,
``model``) must be written ``form["name"]`` — in templates too.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import re
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal, NamedTuple, Optional, Union, get_args, get_origin

from pydantic import AnyUrl, BaseModel, EmailStr, SecretBytes, SecretStr, ValidationError
from pydantic.fields import FieldInfo

__all__ = ["FieldError", "Form", "FormField", "to_form"]

UNUSED_PREFIX = "_unused_"
_MISSING: Any = object()
_INDEX = re.compile(r"[0-9]+")
_LIST_ORIGINS = (list, tuple, Sequence, set, frozenset)
_TRUE_STRINGS = frozenset({"true", "on", "1", "yes", "y", "t"})
# Field formats (json_schema_extra={"format": ...}) an <input type> exists for.
_FORMAT_TYPES = {
    "email": "email", "password": "password", "uri": "url", "url": "url", "date": "date",
    "date-time": "datetime-local", "time": "time", "tel": "tel", "color": "color",
}

_Path = tuple[Union[str, int], ...]  # a field's place: params keys and list positions


class FieldError(NamedTuple):
    """One error of a form's summary: the input ``name`` it belongs to and pydantic's message."""

    name: str
    message: str


# ============================================================================ the model's fields


@dataclass(frozen=True)
class _Spec:
    """What a form needs to know about one model field."""

    attr: str  # the Python attribute
    key: str  # the params key: the validation alias, else the name
    info: FieldInfo
    kind: str  # "scalar", "model" (a nested model) or "models" (a list of models)
    model: Optional[type[BaseModel]]  # the nested model of "model" / "models"
    inner: Any  # the annotation without Optional/Annotated (for a list: of its items)
    is_list: bool  # a list of scalars


def _unwrap(annotation: Any) -> Any:
    """``Optional[Annotated[int, ...]]`` → ``int``: what an input edits, without the wrappers."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _list_item(tp: Any) -> Any:
    """The item type of ``list[X]`` / ``Sequence[X]`` / ``tuple[X, ...]``, else ``_MISSING``."""
    origin = get_origin(tp)
    if origin is None and tp in (list, tuple, set, frozenset):
        return Any
    if origin not in _LIST_ORIGINS:
        return _MISSING
    args = get_args(tp)
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return _MISSING  # a fixed-length tuple is not a list of inputs
    return _unwrap(args[0]) if args else Any


def _param_key(attr: str, info: FieldInfo) -> str:
    if isinstance(info.validation_alias, str):
        return info.validation_alias
    if isinstance(info.alias, str):
        return info.alias
    return attr


@lru_cache(maxsize=512)
def _specs(model: type[BaseModel]) -> tuple[_Spec, ...]:
    specs = []
    for attr, info in model.model_fields.items():
        inner = _unwrap(info.annotation)
        item = _list_item(inner)
        if _is_model(inner):
            spec = _Spec(attr, _param_key(attr, info), info, "model", inner, inner, False)
        elif item is not _MISSING and _is_model(item):
            spec = _Spec(attr, _param_key(attr, info), info, "models", item, item, False)
        else:
            is_list = item is not _MISSING
            spec = _Spec(attr, _param_key(attr, info), info, "scalar", None, item if is_list else inner, is_list)
        specs.append(spec)
    return tuple(specs)


def _spec(model: type[BaseModel], name: Any) -> Optional[_Spec]:
    """The field of ``model`` named ``name`` (its attribute or its params key)."""
    for spec in _specs(model):
        if name == spec.key or name == spec.attr:
            return spec
    return None


# ============================================================================ params


def _entries(value: Any) -> Optional[list[Any]]:
    """A submitted list as a list: a real list, or an index map (``{"1": b, "0": a}`` → ``[a, b]``).

    ``_unused_<n>`` markers of an index map are skipped; a map with any other key is not a list.
    """
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, Mapping):
        indexes = []
        for key in value:
            if isinstance(key, str) and key.startswith(UNUSED_PREFIX):
                continue
            if not isinstance(key, str) or not _INDEX.fullmatch(key):
                return None
            indexes.append(key)
        return [value[key] for key in sorted(indexes, key=int)]
    return None


def _strip_unused(value: Any) -> Any:
    """A submitted map without its ``_unused_`` markers (for dict-typed fields)."""
    if isinstance(value, Mapping):
        return {k: _strip_unused(v) for k, v in value.items() if not (isinstance(k, str) and k.startswith(UNUSED_PREFIX))}
    if isinstance(value, list):
        return [_strip_unused(v) for v in value]
    return value


def _data_value(data: Any, spec: _Spec) -> Any:
    """The initial value of ``spec`` in ``data`` (a model or a mapping by name or key), or ``_MISSING``."""
    if data is None:
        return _MISSING
    if isinstance(data, Mapping):
        if spec.attr in data:
            return data[spec.attr]
        return data.get(spec.key, _MISSING)
    return getattr(data, spec.attr, _MISSING)


def _cast(model: type[BaseModel], params: Mapping, data: Any) -> dict[str, Any]:
    """The input ``model_validate`` gets: the model's fields from ``params``, cleaned, then ``data``."""
    payload: dict[str, Any] = {}
    for spec in _specs(model):
        if spec.key in params:
            value = _clean(spec, params[spec.key], _data_value(data, spec))
        else:
            value = _data_value(data, spec)
        if value is not _MISSING:
            payload[spec.key] = value
    return payload


def _clean(spec: _Spec, value: Any, data: Any) -> Any:
    if isinstance(value, str):
        return _MISSING if value == "" else value
    if spec.kind == "model":
        if isinstance(value, Mapping):
            return _cast(spec.model, value, None if data is _MISSING else data)  # type: ignore[arg-type]
        return value
    entries = _entries(value)
    if spec.kind == "models":
        if entries is None:
            return value
        return [_cast(spec.model, e, None) if isinstance(e, Mapping) else e for e in entries]  # type: ignore[arg-type]
    if spec.is_list and entries is not None:
        return [_strip_unused(e) for e in entries if e != ""]
    return _strip_unused(value)


def _used_param(params: Any, key: str) -> bool:
    """Phoenix's ``used_param?``: the key is there without its ``_unused_`` marker; a nested map is
    used when any key inside it is."""
    if not isinstance(params, Mapping) or key.startswith(UNUSED_PREFIX) or key not in params:
        return False
    if UNUSED_PREFIX + key in params:
        return False
    value = params[key]
    if isinstance(value, Mapping):
        return _any_used(value)
    return True


def _any_used(params: Any) -> bool:
    if not isinstance(params, Mapping):
        return False
    return any(isinstance(k, str) and k != "_target" and _used_param(params, k) for k in params)


# ============================================================================ errors


def _message(error: Any) -> str:
    """pydantic's message, without the "Value error, " it puts before a validator's own text."""
    if error.get("type") in ("value_error", "assertion_error"):
        cause = (error.get("ctx") or {}).get("error")
        if cause is not None and str(cause):
            return str(cause)
    return str(error.get("msg", ""))


def _locate(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[_Path, bool, tuple[Any, ...]]:
    """Where an error of ``loc`` belongs: the path of a field or a (sub)form, whether that is a form,
    and the part of ``loc`` below it no input stands for."""
    path: list[Union[str, int]] = []
    current: Optional[type[BaseModel]] = model
    i = 0
    while i < len(loc) and current is not None:
        spec = _spec(current, loc[i]) if isinstance(loc[i], str) else None
        if spec is None:
            break
        path.append(spec.key)
        i += 1
        if spec.kind == "model":
            current = spec.model
        elif spec.kind == "models" and i < len(loc) and isinstance(loc[i], int):
            path.append(loc[i])
            i += 1
            current = spec.model
        else:
            return tuple(path), False, tuple(loc[i:])
    return tuple(path), True, tuple(loc[i:])


class _Outcome:
    """The validation of a whole form tree, shared by the form and its sub-forms."""

    def __init__(self, model: type[BaseModel], params: Optional[Mapping], data: Any) -> None:
        self.submitted = params is not None
        self.params: Mapping = params if params is not None else {}
        self.instance: Optional[BaseModel] = None
        self.errors: dict[_Path, list[str]] = {}
        if not self.submitted:
            return
        try:
            self.instance = model.model_validate(_cast(model, self.params, data))
        except ValidationError as exc:
            for error in exc.errors():
                path, is_form, rest = _locate(model, tuple(error.get("loc", ())))
                message = _message(error)
                if is_form and rest:
                    message = f"{'.'.join(str(p) for p in rest)}: {message}"
                self.errors.setdefault(path, []).append(message)

    def used(self, path: _Path) -> bool:
        """Whether the input (or sub-form) at ``path`` was used, judged in its own parent map."""
        container: Any = self.params
        for part in path[:-1]:
            container = _child_params(container, part)
        if not path:
            return _any_used(container)
        last = path[-1]
        if isinstance(last, int):
            entries = _entries(container) if container is not None else None
            if entries is None or last >= len(entries):
                return False
            entry = entries[last]
            return _any_used(entry) if isinstance(entry, Mapping) else True
        return _used_param(container, last)


def _child_params(container: Any, part: Union[str, int]) -> Any:
    if isinstance(part, int):
        entries = _entries(container) if container is not None else None
        return entries[part] if entries is not None and part < len(entries) else None
    return container.get(part) if isinstance(container, Mapping) else None


# ============================================================================ values


def _format(value: Any) -> Any:
    """A model value as an input shows it: ``None`` → ``""``, ``True`` → ``"true"``, dates ISO."""
    if value is None or value is _MISSING:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return _format(value.value)
    if isinstance(value, (SecretStr, SecretBytes)):
        return ""  # a stored secret never goes back to the page
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_format(v) for v in value]
    return str(value)


def _default(info: FieldInfo) -> Any:
    if info.is_required():
        return _MISSING
    try:
        return info.get_default(call_default_factory=True)
    except TypeError:  # a factory that wants the validated data
        return _MISSING


@lru_cache(maxsize=1024)
def _humanize(name: str) -> str:
    """``postal_code`` → ``Postal code`` (the label of a field without a ``title``)."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _snake(name: str) -> str:
    """``UserIn`` → ``user_in``, ``HTTPRequest`` → ``http_request`` (a form's default name)."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"\W+", "_", name).strip("_").lower() or "form"


@lru_cache(maxsize=1024)  # a spec's type never changes, and every render of a field asks
def _input_type(spec: _Spec) -> str:
    extra = spec.info.json_schema_extra if isinstance(spec.info.json_schema_extra, dict) else {}
    if isinstance(extra.get("input_type"), str):
        return extra["input_type"]
    if isinstance(extra.get("format"), str) and extra["format"] in _FORMAT_TYPES:
        return _FORMAT_TYPES[extra["format"]]
    tp = spec.inner
    if _options_of(tp) is not None:
        return "select"
    if not isinstance(tp, type):
        return "text"
    if tp is bool:
        return "checkbox"
    if issubclass(tp, (int, float, decimal.Decimal)):
        return "number"
    if issubclass(tp, datetime.datetime):
        return "datetime-local"
    if issubclass(tp, datetime.date):
        return "date"
    if issubclass(tp, datetime.time):
        return "time"
    if tp is EmailStr:
        return "email"
    if issubclass(tp, SecretStr):
        return "password"
    if issubclass(tp, AnyUrl):
        return "url"
    return "text"


def _options_of(tp: Any) -> Optional[list[tuple[str, str]]]:
    """The choices of a ``Literal`` or ``Enum`` field as ``(value, label)`` pairs."""
    if get_origin(tp) is Literal:
        return [(_format(v), str(v)) for v in get_args(tp)]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [(_format(m.value), _humanize(m.name.lower())) for m in tp]
    return None


# ============================================================================ forms and fields


class FormField:
    """One input of a form: what a template puts in its ``name``, ``id``, ``value``, label and errors.

    For a list of nested models (``form.addresses``) it also iterates over the entries' sub-forms.
    """

    def __init__(self, form: "Form", spec: _Spec) -> None:
        self.form = form
        self._spec = spec
        self._path: _Path = form._path + (spec.key,)

    @property
    def field(self) -> str:
        """The model attribute this input edits."""
        return self._spec.attr

    @property
    def name(self) -> str:
        """The input's ``name``: ``user[email]``, ``user[addresses][0][city]``."""
        return f"{self.form.name}[{self._spec.key}]"

    @property
    def id(self) -> str:
        """The input's ``id``: ``user_email``, ``user_addresses_0_city``."""
        return f"{self.form.id}_{self._spec.key}"

    @property
    def value(self) -> Any:
        """The submitted raw value when there is one, else the data's or the default, formatted
        for an input (``None`` → ``""``); a list for list fields."""
        params = self.form.params
        if self._spec.key in params:
            raw = params[self._spec.key]
            if self._spec.is_list:
                entries = _entries(raw)
                return [] if entries is None else [e for e in entries if isinstance(e, str)]
            return raw
        value = _data_value(self.form._data, self._spec)
        if value is _MISSING:
            value = _default(self._spec.info)
        return _format(value)

    @property
    def used(self) -> bool:
        """Phoenix's ``used_input?``: the browser sent this field without an ``_unused_`` marker."""
        return self.form._outcome.used(self._path)

    @property
    def errors(self) -> list[str]:
        """pydantic's messages for this field, only once it is used (``[]`` before)."""
        messages = self.form._outcome.errors.get(self._path)
        if not messages or not self.used:
            return []
        return list(messages)

    @property
    def label(self) -> str:
        """The field's ``title``, else its name humanized (``postal_code`` → ``Postal code``)."""
        return self._spec.info.title or _humanize(self._spec.attr)

    @property
    def required(self) -> bool:
        return self._spec.info.is_required()

    @property
    def input_type(self) -> str:
        """The ``<input type>`` that fits: ``json_schema_extra={"input_type": ...}`` (or a known
        ``format``), else by type: number, checkbox, date, datetime-local, email, select, text."""
        return _input_type(self._spec)

    @property
    def options(self) -> Optional[list[tuple[str, str]]]:
        """``(value, label)`` choices of a ``Literal`` or ``Enum`` field; None for other fields."""
        return _options_of(self._spec.inner)

    @property
    def checked(self) -> bool:
        """Whether a checkbox for this field shows checked (the value reads as true)."""
        value = self.value
        return isinstance(value, str) and value.strip().lower() in _TRUE_STRINGS

    @property
    def description(self) -> Optional[str]:
        return self._spec.info.description

    def __iter__(self) -> Iterator["Form"]:
        """The sub-forms of a list of nested models (``{% for address in form.addresses %}``)."""
        if self._spec.kind != "models":
            raise TypeError(f"{self.name} is not a list of nested models; only those iterate over sub-forms")
        return iter(self.form.inputs_for(self._spec.attr))

    def __len__(self) -> int:
        if self._spec.kind != "models":
            raise TypeError(f"{self.name} is not a list of nested models")
        return len(self.form.inputs_for(self._spec.attr))

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<FormField {self.name} value={self.value!r} errors={self.errors!r}>"


class Form:
    """A model's form with its submitted params; build it with :func:`to_form`.

    ``form.email`` / ``form["email"]`` give a :class:`FormField`; a nested model field gives a
    sub-form named ``user[address]``; ``inputs_for("addresses")`` the sub-forms of a list.
    """

    def __init__(
        self, model: type[BaseModel], outcome: _Outcome, *, name: str, id: str, params: Mapping, data: Any,
        path: _Path = (), index: Optional[int] = None, parent: Optional[tuple["Form", _Spec]] = None,
    ) -> None:
        self.model = model
        self.name = name
        self.id = id
        self.index = index
        self._outcome = outcome
        self._params = params
        self._data = data
        self._path = path
        self._parent = parent
        self._children: dict[str, Any] = {}

    # -- what the form is -----------------------------------------------------------------------

    @property
    def params(self) -> Mapping:
        """This form's own submitted map, as the browser sent it (``{}`` for a fresh form)."""
        return self._params

    @property
    def valid(self) -> bool:
        """Whether params were given and pydantic accepted them (for a sub-form: its part of them)."""
        if not self._outcome.submitted:
            return False
        if not self._path:
            return self._outcome.instance is not None
        return not any(path[: len(self._path)] == self._path for path in self._outcome.errors)

    @property
    def data(self) -> Optional[BaseModel]:
        """The validated model instance when the whole form is valid, else None."""
        instance = self._outcome.instance
        if instance is None:
            return None
        if self._parent is None:
            return instance
        parent_form, spec = self._parent
        value = getattr(parent_form.data, spec.attr, None)
        if self.index is not None:
            return value[self.index] if value is not None and self.index < len(value) else None
        return value

    @property
    def used(self) -> bool:
        """Whether any input of this form was used."""
        return self._outcome.used(self._path)

    @property
    def errors(self) -> list[FieldError]:
        """Every error of this form and its sub-forms whose input was used, as ``(name, message)``;
        model-level errors under the form's own name. The summary a page may show."""
        return [FieldError(name, message) for name, _label, message in self._summary()]

    def _summary(self) -> list[tuple[str, str, str]]:
        """``(name, label, message)`` per shown error (``form_tags`` renders the labels)."""
        shown = []
        depth = len(self._path)
        for path, messages in self._outcome.errors.items():
            if path[:depth] != self._path or not self._outcome.used(path):
                continue
            rest = path[depth:]
            name = self.name + "".join(f"[{p}]" for p in rest)
            label = self._label_of(rest)
            shown.extend((name, label, message) for message in messages)
        return shown

    def _label_of(self, rest: _Path) -> str:
        labels: list[str] = []
        model: Optional[type[BaseModel]] = self.model
        for part in rest:
            if isinstance(part, int):
                if labels:
                    labels[-1] = f"{labels[-1]} {part + 1}"
                continue
            spec = _spec(model, part) if model is not None else None
            if spec is None:
                break
            labels.append(spec.info.title or _humanize(spec.attr))
            model = spec.model
        return " › ".join(labels)

    # -- its fields -----------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        """The field ``key`` (attribute name or alias): a FormField, or a sub-form for a nested model."""
        spec = _spec(self.model, key)
        if spec is None:
            fields = ", ".join(s.attr for s in _specs(self.model))
            raise KeyError(f"{self.model.__name__} has no field {key!r}; its fields: {fields}")
        child = self._children.get(spec.key)
        if child is None:
            child = self._children[spec.key] = self._child(spec)
        return child

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(exc.args[0]) from None

    def __contains__(self, key: object) -> bool:
        return _spec(self.model, key) is not None

    def __iter__(self) -> Iterator[Any]:
        """The form's fields in model order (FormFields, and sub-forms for nested models)."""
        return (self[spec.attr] for spec in _specs(self.model))

    def _child(self, spec: _Spec) -> Any:
        if spec.kind != "model":
            return FormField(self, spec)
        params = self._params.get(spec.key)
        data = _data_value(self._data, spec)
        return Form(
            spec.model, self._outcome,  # type: ignore[arg-type]
            name=f"{self.name}[{spec.key}]", id=f"{self.id}_{spec.key}",
            params=params if isinstance(params, Mapping) else {},
            data=None if data is _MISSING else data,
            path=self._path + (spec.key,), parent=(self, spec),
        )

    def inputs_for(self, field: str) -> list["Form"]:
        """The sub-forms of a nested model field: one, or one per entry of a list of models.

        Entries come from the params when the list was submitted (an index map in index order),
        else from ``data``, else from the field's default. Entry ``i`` is named ``user[addresses][i]``.
        """
        spec = _spec(self.model, field)
        if spec is None or spec.kind == "scalar":
            raise ValueError(f"{self.model.__name__}.{field} is not a nested model field")
        if spec.kind == "model":
            return [self[spec.attr]]
        cache_key = "\0list:" + spec.key
        cached = self._children.get(cache_key)
        if cached is not None:
            return cached
        if spec.key in self._params:
            raw = _entries(self._params[spec.key]) or []
            pairs = [(e if isinstance(e, Mapping) else {}, None) for e in raw]
        else:
            source = _data_value(self._data, spec)
            if source is _MISSING:
                source = _default(spec.info)
            items = list(source) if isinstance(source, (list, tuple)) else []
            pairs = [({}, item) for item in items]
        forms = [
            Form(
                spec.model, self._outcome,  # type: ignore[arg-type]
                name=f"{self.name}[{spec.key}][{i}]", id=f"{self.id}_{spec.key}_{i}",
                params=params, data=data, path=self._path + (spec.key, i), index=i, parent=(self, spec),
            )
            for i, (params, data) in enumerate(pairs)
        ]
        self._children[cache_key] = forms
        return forms

    def __repr__(self) -> str:
        return f"<Form {self.name} of {self.model.__name__} valid={self.valid}>"


def to_form(
    model: type[BaseModel], params: Optional[Mapping[str, Any]] = None, *, name: Optional[str] = None,
    data: Optional[Union[BaseModel, Mapping[str, Any]]] = None, id: Optional[str] = None,
) -> Form:
    """The form of ``model`` for ``params``, the form's own submitted map (``payload.get("user")``).

    ``params=None`` is a fresh form: nothing validated, no errors, ``valid`` False. Params that are
    not a map (a client posting ``user=x``) count as an empty submission. ``name`` defaults to the
    model's class name in snake_case, ``id`` to the name; ``data`` gives initial values (an edit form).
    """
    if not _is_model(model):
        raise TypeError(f"to_form needs a pydantic model class, got {model!r}")
    if params is not None and not isinstance(params, Mapping):
        params = {}
    form_name = name if name is not None else _snake(model.__name__)
    outcome = _Outcome(model, params, data)
    return Form(model, outcome, name=form_name, id=id if id is not None else form_name,
                params=outcome.params, data=data)
