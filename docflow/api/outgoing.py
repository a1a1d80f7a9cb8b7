"""Outgoing (văn bản đi): drafts, versions, the approval ladder, issue, dispatch; workflows (admin)."""

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import selectinload

from docflow.api.auth import require_role
from docflow.api.incoming import HISTORY, AttachmentSchema, DocumentSchema
from docflow.api.schemas import PageArgs, bounded_list_schema, bounded_page_of, list_schema, page_of
from docflow.core.enums import CLEARANCES, URGENCIES
from docflow.core.errors import ValidationFailed
from docflow.core.timeutil import iso_utc
from docflow.core.tx import reads_only
from docflow.extensions import db
from docflow.jobs import enqueue
from docflow.outgoing import services as outgoing
from docflow.outgoing import workflows
from docflow.outgoing.models import DraftVersion
from docflow.registry import access, lists
from docflow.registry.history import history_of

blp = Blueprint("api_outgoing", __name__, description="Outgoing correspondence and approval workflows")

FILE_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "properties": {"file": {"type": "string", "format": "binary"},
                                     "note": {"type": "string"}}, "required": ["file"]}}}}}


class RecipientSchema(Schema):
    id = fields.Int()
    organization_id = fields.Int(allow_none=True)
    unit_id = fields.Int(allow_none=True)
    name = fields.Str()
    channel = fields.Str(allow_none=True)
    dispatched_at = fields.Function(lambda r: iso_utc(r.dispatched_at))


class VersionSchema(Schema):
    id = fields.Int()
    number = fields.Int()
    note = fields.Str(allow_none=True)
    attachment = fields.Nested(AttachmentSchema)
    created_at = fields.Function(lambda v: iso_utc(v.created_at))


class ApprovalSchema(Schema):
    step = fields.Int(attribute="step_position", allow_none=True)
    step_name = fields.Str(allow_none=True)
    action = fields.Str()
    comment = fields.Str(allow_none=True)
    actor_id = fields.Int()
    at = fields.Function(lambda a: iso_utc(a.created_at))


class OutgoingSchema(DocumentSchema):
    recipients = fields.Function(lambda d: RECIPIENTS.dump(outgoing.recipients_of(d)))
    sender = fields.Function(lambda d: None)
    drafter_id = fields.Int(allow_none=True)
    drafting_unit_id = fields.Int(allow_none=True)
    signer_id = fields.Int(allow_none=True)
    signing_capacity = fields.Str(allow_none=True)
    workflow_id = fields.Int(allow_none=True)
    current_step = fields.Int(allow_none=True)
    step_due_date = fields.Date(allow_none=True)
    issued_sha256 = fields.Str(allow_none=True)


class OutgoingDetailSchema(OutgoingSchema):
    attachments = fields.List(fields.Nested(AttachmentSchema))
    versions = fields.Function(lambda d: VERSIONS.dump(outgoing.versions_of(d)))
    approvals = fields.Function(lambda d: APPROVALS.dump(outgoing.approvals_of(d)))
    reply_to = fields.Function(lambda d: [x.id for x in outgoing.replies_of(d)])
    history = fields.Function(lambda d: HISTORY.dump(history_of(d)))


class OutgoingListItemSchema(OutgoingSchema):
    """An item of the list: the same fields, the recipients read from the eager-loaded relationship."""

    recipients = fields.Function(lambda d: RECIPIENTS.dump(d.recipients))


RECIPIENTS = RecipientSchema(many=True)
VERSIONS = VersionSchema(many=True)
APPROVALS = ApprovalSchema(many=True)
OUTGOING = OutgoingSchema()
OUTGOING_MANY = OutgoingSchema(many=True)
OUTGOING_LIST_ITEM = OutgoingListItemSchema()


def _list_options(root):
    """The list's rows bring their recipients in one more statement (selectinload), not one per document."""
    return (selectinload(root.OutgoingDocument.recipients),)


class RecipientIn(Schema):
    organization_id = fields.Int(load_default=None)
    unit_id = fields.Int(load_default=None)
    name = fields.Str(load_default=None, validate=validate.Length(max=250))


class DraftCreateSchema(Schema):
    doc_type = fields.Str(required=True, validate=validate.Length(min=1, max=10))
    subject = fields.Str(required=True, validate=validate.Length(min=1, max=1000))
    recipients = fields.List(fields.Nested(RecipientIn), load_default=list)
    signer_id = fields.Int(load_default=None)
    signing_capacity = fields.Str(load_default=None, validate=validate.OneOf(outgoing.SIGNING_CAPACITIES))
    urgency = fields.Str(load_default="normal", validate=validate.OneOf(URGENCIES))
    confidentiality = fields.Str(load_default="normal", validate=validate.OneOf(CLEARANCES))
    reply_to = fields.List(fields.Int(), load_default=list)
    workflow_id = fields.Int(load_default=None)
    notes = fields.Str(load_default=None, validate=validate.Length(max=2000))


