"""Incoming (văn bản đến): /incoming, /tasks, attachments. Thin adapters over incoming.services."""

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import selectinload

from docflow.api import fastdump
from docflow.api.schemas import PageArgs, bounded_list_schema, bounded_page_of, page_answer
from docflow.core import tx
from docflow.core.enums import CLEARANCES, MEDIA, URGENCIES
from docflow.core.errors import NotFound
from docflow.core.timeutil import iso_utc
from docflow.core.tx import reads_only
from docflow.extensions import db
from docflow.incoming import services as incoming
from docflow.registry import access, lists
from docflow.registry.history import entries, history_of

blp = Blueprint("api_incoming", __name__, description="Incoming correspondence")


class Ref(Schema):
    id = fields.Int()
    name = fields.Str()


class AttachmentSchema(Schema):
    id = fields.Int()
    filename = fields.Str()
    size = fields.Int()
    sha256 = fields.Str()
    content_type = fields.Str()
    text_status = fields.Str()
    created_at = fields.Function(lambda a: iso_utc(a.created_at))


class AssignmentSchema(Schema):
    id = fields.Int()
    document_id = fields.Int()
    user_id = fields.Int(allow_none=True)
    unit_id = fields.Int(allow_none=True)
    parent_id = fields.Int(allow_none=True)
    role = fields.Str()
    due_date = fields.Date(allow_none=True)
    state = fields.Str()
    overdue = fields.Function(lambda a: incoming.is_overdue(a))
    instruction = fields.Str(allow_none=True)
    result = fields.Str(allow_none=True)
    subject = fields.Function(lambda a: a.document.subject)


class HistorySchema(Schema):
    at = fields.Function(lambda e: iso_utc(e.created_at))
    action = fields.Str()
    actor = fields.Str(attribute="actor_name", allow_none=True)
    data = fields.Raw(attribute="after", allow_none=True)
    text = fields.Str()  # the event as a sentence in the request's language (registry/history.py)


class DocumentSchema(Schema):
    id = fields.Int()
    direction = fields.Str()
    register = fields.Function(lambda d: {"id": d.register.id, "name": d.register.name} if d.register else None)
    year = fields.Int(allow_none=True)
    number = fields.Int(allow_none=True)
    number_symbol = fields.Str(allow_none=True)
    doc_type = fields.Function(lambda d: d.doc_type.code)
    subject = fields.Str()
    sender = fields.Function(lambda d: {"id": d.sender_org_id, "name": d.sender_name})
    recipients = fields.Function(lambda d: [])
    issued_date = fields.Date(allow_none=True)
    received_date = fields.Date(allow_none=True)
    signer = fields.Str(allow_none=True)
    urgency = fields.Str()
    confidentiality = fields.Str()
    pages = fields.Int(allow_none=True)
    copies = fields.Int(allow_none=True)
    medium = fields.Str()
    due_date = fields.Date(allow_none=True)
    notes = fields.Str(allow_none=True)
    status = fields.Str()
    instruction = fields.Str(allow_none=True)
    result = fields.Str(allow_none=True)
    reply_number_symbol = fields.Str(allow_none=True)
    cancelled_reason = fields.Str(allow_none=True)
    version = fields.Int()
    created_at = fields.Function(lambda d: iso_utc(d.created_at))


class DocumentDetailSchema(DocumentSchema):
    attachments = fields.List(fields.Nested(AttachmentSchema))
    assignments = fields.Function(lambda d: ASSIGNMENTS.dump(incoming.assignments_of(d)))
    history = fields.Function(lambda d: HISTORY.dump(history_of(d)))


