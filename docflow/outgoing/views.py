"""Outgoing pages (văn bản đi): drafts and their versions, the approval ladder, issuing, dispatch,
the approver's inbox, tracking, the internal inbox, and the workflow administration. Thin
adapters over outgoing.services and outgoing.workflows.

Every document page loads through `access.get_visible_or_404` (an invisible document is a 404).
A view calls the services, then commits once. A `ValidationFailed` is rolled back and its field
errors go onto the form, shown again (200); a `Conflict` is rolled back and shown as a message
(409); `PermissionDenied` and `NotFound` reach the app's handlers (403, 404), which roll back.
The action forms are shown under the same predicates the services check (`_may`).
"""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields import SelectChoice

from docflow.auth import people
from docflow.auth.models import User
from docflow.auth.services import unit_tree
from docflow.core.enums import ROLE_LABELS, ROLES
from docflow.core.errors import Conflict, ValidationFailed
from docflow.core.fields import check_version
from docflow.core.permissions import role_required
from docflow.core.timeutil import today
from docflow.core.values import get_by_id, posted_id
from docflow.core.views import apply_errors, saving
from docflow.extensions import db
from docflow.jobs import enqueue
from docflow.outgoing import forms as f
from docflow.outgoing import services, workflows
from docflow.outgoing.models import ReplyLink, Workflow
from docflow.registry import access, lists, reference
from docflow.registry.history import history_of
from docflow.registry.models import DocType, Document
from docflow.registry.notifications import render_reading

bp = Blueprint("outgoing", __name__, url_prefix="/outgoing")

PER_PAGE = 25
#: how many of the user's incoming documents the "answers" picker offers (newest first)
REPLY_CHOICES = 300
STATUSES = ("draft", "in_review", "returned", "approved", "rejected", "issued", "cancelled")

STATUS_LABELS = {
    "draft": _l("Draft"),
    "in_review": _l("In review"),
    "returned": _l("Returned for revision"),
    "approved": _l("Approved, to issue"),
    "rejected": _l("Rejected"),
    "issued": _l("Issued"),
    "cancelled": _l("Cancelled"),
}
STATUS_BADGES = {"draft": "secondary", "in_review": "info", "returned": "warning", "approved": "primary",
                 "rejected": "danger", "issued": "success", "cancelled": "dark"}
APPROVAL_LABELS = {
    "submit": _l("Submitted"),
    "resubmit": _l("Resubmitted"),
    "approve": _l("Approved"),
    "return": _l("Returned"),
    "reject": _l("Rejected"),
    "skip": _l("Skipped"),
}
STALE = _l("Someone else changed this document meanwhile: nothing was saved. Check its current state and try "
           "again.")


@bp.app_context_processor
def inject_outgoing():
    return {"outgoing_status_labels": STATUS_LABELS, "outgoing_status_badges": STATUS_BADGES}


# ---- helpers ---------------------------------------------------------------------------------


def _has_file(storage) -> bool:
    return storage is not None and bool(getattr(storage, "filename", ""))


def _enqueue_text_extraction(attachment_id: int) -> None:
    """After the commit: the file's text is extracted in the background (for search)."""
    enqueue("extract_attachment_text", attachment_id)


def _load(doc_id: int) -> Document:
    return access.get_visible_or_404(current_user, doc_id, "outgoing")


def _version(form) -> str | None:
    return form.version.data or None