class DraftPatchSchema(Schema):
    version = fields.Int(required=True)
    doc_type = fields.Str(validate=validate.Length(min=1, max=10))
    subject = fields.Str(validate=validate.Length(min=1, max=1000))
    recipients = fields.List(fields.Nested(RecipientIn))
    signer_id = fields.Int(allow_none=True)
    signing_capacity = fields.Str(allow_none=True, validate=validate.OneOf(outgoing.SIGNING_CAPACITIES))
    urgency = fields.Str(validate=validate.OneOf(URGENCIES))
    confidentiality = fields.Str(validate=validate.OneOf(CLEARANCES))
    reply_to = fields.List(fields.Int())
    workflow_id = fields.Int()
    notes = fields.Str(allow_none=True, validate=validate.Length(max=2000))


class OutgoingArgs(PageArgs):
    status = fields.Str(validate=validate.OneOf(("draft", "in_review", "approved", "issued", "returned", "rejected",
                                                 "cancelled")))
    year = fields.Int(validate=validate.Range(min=1900, max=2999))
    #: keyset paging: the cursor of the previous page's `next` link (wins over `page`)
    after = fields.Str(validate=validate.Length(max=200))


class CommentSchema(Schema):
    comment = fields.Str(load_default=None, validate=validate.Length(max=4000))


class RequiredCommentSchema(Schema):
    comment = fields.Str(required=True, validate=validate.Length(min=1, max=4000))


class IssueSchema(Schema):
    issued_date = fields.Date(load_default=None)
    complete_replies = fields.Bool(load_default=True)


class DispatchSchema(Schema):
    channel = fields.Str(required=True, validate=validate.OneOf(outgoing.CHANNELS))
    recipients = fields.List(fields.Int(), load_default=None)
    envelopes = fields.Int(load_default=None, validate=validate.Range(min=1, max=10000))
    dispatched_on = fields.Date(load_default=None, metadata={"description": "the day it was sent (default today)"})


class OutgoingCancelSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class StepSchema(Schema):
    id = fields.Int(dump_only=True)
    position = fields.Int(dump_only=True)
    name = fields.Str(load_default=None, validate=validate.Length(max=120))
    role = fields.Str(load_default=None, metadata={"description": "unit_head = head of the drafter's unit"})
    user_id = fields.Int(load_default=None)
    days = fields.Int(load_default=2, validate=validate.Range(min=0, max=365))
    kind = fields.Str(dump_only=True)


class WorkflowSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    doc_types = fields.List(fields.Str(), load_default=list)
    steps = fields.List(fields.Nested(StepSchema), required=True, validate=validate.Length(min=1))
    is_default = fields.Bool(load_default=False)
    active = fields.Bool(load_default=True, attribute="is_active", data_key="active")
    version = fields.Int(dump_only=True)


class WorkflowOut(Schema):
    id = fields.Int()
    name = fields.Str()
    doc_types = fields.Function(lambda w: sorted(b.doc_type.code for b in w.bindings))
    steps = fields.Function(lambda w: [{"id": s.id, "position": s.position, "name": s.name, "kind": s.kind,
                                        "role": "unit_head" if s.kind == "unit_head" else s.role,
                                        "user_id": s.user_id, "days": s.days} for s in w.steps])
    is_default = fields.Bool()
    active = fields.Bool(attribute="is_active")
    version = fields.Int()


def _doc(doc_id):
    return access.get_visible_or_404(current_user, doc_id, "outgoing")


def _answer(doc):
    db.session.commit()
    reads_only()
    db.session.refresh(doc)
    return doc


@blp.route("/outgoing", methods=["POST"])
@blp.arguments(DraftCreateSchema)
@blp.response(201, OutgoingDetailSchema)
def create_draft(body):
    """A new draft (specialist, unit head, leader); the workflow comes from its type unless given."""
    return _answer(outgoing.create_draft(body, actor=current_user))


@blp.route("/outgoing")
@blp.arguments(OutgoingArgs, location="query")
@blp.response(200, bounded_list_schema(OutgoingSchema, "OutgoingList"))
def list_outgoing(args):
    return bounded_page_of(outgoing.list_outgoing(current_user, status=args.get("status"), year=args.get("year")),
                           args, OUTGOING_LIST_ITEM, lists.OUTGOING, options=_list_options)


@blp.route("/outgoing/awaiting")
@blp.arguments(PageArgs, location="query")
@blp.response(200, list_schema(OutgoingSchema, "AwaitingList"))
def awaiting(args):
    """Drafts waiting for the caller's approval."""
    items = outgoing.awaiting_approval(current_user)
    start = (args["page"] - 1) * args["per_page"]
    return {"items": OUTGOING_MANY.dump(items[start:start + args["per_page"]]), "total": len(items),
            "page": args["page"], "per_page": args["per_page"]}


@blp.route("/outgoing/<int:doc_id>")
@blp.response(200, OutgoingDetailSchema)
def get_outgoing(doc_id):
    return _doc(doc_id)