# Schema instances are reused: building one copies its declared fields (measurably slow per request).
ASSIGNMENT = AssignmentSchema()
ASSIGNMENTS = AssignmentSchema(many=True)
HISTORY = HistorySchema(many=True)
DOCUMENT = DocumentSchema()
DOCUMENT_DETAIL = DocumentDetailSchema()
#: the answer to a registration: a new document has no attachments or assignments yet, and its history is
#: the one event register_incoming() wrote (nothing is looked up)
REGISTERED = DocumentDetailSchema(exclude=("attachments", "assignments", "history"))
#: the same dumps as plain functions (api/fastdump.py), for the answer the office sends most often
REGISTERED_DUMP = fastdump.compiled(REGISTERED)
HISTORY_ENTRY_DUMP = fastdump.compiled(HistorySchema())


class IncomingCreateSchema(Schema):
    sender_id = fields.Int(load_default=None)
    sender_name = fields.Str(load_default=None, validate=validate.Length(max=250))
    number_symbol = fields.Str(required=True, validate=validate.Length(min=1, max=60))
    issued_date = fields.Date(required=True)
    doc_type = fields.Str(load_default="CV", validate=validate.Length(max=10))
    subject = fields.Str(required=True, validate=validate.Length(min=1, max=1000))
    received_date = fields.Date(load_default=None)
    signer = fields.Str(load_default=None, validate=validate.Length(max=120))
    urgency = fields.Str(load_default="normal", validate=validate.OneOf(URGENCIES))
    confidentiality = fields.Str(load_default="normal", validate=validate.OneOf(CLEARANCES))
    pages = fields.Int(load_default=None, validate=validate.Range(min=1, max=100000))
    copies = fields.Int(load_default=None, validate=validate.Range(min=1, max=100000))
    medium = fields.Str(load_default="paper", validate=validate.OneOf(MEDIA))
    due_date = fields.Date(load_default=None)
    register_id = fields.Int(load_default=None)
    notes = fields.Str(load_default=None, validate=validate.Length(max=2000))
    force = fields.Bool(load_default=False)


class IncomingPatchSchema(Schema):
    version = fields.Int(required=True)
    sender_id = fields.Int(allow_none=True)
    sender_name = fields.Str(allow_none=True, validate=validate.Length(max=250))
    number_symbol = fields.Str(validate=validate.Length(min=1, max=60))
    issued_date = fields.Date()
    doc_type = fields.Str(validate=validate.Length(max=10))
    subject = fields.Str(validate=validate.Length(min=1, max=1000))
    received_date = fields.Date()
    signer = fields.Str(allow_none=True, validate=validate.Length(max=120))
    urgency = fields.Str(validate=validate.OneOf(URGENCIES))
    confidentiality = fields.Str(validate=validate.OneOf(CLEARANCES))
    pages = fields.Int(allow_none=True, validate=validate.Range(min=1, max=100000))
    copies = fields.Int(allow_none=True, validate=validate.Range(min=1, max=100000))
    medium = fields.Str(validate=validate.OneOf(MEDIA))
    due_date = fields.Date(allow_none=True)
    notes = fields.Str(allow_none=True, validate=validate.Length(max=2000))


class IncomingArgs(PageArgs):
    status = fields.Str(validate=validate.OneOf(("registered", "submitted", "assigned", "completed", "cancelled")))
    year = fields.Int(validate=validate.Range(min=1900, max=2999))
    overdue = fields.Bool()
    q = fields.Str(validate=validate.Length(max=200))
    #: keyset paging: the cursor of the previous page's `next` link (wins over `page`)
    after = fields.Str(validate=validate.Length(max=200))


class SubmitSchema(Schema):
    leader_id = fields.Int(load_default=None)


class AssigneeSchema(Schema):
    user_id = fields.Int(load_default=None)
    unit_id = fields.Int(load_default=None)
    role = fields.Str(required=True, validate=validate.OneOf(incoming.ASSIGNMENT_ROLES))


class AssignSchema(Schema):
    instruction = fields.Str(load_default=None, validate=validate.Length(max=4000))
    due_date = fields.Date(load_default=None)
    assignees = fields.List(fields.Nested(AssigneeSchema), required=True, validate=validate.Length(min=1))


