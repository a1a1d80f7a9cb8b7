"""Incoming correspondence services (domain.md §2). They validate, check permission, change rows,
write the audit event (which is also the document's history) and flush; the caller commits."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l  # labels: translated only when shown (a registration has two)
from sqlalchemy.orm import Session, make_transient_to_detached

from docflow.auth import people
from docflow.auth.models import Unit, User
from docflow.core import audit, calendar, tx
from docflow.core.direct import Direct
from docflow.core.enums import CLEARANCES, MEDIA, URGENCIES
from docflow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from docflow.core.fields import check_version, clean_date, clean_int, clean_text, one_text
from docflow.core.models import Notification
from docflow.core.text import fold, like_escape
from docflow.core.timeutil import today, utcnow
from docflow.core.values import as_id, get_by_id
from docflow.extensions import db
from docflow.incoming.models import Assignment, IncomingDocument, ProgressNote
from docflow.registry import access, events, lists, participants, reference
from docflow.registry.attachments import can_add
from docflow.registry.models import DocType, Document, Organization, Register
from docflow.registry.notifications import notify
from docflow.registry.numbering import draw_number

ASSIGNMENT_ROLES = ("primary", "coordinate", "inform")


def new_assignment_message(role: str, doc):
    """The notification of a new assignment, its role said in words (not its code), in the recipient's
    language when `notify` writes it (a lazy string)."""
    subject = doc.subject[:200]
    if role == "coordinate":
        return _l("New assignment (coordinating): %(s)s", s=subject)
    if role == "inform":
        return _l("New assignment (for information): %(s)s", s=subject)
    return _l("New assignment (lead): %(s)s", s=subject)


def snapshot(doc: Document) -> dict:
    return {
        "register": doc.register_id, "year": doc.year, "number": doc.number, "number_symbol": doc.number_symbol,
        "doc_type": doc.doc_type.code if doc.doc_type else None, "subject": doc.subject,
        "sender": doc.sender_name, "issued_date": doc.issued_date, "received_date": doc.received_date,
        "signer": doc.signer, "urgency": doc.urgency, "confidentiality": doc.confidentiality, "pages": doc.pages,
        "copies": doc.copies, "medium": doc.medium, "due_date": doc.due_date, "notes": doc.notes,
        "status": doc.status,
    }


def _history(action: str, doc: Document, actor, before=None, after=None):
    return audit.record(action, object_type="documents", object_id=doc.id, before=before, after=after,
                        actor=actor)


def dup_key(sender_name: str | None, number_symbol: str | None, issued_date: date | None) -> str:
    return "|".join([fold(sender_name), fold(number_symbol).replace(" ", ""),
                     issued_date.isoformat() if issued_date else ""])[:400]


# ---- validation --------------------------------------------------------------------------------

def _clean_incoming(data: dict, existing: Document | None = None) -> dict:
    """Validate registration fields; with `existing`, only the fields present in data."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    partial = existing is not None

    def has(field):
        return not partial or field in data

    now = today()
    if has("sender_id") or has("sender_name"):
        org = None
        if data.get("sender_id") not in (None, ""):
            org = db.session.get(Organization, clean_int(data.get("sender_id"), "sender_id", errors, 1, 2**31) or 0)
            if org is None:
                errors.setdefault("sender_id", []).append(_("Choose a known organisation."))
        name = clean_text(data.get("sender_name"), "sender_name", errors, 250)
        if org is None and not name and "sender_id" not in errors:
            errors["sender_name"] = [_("Enter the issuing organisation.")]
        clean["sender_org"] = org
        clean["sender_name"] = org.name if org else name
    if has("number_symbol"):
        clean["number_symbol"] = clean_text(data.get("number_symbol"), "number_symbol", errors, 60, required=True,
                                       label=_l("Enter the document's number and symbol."))
    if has("issued_date"):
        clean["issued_date"] = clean_date(data.get("issued_date"), "issued_date", errors)
        if clean["issued_date"] is None and "issued_date" not in errors:
            errors["issued_date"] = [_("Enter the document's date.")]
    if has("received_date"):
        received = clean_date(data.get("received_date"), "received_date", errors)
        clean["received_date"] = received or (None if "received_date" in errors else now)
    for field in ("issued_date", "received_date"):
        value = clean.get(field)
        if value and value > now:
            errors.setdefault(field, []).append(_("The date cannot be in the future."))
        if value and value.year < 1945:
            errors.setdefault(field, []).append(_("Enter a real date (dd/mm/yyyy)."))
    issued = clean.get("issued_date", existing.issued_date if existing else None)
    received = clean.get("received_date", existing.received_date if existing else None)
    if issued and received and issued > received and "issued_date" not in errors:
        errors.setdefault("issued_date", []).append(_("The document's date cannot be after its arrival date."))
    if has("doc_type"):
        code = (data.get("doc_type") or "CV").strip() if isinstance(data.get("doc_type") or "CV", str) else ""
        doc_type = next(iter(_ACTIVE_DOC_TYPE.instances(DocType, {"code": code, "active": True})), None)
        if doc_type is None:
            errors["doc_type"] = [_("Unknown document type.")]
        clean["doc_type"] = doc_type
    if has("subject"):
        clean["subject"] = clean_text(data.get("subject"), "subject", errors, 1000, required=True,
                                 label=_l("Enter the subject (trích yếu)."))
    if has("signer"):
        clean["signer"] = clean_text(data.get("signer"), "signer", errors, 120)
    for field, allowed, default in (("urgency", URGENCIES, "normal"), ("confidentiality", CLEARANCES, "normal"),
                                    ("medium", MEDIA, "paper")):
        if has(field):
            value = data.get(field) or default
            if value not in allowed:
                errors[field] = [_("Unknown value.")]
            clean[field] = value
    for field in ("pages", "copies"):
        if has(field):
            clean[field] = clean_int(data.get(field), field, errors, 1, 100000)
    if has("due_date"):
        clean["due_date"] = clean_date(data.get("due_date"), "due_date", errors)
        if clean["due_date"] and received and clean["due_date"] < received:
            errors.setdefault("due_date", []).append(_("The deadline cannot be before the arrival date."))
    if has("notes"):
        clean["notes"] = clean_text(data.get("notes"), "notes", errors, 2000, multiline=True)
    if errors:
        raise ValidationFailed(errors)
    return clean