@blp.route("/outgoing/<int:doc_id>", methods=["PATCH"])
@blp.arguments(DraftPatchSchema)
@blp.response(200, OutgoingDetailSchema)
def patch_outgoing(body, doc_id):
    """Edit a draft (drafter); send back `version`."""
    doc = _doc(doc_id)
    version = body.pop("version")
    return _answer(outgoing.update_draft(doc, body, actor=current_user, version=version))


@blp.route("/outgoing/<int:doc_id>/versions", methods=["POST"])
@blp.doc(**FILE_BODY)
@blp.response(201, VersionSchema)
def add_version(doc_id):
    """A new draft version (multipart `file`: DOCX or PDF)."""
    doc = _doc(doc_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        raise ValidationFailed({"file": ["Send the file as multipart field `file`."]})
    version = outgoing.add_version(doc, file, actor=current_user, note=request.form.get("note"))
    version_id, attachment_id = version.id, version.attachment_id
    db.session.commit()  # no attribute access after this: it would reopen a (write) transaction the job waits on

    enqueue("extract_attachment_text", attachment_id)
    return db.session.get(DraftVersion, version_id)


@blp.route("/outgoing/<int:doc_id>/submit", methods=["POST"])
@blp.response(200, OutgoingDetailSchema)
def submit(doc_id):
    return _answer(outgoing.submit(_doc(doc_id), actor=current_user))


@blp.route("/outgoing/<int:doc_id>/approve", methods=["POST"])
@blp.arguments(CommentSchema)
@blp.response(200, OutgoingDetailSchema)
def approve(body, doc_id):
    return _answer(outgoing.approve(_doc(doc_id), actor=current_user, comment=body.get("comment")))


@blp.route("/outgoing/<int:doc_id>/return", methods=["POST"])
@blp.arguments(RequiredCommentSchema)
@blp.response(200, OutgoingDetailSchema)
def return_draft(body, doc_id):
    """Back to the drafter (comment required); resubmitting resumes at this step."""
    return _answer(outgoing.return_draft(_doc(doc_id), actor=current_user, comment=body["comment"]))


@blp.route("/outgoing/<int:doc_id>/reject", methods=["POST"])
@blp.arguments(RequiredCommentSchema)
@blp.response(200, OutgoingDetailSchema)
def reject(body, doc_id):
    """Final rejection (comment required)."""
    return _answer(outgoing.reject(_doc(doc_id), actor=current_user, comment=body["comment"]))


@blp.route("/outgoing/<int:doc_id>/issue", methods=["POST"])
@blp.arguments(IssueSchema)
@blp.response(200, OutgoingDetailSchema)
def issue(body, doc_id):
    """Issue (clerk): number from the year's outgoing register and the Decree 30 number-symbol."""
    return _answer(outgoing.issue(_doc(doc_id), actor=current_user, issued_date=body.get("issued_date"),
                                  complete_replies=body["complete_replies"]))


@blp.route("/outgoing/<int:doc_id>/dispatch", methods=["POST"])
@blp.arguments(DispatchSchema)
@blp.response(200, OutgoingDetailSchema)
def dispatch(body, doc_id):
    doc = _doc(doc_id)
    outgoing.dispatch(doc, actor=current_user, channel=body["channel"], recipient_ids=body.get("recipients"),
                      envelopes=body.get("envelopes"), dispatched_on=body.get("dispatched_on"))
    return _answer(doc)


@blp.route("/outgoing/<int:doc_id>/cancel", methods=["POST"])
@blp.arguments(OutgoingCancelSchema)
@blp.response(200, OutgoingDetailSchema)
def cancel(body, doc_id):
    return _answer(outgoing.cancel(_doc(doc_id), actor=current_user, reason=body["reason"]))


@blp.route("/workflows")
@blp.arguments(PageArgs, location="query")
@blp.response(200, list_schema(WorkflowOut, "WorkflowList"))
def list_workflows(args):
    """Approval ladders (admin)."""
    require_role("admin")
    return page_of(workflows.list_workflows(), args, WorkflowOut())


@blp.route("/workflows", methods=["POST"])
@blp.arguments(WorkflowSchema)
@blp.response(201, WorkflowOut)
def create_workflow(body):
    require_role("admin")
    body["active"] = body.pop("is_active", True)
    wf = workflows.save_workflow(body, actor=current_user)
    db.session.commit()
    return wf


@blp.route("/workflows/<int:workflow_id>")
@blp.response(200, WorkflowOut)
def get_workflow(workflow_id):
    require_role("admin")
    return workflows.get_workflow(workflow_id)


@blp.route("/workflows/<int:workflow_id>", methods=["PUT"])
@blp.arguments(WorkflowSchema)
@blp.response(200, WorkflowOut)
def replace_workflow(body, workflow_id):
    require_role("admin")
    wf = workflows.get_workflow(workflow_id)
    body["active"] = body.pop("is_active", True)
    workflows.save_workflow(body, wf, actor=current_user)
    db.session.commit()
    return wf