class NoteSchema(Schema):
    note = fields.Str(required=True, validate=validate.Length(min=1, max=4000))


class OpinionSchema(Schema):
    opinion = fields.Str(required=True, validate=validate.Length(min=1, max=4000))


class CompleteSchema(Schema):
    result = fields.Str(required=True, validate=validate.Length(min=1, max=4000))
    reply_id = fields.Int(load_default=None)
    reply_number_symbol = fields.Str(load_default=None, validate=validate.Length(max=60))


class CancelSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class DelegateSchema(Schema):
    user_id = fields.Int(required=True)
    due_date = fields.Date(load_default=None)
    note = fields.Str(load_default=None, validate=validate.Length(max=4000))


class UrgeSchema(Schema):
    message = fields.Str(load_default=None, validate=validate.Length(max=500))


class TaskArgs(PageArgs):
    state = fields.Str(load_default="open", validate=validate.OneOf(("open", "due_soon", "overdue", "done")))


def _doc(doc_id):
    return access.get_visible_or_404(current_user, doc_id, "incoming")


def _visible_assignment(assignment_id):
    """The assignment, if its document is visible; a hidden one answers as a missing one does."""
    a = incoming.get_assignment(assignment_id)
    try:
        _doc(a.document_id)
    except NotFound:
        raise NotFound(_("No such assignment.")) from None
    return a


def _answer(doc):
    db.session.commit()
    reads_only()
    db.session.refresh(doc)
    return doc


@blp.route("/incoming", methods=["POST"])
@tx.reads_first
@blp.arguments(IncomingCreateSchema())  # an instance: webargs would build one from the class per request
@blp.response(201, DocumentDetailSchema)
@blp.alt_response(409, description="Already registered: the problem carries `existing_id` (send `force: true`)")
def register(body):
    """Register an incoming document (clerk); the arrival number comes from the year's register."""
    force = body.pop("force")
    tx.reading()  # the validation only reads; register_incoming() takes the write lock after it
    doc = incoming.register_incoming(body, actor=current_user, force=force)
    tx.commit_keeping_loaded()  # the locks go now; the document stays as written: no re-read
    answer = REGISTERED_DUMP(doc)
    answer["attachments"], answer["assignments"] = [], []  # none yet: not looked up
    # its actor is the request's user, whose name is loaded: nothing is looked up
    answer["history"] = [HISTORY_ENTRY_DUMP(e) for e in entries([doc.registration_event],
                                                                known_users=[current_user])]
    response = jsonify(answer)
    response.status_code = 201
    return response


@blp.route("/incoming")
@blp.arguments(IncomingArgs, location="query")
@blp.response(200, bounded_list_schema(DocumentSchema, "IncomingList"))
def list_incoming(args):
    stmt = incoming.list_incoming(current_user, status=args.get("status"), year=args.get("year"),
                                  overdue=args.get("overdue"), q=args.get("q"))
    return bounded_page_of(stmt, args, DOCUMENT, lists.INCOMING)


@blp.route("/incoming/<int:doc_id>")
@blp.response(200, DocumentDetailSchema)
def get_incoming(doc_id):
    return _doc(doc_id)


@blp.route("/incoming/<int:doc_id>", methods=["PATCH"])
@blp.arguments(IncomingPatchSchema)
@blp.response(200, DocumentDetailSchema)
def patch_incoming(body, doc_id):
    """Corrections (clerk); send back `version`; the number never changes."""
    doc = _doc(doc_id)
    version = body.pop("version")
    return _answer(incoming.update_incoming(doc, body, actor=current_user, version=version))


@blp.route("/incoming/<int:doc_id>/cancel", methods=["POST"])
@blp.arguments(CancelSchema)
@blp.response(200, DocumentDetailSchema)
def cancel(body, doc_id):
    """Cancel (clerk); the document keeps its number, marked cancelled."""
    return _answer(incoming.cancel_incoming(_doc(doc_id), body["reason"], actor=current_user))


