"""A schema's dump as one plain function, for the answers the office sends most often.

`Schema.dump` walks its fields through marshmallow's generic path (a field object, an accessor and a
serialize call per value, hooks and error collection around them): for the registration's answer it cost
more than building the dict. `compiled(schema)` reads the schema's fields once and returns a function that
gives the same dict for the field kinds the API's answers use (Int, Str, Date, Raw, Function, each with
its `attribute`, `data_key` and `allow_none`), and falls back to `schema.dump` for any schema holding
something else (a nested field, a hook, a default): it never answers differently from the schema
(tests/api/test_fastdump.py compares both on real documents).
"""

from collections.abc import Callable, Mapping

from marshmallow import Schema, fields
from marshmallow.utils import missing

_SIMPLE = (fields.Integer, fields.String, fields.Date, fields.Raw)


def _plan(schema: Schema) -> list[tuple] | None:
    if any(schema._hooks.get(kind) for kind in ("pre_dump", "post_dump")) or schema.many:
        return None
    plan = []
    for name, field in schema.dump_fields.items():
        key = field.data_key or name
        kind = type(field)
        if field.dump_default is not missing:
            return None
        if kind is fields.Function:
            plan.append((key, None, field.serialize_func, None))
        elif kind in _SIMPLE and "." not in (field.attribute or name) and not (
                kind is fields.Date and field.format not in (None, "iso")) and not (
                kind is fields.Integer and field.as_string):
            plan.append((key, field.attribute or name, None, kind))
        else:
            return None
    return plan


def compiled(schema: Schema) -> Callable[[object], dict]:
    """A function of one object giving `schema.dump(obj)`."""
    plan = _plan(schema)
    if plan is None:
        return schema.dump

    def dump(obj) -> dict:
        if isinstance(obj, Mapping):  # marshmallow reads a mapping's keys first
            return schema.dump(obj)
        out = {}
        for key, attribute, function, kind in plan:
            if function is not None:
                out[key] = function(obj)
                continue
            value = getattr(obj, attribute, missing)
            if value is missing:
                continue  # marshmallow leaves a missing attribute out
            if value is None or kind is fields.Raw:
                out[key] = value
            elif kind is fields.Integer:
                out[key] = int(value)
            elif kind is fields.String:
                out[key] = value.decode("utf-8") if isinstance(value, bytes) else str(value)
            else:  # fields.Date
                out[key] = value.isoformat()
        return out

    return dump
