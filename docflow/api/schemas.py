"""Shared API schemas: pagination, problem details, small nested shapes."""

from apispec import BasePlugin
from flask import request, url_for
from marshmallow import INCLUDE, Schema, fields, validate

from docflow.core.errors import PROBLEM_MEDIA_TYPE, ValidationFailed
from docflow.core.timeutil import iso_utc
from docflow.core.values import MAX_ID  # an INTEGER column: a larger id is a 404 or 422, never a database error
from docflow.extensions import db
from docflow.registry import lists


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
    """Every API error (RFC 9457 problem+json, docflow.core.errors.problem); a problem may carry more
    members than these (a duplicate's `existing_id`, ...)."""

    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: true

    type = fields.Str(required=True)
    title = fields.Str(required=True)
    status = fields.Int(required=True)
    detail = fields.Str()
    errors = fields.Dict(keys=fields.Str(), values=fields.List(fields.Str()),
                         metadata={"description": "The fields that are wrong: {field: [message]}; a field inside "
                                                 "a list or object is named by its path (`recipients.0.name`)"})


class ProblemResponses(BasePlugin):
    """The OpenAPI description of the errors: every documented 4xx/5xx answer (an `alt_response` with a
    description only) is a problem+json `Problem`, as docflow.core.errors answers it."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                if str(status)[0] in "45" and isinstance(response, dict) and "$ref" not in response \
                        and "content" not in response:
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


class UnitRef(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()


def page_of(stmt, args: dict, schema: Schema) -> dict:
    """{"items", "total", "page", "per_page"} as api.md's list convention."""
    pagination = db.paginate(stmt, page=args["page"], per_page=args["per_page"], max_per_page=200, error_out=False)
    return {"items": schema.dump(pagination.items, many=True), "total": pagination.total,
            "page": pagination.page, "per_page": pagination.per_page}


def bounded_page_of(stmt, args: dict, schema: Schema, ordering=None, options=None) -> dict:
    """page_of() for the document lists and the task inbox (registry/lists.py, decision 12): the same
    {"items", "total", "page", "per_page"}, where `total` is exact up to 10,000 and otherwise that bound
    (`total_is_estimate`: true); `has_more` says whether another page follows, and `next` is the URL of
    that page by keyset (`after=<cursor>`), which a client may follow instead of counting pages.
    `options(root)` eager-loads what `schema` reads of each row (a page costs the same statements at any size)."""
    try:
        page = lists.paginate(stmt, ordering, page=args["page"], per_page=args["per_page"],
                              after=args.get("after") if ordering is not None else None, options=options)
    except lists.BadCursor:
        raise ValidationFailed({"after": ["Not a cursor of this list: follow the `next` link."]}) from None
    return page_answer(page, schema)


def page_answer(page: lists.Page, schema: Schema) -> dict:
    """bounded_page_of()'s answer for a page made otherwise (incoming.task_page)."""
    next_url = None
    if page.next_cursor:
        query = {k: v for k, v in request.args.items() if k not in ("page", "after")}
        next_url = url_for(request.endpoint, **request.view_args, **query, after=page.next_cursor)
    return {"items": schema.dump(page.items, many=True), "total": int(page.total), "page": page.page,
            "per_page": page.per_page, "total_is_estimate": not page.total_exact, "has_more": page.has_next,
            "next": next_url}


def bounded_list_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(_Dumped(item_schema)), "total": fields.Int(),
                             "page": fields.Int(), "per_page": fields.Int(), "total_is_estimate": fields.Bool(),
                             "has_more": fields.Bool(), "next": fields.Str(allow_none=True)}, name=name)


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