def _fill_draft_choices(form, doc: Document | None = None, answering: Document | None = None) -> None:
    types = reference.active_doc_types()
    form.doc_type.choices = [SelectChoice(t.code, f"{t.code} — {t.name}") for t in types]
    if doc is not None and doc.doc_type and doc.doc_type.code not in {t.code for t in types}:
        form.doc_type.choices.append(SelectChoice(doc.doc_type.code, doc.doc_type.name))
    orgs, units = _("External organisations"), _("Units")
    choices = [SelectChoice(f"org:{o.id}", o.name + (f" ({o.abbr})" if o.abbr else ""), optgroup=orgs)
               for o in db.session.scalars(reference.search_organizations(active_only=True))]
    choices += [SelectChoice(f"unit:{u.id}", "\u2003" * depth + f"{u.code} — {u.name}", optgroup=units)
                for u, depth in unit_tree() if u.is_active]
    form.recipients.choices = choices
    form.signer_id.choices = [SelectChoice("", _("(not yet chosen)"))] + [
        SelectChoice(str(u.id), u.full_name) for u in people.leaders()]
    form.confidentiality.choices = f.clearance_choices(current_user)
    incoming = db.session.scalars(access.visible_documents(current_user, "incoming")  # the letters to answer
                                  .order_by(*lists.INCOMING.order_by()).limit(REPLY_CHOICES)).all()
    if answering is not None:  # the letter a "draft a reply" button names comes first, however old
        incoming = [answering, *(d for d in incoming if d.id != answering.id)]
    if doc is not None:  # keep the documents it already answers, however old
        known = {d.id for d in incoming}
        incoming += [d for d in services.replies_of(doc) if d.id not in known and access.can_view(current_user, d)]
    form.reply_to.choices = [
        SelectChoice(str(d.id), " · ".join(x for x in (f"#{d.number}" if d.number else "", d.number_symbol or "",
                                                      d.sender_name or "", (d.subject or "")[:80]) if x))
        for d in incoming]


def _answering() -> Document | None:
    """The incoming letter named by `?reply_to=<id>` (/outgoing/new?reply_to=...), if the user may answer it."""
    incoming = get_by_id(Document, request.args.get("reply_to")) if request.args.get("reply_to") else None
    return incoming if incoming is not None and services.may_draft_reply(current_user, incoming) else None


def _draft_data(form) -> tuple[dict, dict]:
    """The form as the service takes it, and where each item's errors belong."""
    recipients, mapping = [], {}
    for value in form.recipients.data or []:
        kind, _sep, ident = str(value).partition(":")
        mapping[f"recipients.{len(recipients)}"] = "recipients"
        recipients.append({"organization_id": posted_id(ident)} if kind == "org" else {"unit_id": posted_id(ident)})
    for line in (form.recipient_names.data or "").splitlines():
        if line.strip():
            mapping[f"recipients.{len(recipients)}"] = "recipient_names"
            recipients.append({"name": line.strip()})
    data = {
        "doc_type": form.doc_type.data,
        "subject": form.subject.data,
        "urgency": form.urgency.data,
        "confidentiality": form.confidentiality.data,
        "signer_id": posted_id(form.signer_id.data) if form.signer_id.data else None,
        "signing_capacity": form.signing_capacity.data or None,
        "notes": form.notes.data,
        "recipients": recipients,
        "reply_to": [v for v in form.reply_to.data or [] if v],
    }
    return data, mapping


def _prefill_draft(form, doc: Document) -> None:
    form.doc_type.data = doc.doc_type.code if doc.doc_type else None
    form.subject.data = doc.subject
    form.urgency.data = doc.urgency
    form.confidentiality.data = doc.confidentiality
    form.signer_id.data = str(doc.signer_id) if doc.signer_id else ""
    form.signing_capacity.data = doc.signing_capacity or ""
    form.notes.data = doc.notes
    picked, names = [], []
    for r in services.recipients_of(doc):
        if r.organization_id:
            picked.append(f"org:{r.organization_id}")
        elif r.unit_id:
            picked.append(f"unit:{r.unit_id}")
        else:
            names.append(r.name)
    form.recipients.data = picked
    form.recipient_names.data = "\n".join(names)
    form.reply_to.data = [str(i) for i in db.session.scalars(
        sa.select(ReplyLink.incoming_id).where(ReplyLink.outgoing_id == doc.id))]
    form.version.data = str(doc.version)


# ---- list --------------------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    year = request.args.get("year", type=int)
    year = year if year and 1900 <= year <= 2999 else None
    stmt = services.list_outgoing(current_user, status=status, year=year)
    after = request.args.get("after") or None
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 1_000_000)
    try:  # registry/lists.py: the index walked in order, a bounded count, ?after=<cursor> for keyset paging
        pagination = lists.paginate(stmt, lists.OUTGOING, page=page, per_page=PER_PAGE, after=after)
    except lists.BadCursor:
        pagination = lists.paginate(stmt, lists.OUTGOING, page=page, per_page=PER_PAGE)
    filters = {"status": status, "year": year}
    return render_template("outgoing/index.html", pagination=pagination, filters=filters, statuses=STATUSES)


