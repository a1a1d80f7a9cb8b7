"""GET /search: full-text search with filters and facets, within what the user may see (api.md)."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from docflow.core.tx import reads_only
from docflow.search import query

blp = Blueprint("api_search", __name__, description="Search")


class FacetSchema(Schema):
    key = fields.Raw()
    label = fields.Str()
    count = fields.Int()


class SearchItemSchema(Schema):
    id = fields.Int()
    direction = fields.Str()
    number = fields.Int(allow_none=True)
    number_symbol = fields.Str(allow_none=True)
    subject = fields.Str()
    snippet = fields.Str()
    doc_type = fields.Str()
    issued_date = fields.Date(allow_none=True)
    received_date = fields.Date(allow_none=True)
    status = fields.Str()
    urgency = fields.Str()
    confidentiality = fields.Str()
    sender = fields.Str(allow_none=True)
    year = fields.Int(allow_none=True)


class SearchAnswerSchema(Schema):
    items = fields.List(fields.Nested(SearchItemSchema))
    total = fields.Int()
    total_exact = fields.Bool(metadata={"description": f"false: more than `total` documents match (`total` is then "
                                                       f"{query.CAP}, or {query.RESTRICTED_CAP} for a user who sees "
                                                       f"only what they or their unit take part in, and at most "
                                                       f"{query.PHRASE_CAP} for a query holding a \"phrase\")"})
    sort = fields.Str()
    facets_exact = fields.Bool(metadata={"description": "false: more than `total` documents match and the "
                                                        "facets count the first `total` + 1 of them"})
    facets = fields.Dict(keys=fields.Str(), values=fields.List(fields.Nested(FacetSchema)))
    page = fields.Int()
    per_page = fields.Int()


def item(doc, snippet: str) -> dict:
    return {"id": doc.id, "direction": doc.direction, "number": doc.number, "number_symbol": doc.number_symbol,
            "subject": doc.subject, "snippet": snippet, "doc_type": doc.doc_type.code if doc.doc_type else None,
            "issued_date": doc.issued_date, "received_date": doc.received_date, "status": doc.status,
            "urgency": doc.urgency, "confidentiality": doc.confidentiality, "sender": doc.sender_name,
            "year": doc.year}


@blp.route("/search")
@blp.arguments(query.SearchArgs, location="query")
@blp.response(200, SearchAnswerSchema)
def search(args):
    """Words (all must match), "a phrase", prefix*, -excluded; a number-symbol also matches exactly.
    Relevance then date (`sort=date`: newest first). `snippet` is HTML: escaped text with <mark>."""
    reads_only()
    result = query.search(current_user, args)
    return {"items": [item(d, result.snippets.get(d.id, "")) for d in result.items], "total": result.total,
            "total_exact": result.total_exact, "sort": result.sort, "facets": result.facets,
            "facets_exact": result.facets_exact,
            "page": result.page, "per_page": result.per_page}
