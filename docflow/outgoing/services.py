"""Outgoing correspondence services (domain.md §1.2, §1.3, §3): drafts and versions, the approval
ladder, issuing (number and symbol), dispatch. They flush; the caller commits."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l  # notifications: written in their recipient's language

from docflow.auth import people
from docflow.auth.models import Unit, User
from docflow.core import audit, calendar, settings
from docflow.core.enums import CLEARANCES, URGENCIES, cleared_levels
from docflow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from docflow.core.fields import check_version, clean_text, one_text, to_date
from docflow.core.text import fold
from docflow.core.timeutil import to_local, today, utcnow
from docflow.core.values import as_id, get_by_id
from docflow.extensions import db
from docflow.incoming.services import complete_by_reply  # issuing a reply completes the letter
from docflow.outgoing import workflows
from docflow.outgoing.models import ApprovalAction, DraftVersion, OutgoingDocument, Recipient, ReplyLink, WorkflowStep
from docflow.registry import access, events, lists, participants, reference
from docflow.registry.attachments import add_attachment
from docflow.registry.models import DocType, Document, Organization
from docflow.registry.notifications import notify
from docflow.registry.numbering import draw_number

SIGNING_CAPACITIES = ("TM.", "KT.", "TL.", "TUQ.", "Q.")
CHANNELS = ("paper", "electronic", "email")
DRAFTING_ROLES = ("specialist", "unit_head", "leader")
EDITABLE_STATES = ("draft", "returned")


def snapshot(doc: Document) -> dict:
    return {"doc_type": doc.doc_type.code if doc.doc_type else None, "subject": doc.subject,
            "urgency": doc.urgency, "confidentiality": doc.confidentiality, "signer_id": doc.signer_id,
            "signing_capacity": doc.signing_capacity, "status": doc.status, "current_step": doc.current_step,
            "number": doc.number, "number_symbol": doc.number_symbol}


def _history(action: str, doc: Document, actor, before=None, after=None) -> None:
    audit.record(action, object_type="documents", object_id=doc.id, before=before, after=after, actor=actor)


def is_as_above(name) -> bool:
    """"Như trên" (as above, with or without its dash and semicolon): the line of a recipient block
    that stands for the addressees named in the salutation. It is never a recipient itself: no
    envelope, no row in the postal book."""
    return isinstance(name, str) and fold(name).strip(" -–—+•*;:,.") == "nhu tren"


# ---- action rules (architecture decision 13) ---------------------------------------------------
# One predicate per action: the service calls it to refuse, the page to show or hide the action, the
# API gives the same answer. Who may act is refused first (403); a predicate that fails for someone
# who may act means the draft is not in a state for it (409).


def may_edit(user: User, doc: Document) -> bool:
    """Edit, add a version, submit: the drafter, while the draft is being written or was returned."""
    return doc.drafter_id == user.id and doc.status in EDITABLE_STATES


def may_decide(user: User, doc: Document) -> bool:
    """Approve, return or reject: an eligible approver of the step now waiting, never the drafter."""
    if doc.status != "in_review" or doc.drafter_id == user.id:
        return False
    step = workflows.step_at(doc, doc.current_step)
    return step is not None and user in workflows.eligible_approvers(doc, step)


def may_issue(user: User, doc: Document) -> bool:
    return user.has_role("clerk") and doc.status == "approved" and user.cleared_for(doc.confidentiality)


def may_dispatch(user: User, doc: Document) -> bool:
    return user.has_role("clerk") and doc.status == "issued"


def may_cancel(user: User, doc: Document) -> bool:
    """The drafter cancels a draft before issue; the clerk cancels an issued document (it keeps its number)."""
    if doc.status == "issued":
        return user.has_role("clerk")
    return doc.drafter_id == user.id and doc.status != "cancelled"


# ---- drafts ------------------------------------------------------------------------------------

def _clean_draft(data: dict, actor: User, partial: bool) -> dict:
    errors: dict[str, list[str]] = {}
    clean: dict = {}

    def has(field):
        return not partial or field in data

    if has("doc_type"):
        code = data.get("doc_type") or ""
        doc_type = db.session.scalar(sa.select(DocType).where(DocType.code == code, DocType.is_active.is_(True)))
        if doc_type is None:
            errors["doc_type"] = [_("Unknown document type.")]
        clean["doc_type"] = doc_type
    if has("subject"):
        clean["subject"] = clean_text(data.get("subject"), "subject", errors, 1000, required=True,
                                      label=_("Enter the subject (trích yếu)."))
    for field, allowed, default in (("urgency", URGENCIES, "normal"), ("confidentiality", CLEARANCES, "normal")):
        if has(field):
            value = data.get(field) or default
            if value not in allowed:
                errors[field] = [_("Unknown value.")]
            clean[field] = value
    if "confidentiality" in clean and clean["confidentiality"] in CLEARANCES and not actor.cleared_for(
            clean["confidentiality"]):
        errors["confidentiality"] = [_("You are not cleared for this confidentiality level.")]
    if has("signer_id"):
        signer = None
        if data.get("signer_id") not in (None, ""):
            signer = get_by_id(User, data["signer_id"])
            if signer is None or not signer.is_active:
                errors["signer_id"] = [_("Choose an active user.")]
        clean["signer_id"] = signer.id if signer else None
        clean["signer"] = signer.full_name if signer else clean_text(data.get("signer"), "signer", errors, 120)
    if has("signing_capacity"):
        capacity = data.get("signing_capacity") or None
        if capacity and capacity not in SIGNING_CAPACITIES:
            errors["signing_capacity"] = [_("One of TM., KT., TL., TUQ., Q.")]
        clean["signing_capacity"] = capacity
    if has("notes"):
        clean["notes"] = clean_text(data.get("notes"), "notes", errors, 2000, multiline=True)
    if has("recipients"):
        recipients = []
        for i, item in enumerate(data.get("recipients") or []):
            key = f"recipients.{i}"
            if not isinstance(item, dict):
                errors[key] = [_("Give an organisation, a unit or a name.")]
                continue
            if item.get("organization_id") not in (None, ""):
                org = get_by_id(Organization, item["organization_id"])
                if org is None:
                    errors[key] = [_("Choose a known organisation.")]
                    continue
                recipients.append(Recipient(organization_id=org.id, name=org.name))
            elif item.get("unit_id") not in (None, ""):
                unit = get_by_id(Unit, item["unit_id"])
                if unit is None or not unit.is_active:
                    errors[key] = [_("Choose an active unit.")]
                    continue
                recipients.append(Recipient(unit_id=unit.id, name=unit.name))
            elif is_as_above(item.get("name")):
                continue  # "Như trên": the recipient block's convention, never a recipient
            elif (name := clean_text(item.get("name"), key, errors, 250)):
                recipients.append(Recipient(name=name))
            elif key in errors:
                continue
            else:
                errors[key] = [_("Give an organisation, a unit or a name.")]
        clean["recipients"] = recipients
    if has("reply_to"):
        replies = []
        for ref in data.get("reply_to") or []:
            doc = get_by_id(Document, ref)
            if doc is None or doc.direction != "incoming" or not access.can_view(actor, doc):
                errors.setdefault("reply_to", []).append(_("Incoming document %(ref)s is unknown to you.", ref=ref))
            else:
                replies.append(doc)
        clean["reply_to"] = replies
    if has("workflow_id") and data.get("workflow_id") not in (None, ""):
        try:
            clean["workflow"] = workflows.get_workflow(data["workflow_id"])
        except NotFound:
            errors["workflow_id"] = [_("No such workflow.")]
    if errors:
        raise ValidationFailed(errors)
    return clean


def _apply(doc: Document, clean: dict) -> None:
    for key in ("doc_type", "subject", "urgency", "confidentiality", "signer_id", "signer", "signing_capacity",
                "notes"):
        if key in clean:
            setattr(doc, key, clean[key])
    if "recipients" in clean:
        db.session.execute(sa.delete(Recipient).where(Recipient.document_id == doc.id))
        for r in clean["recipients"]:
            r.document_id = doc.id
            db.session.add(r)
    if "reply_to" in clean:
        db.session.execute(sa.delete(ReplyLink).where(ReplyLink.outgoing_id == doc.id))
        for incoming_doc in clean["reply_to"]:
            db.session.add(ReplyLink(outgoing_id=doc.id, incoming_id=incoming_doc.id))


def create_draft(data: dict, *, actor: User) -> Document:
    if not actor.has_role(*DRAFTING_ROLES):
        raise PermissionDenied(_("Your roles do not allow drafting."))
    if actor.unit_id is None:
        raise ValidationFailed({"unit": [_("You need a unit to draft documents.")]})
    clean = _clean_draft(data, actor, partial=False)
    workflow = clean.pop("workflow", None) or workflows.workflow_for(clean["doc_type"])
    if workflow is None:
        raise ValidationFailed({"workflow_id": [_("No approval workflow applies; ask an administrator.")]})
    doc = OutgoingDocument(status="draft", drafter_id=actor.id, drafting_unit_id=actor.unit_id,
                   created_by_id=actor.id, workflow_id=workflow.id, medium="electronic", subject="")
    db.session.add(doc)
    _apply(doc, {k: v for k, v in clean.items() if k not in ("recipients", "reply_to")})
    db.session.flush()
    _apply(doc, {k: clean[k] for k in ("recipients", "reply_to")})
    participants.add(doc, "drafter", user_id=actor.id, unit_id=actor.unit_id)
    db.session.flush()
    _history("outgoing.draft", doc, actor, after=snapshot(doc))
    events.document_drafted.send(doc, actor=actor)
    return doc


def may_draft_reply(user: User, incoming_doc: Document) -> bool:
    """Whether the user may start a draft answering this incoming letter: a drafter (with a unit)
    who sees the letter, and the letter is not cancelled."""
    return (user.is_authenticated and user.is_active and user.has_role(*DRAFTING_ROLES) and user.unit_id is not None
            and incoming_doc.direction == "incoming" and incoming_doc.status != "cancelled"
            and access.can_view(user, incoming_doc))


def _require_drafter(doc: Document, actor: User) -> None:
    if doc.drafter_id != actor.id:
        raise PermissionDenied(_("Only the drafter can do this."))


def update_draft(doc: Document, data: dict, *, actor: User, version=None) -> Document:
    _require_drafter(doc, actor)
    check_version(doc, version)
    if not may_edit(actor, doc):
        raise Conflict(_("Only a draft or a returned draft can be edited."))
    clean = _clean_draft({k: v for k, v in data.items() if k != "version"}, actor, partial=True)
    if "workflow" in clean:
        doc.workflow_id = clean.pop("workflow").id
    before = snapshot(doc)
    _apply(doc, clean)
    doc.version += 1
    db.session.flush()
    _history("outgoing.update", doc, actor, before=before, after=snapshot(doc))
    events.document_updated.send(doc, actor=actor, changes=events.changes(before, snapshot(doc)))
    return doc


def add_version(doc: Document, file, *, actor: User, note: str | None = None, filename: str | None = None
                ) -> DraftVersion:
    """A new numbered version of the draft's file (DOCX/PDF, the upload rules of attachments)."""
    if doc.status == "issued":
        raise Conflict(_("The issued text is frozen; amend or replace it with a new document."))
    _require_drafter(doc, actor)
    if not may_edit(actor, doc):
        raise Conflict(_("A new version can be added only to a draft or a returned draft."))
    att = add_attachment(doc, file, actor=actor, filename=filename)
    if att.content_type not in ("application/pdf",
                                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"):
        raise ValidationFailed({"file": [_("A draft version must be a DOCX or PDF file.")]})
    last = db.session.scalar(sa.select(sa.func.max(DraftVersion.number)).where(DraftVersion.document_id == doc.id))
    version = DraftVersion(document_id=doc.id, number=(last or 0) + 1, attachment_id=att.id,
                           note=one_text(note, "note", 500), created_by_id=actor.id)
    db.session.add(version)
    doc.version += 1
    db.session.flush()
    _history("outgoing.version", doc, actor, after={"version": version.number, "sha256": att.sha256,
                                                    "filename": att.filename})
    return version


def versions_of(doc: Document) -> list[DraftVersion]:
    return db.session.scalars(sa.select(DraftVersion).where(DraftVersion.document_id == doc.id)
                              .order_by(DraftVersion.number)).all()


def latest_version(doc: Document) -> DraftVersion | None:
    return db.session.scalar(sa.select(DraftVersion).where(DraftVersion.document_id == doc.id)
                             .order_by(DraftVersion.number.desc()).limit(1))


# ---- the approval ladder -----------------------------------------------------------------------

def _record(doc: Document, actor: User, action: str, comment: str | None, step=None) -> None:
    db.session.add(ApprovalAction(document_id=doc.id, actor_id=actor.id, action=action, comment=comment,
                                  step_position=step.position if step else None,
                                  step_name=step.name if step else None))


def _enter_step(doc: Document, position: int, actor: User) -> None:
    """Make `position` the waiting step, skipping steps only the drafter could approve; approved
    when the ladder is done."""
    wf = workflows.get_workflow(doc.workflow_id)
    steps = [s for s in wf.steps if s.position >= position]
    for step in steps:
        approvers = workflows.eligible_approvers(doc, step)
        if not approvers:
            if step.kind == "unit_head" and doc.drafter and doc.drafter.has_role("unit_head") and \
                    doc.drafter.unit_id == doc.drafting_unit_id:
                _record(doc, actor, "skip", _("The drafter heads the unit."), step)
                continue
            raise ValidationFailed({"workflow": [_("Nobody can approve the step “%(s)s” of this draft.",
                                                   s=step.name)]})
        doc.status = "in_review"
        doc.current_step = step.position
        doc.step_due_date = calendar.add_working_days(today(), step.days)
        known = participants.user_ids(doc, "approver")
        for user in approvers:
            if user.id not in known:
                participants.add(doc, "approver", user_id=user.id)
            notify(user.id, "approval", doc, _l("Waiting for your approval (%(step)s): %(s)s", step=step.name,
                                                  s=doc.subject[:200]))
        return
    doc.status = "approved"
    doc.current_step = None
    doc.step_due_date = None
    # the clerks number and issue it: they take part from now on (an approved draft is still private)
    known = participants.user_ids(doc, "clerk")
    for clerk in people.clerks(cleared_for=doc.confidentiality):
        if clerk.id not in known:
            participants.add(doc, "clerk", user_id=clerk.id)
        notify(clerk.id, "to_issue", doc, _l("Approved, ready to issue: %(s)s", s=doc.subject[:200]))
    if doc.drafter_id:
        notify(doc.drafter_id, "approved", doc, _l("Your draft was approved: %(s)s", s=doc.subject[:200]))


def submit(doc: Document, *, actor: User) -> Document:
    """The drafter submits; a returned draft resumes at the step that returned it."""
    _require_drafter(doc, actor)
    if not may_edit(actor, doc):
        raise Conflict(_("Only a draft or a returned draft can be submitted."))
    if latest_version(doc) is None:
        raise ValidationFailed({"file": [_("Add the draft's file (a version) before submitting.")]})
    before = snapshot(doc)
    resuming = doc.status == "returned" and doc.current_step
    _record(doc, actor, "resubmit" if resuming else "submit", None, workflows.step_at(doc, doc.current_step))
    _enter_step(doc, doc.current_step if resuming else 1, actor)
    doc.version += 1
    db.session.flush()
    _history("outgoing.resubmit" if resuming else "outgoing.submit", doc, actor, before=before, after=snapshot(doc))
    events.document_submitted.send(doc, actor=actor, resumed=bool(resuming))
    return doc


def _current_step_for(doc: Document, actor: User):
    if doc.status != "in_review":
        raise Conflict(_("The draft is not waiting for approval."))
    if not may_decide(actor, doc):
        raise PermissionDenied(_("Only the approver of the current step can act on this draft."))
    return workflows.step_at(doc, doc.current_step)


def approve(doc: Document, *, actor: User, comment: str | None = None) -> Document:
    step = _current_step_for(doc, actor)
    before = snapshot(doc)
    _record(doc, actor, "approve", one_text(comment, "comment", 4000), step)
    _enter_step(doc, step.position + 1, actor)
    doc.version += 1
    db.session.flush()
    _history("outgoing.approve", doc, actor, before=before, after={**snapshot(doc), "comment": comment})
    events.document_approved.send(doc, actor=actor, step=step.position, final=doc.status == "approved")
    return doc


def _required_comment(comment) -> str:
    return one_text(comment, "comment", 4000, required=True, label=_("A comment is required."))


def return_draft(doc: Document, *, actor: User, comment: str) -> Document:
    """Back to the drafter for revision; the draft resumes at this step when resubmitted."""
    step = _current_step_for(doc, actor)  # who may act is checked before what they sent
    text = _required_comment(comment)
    before = snapshot(doc)
    _record(doc, actor, "return", text, step)
    doc.status = "returned"
    doc.step_due_date = None
    doc.version += 1
    notify(doc.drafter_id, "returned", doc, _l("Returned for revision: %(s)s", s=doc.subject[:200]))
    db.session.flush()
    _history("outgoing.return", doc, actor, before=before, after={**snapshot(doc), "comment": text})
    events.document_returned.send(doc, actor=actor, step=step.position)
    return doc


def reject(doc: Document, *, actor: User, comment: str) -> Document:
    """Final: the draft will not be issued."""
    step = _current_step_for(doc, actor)  # who may act is checked before what they sent
    text = _required_comment(comment)
    before = snapshot(doc)
    _record(doc, actor, "reject", text, step)
    doc.status = "rejected"
    doc.current_step = None
    doc.step_due_date = None
    doc.version += 1
    notify(doc.drafter_id, "rejected", doc, _l("Rejected: %(s)s", s=doc.subject[:200]))
    db.session.flush()
    _history("outgoing.reject", doc, actor, before=before, after={**snapshot(doc), "comment": text})
    events.document_rejected.send(doc, actor=actor, step=step.position)
    return doc


def approvals_of(doc: Document) -> list[ApprovalAction]:
    return db.session.scalars(sa.select(ApprovalAction).where(ApprovalAction.document_id == doc.id)
                              .order_by(ApprovalAction.id)).all()


# ---- issuing -----------------------------------------------------------------------------------

def build_symbol(number: int, doc_type: DocType, agency_abbr: str, unit_code: str | None) -> str:
    """Decree 30 App. I §3: two digits at least; `05/QĐ-UBND`; công văn `123/UBND-KT`."""
    n = f"{number:02d}"
    if doc_type.in_symbol:
        return f"{n}/{doc_type.code}-{agency_abbr}"
    return f"{n}/{agency_abbr}-{unit_code}" if unit_code else f"{n}/{agency_abbr}"


def issue(doc: Document, *, actor: User, issued_date=None, complete_replies: bool = True) -> Document:
    """The clerk issues an approved draft: number from the outgoing register of the year of issue
    (gap-free, in this transaction), number-symbol, the issued version frozen by its SHA-256."""
    if not actor.has_role("clerk"):
        raise PermissionDenied(_("Only the clerk issues documents."))
    if doc.status == "issued":
        raise Conflict(_("This document was already issued as %(s)s.", s=doc.number_symbol))
    if not actor.cleared_for(doc.confidentiality):
        raise PermissionDenied(_("You are not cleared for this document."))
    if not may_issue(actor, doc):
        raise Conflict(_("Only an approved draft can be issued."))
    day = today()
    if issued_date in (None, ""):
        issued = day
    else:
        try:
            issued = to_date(issued_date)
        except ValueError:
            raise ValidationFailed({"issued_date": [_("Enter a real date (dd/mm/yyyy).")]}) from None
    if issued > day:
        raise ValidationFailed({"issued_date": [_("The date cannot be in the future.")]})
    agency = settings.agency()
    if not agency.get("abbr"):
        raise ValidationFailed({"agency": [_("Set the agency's abbreviation first (administration).")]})
    version = latest_version(doc)
    register = reference.default_register("outgoing", doc.confidentiality != "normal", issued.year)
    before = snapshot(doc)
    doc.register = register
    doc.year = issued.year
    doc.number = draw_number(register)
    doc.number_symbol = build_symbol(doc.number, doc.doc_type, agency["abbr"],
                                     doc.drafting_unit.code if doc.drafting_unit else None)
    doc.issued_date = issued
    doc.issued_at = utcnow()
    doc.issued_sha256 = version.attachment.sha256 if version else None
    doc.status = "issued"
    doc.version += 1
    doc.sender_name = agency.get("name")
    for r in db.session.scalars(sa.select(Recipient).where(Recipient.document_id == doc.id,
                                                           Recipient.unit_id.is_not(None))):
        participants.add(doc, "recipient", unit_id=r.unit_id)
    db.session.flush()
    _history("outgoing.issue", doc, actor, before=before,
             after={**snapshot(doc), "issued_date": issued, "sha256": doc.issued_sha256})
    events.document_issued.send(doc, actor=actor)
    if complete_replies:
        for link in db.session.scalars(sa.select(ReplyLink).where(ReplyLink.outgoing_id == doc.id)):
            incoming_doc = db.session.get(Document, link.incoming_id)
            complete_by_reply(incoming_doc, doc, actor=actor)
    return doc


def cancel(doc: Document, *, actor: User, reason: str) -> Document:
    """Cancel a draft (its drafter) or an issued document (the clerk; it keeps its number)."""
    text = one_text(reason, "reason", 500, required=True, label=_("Give the reason for cancelling."))
    if doc.status == "cancelled":
        raise Conflict(_("The document is already cancelled."))
    if not may_cancel(actor, doc):
        raise PermissionDenied(_("Only the clerk cancels an issued document.") if doc.status == "issued" else
                               _("Only the drafter can cancel the draft."))
    before = snapshot(doc)
    doc.status = "cancelled"
    doc.cancelled_reason = text
    doc.current_step = None
    doc.version += 1
    db.session.flush()
    _history("outgoing.cancel", doc, actor, before=before, after={"status": "cancelled", "reason": text})
    events.document_cancelled.send(doc, actor=actor, reason=text)
    return doc


# ---- dispatch ----------------------------------------------------------------------------------

def recipients_of(doc: Document) -> list[Recipient]:
    return db.session.scalars(sa.select(Recipient).where(Recipient.document_id == doc.id)
                              .order_by(Recipient.id)).all()


def dispatch(doc: Document, *, actor: User, channel: str, recipient_ids=None, dispatched_on=None,
             envelopes: int | None = None) -> list[Recipient]:
    """Send the issued document to its recipients (all, or those named) by a channel."""
    if not actor.has_role("clerk"):
        raise PermissionDenied(_("Only the clerk dispatches documents."))
    if not may_dispatch(actor, doc):
        raise Conflict(_("Only an issued document can be dispatched."))
    if channel not in CHANNELS:
        raise ValidationFailed({"channel": [_("One of paper, electronic, email.")]})
    chosen = recipients_of(doc)
    if recipient_ids:
        wanted = {int(i) for i in recipient_ids if str(i).isdigit()}
        chosen = [r for r in chosen if r.id in wanted]
        if len(chosen) != len(set(recipient_ids)):
            raise ValidationFailed({"recipients": [_("Some recipients are not on this document.")]})
    if not chosen:
        raise ValidationFailed({"recipients": [_("The document has no recipients to dispatch to.")]})
    now = utcnow()
    if dispatched_on not in (None, ""):
        try:
            day = to_date(dispatched_on)
        except ValueError:
            raise ValidationFailed({"dispatched_on": [_("Enter a real date (dd/mm/yyyy).")]}) from None
        if day > today() or (doc.issued_date and day < doc.issued_date):
            raise ValidationFailed({"dispatched_on": [_("The date is between the issue date and today.")]})
        local_now = to_local(now)
        now = datetime.combine(day, local_now.timetz()).astimezone(UTC).replace(tzinfo=None)
    for r in chosen:
        r.channel = channel
        r.dispatched_at = now
        r.dispatched_by_id = actor.id
        r.envelopes = envelopes if channel == "paper" else None
        if r.unit_id:  # internal: the unit's head gets it in their inbox
            for head in people.unit_heads(r.unit_id):
                if head.cleared_for(doc.confidentiality):
                    notify(head.id, "internal", doc, _l("Internal document %(n)s: %(s)s", n=doc.number_symbol,
                                                          s=doc.subject[:200]))
    db.session.flush()
    _history("outgoing.dispatch", doc, actor, after={"channel": channel, "recipients": [r.name for r in chosen],
                                                     "dispatched_at": now.isoformat()})
    events.document_dispatched.send(doc, actor=actor, channel=channel, recipient_ids=[r.id for r in chosen])
    return chosen


# ---- queries -----------------------------------------------------------------------------------

def list_outgoing(user: User, *, status=None, year=None):
    stmt = access.visible_documents(user, "outgoing")  # one flow: the list walks ix_documents_list_id
    if status:
        stmt = stmt.where(Document.status == status)
    if year:
        stmt = stmt.where(Document.year == (as_id(year) or -1))
    return stmt.order_by(*lists.OUTGOING.order_by())


def awaiting_approval(user: User):
    """Drafts waiting for this user's approval (the current step is theirs)."""
    if not user.is_active:
        return []
    # the same rule as workflows.eligible_approvers, as one query (a list must not cost a query a row)
    mine = [sa.and_(WorkflowStep.kind == "user", WorkflowStep.user_id == user.id)]
    if user.roles:
        mine.append(sa.and_(WorkflowStep.kind == "role", WorkflowStep.role.in_(user.roles)))
    if user.has_role("unit_head") and user.unit_id is not None:
        mine.append(sa.and_(WorkflowStep.kind == "unit_head", OutgoingDocument.drafting_unit_id == user.unit_id))
    # the drafts in review are few: each one's own rows probed (probe=True), not a unit's whole history gathered
    stmt = (sa.select(Document).where(access.visible_filter(user, probe=True))
            .join(WorkflowStep, sa.and_(WorkflowStep.workflow_id == OutgoingDocument.workflow_id,
                                        WorkflowStep.position == OutgoingDocument.current_step))
            .where(Document.direction == "outgoing", Document.status == "in_review",
                   OutgoingDocument.drafter_id != user.id, Document.confidentiality.in_(cleared_levels(user.clearance)),
                   sa.or_(*mine))
            .order_by(OutgoingDocument.step_due_date, Document.id))
    return list(db.session.scalars(stmt))


def overdue_approvals(user: User):
    stmt = access.visible_documents(user).where(Document.direction == "outgoing", Document.status == "in_review",
                                                OutgoingDocument.step_due_date < today())
    return stmt.order_by(OutgoingDocument.step_due_date)


def internal_inbox(user: User):
    """Issued documents sent to the user's unit (incoming-internal): dispatched to it, not only addressed to it
    (an issued document not yet dispatched is not in the unit's inbox, as its head is not notified yet)."""
    if user.unit_id is None:
        return sa.select(Document).where(sa.false())
    return (access.visible_documents(user)
            .where(Document.direction == "outgoing", Document.status == "issued",
                   Document.id.in_(sa.select(Recipient.document_id).where(Recipient.unit_id == user.unit_id,
                                                                          Recipient.dispatched_at.is_not(None))))
            .order_by(OutgoingDocument.issued_at.desc()))


def replies_of(doc: Document) -> list[Document]:
    return db.session.scalars(sa.select(Document).join(ReplyLink, ReplyLink.incoming_id == Document.id)
                              .where(ReplyLink.outgoing_id == doc.id)).all()
