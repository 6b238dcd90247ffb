"""Lean JSON schemas for `tools/list`: every byte of them is paid in every conversation.

Input schemas keep what tells a model how to call a tool (types, descriptions, defaults, limits, enums,
`required`) and drop what pydantic adds for humans: titles, and `anyOf [X, null]` with `default: null` for an
optional parameter (omitting it is how a model leaves it out). Output schemas keep the result's fields
with their types (and enums); nested objects and arrays are typed, not spelled out, since the result itself
shows them. Results carry no nulls (the tools drop them), so a lean output schema still validates every
result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

__all__ = ["lean_input", "lean_output"]

_NULL = {"type": "null"}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with a `null` alternative (and a `null` default) removed."""
    schema = {k: v for k, v in schema.items() if not (k == "default" and v is None)}
    options = schema.get("anyOf")
    if isinstance(options, list) and _NULL in options:
        rest = [o for o in options if o != _NULL]
        del schema["anyOf"]
        schema = {**rest[0], **schema} if len(rest) == 1 else {"anyOf": rest, **schema}
    return schema


def lean_input(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's input schema without titles and without `null` as a value of optional parameters."""

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n) for n in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "title":
                continue
            if key in ("properties", "$defs"):  # maps of names: a property may be called "title"
                out[key] = {name: walk(sub) for name, sub in value.items()}
            else:
                out[key] = walk(value)
        return _without_null(out)

    lean: dict[str, Any] = walk(schema)
    return lean


def lean_output(model: type[BaseModel]) -> dict[str, Any]:
    """The output schema of a tool answering with `model`: each field's JSON type (and enum), read from the
    field annotations. Cheaper than pydantic's full schema, which a server would build only to cut it down."""
    return {"type": "object", "properties": {name: _json_type(f.annotation) for name, f in model.model_fields.items()}}


_SCALARS: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),  # before int: a bool is an int
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (datetime, "string"),
    (date, "string"),
)


def _json_type(annotation: Any) -> dict[str, Any]:  # noqa: PLR0911 - one return per kind of type
    """The lean JSON schema of one field's type: its type, an enum for a Literal, item types of scalar lists."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _json_type(get_args(annotation)[0])
    if origin is Literal:
        values = list(get_args(annotation))
        return {"enum": values, "type": _scalar(type(values[0])) or "string"}
    if origin in (Union, UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        if len(options) == 1:
            return _json_type(options[0])
        types = sorted({t for o in options if isinstance(t := _json_type(o).get("type"), str)})
        return {"type": types} if types else {}
    if origin in (list, tuple, set, frozenset, Sequence):
        (item, *_) = get_args(annotation) or (Any,)
        scalar = _scalar(item) or (_json_type(item).get("type") if get_origin(item) is Literal else None)
        return {"type": "array", "items": {"type": scalar}} if scalar else {"type": "array"}
    if origin in (dict, Mapping) or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return {"type": "object"}
    scalar = _scalar(annotation)
    return {"type": scalar} if scalar else {}


def _scalar(annotation: Any) -> str | None:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if not isinstance(annotation, type):
        return None
    return next((name for kind, name in _SCALARS if issubclass(annotation, kind)), None)