# ---- drafting ----------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@role_required(*services.DRAFTING_ROLES)
def new():
    form = f.DraftForm()
    answering = _answering()
    _fill_draft_choices(form, answering=answering)
    if request.method == "GET" and answering is not None:  # the incoming letter's "draft a reply" button
        form.reply_to.data = [str(answering.id)]
        if answering.sender_org_id:
            form.recipients.data = [f"org:{answering.sender_org_id}"]
    if form.validate_on_submit():
        data, mapping = _draft_data(form)
        errors: dict[str, list[str]] = {}
        if not _has_file(form.file.data):
            errors["file"] = [_("Choose the draft's file (DOCX or PDF).")]
        version = None
        try:
            doc = services.create_draft(data, actor=current_user)
            if not errors:
                version = services.add_version(doc, form.file.data, actor=current_user,
                                               note=form.version_note.data)
        except ValidationFailed as exc:
            errors = {**exc.errors, **errors}
        if errors:
            db.session.rollback()
            apply_errors(form, errors, mapping)
        else:
            doc_id, attachment_id = doc.id, version.attachment_id  # read before the commit expires them
            db.session.commit()
            _enqueue_text_extraction(attachment_id)
            flash(_("The draft was saved. Submit it for approval when it is ready."), "success")
            return redirect(url_for("outgoing.detail", doc_id=doc_id))
    return render_template("outgoing/new.html", form=form)


@bp.route("/<int:doc_id>/edit", methods=["GET", "POST"])
@login_required
def edit(doc_id: int):
    doc = _load(doc_id)
    if doc.drafter_id != current_user.id:
        abort(403)
    if request.method == "GET":
        form = f.EditDraftForm(formdata=None)
        _fill_draft_choices(form, doc)
        _prefill_draft(form, doc)
        if not services.may_edit(current_user, doc):
            flash(_("Only a draft or a returned draft can be edited."), "warning")
            return redirect(url_for("outgoing.detail", doc_id=doc.id))
        return render_template("outgoing/edit.html", form=form, doc=doc, stale=False)
    form = f.EditDraftForm()
    _fill_draft_choices(form, doc)
    status, stale = 200, False
    if form.validate_on_submit():
        data, mapping = _draft_data(form)
        with saving(form, mapping) as outcome:
            services.update_draft(doc, data, actor=current_user, version=_version(form))
        if outcome.conflict is not None:
            stale = "current_version" in outcome.conflict.extra
            if stale:
                form.form_errors[-1] = str(STALE)
            status = 409
        if outcome.ok:
            flash(_("The draft was saved."), "success")
            return redirect(url_for("outgoing.detail", doc_id=doc_id))
    return render_template("outgoing/edit.html", form=form, doc=doc, stale=stale), status


# ---- detail and the actions on it --------------------------------------------------------------

def _current_step(doc: Document):
    return workflows.step_at(doc, doc.current_step) if doc.status == "in_review" else None


def _may(doc: Document) -> dict:
    """What the current user may do here: the services' own predicates."""
    user = current_user
    editable = services.may_edit(user, doc)
    return {
        "edit": editable,
        "upload": editable,
        "submit": editable,
        "decide": services.may_decide(user, doc),
        "issue": services.may_issue(user, doc),
        "dispatch": services.may_dispatch(user, doc),
        "cancel": services.may_cancel(user, doc),
    }


FORMS = {"upload": f.VersionForm, "submit": f.ButtonForm, "approve": f.ApproveForm, "return": f.ReturnForm,
         "reject": f.RejectForm, "issue": f.IssueForm, "dispatch": f.DispatchForm, "cancel": f.CancelForm}
GATES = {"upload": "upload", "submit": "submit", "approve": "decide", "return": "decide", "reject": "decide",
         "issue": "issue", "dispatch": "dispatch", "cancel": "cancel"}


def _forms(doc: Document, may: dict, given: dict) -> dict:
    """Every action form of the page the user may use, blank or as just posted."""
    out = {}
    for name, cls in FORMS.items():
        if not may[GATES[name]]:
            continue
        form = given.get(name) or cls(prefix=name, formdata=None)
        if "version" in form._fields and not form.version.data:
            form.version.data = str(doc.version)
        out[name] = form
    if "issue" in out and not out["issue"].issued_date.data:
        out["issue"].issued_date.data = today().isoformat()
    if "dispatch" in out:
        out["dispatch"].recipient_ids.choices = [SelectChoice(str(r.id), r.name)
                                                 for r in services.recipients_of(doc)]
    return out


