"""The archive (issue 7/9; api.md "Archive"): retention table, file plans, dossiers and their documents,
the work queue, transfers, keep-backs, loans (the borrowing book) and dispositions. Thin adapters over
docflow/archive/services.py; who may do what is docflow/archive/rules.py.

A dossier's documents and its counts (`doc_total`, `page_total`) are those the caller may see
(registry/access.py): a confidential document filed in a dossier is neither listed nor counted for a
caller not cleared for it.
"""

import sqlalchemy as sa
from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from docflow.api.schemas import Id, PageArgs, UtcDateTime, list_schema, page_of
from docflow.archive import rules
from docflow.archive import services as archive
from docflow.archive.models import DOSSIER_STATUSES, Dossier, DossierDocument, Transfer
from docflow.core.errors import NotFound
from docflow.core.tx import reads_only
from docflow.extensions import db
from docflow.registry import access
from docflow.registry.models import Document

blp = Blueprint("api_archive", __name__, description="Archive: dossiers, transfers, loans, disposition")

LOAN_FILTERS = ("requested", "approved", "lent", "returned", "refused", "overdue")


def _commit():
    db.session.commit()
    reads_only()


def _json(payload: dict, status: int = 200):
    """An answer dumped already (its counts are the caller's): sent as it is, the schema documents it."""
    response = jsonify(payload)
    response.status_code = status
    return response


# ---- schemas -------------------------------------------------------------------------------------------

class DossierUnitRef(Schema):
    id = fields.Int()
    name = fields.Str()


class DossierUserRef(Schema):
    id = fields.Int()
    username = fields.Str()
    full_name = fields.Str()


class DossierSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    title = fields.Str()
    year = fields.Int()
    status = fields.Str(metadata={"description": "planned, open, closed, archived, destroyed"})
    unit_id = fields.Int(allow_none=True)
    unit = fields.Nested(DossierUnitRef, allow_none=True)
    keeper_id = fields.Int(allow_none=True)
    keeper = fields.Nested(DossierUserRef, allow_none=True)
    retention_years = fields.Int(allow_none=True, metadata={"description": "null = permanent (Vĩnh viễn)"})
    retention_id = fields.Int(allow_none=True)
    permanent = fields.Bool(attribute="is_permanent")
    retention_ends = fields.Date(allow_none=True)
    medium = fields.Str()
    rights = fields.Str(allow_none=True)
    language = fields.Str(allow_none=True)
    description = fields.Str(allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    doc_total = fields.Int(allow_none=True, metadata={"description": "documents the caller may see"})
    page_total = fields.Int(allow_none=True, metadata={"description": "their pages (the stored total when "
                                                                      "the caller sees every document)"})
    closing_note = fields.Str(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
    plan_id = fields.Int(allow_none=True)
    heading_id = fields.Int(allow_none=True)
    transfer_id = fields.Int(allow_none=True)
    archived_at = UtcDateTime(allow_none=True)
    location_box = fields.Str(allow_none=True)
    location_shelf = fields.Str(allow_none=True)
    kept_back_until = fields.Date(allow_none=True)
    transfer_deadline = fields.Date(allow_none=True)
    transfer_state = fields.Str(allow_none=True, metadata={"description": "warning, late or null"})
    destroyed_at = UtcDateTime(allow_none=True)
    disposition_id = fields.Int(allow_none=True)
    created_at = UtcDateTime()
    version = fields.Int()


class EntryDocumentSchema(Schema):
    id = fields.Int()
    direction = fields.Str()
    number = fields.Int(allow_none=True)
    number_symbol = fields.Str(allow_none=True)
    doc_type = fields.Function(lambda d: d.doc_type.code if d.doc_type else None)
    subject = fields.Str()
    issued_date = fields.Date(allow_none=True)
    received_date = fields.Date(allow_none=True)
    confidentiality = fields.Str()
    pages = fields.Int(allow_none=True)
    medium = fields.Str()
    status = fields.Str()


class EntrySchema(Schema):
    position = fields.Int()
    flag = fields.Str(allow_none=True, metadata={"description": "draft or duplicate (set on closing)"})
    added_at = UtcDateTime()
    document = fields.Nested(EntryDocumentSchema)


class DossierDetailSchema(DossierSchema):
    documents = fields.List(fields.Nested(EntrySchema))
    transfer_state = fields.Str(allow_none=True)


DossierList = list_schema(DossierSchema, "DossierList")


class DossierArgs(PageArgs):
    status = fields.Str(load_default=None, validate=validate.OneOf(DOSSIER_STATUSES))
    year = fields.Int(load_default=None, validate=validate.Range(min=1900, max=2200))
    expired = fields.Bool(load_default=False, metadata={"description": "1: retention over (never permanent ones)"})
    unit_id = Id(load_default=None)
    q = fields.Str(load_default=None, validate=validate.Length(max=200), metadata={"description": "code or title"})


class DossierCreateSchema(Schema):
    code = fields.Str(required=True, metadata={"description": "file number and symbol, e.g. 01.TCCB"})
    title = fields.Str(required=True)
    year = fields.Int(load_default=None)
    unit_id = fields.Raw(allow_none=True, metadata={"description": "default (when absent): the caller's unit; "
                                                                   "null: none"})
    retention_years = fields.Int(allow_none=True, metadata={"description": "null = permanent (Vĩnh viễn)"})
    retention_id = fields.Raw(load_default=None, metadata={"description": "a row of the retention table instead"})
    keeper_id = fields.Raw(load_default=None, metadata={"description": "default: the caller"})
    medium = fields.Str(load_default=None, validate=validate.OneOf(archive.MEDIA))
    start_date = fields.Raw(load_default=None)
    description = fields.Str(load_default=None, allow_none=True)
    rights = fields.Str(load_default=None, allow_none=True)
    language = fields.Str(load_default=None, allow_none=True)


class DossierPatchSchema(Schema):
    version = fields.Int(required=True)
    code = fields.Str()
    title = fields.Str()
    year = fields.Int()
    unit_id = fields.Raw(allow_none=True)
    keeper_id = fields.Raw(allow_none=True)
    retention_years = fields.Int(allow_none=True)
    retention_id = fields.Raw(allow_none=True)
    medium = fields.Str(validate=validate.OneOf(archive.MEDIA))
    start_date = fields.Raw(allow_none=True)
    end_date = fields.Raw(allow_none=True)
    description = fields.Str(allow_none=True)
    rights = fields.Str(allow_none=True)
    language = fields.Str(allow_none=True)


class DossierVersionSchema(Schema):
    version = fields.Int(load_default=None)


class AddDocumentSchema(Schema):
    document_id = Id(required=True)


class MoveSchema(Schema):
    position = fields.Int(required=True, validate=validate.Range(min=1, max=1_000_000))


class CloseSchema(Schema):
    end_date = fields.Raw(load_default=None, metadata={"description": "YYYY-MM-DD, default today"})
    page_total = fields.Raw(load_default=None, metadata={"description": "default: the documents' pages"})
    closing_note = fields.Str(load_default=None, allow_none=True)
    version = fields.Int(load_default=None)


class LocationSchema(Schema):
    box = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    shelf = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))