# ---- action rules (architecture decision 13) ---------------------------------------------------
# One predicate per action: the service calls it to refuse, the page to show or hide the action, the
# API gives the same answer. A role the user lacks is refused first (403); a predicate that fails for a
# user who has the role means the document is not in a state for it (409).

PRESENTABLE = ("registered", "submitted")
ASSIGNABLE = ("registered", "submitted", "assigned")


def may_edit(user: User, doc: Document) -> bool:
    return user.has_role("clerk") and doc.status != "cancelled"


def may_present(user: User, doc: Document) -> bool:
    return user.has_role("clerk") and doc.status in PRESENTABLE


def may_assign(user: User, doc: Document) -> bool:
    return user.has_role("leader") and doc.status in ASSIGNABLE


def may_urge(user: User, assignment: "Assignment | None" = None) -> bool:
    """A leader urges an open, overdue assignment (without one: whether the user urges at all)."""
    if not user.has_role("leader"):
        return False
    return assignment is None or (assignment.state == "open" and is_overdue(assignment))


def may_delegate(user: User, assignment: "Assignment") -> bool:
    """The head of the assigned unit hands a unit assignment on to a specialist."""
    return assignment.user_id is None and assignment.state == "open" and acts_for(user, assignment)


def may_add_progress(user: User, doc: Document, assignments=None) -> bool:
    return _open_assignment_for(doc, user, ("primary", "coordinate"), assignments) is not None


def may_give_opinion(user: User, doc: Document, assignments=None) -> bool:
    return _open_assignment_for(doc, user, ("coordinate",), assignments) is not None


def may_mark_read(user: User, doc: Document, assignments=None) -> bool:
    return _open_assignment_for(doc, user, ("inform",), assignments) is not None


def may_complete(user: User, doc: Document, assignments=None) -> bool:
    return _open_assignment_for(doc, user, ("primary",), assignments) is not None


def may_attach(user: User, doc: Document) -> bool:
    return doc.status != "cancelled" and can_add(user, doc)


#: statements of every registration, built once (building them per call cost more than running them)
#: on the session's cursor (core/direct.py): every registration asks
_ACTIVE_DOC_TYPE = Direct(sa.select(*DocType.__table__.columns).where(
    DocType.__table__.c.code == sa.bindparam("code"), DocType.__table__.c.is_active == sa.bindparam("active")))


# ---- registration ------------------------------------------------------------------------------

def validate_incoming(data: dict) -> None:
    """The registration's field checks alone, nothing written: ValidationFailed with every field's error."""
    _clean_incoming(data)


def find_duplicate(sender_name, number_symbol, issued_date, exclude_id=None) -> Document | None:
    key = dup_key(sender_name, number_symbol, issued_date)
    # Searched by dup_key alone: with `direction` in the query, SQLite (no ANALYZE statistics) walks
    # ix_documents_direction, every incoming document, instead of ix_documents_dup_key. The direction
    # is checked on the few rows found.
    if exclude_id:
        found = _DUPLICATES_BUT.all({"key": key, "exclude_id": exclude_id})
    else:
        found = _DUPLICATES.all({"key": key})
    for doc_id, direction in found:
        if direction == "incoming":
            return db.session.get(IncomingDocument, doc_id)
    return None


_t = IncomingDocument.__table__  # the table's columns: the ORM would add the direction criterion
_duplicates = (sa.select(_t.c.id, _t.c.direction).where(_t.c.dup_key == sa.bindparam("key"), _t.c.status != "cancelled")
               .order_by(_t.c.id))
_DUPLICATES = Direct(_duplicates)
_DUPLICATES_BUT = Direct(_duplicates.where(_t.c.id != sa.bindparam("exclude_id")))


def _register_for(data: dict, confidentiality: str, year: int, errors_field="register_id", *,
                  create: bool = True) -> Register | None:
    """The register chosen in `data`, checked, or the year's default one (None when that one is still to be
    created and `create` is false)."""
    confidential = confidentiality != "normal"
    if data.get("register_id") not in (None, ""):
        reg = get_by_id(Register, data["register_id"])
        if reg is None or reg.direction != "incoming" or not reg.is_active:
            raise ValidationFailed({errors_field: [_("Choose an active incoming register.")]})
        if reg.year != year:
            raise ValidationFailed({errors_field: [_("The register is for %(y)d; the arrival date is in another year.",
                                                     y=reg.year)]})
        if reg.is_confidential != confidential:
            raise ValidationFailed({errors_field: [_("Confidential documents go in a confidential register, and "
                                                     "only they do.")]})
        return reg
    return reference.default_register("incoming", confidential, year, create=create)