def _render_detail(doc: Document, status: int = 200, error: str | None = None, **given):
    may = _may(doc)
    wf = db.session.get(Workflow, doc.workflow_id) if doc.workflow_id else None
    step = _current_step(doc)
    approvers = workflows.eligible_approvers(doc, step) if step else []
    replies = [d for d in services.replies_of(doc) if access.can_view(current_user, d)]

    return render_template(
        "outgoing/detail.html", doc=doc, may=may, forms=_forms(doc, may, given), workflow=wf, step=step,
        approvers=approvers, versions=services.versions_of(doc), recipients=services.recipients_of(doc),
        approvals=services.approvals_of(doc), history=history_of(doc), replies=replies, error=error,
        approval_labels=APPROVAL_LABELS, channel_labels=f.CHANNEL_LABELS,
        today=today()), status


@bp.route("/<int:doc_id>")
@login_required
def detail(doc_id: int):
    doc = _load(doc_id)  # reading the page reads the viewer's notifications about the document
    return render_reading(current_user, doc.id, lambda: _render_detail(doc))


def _act(doc: Document, key: str, call, success, mapping: dict | None = None, check_stale: bool = True):
    """Run one action posted from the detail page: the service, one commit, a message; errors are
    shown on the page again."""
    form = FORMS[key](prefix=key)
    if key == "dispatch":
        form.recipient_ids.choices = [SelectChoice(str(r.id), r.name) for r in services.recipients_of(doc)]
    if not form.validate_on_submit():
        if not form.errors or "csrf_token" in form.errors:
            abort(400)
        return _render_detail(doc, **{key: form})
    doc_id = doc.id  # read before the commit expires it (a reload would open a new transaction)
    message = None
    with saving(form, mapping) as outcome:
        if check_stale and "version" in form._fields:
            check_version(doc, _version(form))
        message = call(form)
    if outcome.conflict is not None:
        form.form_errors.remove(outcome.error)  # shown on top of the page instead
        text = str(STALE) if "current_version" in outcome.conflict.extra else outcome.error
        if "version" in form._fields:  # shown again with the version now current
            form.version.data = None
        return _render_detail(doc, 409, error=text, **{key: form})
    if not outcome.ok:
        return _render_detail(doc, **{key: form})
    flash(message or success, "success")
    return redirect(url_for("outgoing.detail", doc_id=doc_id))


@bp.route("/<int:doc_id>/versions", methods=["POST"])
@login_required
def upload(doc_id: int):
    doc = _load(doc_id)
    holder = {}

    def call(form):
        if not _has_file(form.file.data):
            raise ValidationFailed({"file": [_("Choose the file of the new version.")]})
        version = services.add_version(doc, form.file.data, actor=current_user, note=form.note.data)
        holder["attachment_id"] = version.attachment_id  # read before the commit expires it
        return _("Version %(n)d was added.", n=version.number)

    response = _act(doc, "upload", call, None)
    if "attachment_id" in holder and response.status_code == 302:
        _enqueue_text_extraction(holder["attachment_id"])
    return response


@bp.route("/<int:doc_id>/submit", methods=["POST"])
@login_required
def submit(doc_id: int):
    doc = _load(doc_id)
    return _act(doc, "submit", lambda form: services.submit(doc, actor=current_user) and None,
                _("The draft was submitted for approval."), {"file": "submit", "workflow": "submit"})


def _decision_allowed(doc: Document) -> None:
    """The return and reject services check the comment before the approver; check who first, so a
    stranger meets the 403 and not a form error on a form they are not shown."""
    if doc.status == "in_review" and not services.may_decide(current_user, doc):
        abort(403)


@bp.route("/<int:doc_id>/approve", methods=["POST"])
@login_required
def approve(doc_id: int):
    doc = _load(doc_id)
    return _act(doc, "approve", lambda form: services.approve(doc, actor=current_user, comment=form.comment.data)
                and None, _("You approved the draft."))