@blp.route("/incoming/<int:doc_id>/submit", methods=["POST"])
@blp.arguments(SubmitSchema)
@blp.response(200, DocumentDetailSchema)
def submit(body, doc_id):
    """Present to a leader (clerk)."""
    return _answer(incoming.present(_doc(doc_id), actor=current_user, leader_id=body.get("leader_id")))


@blp.route("/incoming/<int:doc_id>/assign", methods=["POST"])
@blp.arguments(AssignSchema)
@blp.response(200, DocumentDetailSchema)
def assign(body, doc_id):
    """The leader's direction: exactly one primary, coordinators, informed, a deadline."""
    return _answer(incoming.assign(_doc(doc_id), actor=current_user, instruction=body.get("instruction"),
                                   assignees=body["assignees"], due_date=body.get("due_date")))


@blp.route("/incoming/<int:doc_id>/progress", methods=["POST"])
@blp.arguments(NoteSchema)
@blp.response(200, DocumentDetailSchema)
def progress(body, doc_id):
    doc = _doc(doc_id)
    incoming.add_progress(doc, body["note"], actor=current_user)
    return _answer(doc)


@blp.route("/incoming/<int:doc_id>/opinion", methods=["POST"])
@blp.arguments(OpinionSchema)
@blp.response(200, DocumentDetailSchema)
def opinion(body, doc_id):
    """A coordinating assignee's opinion."""
    doc = _doc(doc_id)
    incoming.give_opinion(doc, body["opinion"], actor=current_user)
    return _answer(doc)


@blp.route("/incoming/<int:doc_id>/read", methods=["POST"])
@blp.response(200, DocumentDetailSchema)
def mark_read(doc_id):
    """An "inform" assignee marks the document as read."""
    doc = _doc(doc_id)
    incoming.mark_read(doc, actor=current_user)
    return _answer(doc)


@blp.route("/incoming/<int:doc_id>/complete", methods=["POST"])
@blp.arguments(CompleteSchema)
@blp.response(200, DocumentDetailSchema)
def complete(body, doc_id):
    """The primary handler completes with a result (and the reply, if any)."""
    doc = _doc(doc_id)
    return _answer(incoming.complete(doc, body["result"], actor=current_user, reply_id=body.get("reply_id"),
                                     reply_number_symbol=body.get("reply_number_symbol")))


@blp.route("/assignments/<int:assignment_id>/delegate", methods=["POST"])
@blp.arguments(DelegateSchema)
@blp.response(201, AssignmentSchema)
def delegate(body, assignment_id):
    """A unit head hands the unit's assignment to a specialist of the unit."""
    a = _visible_assignment(assignment_id)
    child = incoming.delegate(a, actor=current_user, user_id=body["user_id"], due_date=body.get("due_date"),
                              note=body.get("note"))
    db.session.commit()
    return child


@blp.route("/assignments/<int:assignment_id>/urge", methods=["POST"])
@blp.arguments(UrgeSchema)
@blp.response(200, AssignmentSchema)
def urge(body, assignment_id):
    """A leader urges an overdue assignment; the assignee is notified."""
    a = _visible_assignment(assignment_id)
    incoming.urge(a, actor=current_user, message=body.get("message"))
    db.session.commit()
    return a


@blp.route("/tasks")
@blp.arguments(TaskArgs, location="query")
@blp.response(200, bounded_list_schema(AssignmentSchema, "TaskList"))
def tasks(args):
    """The caller's assignments: open, due_soon, overdue or done."""
    # the schema reads each assignment's document (its subject): loaded for the whole page in one statement
    page = incoming.task_page(current_user, args["state"], page=args["page"], per_page=args["per_page"],
                              options=lambda root: (selectinload(root.document),))
    return page_answer(page, ASSIGNMENT)