def _lock(doc: Document) -> None:
    """Take the document's row lock and re-read it, so the version and status checks that follow see
    the committed row and concurrent changes queue (PostgreSQL: SELECT ... FOR UPDATE; SQLite's
    writers already hold the database write lock)."""
    if doc.id is None:
        return
    db.session.execute(sa.select(Document.id).where(Document.id == doc.id).with_for_update())
    db.session.refresh(doc)


def require_role(actor: User, *roles: str) -> None:
    if actor is None or not actor.has_role(*roles):
        raise PermissionDenied(_("Your roles do not allow this action."))


def register_incoming(data: dict, *, actor: User, force: bool = False) -> Document:
    """Register an incoming document: validate, check duplicates, draw the arrival number from the
    register of the arrival year, insert — all in the caller's transaction."""
    require_role(actor, "clerk")
    clean = _clean_incoming(data)
    if not actor.cleared_for(clean["confidentiality"]):
        raise ValidationFailed({"confidentiality": [_("You are not cleared for this confidentiality level.")]})
    # read and checked before the writers' lock, which a refused register never takes (a year's default
    # register still to be created is created under it)
    year = clean["received_date"].year
    register = _register_for(data, clean["confidentiality"], year, create=False)
    doc = IncomingDocument(register=register, year=year, status="registered",
                   created_by_id=actor.id, **clean)
    doc.dup_key = dup_key(doc.sender_name, doc.number_symbol, doc.issued_date)
    tx.writing()  # SQLite: from the duplicate check to the commit, under the writers' lock (see core.tx)
    if not force:
        existing = find_duplicate(clean["sender_name"], clean["number_symbol"], clean["issued_date"])
        if existing is not None and access.can_view(actor, existing):
            raise Conflict(_("This document was already registered (arrival number %(n)s).", n=existing.number),
                           existing_id=existing.id)
    if register is None:
        doc.register = register = _register_for(data, clean["confidentiality"], year)
    doc.number = draw_number(register)
    _insert_new(doc)
    #: the document's whole history so far, for the API's answer (not a column: never read back)
    doc.registration_event = _history("incoming.register", doc, actor, after=snapshot(doc))
    events.document_registered.send(doc, actor=actor)
    return doc


def _insert_new(doc: IncomingDocument) -> None:
    """INSERT the new document with one Core statement (RETURNING its id) and put it in the session as
    persistent, every column as written: what the ORM's flush does, for a fraction of its cost."""
    db.session.flush()  # whatever else is pending goes first, as with the flush this replaces
    doc.register_id = doc.register.id if doc.register is not None else None
    doc.doc_type_id = doc.doc_type.id
    doc.sender_org_id = doc.sender_org.id if doc.sender_org is not None else None
    state = doc.__dict__
    values = {}
    for column in _DOCUMENT_COLUMNS:
        if column.key not in state:
            default = column.default
            if default is None and column.server_default is not None:
                continue  # the database's default (read back if ever used)
            if default is None:
                value = None
            elif default.is_callable:
                value = default.arg(None)  # SQLAlchemy's wrapper of the column's function (utcnow)
            else:
                value = default.arg
            setattr(doc, column.key, value)
        values[column.key] = state[column.key]
    doc.id = _INSERT_DOCUMENT.scalar(values)
    make_transient_to_detached(doc)
    db.session.add(doc)
    db.session.info.setdefault(_INSERTED, []).append(doc)