@bp.route("/<int:doc_id>/return", methods=["POST"])
@login_required
def return_draft(doc_id: int):
    doc = _load(doc_id)
    _decision_allowed(doc)
    return _act(doc, "return",
                lambda form: services.return_draft(doc, actor=current_user, comment=form.comment.data) and None,
                _("The draft was returned to its drafter."))


@bp.route("/<int:doc_id>/reject", methods=["POST"])
@login_required
def reject(doc_id: int):
    doc = _load(doc_id)
    _decision_allowed(doc)
    return _act(doc, "reject", lambda form: services.reject(doc, actor=current_user, comment=form.comment.data)
                and None, _("The draft was rejected."))


@bp.route("/<int:doc_id>/issue", methods=["POST"])
@login_required
def issue(doc_id: int):
    doc = _load(doc_id)

    def call(form):
        services.issue(doc, actor=current_user, issued_date=(form.issued_date.data or "").strip() or None)
        return _("Issued as %(n)s.", n=doc.number_symbol)

    return _act(doc, "issue", call, None, {"agency": "submit"})


@bp.route("/<int:doc_id>/dispatch", methods=["POST"])
@login_required
def dispatch(doc_id: int):
    doc = _load(doc_id)

    def call(form):
        raw = (form.envelopes.data or "").strip()
        envelopes = None
        if raw:
            if not raw.isdigit() or not 1 <= int(raw) <= 10000:
                raise ValidationFailed({"envelopes": [_("A number from 1 to 10000.")]})
            envelopes = int(raw)
        chosen = services.dispatch(doc, actor=current_user, channel=form.channel.data,
                                   recipient_ids=[v for v in form.recipient_ids.data or [] if v] or None,
                                   envelopes=envelopes)
        return _("Dispatch recorded for %(n)d recipients.", n=len(chosen))

    return _act(doc, "dispatch", call, None, {"recipients": "recipient_ids"}, check_stale=False)


@bp.route("/<int:doc_id>/cancel", methods=["POST"])
@login_required
def cancel(doc_id: int):
    doc = _load(doc_id)
    return _act(doc, "cancel", lambda form: services.cancel(doc, actor=current_user, reason=form.reason.data)
                and None, _("The document was cancelled."))


# ---- inboxes -----------------------------------------------------------------------------------

@bp.route("/awaiting")
@login_required
def awaiting():
    docs = services.awaiting_approval(current_user)
    steps = workflows.current_steps(docs)
    return render_template("outgoing/awaiting.html", docs=docs, steps=steps, today=today())


@bp.route("/tracking")
@role_required("leader", "clerk")
def tracking():
    overdue = db.session.scalars(services.overdue_approvals(current_user).limit(500)).all()
    pagination = db.paginate(services.list_outgoing(current_user, status="in_review"), per_page=PER_PAGE,
                             max_per_page=PER_PAGE, error_out=False)
    to_issue = []
    if current_user.has_role("clerk"):  # the clerks take part in an approved draft (services._enter_step)
        to_issue = db.session.scalars(services.list_outgoing(current_user, status="approved").limit(500)).all()
    steps = workflows.current_steps([*overdue, *pagination.items])
    return render_template("outgoing/tracking.html", overdue=overdue, pagination=pagination, to_issue=to_issue,
                           steps=steps, today=today())


@bp.route("/internal")
@login_required
def internal():
    pagination = db.paginate(services.internal_inbox(current_user), per_page=PER_PAGE, max_per_page=PER_PAGE,
                             error_out=False)
    return render_template("outgoing/internal.html", pagination=pagination)


# ---- workflows (administration) ----------------------------------------------------------------

def _fill_workflow_choices(form) -> None:
    types = db.session.scalars(sa.select(DocType).order_by(DocType.sort_order, DocType.code)).all()
    form.doc_types.choices = [SelectChoice(t.code, f"{t.code} — {t.name}") for t in types]
    roles = [SelectChoice("", "—")] + [SelectChoice(r, ROLE_LABELS[r]) for r in ROLES if r != "unit_head"]
    people = [SelectChoice("", "—")] + [
        SelectChoice(str(u.id), u.full_name + (f" ({u.unit.code})" if u.unit else ""))
        for u in db.session.scalars(sa.select(User).where(User.is_active_flag.is_(True)).order_by(User.full_name))]
    for entry in form.steps:
        entry.form.role.choices = roles
        entry.form.user_id.choices = people


