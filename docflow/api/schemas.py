"""Shared API schemas: pagination, problem details, small nested shapes."""

from marshmallow import Schema, fields, validate

from docflow.core.timeutil import iso_utc
from docflow.core.values import MAX_ID  # an INTEGER column: a larger id is a 404 or 422, never a database error
from docflow.extensions import db


def Id(**kwargs) -> fields.Int:  # noqa: N802  (reads like a field class)
    """A reference to a row: a positive integer within the column's range."""
    return fields.Int(strict=False, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class UtcDateTime(fields.DateTime):
    """A stored (naive UTC) timestamp as ISO 8601 with its offset, as api.md asks."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, str):  # already dumped
            return value
        return iso_utc(value)


class PageArgs(Schema):
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))


class ProblemSchema(Schema):
    type = fields.Str()
    title = fields.Str()
    status = fields.Int()
    detail = fields.Str()
    errors = fields.Dict(keys=fields.Str(), values=fields.List(fields.Str()))


class UnitRef(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()


def page_of(stmt, args: dict, schema: Schema) -> dict:
    """{"items", "total", "page", "per_page"} as api.md's list convention."""
    pagination = db.paginate(stmt, page=args["page"], per_page=args["per_page"], max_per_page=200, error_out=False)
    return {"items": schema.dump(pagination.items, many=True), "total": pagination.total,
            "page": pagination.page, "per_page": pagination.per_page}


class _Dumped(fields.Nested):
    """Nested in the OpenAPI document; items that page_of() already dumped pass through unchanged.
    (Dumping them a second time dropped every field with an `attribute`, e.g. `active`.)"""

    def _serialize(self, nested_obj, attr, obj, **kwargs):
        if isinstance(nested_obj, dict):
            return nested_obj
        return super()._serialize(nested_obj, attr, obj, **kwargs)


def list_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(_Dumped(item_schema)), "total": fields.Int(),
                             "page": fields.Int(), "per_page": fields.Int()}, name=name)