_DOCUMENT_COLUMNS = [c for c in IncomingDocument.__table__.columns if c.key != "id"]
_INSERT_DOCUMENT = Direct(sa.insert(IncomingDocument.__table__).returning(IncomingDocument.__table__.c.id))
#: documents _insert_new() put in the session in its current transaction: a rollback takes them out again,
#: as it does the ORM's own inserts (their ids may be given again)
_INSERTED = "docflow_inserted_documents"


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_inserts(session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        for doc in session.info.pop(_INSERTED, ()):
            if doc in session:
                session.expunge(doc)


@sa.event.listens_for(Session, "after_commit")
def _keep_committed_inserts(session) -> None:
    session.info.pop(_INSERTED, None)


def update_incoming(doc: Document, data: dict, *, actor: User, version=None) -> Document:
    """Corrections by the clerk; the number, register and year never change."""
    require_role(actor, "clerk")
    _lock(doc)
    check_version(doc, version)
    if not may_edit(actor, doc):
        raise Conflict(_("A cancelled document cannot be changed."))
    data = {k: v for k, v in data.items() if k not in ("number", "register_id", "year", "version")}
    clean = _clean_incoming(data, existing=doc)
    if "received_date" in clean and clean["received_date"].year != doc.year:
        raise ValidationFailed({"received_date": [_("The arrival date must stay in %(y)d, the register's year.",
                                                    y=doc.year)]})
    if "confidentiality" in clean and (clean["confidentiality"] != "normal") != (doc.confidentiality != "normal"):
        raise ValidationFailed({"confidentiality": [_("Moving a document between the ordinary and the confidential "
                                                      "register would change its number; cancel and register it "
                                                      "again instead.")]})
    if "confidentiality" in clean and not actor.cleared_for(clean["confidentiality"]):
        raise ValidationFailed({"confidentiality": [_("You are not cleared for this confidentiality level.")]})
    before = snapshot(doc)
    for key, value in clean.items():
        setattr(doc, key, value)
    doc.dup_key = dup_key(doc.sender_name, doc.number_symbol, doc.issued_date)
    doc.version += 1
    db.session.flush()
    _history("incoming.update", doc, actor, before=before, after=snapshot(doc))
    events.document_updated.send(doc, actor=actor, changes=events.changes(before, snapshot(doc)))
    return doc


def may_cancel(user: User, doc: Document) -> bool:
    """Whether the user may cancel the registration: a clerk, on a letter neither cancelled nor
    completed (a handled letter is part of the record; correct it instead)."""
    return user.has_role("clerk") and doc.status not in ("cancelled", "completed")


def cancel_incoming(doc: Document, reason: str, *, actor: User) -> Document:
    require_role(actor, "clerk")
    reason = one_text(reason, "reason", 500, required=True, label=_("Give the reason for cancelling."))
    _lock(doc)
    if doc.status == "cancelled":
        raise Conflict(_("The document is already cancelled."))
    if not may_cancel(actor, doc):
        raise Conflict(_("A completed document cannot be cancelled."))
    before = {"status": doc.status}
    doc.status = "cancelled"
    doc.cancelled_reason = reason
    for a in _assignments(doc):
        if a.state == "open":
            a.state = "cancelled"
    doc.version += 1
    db.session.flush()
    _history("incoming.cancel", doc, actor, before=before, after={"status": "cancelled", "reason": reason})
    events.document_cancelled.send(doc, actor=actor, reason=reason)
    return doc


# ---- presenting and direction ------------------------------------------------------------------

def present(doc: Document, *, actor: User, leader_id=None) -> Document:
    """The clerk presents (trình) the document to a leader."""
    require_role(actor, "clerk")
    _lock(doc)
    if not may_present(actor, doc):
        raise Conflict(_("Only a registered document can be presented."))
    leader = None
    if leader_id not in (None, ""):
        leader = get_by_id(User, leader_id)
        if leader is None or not leader.has_role("leader") or not leader.is_active:
            raise ValidationFailed({"leader_id": [_("Choose an active leader.")]})
        if not leader.cleared_for(doc.confidentiality):
            raise ValidationFailed({"leader_id": [_("This leader is not cleared for the document.")]})
    before = {"status": doc.status}
    doc.status = "submitted"
    doc.presented_to_id = leader.id if leader else None
    doc.presented_at = utcnow()
    doc.version += 1
    if leader:
        notify(leader.id, "presented", doc, _l("Presented to you: %(s)s", s=doc.subject[:200]))
    db.session.flush()
    _history("incoming.submit", doc, actor, before=before,
             after={"status": doc.status, "leader": leader.username if leader else None})
    events.document_presented.send(doc, actor=actor, leader_id=doc.presented_to_id)
    return doc


def _assignments(doc: Document) -> list[Assignment]:
    return db.session.scalars(sa.select(Assignment).where(Assignment.document_id == doc.id)
                              .order_by(Assignment.id)).all()


def _resolve_assignee(item: dict, index: int, errors: dict):
    user = unit = None
    role = item.get("role")
    key = f"assignees.{index}"
    if role not in ASSIGNMENT_ROLES:
        errors.setdefault(key, []).append(_("The role must be primary, coordinate or inform."))
    if item.get("user_id") not in (None, ""):
        user = get_by_id(User, item["user_id"])
        if user is None or not user.is_active:
            errors.setdefault(key, []).append(_("Choose an active user."))
    elif item.get("unit_id") not in (None, ""):
        unit = get_by_id(Unit, item["unit_id"])
        if unit is None or not unit.is_active:
            errors.setdefault(key, []).append(_("Choose an active unit."))
    else:
        errors.setdefault(key, []).append(_("Give a user or a unit."))
    return user, unit, role


def _check_cleared(user: User, doc: Document, key: str, errors: dict) -> None:
    if not user.cleared_for(doc.confidentiality):
        errors.setdefault(key, []).append(_("%(name)s is not cleared for this document.", name=user.full_name))


def assign(doc: Document, *, actor: User, instruction: str | None, assignees: list[dict],
           due_date=None) -> Document:
    """The leader's direction: exactly one primary handler, any coordinators and informed, a deadline."""
    require_role(actor, "leader")
    _lock(doc)
    if not may_assign(actor, doc):
        raise Conflict(_("This document can no longer be assigned."))
    errors: dict[str, list[str]] = {}
    instruction = clean_text(instruction, "instruction", errors, 4000)
    due = clean_date(due_date, "due_date", errors)
    base = today()
    if due and due < base:
        errors.setdefault("due_date", []).append(_("The deadline cannot be in the past."))
    if not isinstance(assignees, list) or not assignees:
        errors["assignees"] = [_("Choose the handlers.")]
        raise ValidationFailed(errors)
    resolved = []
    seen = set()
    for i, item in enumerate(assignees):
        if not isinstance(item, dict):
            errors.setdefault(f"assignees.{i}", []).append(_("Give a user or a unit."))
            continue
        user, unit, role = _resolve_assignee(item, i, errors)
        target = ("user", user.id) if user else (("unit", unit.id) if unit else None)
        if target and target in seen:
            errors.setdefault(f"assignees.{i}", []).append(_("Named twice."))
        seen.add(target)
        if user is not None:
            _check_cleared(user, doc, f"assignees.{i}", errors)
        if unit is not None:
            heads = people.unit_heads(unit.id)
            if not heads:
                errors.setdefault(f"assignees.{i}", []).append(_("The unit has no active unit head to receive it."))
            elif not any(h.cleared_for(doc.confidentiality) for h in heads):
                errors.setdefault(f"assignees.{i}", []).append(_("No head of this unit is cleared for the document."))
        resolved.append((user, unit, role))
    primaries = [r for r in resolved if r[2] == "primary"]
    if len(primaries) != 1:
        errors.setdefault("assignees", []).append(_("Choose exactly one primary handler."))
    if errors:
        raise ValidationFailed(errors)
    if due is None and doc.due_date is not None and doc.due_date >= base:
        due = doc.due_date  # the deadline recorded at registration
    due = due or calendar.default_due_date(doc.urgency, base)
    # a new direction replaces the open assignments of an earlier one
    for old in _assignments(doc):
        if old.state in ("open", "delegated"):
            old.state = "cancelled"
    participants.remove(doc, ASSIGNMENT_ROLES)
    before = {"status": doc.status}
    created = []
    for user, unit, role in resolved:
        a = Assignment(document_id=doc.id, user_id=user.id if user else None, unit_id=unit.id if unit else
                       (user.unit_id if user else None), role=role, due_date=due, instruction=instruction,
                       assigned_by_id=actor.id, state="open")
        if user is not None:
            a.unit_id = None  # a person's assignment; their unit is recorded as a participant below
        db.session.add(a)
        db.session.flush()
        created.append(a)
        participants.add(doc, role, user_id=user.id if user else None,
                         unit_id=unit.id if unit else (user.unit_id if user else None))
        recipients = [user] if user else people.unit_heads(unit.id)
        for r in recipients:
            notify(r.id, "assigned", doc, new_assignment_message(role, doc), a.id)
    doc.instruction = instruction
    doc.directed_by_id = actor.id
    doc.directed_at = utcnow()
    doc.due_date = due
    doc.status = "assigned"
    doc.version += 1
    db.session.flush()
    _history("incoming.assign", doc, actor, before=before,
             after={"status": "assigned", "instruction": instruction, "due_date": due,
                    "assignees": [{"user": u.username if u else None, "unit": un.code if un else None, "role": r}
                                  for u, un, r in resolved]})
    events.document_assigned.send(doc, actor=actor, assignment_ids=[a.id for a in created])
    return doc


# ---- handling ----------------------------------------------------------------------------------

def acts_for(actor: User, a: Assignment) -> bool:
    """The actor may act on the assignment: it is theirs, or their unit's and they head the unit."""
    if a.user_id is not None:
        return a.user_id == actor.id
    return a.unit_id is not None and a.unit_id == actor.unit_id and actor.has_role("unit_head")


def _open_assignment_for(doc: Document, actor: User, roles: tuple[str, ...], assignments=None
                         ) -> Assignment | None:
    """The actor's open assignment on the document in one of `roles` (the rule of may_add_progress,
    may_give_opinion, may_mark_read and may_complete); `assignments` when the caller has them."""
    for a in _assignments(doc) if assignments is None else assignments:
        if a.state == "open" and a.role in roles and acts_for(actor, a):
            return a
    return None


def get_assignment(assignment_id, doc: Document | None = None) -> Assignment:
    a = get_by_id(Assignment, assignment_id)
    if a is None or (doc is not None and a.document_id != doc.id):
        raise NotFound(_("No such assignment."))
    return a


def delegate(assignment: Assignment, *, actor: User, user_id, due_date=None, note: str | None = None) -> Assignment:
    """A unit head hands a unit assignment to a specialist of the unit (a child assignment)."""
    doc = assignment.document
    if assignment.user_id is not None or not acts_for(actor, assignment):
        raise PermissionDenied(_("Only the head of the assigned unit can hand this on."))
    if not may_delegate(actor, assignment):
        raise Conflict(_("This assignment is no longer open."))
    errors: dict[str, list[str]] = {}
    user = get_by_id(User, user_id)
    if user is None or not user.is_active or user.unit_id != assignment.unit_id:
        errors["user_id"] = [_("Choose an active person of the unit.")]
    else:
        _check_cleared(user, doc, "user_id", errors)
    note_text = clean_text(note, "note", errors, 4000)
    due = clean_date(due_date, "due_date", errors) or assignment.due_date
    if due_date not in (None, "") and due and due < today():
        errors.setdefault("due_date", []).append(_("The deadline cannot be in the past."))
    if due and assignment.due_date and due > assignment.due_date:
        errors.setdefault("due_date", []).append(_("The deadline cannot be later than the unit's."))
    if errors:
        raise ValidationFailed(errors)
    child = Assignment(document_id=doc.id, user_id=user.id, parent_id=assignment.id, role=assignment.role,
                       due_date=due, instruction=note_text or assignment.instruction,
                       assigned_by_id=actor.id, state="open")
    assignment.state = "delegated"
    assignment.version += 1
    db.session.add(child)
    participants.add(doc, assignment.role, user_id=user.id, unit_id=user.unit_id)
    db.session.flush()
    notify(user.id, "assigned", doc, new_assignment_message(assignment.role, doc), child.id)
    _history("incoming.delegate", doc, actor, after={"assignment": assignment.id, "to": user.username,
                                                     "due_date": due})
    events.document_assigned.send(doc, actor=actor, assignment_ids=[child.id])
    return child


def add_progress(doc: Document, note: str, *, actor: User) -> ProgressNote:
    a = _open_assignment_for(doc, actor, ("primary", "coordinate"))
    if a is None:
        raise PermissionDenied(_("Only a handler of this document can add progress notes."))
    text = clean_text(note, "note", errors := {}, 4000, required=True, label=_("Write the progress note."))
    if errors:
        raise ValidationFailed(errors)
    entry = ProgressNote(document_id=doc.id, assignment_id=a.id, author_id=actor.id, kind="progress", note=text)
    db.session.add(entry)
    db.session.flush()
    _history("incoming.progress", doc, actor, after={"note": text})
    return entry


def give_opinion(doc: Document, opinion: str, *, actor: User) -> Assignment:
    a = _open_assignment_for(doc, actor, ("coordinate",))
    if a is None:
        raise PermissionDenied(_("Only a coordinating assignee can give an opinion."))
    text = clean_text(opinion, "opinion", errors := {}, 4000, required=True, label=_("Write your opinion."))
    if errors:
        raise ValidationFailed(errors)
    db.session.add(ProgressNote(document_id=doc.id, assignment_id=a.id, author_id=actor.id, kind="opinion",
                                note=text))
    _close(a, text)
    db.session.flush()
    _history("incoming.opinion", doc, actor, after={"opinion": text})
    return a


def mark_read(doc: Document, *, actor: User) -> Assignment:
    a = _open_assignment_for(doc, actor, ("inform",))
    if a is None:
        raise PermissionDenied(_("Nothing here for you to mark as read."))
    _close(a, None)
    db.session.flush()
    _history("incoming.read", doc, actor)
    return a


def _close(a: Assignment, result: str | None) -> None:
    a.state = "done"
    a.result = result
    a.done_at = utcnow()
    a.version += 1
    if a.parent_id:  # a delegated unit assignment is done when its delegate is
        parent = db.session.get(Assignment, a.parent_id)
        if parent is not None and parent.state == "delegated":
            _close(parent, result)


def _close_remaining(doc: Document) -> None:
    """When the document is completed, what is still open on it (coordination not given, a note
    not read) closes with it: it is no longer work, nor overdue."""
    for other in _assignments(doc):
        if other.state in ("open", "delegated"):
            other.state = "closed"
            other.done_at = utcnow()
            other.version += 1


def complete(doc: Document, result: str, *, actor: User, reply_number_symbol: str | None = None,
             reply_id=None) -> Document:
    """The primary handler completes the document with a result (and the reply, when there is one)."""
    _lock(doc)
    a = _open_assignment_for(doc, actor, ("primary",))
    if a is None:
        raise PermissionDenied(_("Only the primary handler can complete this document."))
    errors: dict = {}
    text = clean_text(result, "result", errors, 4000, required=True, label=_("Write the result."))
    if reply_id not in (None, ""):
        reply = get_by_id(Document, reply_id)
        if reply is None or reply.direction != "outgoing" or not access.can_view(actor, reply):
            errors["reply_id"] = [_("Choose an outgoing document you can see.")]
        else:
            reply_number_symbol = reply.number_symbol
    reply_text = clean_text(reply_number_symbol, "reply_number_symbol", errors, 60)
    if errors:
        raise ValidationFailed(errors)
    _close(a, text)
    _close_remaining(doc)
    before = {"status": doc.status}
    doc.status = "completed"
    doc.result = text
    doc.reply_number_symbol = reply_text
    doc.completed_at = utcnow()
    doc.version += 1
    db.session.flush()
    _history("incoming.complete", doc, actor, before=before,
             after={"status": "completed", "result": text, "reply": doc.reply_number_symbol})
    events.document_completed.send(doc, actor=actor, reply_id=None)
    return doc


def urge(assignment: Assignment, *, actor: User, message: str | None = None) -> Assignment:
    """A leader urges (đôn đốc) an overdue assignment; the assignee is notified."""
    require_role(actor, "leader")
    if assignment.state != "open":
        raise Conflict(_("This assignment is no longer open."))
    if not may_urge(actor, assignment):
        raise ValidationFailed({"assignment": [_("Only an overdue assignment can be urged.")]})
    doc = assignment.document
    assignment.last_urged_at = utcnow()
    recipients = [assignment.user] if assignment.user_id else people.unit_heads(assignment.unit_id)
    for r in recipients:
        text = message or _l("Overdue since %(d)s: %(s)s", d=assignment.due_date.strftime("%d/%m/%Y"),
                             s=doc.subject[:200])
        notify(r.id, "urged", doc, text, assignment.id)
    db.session.flush()
    _history("incoming.urge", doc, actor, after={"assignment": assignment.id})
    return assignment


# ---- queries -----------------------------------------------------------------------------------

def is_overdue(a: Assignment, on: date | None = None) -> bool:
    return a.state == "open" and a.due_date is not None and a.due_date < (on or today())


def task_branches(user: User) -> list:
    """The disjoint parts of the user's inbox (task_filter is their OR): their own assignments, and their
    unit's when they head it. Each is served by its index in due-date order (ix_assignments_user_tasks,
    ix_assignments_unit_tasks): tasks(user, state, branch) reads only that part, and with a LIMIT stops
    after it (the dashboard's cards); the OR of both made SQLite walk ix_assignments_state."""
    mine = Assignment.user_id == user.id
    if user.has_role("unit_head") and user.unit_id:
        return [mine, sa.and_(Assignment.user_id.is_(None), Assignment.unit_id == user.unit_id)]
    return [mine]


def task_filter(user: User):
    """Assignments in the user's inbox: their own, and their unit's when they head it."""
    branches = task_branches(user)
    return branches[0] if len(branches) == 1 else sa.or_(*branches)


def open_task_states(day: date | None = None) -> dict:
    """{"overdue": condition, "due_soon": condition} of an open assignment on `day` (today): the inbox's
    two narrower lists of open tasks (tasks()), and the dashboard's counts of them."""
    day = day or today()
    return {"overdue": Assignment.due_date < day,
            "due_soon": sa.and_(Assignment.due_date >= day, Assignment.due_date <= calendar.add_working_days(day, 1))}


def tasks(user: User, state: str = "open", branch=None):
    """select(Assignment) of the user's inbox: open, due_soon, overdue or done; only visible documents.
    The open ones are in due-date order (none last): the overdue first, then those due soon. `branch`: one
    of task_branches(user) in place of the whole inbox. (Their OR beside a branch's own condition made
    PostgreSQL build a bitmap of the unit's every done task, 110k at 1M, to count 1,001 of them: 8.5 ms.)"""
    stmt = (sa.select(Assignment).join(Document, Document.id == Assignment.document_id)
            .where(task_filter(user) if branch is None else branch,
                   access.visible_filter(user, probe=True)))  # from the user's few assignments
    if state == "done":
        stmt = stmt.where(Assignment.state == "done").order_by(Assignment.done_at.desc(), Assignment.id.desc())
    else:
        stmt = stmt.where(Assignment.state == "open")
        if state in ("overdue", "due_soon"):
            stmt = stmt.where(open_task_states()[state])
        # (none last written as NULLS LAST, not as an IS NULL key: the indexes' order serves it)
        stmt = stmt.order_by(Assignment.due_date.asc().nulls_last(), Assignment.id)
    return stmt


#: The inbox's counts stop here ("1.000+"), as a restricted user's long lists do (access.RESTRICTED_COUNT_LIMIT):
#: every count proves each task's document visible, ~40 ms per 10,000 tasks at 1M (bench/README.md).
TASK_COUNT_LIMIT = access.RESTRICTED_COUNT_LIMIT


def _first_ids(user: User, state: str, n: int) -> list[int]:
    """The ids of the inbox list's first `n` tasks, in its order: each part's first `n` sort keys from its
    own index (task_branches), merged."""
    if state == "done":
        columns, key, newest = (Assignment.done_at, Assignment.id), (lambda r: (r[0] or datetime.min, r[1])), True
    else:  # due date, none last
        columns, key, newest = (Assignment.due_date, Assignment.id), (lambda r: (r[0] is None, r[0] or date.min,
                                                                             r[1])), False
    rows = [r for b in task_branches(user)
            for r in db.session.execute(tasks(user, state, b).with_only_columns(*columns).limit(n))]
    return [r[-1] for r in sorted(rows, key=key, reverse=newest)[:n]]


def _by_ids(ids: list[int], options=()) -> list[Assignment]:
    if not ids:
        return []
    found = {a.id: a for a in db.session.scalars(sa.select(Assignment).where(Assignment.id.in_(ids))
                                                 .options(*options))}
    return [found[i] for i in ids if i in found]


def count_tasks(user: User, state: str = "open", limit: int | None = None) -> lists.Count:
    """The inbox list's bounded count (up to `limit`, TASK_COUNT_LIMIT by default), summed over its parts
    (task_branches), each counted from its index."""
    limit = TASK_COUNT_LIMIT if limit is None else limit
    parts = [lists.count_upto(tasks(user, state, b), limit) for b in task_branches(user)]
    if not all(exact for _, exact in parts):
        return lists.Count(limit, False)
    n = sum(k for k, _ in parts)
    return lists.Count(min(n, limit), n <= limit)


def count_task_tabs(user: User, limit: int | None = None) -> dict[str, lists.Count]:
    """The bounded counts of the inbox's open, due-soon and overdue lists (count_tasks). The overdue tasks
    are open ones: when they are over the limit, so are the open, which are then not counted again (a busy
    unit's 1,001 overdue tasks, each proved visible: ~9 ms at 1M on PostgreSQL)."""
    overdue = count_tasks(user, "overdue", limit)
    return {"open": overdue if not overdue.exact else count_tasks(user, "open", limit),
            "due_soon": count_tasks(user, "due_soon", limit), "overdue": overdue}


def first_tasks(user: User, state: str, n: int, options=()) -> list[Assignment]:
    """The inbox list's first `n` tasks (each part's first `n` from its index, merged)."""
    return _by_ids(_first_ids(user, state, n), options)


def task_page(user: User, state: str = "open", *, page: int = 1, per_page: int = 50, options=None,
              counted: lists.Count | None = None) -> lists.Page:
    """One page of the inbox, as lists.paginate gives it. Within the count limit each part of the inbox
    gives its first sort keys up to the page's end, in order from its own index, they are merged and the
    page's tasks loaded (the OR of the parts made both engines gather and sort every task of a busy unit:
    0.2-0.5 s at 1M); beyond it, and for a user with one part, the statement is paginated as it is.
    `counted`: the list's count_tasks() when the caller has it already (the inbox page counts every tab)."""
    page = max(1, page)
    offset = (page - 1) * per_page
    if len(task_branches(user)) == 1 or offset + per_page > TASK_COUNT_LIMIT:
        return lists.paginate(tasks(user, state).execution_options(count_limit=TASK_COUNT_LIMIT), page=page,
                              per_page=per_page, options=options)
    ids = _first_ids(user, state, offset + per_page + 1)[offset:]
    has_next = len(ids) > per_page
    items = _by_ids(ids[:per_page], tuple(options(Assignment)) if options else ())
    if not (has_next or offset):
        total = lists.Count(len(items))
    else:
        total = counted if counted is not None else count_tasks(user, state)
    return lists.Page(items=items, page=page, per_page=per_page, total=total, has_next=has_next, _offset=offset)


def send_deadline_reminders(on: date | None = None) -> int:
    """Notify assignees of deadlines tomorrow (next working day) and of overdue items, once each.
    Idempotent: run it from cron or the job runner as often as you like."""
    day = on or today()
    tomorrow = calendar.add_working_days(day, 1)
    sent = 0
    open_items = db.session.scalars(sa.select(Assignment).where(Assignment.state == "open",
                                                                Assignment.due_date.is_not(None),
                                                                Assignment.due_date <= tomorrow))
    for a in open_items:
        kind = "overdue" if a.due_date < day else "due_soon"
        recipients = [a.user] if a.user_id else people.unit_heads(a.unit_id)
        for r in recipients:
            exists = db.session.scalar(sa.select(Notification.id).where(Notification.user_id == r.id,
                                                                        Notification.kind == kind,
                                                                        Notification.assignment_id == a.id))
            if exists:
                continue
            msg = (_l("Overdue since %(d)s: %(s)s", d=a.due_date.strftime("%d/%m/%Y"), s=a.document.subject[:200])
                   if kind == "overdue" else
                   _l("Due %(d)s: %(s)s", d=a.due_date.strftime("%d/%m/%Y"), s=a.document.subject[:200]))
            notify(r.id, kind, a.document, msg, a.id)
            sent += 1
    db.session.flush()
    return sent


def list_incoming(user: User, *, status=None, year=None, overdue=None, q=None):
    """Visible incoming documents, newest first; `q` matches the sender or the number-symbol."""
    stmt = access.visible_documents(user, "incoming")  # one flow: the list walks ix_documents_list_received
    if status:
        stmt = stmt.where(Document.status == status)
    if year:
        year = as_id(year)
        stmt = stmt.where(Document.year == (year or -1))
    if overdue:
        stmt = stmt.where(Document.id.in_(sa.select(Assignment.document_id).where(
            Assignment.state == "open", Assignment.due_date < today())))
    if q:
        for word in fold(q).split()[:6]:
            escaped = like_escape(word)
            stmt = stmt.where(IncomingDocument.dup_key.like(f"%{escaped}%", escape="\\"))
    return stmt.order_by(*lists.INCOMING.order_by())


def assignments_of(doc: Document) -> list[Assignment]:
    return _assignments(doc)


def notes_of(doc: Document) -> list[ProgressNote]:
    return db.session.scalars(sa.select(ProgressNote).where(ProgressNote.document_id == doc.id)
                              .order_by(ProgressNote.id)).all()


def complete_by_reply(doc: Document, reply: Document, *, actor: User) -> bool:
    """Issuing a reply completes the incoming document's open primary assignment, with the reply's
    number-symbol as the result (the tracking book's "reply" column). False when nothing was open."""
    if doc is None or doc.direction != "incoming" or doc.status != "assigned":
        return False
    primary = next((a for a in _assignments(doc) if a.role == "primary" and a.state == "open"), None)
    if primary is None:
        return False
    result = _("Answered by document %(n)s.", n=reply.number_symbol)
    _close(primary, result)
    _close_remaining(doc)
    before = {"status": doc.status}
    doc.status = "completed"
    doc.result = result
    doc.reply_number_symbol = reply.number_symbol
    doc.completed_at = utcnow()
    doc.version += 1
    db.session.flush()
    _history("incoming.complete", doc, actor, before=before,
             after={"status": "completed", "result": result, "reply": reply.number_symbol})
    events.document_completed.send(doc, actor=actor, reply_id=reply.id)
    return True