class KeepBackSchema(Schema):
    id = fields.Int()
    dossier_id = fields.Int()
    reason = fields.Str()
    until = fields.Date()
    state = fields.Str()
    requested_by_id = fields.Int(allow_none=True)
    requested_at = UtcDateTime()
    decided_by_id = fields.Int(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    comment = fields.Str(allow_none=True)
    version = fields.Int()


class KeepBackRequestSchema(Schema):
    reason = fields.Str(required=True)
    until = fields.Raw(required=True, metadata={"description": "YYYY-MM-DD, at most 2 years after the deadline"})


class DecisionCommentSchema(Schema):
    comment = fields.Str(load_default=None, allow_none=True)


class LoanSchema(Schema):
    id = fields.Int()
    dossier_id = fields.Int()
    dossier = fields.Function(lambda loan: {"id": loan.dossier.id, "code": loan.dossier.code,
                                            "title": loan.dossier.title, "year": loan.dossier.year})
    borrower_id = fields.Int()
    borrower = fields.Nested(DossierUserRef)
    reason = fields.Str()
    due_date = fields.Date()
    state = fields.Str()
    overdue = fields.Function(lambda loan: archive.is_overdue(loan))
    requested_at = UtcDateTime()
    decided_by_id = fields.Int(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    comment = fields.Str(allow_none=True)
    lent_by_id = fields.Int(allow_none=True)
    lent_at = UtcDateTime(allow_none=True)
    returned_at = UtcDateTime(allow_none=True)
    version = fields.Int()


class LoanRequestSchema(Schema):
    reason = fields.Str(required=True)
    due_date = fields.Raw(required=True, metadata={"description": "YYYY-MM-DD, after today"})


class LoanArgs(PageArgs):
    state = fields.Str(load_default=None, validate=validate.OneOf(LOAN_FILTERS))


class TransferSchema(Schema):
    id = fields.Int()
    status = fields.Str(metadata={"description": "proposed or accepted"})
    unit_id = fields.Int(allow_none=True)
    note = fields.Str(allow_none=True)
    created_by_id = fields.Int(allow_none=True)
    created_at = UtcDateTime()
    accepted_by_id = fields.Int(allow_none=True)
    accepted_at = UtcDateTime(allow_none=True)
    dossier_ids = fields.Function(lambda t: [d.id for d in t.dossiers])
    version = fields.Int()


class TransferCreateSchema(Schema):
    dossier_ids = fields.List(Id(), required=True)
    note = fields.Str(load_default=None, allow_none=True)


class TransferLocationSchema(LocationSchema):
    dossier_id = Id(required=True)


class TransferAcceptSchema(Schema):
    locations = fields.List(fields.Nested(TransferLocationSchema), load_default=list)
    version = fields.Int(load_default=None)


class StatusArgs(PageArgs):
    status = fields.Str(load_default=None, validate=validate.OneOf(("proposed", "accepted")))


class DispositionSchema(Schema):
    id = fields.Int()
    state = fields.Str(metadata={"description": "proposed, approved or refused"})
    reason = fields.Str()
    proposed_by_id = fields.Int(allow_none=True)
    proposed_at = UtcDateTime()
    decided_by_id = fields.Int(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    decision = fields.Str(allow_none=True)
    dossier_ids = fields.Function(lambda d: [item.dossier_id for item in d.items])
    version = fields.Int()


class DispositionCreateSchema(Schema):
    dossier_ids = fields.List(Id(), required=True)
    reason = fields.Str(required=True)


class DecisionSchema(Schema):
    decision = fields.Str(load_default=None, allow_none=True)


class DispositionArgs(PageArgs):
    state = fields.Str(load_default=None, validate=validate.OneOf(("proposed", "approved", "refused")))


class RetentionSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    years = fields.Int(allow_none=True, metadata={"description": "null = permanent"})
    categories = fields.Str()
    sort_order = fields.Int()
    is_active = fields.Bool()
    version = fields.Int()


class RetentionInSchema(Schema):
    name = fields.Str(required=True)
    years = fields.Int(load_default=None, allow_none=True, metadata={"description": "null = permanent"})
    categories = fields.Str(load_default=None, allow_none=True)
    sort_order = fields.Int(load_default=None, allow_none=True)
    is_active = fields.Bool(load_default=None, allow_none=True)
    version = fields.Int(load_default=None)


class RetentionArgs(Schema):
    all = fields.Bool(load_default=False, metadata={"description": "1: the inactive rows too"})


class HeadingSchema(Schema):
    id = fields.Int()
    parent_id = fields.Int(allow_none=True)
    title = fields.Str()
    abbr = fields.Str()
    unit_id = fields.Int(allow_none=True)
    sort_order = fields.Int()


class HeadingInSchema(Schema):
    title = fields.Str(required=True)
    abbr = fields.Str(load_default=None, allow_none=True)
    unit_id = fields.Raw(load_default=None)
    parent_id = fields.Raw(load_default=None)
    sort_order = fields.Raw(load_default=None)


class PlanDossierInSchema(Schema):
    code = fields.Str(required=True)
    title = fields.Str(required=True)
    heading_id = fields.Raw(load_default=None)
    unit_id = fields.Raw(load_default=None)
    keeper_id = fields.Raw(load_default=None)
    retention_years = fields.Int(load_default=None, allow_none=True, metadata={"description": "null = permanent"})
    retention_id = fields.Raw(load_default=None)
    medium = fields.Str(load_default=None, validate=validate.OneOf(archive.MEDIA))


class PlanSchema(Schema):
    id = fields.Int()
    year = fields.Int()
    status = fields.Str(metadata={"description": "draft or approved"})
    approved_by_id = fields.Int(allow_none=True)
    approved_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    version = fields.Int()
    headings = fields.List(fields.Nested(HeadingSchema))
    dossiers = fields.List(fields.Nested(DossierSchema))


class PlanCreateSchema(Schema):
    year = fields.Int(required=True, validate=validate.Range(min=1900, max=2200))


class PlanCopySchema(Schema):
    to_year = fields.Int(load_default=None, validate=validate.Range(min=1900, max=2200),
                         metadata={"description": "the year to copy into (default: the next year)"})


class QueueDossierSchema(Schema):
    dossier = fields.Nested(DossierSchema)
    deadline = fields.Date()
    state = fields.Str()


class QueueSchema(Schema):
    unfiled = fields.List(fields.Nested(EntryDocumentSchema))
    unfiled_total = fields.Int()
    open_ended = fields.List(fields.Nested(DossierSchema))
    transfers = fields.List(fields.Nested(QueueDossierSchema))


# ---- dossiers ------------------------------------------------------------------------------------------

def _visible_counts(dossier_ids) -> dict[int, tuple[int, int]]:
    """{dossier_id: (documents, pages)} over the documents the caller may see."""
    if not dossier_ids:
        return {}
    rows = db.session.execute(
        sa.select(DossierDocument.dossier_id, sa.func.count(), sa.func.coalesce(sa.func.sum(Document.pages), 0))
        .join(Document, Document.id == DossierDocument.document_id)
        .where(DossierDocument.dossier_id.in_(list(dossier_ids)), access.visible_filter(current_user))
        .group_by(DossierDocument.dossier_id))
    return {row[0]: (int(row[1]), int(row[2] or 0)) for row in rows}


def _all_counts(dossier_ids) -> dict[int, int]:
    if not dossier_ids:
        return {}
    rows = db.session.execute(sa.select(DossierDocument.dossier_id, sa.func.count())
                              .where(DossierDocument.dossier_id.in_(list(dossier_ids)))
                              .group_by(DossierDocument.dossier_id))
    return {row[0]: int(row[1]) for row in rows}


def _dump_dossiers(dossiers, schema=None) -> list[dict]:
    """Dossiers as the caller sees them: the counts over the documents they may see."""
    schema = schema or DossierSchema()
    ids = [d.id for d in dossiers]
    visible, every = _visible_counts(ids), _all_counts(ids)
    out = []
    for dossier in dossiers:
        item = schema.dump(dossier)
        docs, pages = visible.get(dossier.id, (0, 0))
        hidden = every.get(dossier.id, 0) > docs
        if dossier.status in ("planned", "open") or hidden or dossier.doc_total is None:
            item["doc_total"] = docs
            item["page_total"] = pages if (hidden or dossier.page_total is None) else dossier.page_total
        item["transfer_deadline"] = (archive.transfer_deadline(dossier).isoformat()
                                     if dossier.status == "closed" and rules.is_transferable(dossier) else None)
        item["transfer_state"] = archive.transfer_state(dossier)
        out.append(item)
    return out


def _detail(dossier: Dossier) -> dict:
    item = _dump_dossiers([dossier])[0]
    item["documents"] = EntrySchema(many=True).dump(archive.dossier_entries(dossier, current_user))
    return item


def _dossier(dossier_id) -> Dossier:
    return archive.get_dossier(current_user, dossier_id)


@blp.route("/dossiers")
@blp.arguments(DossierArgs, location="query")
@blp.response(200, DossierList)
def list_dossiers(args):
    """Dossiers the caller may see (their unit's, those they keep, every archived one; all for admin,
    clerk, leader, archivist); `expired=1`: retention over."""
    stmt = archive.dossiers_for(current_user, status=args["status"], year=args["year"], expired=args["expired"],
                                unit_id=args["unit_id"], q=args["q"])
    page = db.paginate(stmt, page=args["page"], per_page=args["per_page"], max_per_page=200, error_out=False)
    return {"items": _dump_dossiers(page.items), "total": page.total, "page": page.page, "per_page": page.per_page}


@blp.route("/dossiers", methods=["POST"])
@blp.arguments(DossierCreateSchema)
@blp.response(201, DossierDetailSchema)
def create_dossier(body):
    """Open a dossier ad hoc (archivist, clerk, unit head, specialist); the keeper is the caller by
    default; `retention_years: null` = permanent."""
    dossier = archive.create_dossier(body, actor=current_user)
    _commit()
    return _json(_detail(dossier), 201)


@blp.route("/dossiers/<int:dossier_id>")
@blp.response(200, DossierDetailSchema)
def get_dossier(dossier_id):
    """A dossier with the documents the caller may see, in order; its counts are theirs."""
    return _json(_detail(_dossier(dossier_id)))


@blp.route("/dossiers/<int:dossier_id>", methods=["PATCH"])
@blp.arguments(DossierPatchSchema)
@blp.response(200, DossierDetailSchema)
@blp.alt_response(409, description="Stale `version`")
def patch_dossier(body, dossier_id):
    """Correct a dossier's metadata (not archived or destroyed ones); send `version` back."""
    dossier = archive.update_dossier(_dossier(dossier_id), body, actor=current_user)
    _commit()
    return _json(_detail(dossier))


@blp.route("/dossiers/<int:dossier_id>/open", methods=["POST"])
@blp.arguments(DossierVersionSchema)
@blp.response(200, DossierDetailSchema)
def open_dossier(body, dossier_id):
    """Open a planned dossier of the file plan."""
    dossier = archive.open_dossier(_dossier(dossier_id), actor=current_user, version=body.get("version"))
    _commit()
    return _json(_detail(dossier))


@blp.route("/dossiers/<int:dossier_id>/documents", methods=["POST"])
@blp.arguments(AddDocumentSchema)
@blp.response(201, DossierDetailSchema)
@blp.alt_response(409, description="The document is in the dossier already")
def add_document(body, dossier_id):
    """File a document (one the caller may see) at the end of an open dossier."""
    dossier = _dossier(dossier_id)
    archive.add_document(dossier, body["document_id"], actor=current_user)
    _commit()
    return _json(_detail(dossier), 201)


@blp.route("/dossiers/<int:dossier_id>/documents/<int:document_id>", methods=["DELETE"])
@blp.response(200, DossierDetailSchema)
def remove_document(dossier_id, document_id):
    """Take a document out of an open dossier."""
    dossier = _dossier(dossier_id)
    archive.remove_document(dossier, document_id, actor=current_user)
    _commit()
    return _json(_detail(dossier))


@blp.route("/dossiers/<int:dossier_id>/documents/<int:document_id>/move", methods=["POST"])
@blp.arguments(MoveSchema)
@blp.response(200, DossierDetailSchema)
def move_document(body, dossier_id, document_id):
    """Move a document to `position` (1 = first) in the dossier's order."""
    dossier = _dossier(dossier_id)
    archive.move_document(dossier, document_id, body["position"], actor=current_user)
    _commit()
    return _json(_detail(dossier))


@blp.route("/dossiers/<int:dossier_id>/close", methods=["POST"])
@blp.arguments(CloseSchema)
@blp.response(200, DossierDetailSchema)
def close_dossier(body, dossier_id):
    """Close an open dossier (end date, page total, closing note); drafts and duplicates are flagged."""
    dossier = archive.close_dossier(_dossier(dossier_id), body, actor=current_user)
    _commit()
    return _json(_detail(dossier))


@blp.route("/dossiers/<int:dossier_id>/transfer", methods=["POST"])
@blp.arguments(LocationSchema)
@blp.response(200, DossierDetailSchema)
@blp.alt_response(422, description="Retention under 5 years: not transferable")
def transfer_dossier(body, dossier_id):
    """The archivist takes a closed dossier into the agency archive at once (a one-dossier transfer),
    with its box and shelf."""
    dossier = _dossier(dossier_id)
    archive.transfer_dossier(dossier, actor=current_user, box=body.get("box"), shelf=body.get("shelf"))
    _commit()
    return _json(_detail(dossier))


@blp.route("/dossiers/<int:dossier_id>/keep-back", methods=["POST"])
@blp.arguments(KeepBackRequestSchema)
@blp.response(201, KeepBackSchema)
def request_keep_back(body, dossier_id):
    """The keeper or the unit's head asks to keep a closed dossier back (at most 2 years)."""
    kb = archive.request_keep_back(_dossier(dossier_id), reason=body["reason"], until=body["until"],
                                   actor=current_user)
    _commit()
    return kb


class KeepBackArgs(PageArgs):
    state = fields.Str(load_default=None, validate=validate.OneOf(("proposed", "approved", "refused")))


@blp.route("/keep-backs")
@blp.arguments(KeepBackArgs, location="query")
@blp.response(200, list_schema(KeepBackSchema, "KeepBackList"))
def list_keep_backs(args):
    """Keep-back requests of the dossiers the caller may see (`state=proposed`: awaiting a leader)."""
    return page_of(archive.keep_backs_for(current_user, state=args["state"]), args, KeepBackSchema())


@blp.route("/keep-backs/<int:keep_back_id>/approve", methods=["POST"])
@blp.arguments(DecisionCommentSchema)
@blp.response(200, KeepBackSchema)
def approve_keep_back(body, keep_back_id):
    """A leader approves: no transfer warnings for the dossier until then."""
    kb = archive.decide_keep_back(archive.get_keep_back(current_user, keep_back_id), approve=True,
                                  actor=current_user, comment=body.get("comment"))
    _commit()
    return kb


@blp.route("/keep-backs/<int:keep_back_id>/refuse", methods=["POST"])
@blp.arguments(DecisionCommentSchema)
@blp.response(200, KeepBackSchema)
def refuse_keep_back(body, keep_back_id):
    """A leader refuses a keep-back."""
    kb = archive.decide_keep_back(archive.get_keep_back(current_user, keep_back_id), approve=False,
                                  actor=current_user, comment=body.get("comment"))
    _commit()
    return kb


# ---- loans ---------------------------------------------------------------------------------------------

@blp.route("/dossiers/<int:dossier_id>/loans", methods=["POST"])
@blp.arguments(LoanRequestSchema)
@blp.response(201, LoanSchema)
def request_loan(body, dossier_id):
    """Ask to use an archived dossier until `due_date`."""
    loan = archive.request_loan(_dossier(dossier_id), reason=body["reason"], due_date=body["due_date"],
                                actor=current_user)
    _commit()
    return loan


@blp.route("/loans")
@blp.arguments(LoanArgs, location="query")
@blp.response(200, list_schema(LoanSchema, "LoanList"))
def list_loans(args):
    """The borrowing book (archivist, leader, admin: every loan; others: their own); `overdue`: lent and
    due before today."""
    return page_of(archive.loans_for(current_user, state=args["state"]), args, LoanSchema())


def _loan(loan_id):
    return archive.get_loan(current_user, loan_id)


@blp.route("/loans/<int:loan_id>")
@blp.response(200, LoanSchema)
def get_loan(loan_id):
    return _loan(loan_id)


@blp.route("/loans/<int:loan_id>/approve", methods=["POST"])
@blp.arguments(DecisionCommentSchema)
@blp.response(200, LoanSchema)
def approve_loan(body, loan_id):
    """The archive's head (a leader) approves a request."""
    loan = archive.approve_loan(_loan(loan_id), actor=current_user, comment=body.get("comment"))
    _commit()
    return loan


@blp.route("/loans/<int:loan_id>/refuse", methods=["POST"])
@blp.arguments(DecisionCommentSchema)
@blp.response(200, LoanSchema)
def refuse_loan(body, loan_id):
    """The archive's head (a leader) refuses a request, saying why (`comment` required)."""
    loan = archive.refuse_loan(_loan(loan_id), actor=current_user, comment=body.get("comment"))
    _commit()
    return loan


@blp.route("/loans/<int:loan_id>/lend", methods=["POST"])
@blp.response(200, LoanSchema)
def lend_loan(loan_id):
    """The archivist lends an approved loan."""
    loan = archive.lend_loan(_loan(loan_id), actor=current_user)
    _commit()
    return loan


@blp.route("/loans/<int:loan_id>/return", methods=["POST"])
@blp.response(200, LoanSchema)
def return_loan(loan_id):
    """The archivist takes the dossier back."""
    loan = archive.return_loan(_loan(loan_id), actor=current_user)
    _commit()
    return loan


# ---- transfers -----------------------------------------------------------------------------------------

@blp.route("/transfers")
@blp.arguments(StatusArgs, location="query")
@blp.response(200, list_schema(TransferSchema, "TransferList"))
def list_transfers(args):
    return page_of(archive.transfers_for(current_user, status=args["status"]), args, TransferSchema())


@blp.route("/transfers", methods=["POST"])
@blp.arguments(TransferCreateSchema)
@blp.response(201, TransferSchema)
@blp.alt_response(422, description="A dossier under 5 years' retention (named in `dossier_ids`)")
def create_transfer(body):
    """Put closed dossiers on a transfer list (keeper, unit head, archivist)."""
    transfer = archive.create_transfer(body["dossier_ids"], actor=current_user, note=body.get("note"))
    _commit()
    return transfer


def _transfer(transfer_id) -> Transfer:
    return archive.get_transfer(current_user, transfer_id)


@blp.route("/transfers/<int:transfer_id>")
@blp.response(200, TransferSchema)
def get_transfer(transfer_id):
    return _transfer(transfer_id)


@blp.route("/transfers/<int:transfer_id>/accept", methods=["POST"])
@blp.arguments(TransferAcceptSchema)
@blp.response(200, TransferSchema)
def accept_transfer(body, transfer_id):
    """The archivist accepts a transfer list: its dossiers become archived, with box and shelf."""
    transfer = _transfer(transfer_id)
    locations = {item["dossier_id"]: (item.get("box"), item.get("shelf")) for item in body["locations"]}
    archive.accept_transfer(transfer, actor=current_user, locations=locations, version=body.get("version"))
    _commit()
    return transfer


# ---- disposition ---------------------------------------------------------------------------------------

@blp.route("/dispositions")
@blp.arguments(DispositionArgs, location="query")
@blp.response(200, list_schema(DispositionSchema, "DispositionList"))
def list_dispositions(args):
    return page_of(archive.dispositions_for(current_user, state=args["state"]), args, DispositionSchema())


@blp.route("/dispositions", methods=["POST"])
@blp.arguments(DispositionCreateSchema)
@blp.response(201, DispositionSchema)
@blp.alt_response(422, description="A permanent or unexpired dossier among `dossier_ids`: nothing is created")
def propose_disposition(body):
    """The archivist proposes destroying dossiers whose retention has expired."""
    disposition = archive.propose_disposition(body["dossier_ids"], reason=body["reason"], actor=current_user)
    _commit()
    return disposition


def _disposition(disposition_id):
    return archive.get_disposition(current_user, disposition_id)


@blp.route("/dispositions/<int:disposition_id>")
@blp.response(200, DispositionSchema)
def get_disposition(disposition_id):
    return _disposition(disposition_id)


@blp.route("/dispositions/<int:disposition_id>/approve", methods=["POST"])
@blp.arguments(DecisionSchema)
@blp.response(200, DispositionSchema)
def approve_disposition(body, disposition_id):
    """A leader approves: the dossiers are destroyed (files removed, metadata and decision kept)."""
    disposition = archive.approve_disposition(_disposition(disposition_id), actor=current_user,
                                              decision=body.get("decision"))
    _commit()
    return disposition


@blp.route("/dispositions/<int:disposition_id>/refuse", methods=["POST"])
@blp.arguments(DecisionSchema)
@blp.response(200, DispositionSchema)
def refuse_disposition(body, disposition_id):
    """A leader refuses, saying why (`decision` required)."""
    disposition = archive.refuse_disposition(_disposition(disposition_id), actor=current_user,
                                             decision=body.get("decision"))
    _commit()
    return disposition


# ---- retention and file plans --------------------------------------------------------------------------

@blp.route("/retention")
@blp.arguments(RetentionArgs, location="query")
@blp.response(200, list_schema(RetentionSchema, "RetentionList"))
def list_retention(args):
    items = archive.retention_periods(active_only=not args["all"])
    return {"items": RetentionSchema(many=True).dump(items), "total": len(items), "page": 1, "per_page": len(items)}


@blp.route("/retention", methods=["POST"])
@blp.arguments(RetentionInSchema)
@blp.response(201, RetentionSchema)
def add_retention(body):
    """Add a row to the retention table (admin, archivist)."""
    period = archive.save_retention(body, actor=current_user)
    _commit()
    return period


@blp.route("/retention/<int:period_id>", methods=["PATCH"])
@blp.arguments(RetentionInSchema)
@blp.response(200, RetentionSchema)
def patch_retention(body, period_id):
    """Change a row of the retention table (admin, archivist); send `version` back."""
    period = next((p for p in archive.retention_periods(active_only=False) if p.id == period_id), None)
    if period is None:
        raise NotFound(_("No such retention period."))
    archive.save_retention(body, actor=current_user, period=period)
    _commit()
    return period


def _plan(year):
    plan = archive.plan_for(year)
    if plan is None:
        raise NotFound(_("There is no file plan for %(year)d.", year=year))
    return plan


def _plan_out(plan) -> dict:
    dossiers = list(db.session.scalars(sa.select(Dossier).where(Dossier.plan_id == plan.id,
                                                                rules.dossier_filter(current_user))
                                       .order_by(Dossier.code)))
    out = PlanSchema(exclude=("dossiers",)).dump(plan)
    out["dossiers"] = _dump_dossiers(dossiers)
    return out


@blp.route("/file-plans/<int:year>")
@blp.response(200, PlanSchema)
def get_plan(year):
    """The file plan of a year: headings and the dossiers the caller may see."""
    return _json(_plan_out(_plan(year)))


@blp.route("/file-plans", methods=["POST"])
@blp.arguments(PlanCreateSchema)
@blp.response(201, PlanSchema)
def create_plan(body):
    """A draft file plan for a year (archivist, admin)."""
    plan = archive.create_plan(body["year"], actor=current_user)
    _commit()
    return _json(_plan_out(plan), 201)


@blp.route("/file-plans/<int:year>/headings", methods=["POST"])
@blp.arguments(HeadingInSchema)
@blp.response(201, HeadingSchema)
def add_heading(body, year):
    heading = archive.add_heading(_plan(year), body, actor=current_user)
    _commit()
    return heading


@blp.route("/file-plans/<int:year>/dossiers", methods=["POST"])
@blp.arguments(PlanDossierInSchema)
@blp.response(201, DossierDetailSchema)
def plan_dossier(body, year):
    """A planned dossier in a draft plan."""
    dossier = archive.plan_dossier(_plan(year), body, actor=current_user)
    _commit()
    return _json(_detail(dossier), 201)


@blp.route("/file-plans/<int:year>/approve", methods=["POST"])
@blp.arguments(DossierVersionSchema)
@blp.response(200, PlanSchema)
def approve_plan(body, year):
    """A leader approves the year's plan."""
    plan = archive.approve_plan(_plan(year), actor=current_user, version=body.get("version"))
    _commit()
    return _json(_plan_out(plan))


@blp.route("/file-plans/<int:year>/copy", methods=["POST"])
@blp.arguments(PlanCopySchema)
@blp.response(201, PlanSchema)
def copy_plan(body, year):
    """Copy the plan of `year` (headings, dossiers as planned ones) into `to_year` (default year + 1)."""
    plan = archive.copy_plan(year, body.get("to_year") or year + 1, actor=current_user)
    _commit()
    return _json(_plan_out(plan), 201)


# ---- the work queue ------------------------------------------------------------------------------------

@blp.route("/archive/queue")
@blp.response(200, QueueSchema)
def queue():
    """The archivist's work queue: handled documents in no dossier (the first 50 and their count), open
    dossiers of earlier years, transfers due or late."""
    work = archive.work_queue(current_user)
    unfiled = list(db.session.scalars(work["unfiled"].limit(50)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(work["unfiled"].order_by(None).subquery()))
    open_ended = list(db.session.scalars(work["open_ended"].limit(200)))
    return _json({"unfiled": EntryDocumentSchema(many=True).dump(unfiled), "unfiled_total": total,
                  "open_ended": _dump_dossiers(open_ended),
                  "transfers": [{"dossier": _dump_dossiers([d])[0], "deadline": deadline.isoformat(), "state": state}
                                for d, deadline, state in work["transfers"]]})