def _prefill_workflow(form, wf: Workflow) -> None:
    form.name.data = wf.name
    form.doc_types.data = [b.doc_type.code for b in wf.bindings]
    form.is_default.data = wf.is_default
    form.active.data = wf.is_active
    form.version.data = str(wf.version)
    for entry, step in zip(form.steps, wf.steps, strict=False):
        entry.form.name.data = step.name
        entry.form.kind.data = step.kind
        entry.form.role.data = step.role or ""
        entry.form.user_id.data = str(step.user_id) if step.user_id else ""
        entry.form.days.data = str(step.days)


def _workflow_data(form) -> tuple[dict, dict]:
    """The table's filled rows as the service's steps; `rows` maps a step's index to its row."""
    steps, rows = [], {}
    for row, entry in enumerate(form.steps):
        step = entry.form
        name, kind, days = (step.name.data or "").strip(), step.kind.data or "", (step.days.data or "").strip()
        if not (name or kind):
            continue
        item = {"name": name}
        if kind == "unit_head":
            item["role"] = "unit_head"
        elif kind == "role":
            item["role"] = step.role.data or None
        elif kind == "user":
            item["user_id"] = posted_id(step.user_id.data) if step.user_id.data else None
        if days:
            item["days"] = days
        rows[len(steps)] = row
        steps.append(item)
    data = {"name": form.name.data, "doc_types": [c for c in form.doc_types.data or [] if c],
            "steps": steps, "is_default": bool(form.is_default.data), "active": bool(form.active.data)}
    return data, rows


def _save_workflow(form, wf: Workflow | None):
    """Run the save; returns (workflow or None, step errors by row, status)."""
    data, rows = _workflow_data(form)
    step_errors: dict[int, list[str]] = {}
    try:
        if wf is not None:
            check_version(wf, _version(form))
        saved = workflows.save_workflow(data, wf, actor=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        for key, messages in exc.errors.items():
            if key.startswith("steps."):
                index = key.partition(".")[2]
                row = rows.get(int(index)) if index.isdigit() else None
                if row is not None:
                    step_errors.setdefault(row, []).extend(messages)
                    continue
            if key == "steps":
                form.form_errors.extend(messages)
            else:
                apply_errors(form, {key: messages})
        return None, step_errors, 200
    except Conflict as exc:
        db.session.rollback()
        form.form_errors.append(str(STALE) if "current_version" in exc.extra else exc.detail)
        return None, step_errors, 409
    db.session.commit()
    return saved, step_errors, 200


@bp.route("/workflows")
@role_required("admin")
def workflow_list():
    items = db.session.scalars(workflows.list_workflows()).all()
    return render_template("outgoing/workflows.html", workflows=items, kind_labels=f.STEP_KIND_LABELS)


@bp.route("/workflows/new", methods=["GET", "POST"])
@role_required("admin")
def workflow_new():
    form = f.WorkflowForm()
    _fill_workflow_choices(form)
    step_errors, status = {}, 200
    if form.validate_on_submit():
        wf, step_errors, status = _save_workflow(form, None)
        if wf is not None:
            flash(_("The workflow %(name)s was saved.", name=wf.name), "success")
            return redirect(url_for("outgoing.workflow_list"))
    return render_template("outgoing/workflow_form.html", form=form, wf=None, step_errors=step_errors,
                           stale=False), status


@bp.route("/workflows/<int:workflow_id>", methods=["GET", "POST"])
@role_required("admin")
def workflow_edit(workflow_id: int):
    wf = db.get_or_404(Workflow, workflow_id)
    if request.method == "GET":
        form = f.WorkflowForm(formdata=None)
        _fill_workflow_choices(form)
        _prefill_workflow(form, wf)
        return render_template("outgoing/workflow_form.html", form=form, wf=wf, step_errors={}, stale=False)
    form = f.WorkflowForm()
    _fill_workflow_choices(form)
    step_errors, status = {}, 200
    if form.validate_on_submit():
        saved, step_errors, status = _save_workflow(form, wf)
        if saved is not None:
            flash(_("The workflow %(name)s was saved.", name=saved.name), "success")
            return redirect(url_for("outgoing.workflow_list"))
    return render_template("outgoing/workflow_form.html", form=form, wf=wf, step_errors=step_errors,
                           stale=status == 409), status
