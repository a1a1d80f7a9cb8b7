"""Incoming pages (văn bản đến): register, list, detail with the handling actions, task inbox,
notifications. Thin adapters over incoming.services.

Every document page loads through `access.get_visible_or_404` (an invisible document is a 404).
A view calls one service, then commits once. A `ValidationFailed` is rolled back and its field
errors go onto the form, shown again (200); a `Conflict` is rolled back and shown as a message
(409); `PermissionDenied` and `NotFound` reach the app's handlers (403, 404) which roll back.
The action forms are shown under the same predicates the services check (`_may`).
"""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError
from wtforms.fields import SelectChoice

from docflow.auth import people
from docflow.auth.models import User
from docflow.auth.services import unit_tree
from docflow.core import calendar
from docflow.core.errors import ValidationFailed
from docflow.core.permissions import role_required
from docflow.core.text import fold
from docflow.core.timeutil import today
from docflow.core.values import MAX_ID, posted_id
from docflow.core.views import saving
from docflow.extensions import db
from docflow.incoming import forms as f
from docflow.incoming import services
from docflow.jobs import enqueue
from docflow.outgoing.services import may_draft_reply
from docflow.registry import access, lists, reference
from docflow.registry.attachments import add_attachment
from docflow.registry.history import history_of
from docflow.registry.models import Document, Organization
from docflow.registry.notifications import render_reading

bp = Blueprint("incoming", __name__, url_prefix="/incoming")

PER_PAGE = 25
TASK_STATES = ("open", "due_soon", "overdue", "done")
STATUSES = ("registered", "submitted", "assigned", "completed", "cancelled")

STATUS_LABELS = {
    "registered": _l("Registered"),
    "submitted": _l("Presented"),
    "assigned": _l("Assigned"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}
STATUS_BADGES = {"registered": "secondary", "submitted": "info", "assigned": "primary", "completed": "success",
                 "cancelled": "dark"}
ROLE_LABELS = {"primary": _l("Lead (chủ trì)"), "coordinate": _l("Coordinating (phối hợp)"),
               "inform": _l("For information (để biết)")}
STATE_LABELS = {"open": _l("Open"), "done": _l("Done"), "delegated": _l("Handed on"), "cancelled": _l("Cancelled")}
TASK_STATE_LABELS = {"open": _l("Open"), "due_soon": _l("Due soon"), "overdue": _l("Overdue"), "done": _l("Done")}
# ---- template helpers ------------------------------------------------------------------------

def attachment_url(attachment) -> str:
    try:
        return url_for("files.download", attachment_id=attachment.id)
    except BuildError:  # the files blueprint is not there yet
        return f"/files/attachments/{attachment.id}"


@bp.app_context_processor
def inject_incoming():
    return {
        "incoming_status_labels": STATUS_LABELS,
        "incoming_status_badges": STATUS_BADGES,
        "assignment_role_labels": ROLE_LABELS,
        "assignment_state_labels": STATE_LABELS,
        "attachment_url": attachment_url,
        "is_overdue": services.is_overdue,
    }


# ---- helpers ---------------------------------------------------------------------------------


def _load(doc_id: int) -> Document:
    return access.get_visible_or_404(current_user, doc_id, "incoming")


def _assignment(doc: Document, assignment_id: int):
    if assignment_id > MAX_ID:
        abort(404)
    return services.get_assignment(assignment_id, doc)


def _sender_data(form) -> dict:
    """The sender as the service takes it: the organisation's id when the typed name is one of the
    organisations (with or without JS), else the typed name as free text."""
    name = (form.sender_name.data or "").strip()
    org_id = posted_id(form.sender_id.data)
    if org_id and org_id != "invalid":
        org = db.session.get(Organization, int(org_id))
        if org is None or fold(org.name) != fold(name):
            org_id = None  # the name was changed after picking: the typed name wins
    if not org_id and name:
        key = fold(name)
        for org in db.session.scalars(reference.search_organizations(name, active_only=True).limit(50)):
            if fold(org.name) == key:
                org_id = str(org.id)
                break
    return {"sender_id": org_id if org_id != "invalid" else None, "sender_name": name}


def _document_data(form) -> dict:
    data = form.service_data()
    data.update(_sender_data(form))
    return data


def _register_data(form) -> dict:
    """As _document_data; an issuer typed but not picked from the organisations list is asked about
    first (RegisterForm.sender_choice): added to the list, or kept as free text, never silently."""
    data = _document_data(form)
    if data["sender_id"] or not data["sender_name"]:
        return data
    if form.sender_choice.data == "add":
        data["sender_id"] = reference.save_organization({"name": data["sender_name"]}, actor=current_user).id
    elif form.sender_choice.data != "free":
        errors = {"sender_choice": [_("“%(name)s” is not in the organisations list: add it, or keep it as free "
                                      "text.", name=data["sender_name"][:250])]}
        try:  # the other fields' errors are shown at the same time
            services.validate_incoming(data)
        except ValidationFailed as exc:
            errors.update(exc.errors)
        raise ValidationFailed(errors)
    return data


def _fill_document_choices(form) -> None:
    form.doc_type.choices = [SelectChoice(t.code, f"{t.code} — {t.name}") for t in reference.active_doc_types()]
    form.confidentiality.choices = f.clearance_choices(current_user)


def _organizations():
    """The organisations offered in the sender <datalist> before any typing (without JS as well)."""
    return db.session.scalars(reference.search_organizations(None, active_only=True).limit(300)).all()


def _enqueue_text_extraction(attachment_id: int) -> None:
    """After the commit: the text of the file is extracted in the background (for search)."""
    enqueue("extract_attachment_text", attachment_id)


def _store_file(doc: Document, storage):
    return add_attachment(doc, storage, actor=current_user)


def _has_file(storage) -> bool:
    return storage is not None and bool(getattr(storage, "filename", ""))


# ---- organisations (the sender picker) ----------------------------------------------------------

@bp.route("/organizations.json")
@login_required
def organizations_json():
    q = (request.args.get("q") or "").strip()[:100]
    stmt = reference.search_organizations(q or None, active_only=True).limit(20)
    items = [{"id": o.id, "name": o.name, "abbr": o.abbr, "code": o.code} for o in db.session.scalars(stmt)]
    return {"items": items}


# ---- register and correct ----------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@role_required("clerk")
def register():
    form = f.RegisterForm()
    _fill_document_choices(form)
    if request.method == "GET":
        form.received_date.data = today().isoformat()
    last = None
    last_id = request.args.get("last", type=int)
    if last_id and last_id <= MAX_ID:
        last = db.session.scalar(access.visible_documents(current_user).where(Document.id == last_id,
                                                                               Document.direction == "incoming"))
    duplicate = None
    status = 200
    if form.validate_on_submit():
        with saving(form) as outcome:
            doc = services.register_incoming(_register_data(form), actor=current_user, force=bool(form.force.data))
            attachment = _store_file(doc, form.file.data) if _has_file(form.file.data) else None
        if outcome.conflict is not None:
            status = 409
            existing_id = outcome.conflict.extra.get("existing_id")
            if existing_id is not None:  # shown as the duplicate box, with a link, not on top of the form
                form.form_errors.remove(outcome.error)
                duplicate = {"message": outcome.error, "id": existing_id}
        if outcome.ok:
            if attachment is not None:
                _enqueue_text_extraction(attachment.id)
            if form.submit_next.data:
                return redirect(url_for("incoming.register", last=doc.id))
            flash(_("Registered with arrival number %(n)s.", n=doc.number), "success")
            return redirect(url_for("incoming.detail", doc_id=doc.id))
    return render_template("incoming/register.html", form=form, last=last, duplicate=duplicate,
                           organizations=_organizations()), status


@bp.route("/<int:doc_id>/edit", methods=["GET", "POST"])
@role_required("clerk")
def edit(doc_id: int):
    doc = _load(doc_id)
    if request.method == "GET":
        form = f.EditForm(obj=doc)
        form.doc_type.data = doc.doc_type.code
        form.sender_id.data = str(doc.sender_org_id) if doc.sender_org_id else ""
        for name in ("issued_date", "received_date", "due_date"):
            value = getattr(doc, name)
            form[name].data = value.isoformat() if value else ""
        form.pages.data = "" if doc.pages is None else str(doc.pages)
        form.copies.data = "" if doc.copies is None else str(doc.copies)
    else:
        form = f.EditForm()
    _fill_document_choices(form)
    stale = False
    status = 200
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.update_incoming(doc, _document_data(form), actor=current_user, version=form.version.data)
        if outcome.conflict is not None:
            stale = "current_version" in outcome.conflict.extra
            status = 409
        if outcome.ok:
            flash(_("The corrections were saved."), "success")
            return redirect(url_for("incoming.detail", doc_id=doc.id))
    return render_template("incoming/edit.html", form=form, doc=doc, stale=stale,
                           organizations=_organizations()), status


# ---- list --------------------------------------------------------------------------------------

def _page(stmt, ordering=None, options=None) -> lists.Page:
    """One page of a list (registry/lists.py): ?page=N, or ?after=<cursor> from the previous page;
    `options(root)` eager-loads what the template reads of each row."""
    after = request.args.get("after") or None
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 1_000_000)
    try:
        return lists.paginate(stmt, ordering, page=page, per_page=PER_PAGE, after=after if ordering else None,
                              options=options)
    except lists.BadCursor:
        return lists.paginate(stmt, ordering, page=page, per_page=PER_PAGE, options=options)


@bp.route("/")
@login_required
def index():
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    year = request.args.get("year", type=int)
    year = year if year and 1900 <= year <= 2999 else None
    overdue = request.args.get("overdue") == "1"
    q = (request.args.get("q") or "").strip()[:100]
    stmt = services.list_incoming(current_user, status=status, year=year, overdue=overdue, q=q or None)
    pagination = _page(stmt, lists.INCOMING)
    filters = {"status": status, "year": year, "overdue": "1" if overdue else None, "q": q or None}
    return render_template("incoming/index.html", pagination=pagination, filters=filters, statuses=STATUSES)


# ---- detail and the actions on it ----------------------------------------------------------------

def _may(doc: Document, assignments) -> dict:
    """What the current user may do here: the services' own predicates."""
    user = current_user
    return {
        "edit": services.may_edit(user, doc),
        "cancel": services.may_cancel(user, doc),
        "present": services.may_present(user, doc),
        "assign": services.may_assign(user, doc),
        "urge": services.may_urge(user),
        "delegate": [a for a in assignments if services.may_delegate(user, a)],
        "progress": services.may_add_progress(user, doc, assignments),
        "opinion": services.may_give_opinion(user, doc, assignments),
        "complete": services.may_complete(user, doc, assignments),
        "read": services.may_mark_read(user, doc, assignments),
        "upload": services.may_attach(user, doc),
        "reply": may_draft_reply(user, doc),
    }


def _assignee_choices(doc: Document) -> list[SelectChoice]:
    units, people = _("Units"), _("People")
    choices = []
    for unit, depth in unit_tree():
        if unit.is_active:
            choices.append(SelectChoice(f"unit:{unit.id}", "\u2003" * depth + f"{unit.code} — {unit.name}",
                                        optgroup=units))
    stmt = sa.select(User).where(User.is_active_flag.is_(True)).order_by(User.full_name)
    for user in db.session.scalars(stmt):
        if user.cleared_for(doc.confidentiality):  # the service refuses the others
            unit = f" ({user.unit.code})" if user.unit else ""
            choices.append(SelectChoice(f"user:{user.id}", user.full_name + unit, optgroup=people))
    return choices


def _delegate_choices(doc: Document, assignment) -> list[SelectChoice]:
    stmt = (sa.select(User).where(User.unit_id == assignment.unit_id, User.is_active_flag.is_(True),
                                  User.id != current_user.id).order_by(User.full_name))
    return [SelectChoice(str(u.id), u.full_name) for u in db.session.scalars(stmt)
            if u.cleared_for(doc.confidentiality)]


def _forms(doc: Document, may: dict, given: dict) -> dict:
    """Every action form of the page, blank or prefilled; `given` holds the one just posted."""
    out = {}
    if may["cancel"]:
        out["cancel"] = given.get("cancel") or f.CancelForm(prefix="cancel", formdata=None)
    if may["present"]:
        form = given.get("present") or f.PresentForm(prefix="present", formdata=None)
        form.leader_id.choices = [SelectChoice("", _("Any leader"))] + [
            SelectChoice(str(u.id), u.full_name) for u in people.leaders(doc.confidentiality)]
        if form.leader_id.data is None and doc.presented_to_id:
            form.leader_id.data = str(doc.presented_to_id)
        out["present"] = form
    if may["assign"]:
        form = given.get("assign")
        if form is None:
            form = f.AssignForm(prefix="assign", formdata=None)
            form.due_date.data = (doc.due_date or calendar.default_due_date(doc.urgency, today())).isoformat()
            form.instruction.data = doc.instruction
        choices = _assignee_choices(doc)
        form.primary.choices = [SelectChoice("", _("Choose the lead"))] + choices
        form.coordinators.choices = choices
        form.informed.choices = choices
        out["assign"] = form
    out["delegate"] = {}
    for a in may["delegate"]:
        form = given.get(f"delegate-{a.id}") or f.DelegateForm(prefix=f"delegate-{a.id}", formdata=None)
        form.user_id.choices = [SelectChoice("", _("Choose a person"))] + _delegate_choices(doc, a)
        if form.due_date.data is None and a.due_date:
            form.due_date.data = a.due_date.isoformat()
        out["delegate"][a.id] = form
    if may["urge"]:
        out["urge"] = given.get("urge") or f.UrgeForm(prefix="urge", formdata=None)
    for name, cls in (("progress", f.ProgressForm), ("opinion", f.OpinionForm), ("complete", f.CompleteForm),
                      ("upload", f.UploadForm), ("read", f.ButtonForm)):
        if may[name]:
            out[name] = given.get(name) or cls(prefix=name, formdata=None)
    return out


def _render_detail(doc: Document, status: int = 200, conflict: str | None = None, **given):
    assignments = services.assignments_of(doc)
    may = _may(doc, assignments)
    return render_template(
        "incoming/detail.html", doc=doc, assignments=assignments, notes=services.notes_of(doc),
        history=history_of(doc), may=may, forms=_forms(doc, may, given),
        conflict=conflict), status


@bp.route("/<int:doc_id>")
@login_required
def detail(doc_id: int):
    doc = _load(doc_id)  # reading the page reads the viewer's notifications about the document
    return render_reading(current_user, doc.id, lambda: _render_detail(doc))


def _act(doc: Document, key: str, form, call, success: str, mapping: dict | None = None):
    """Run one action: the service, one commit, a message; errors shown on the page again."""
    if not form.validate_on_submit():
        if not form.errors or "csrf_token" in form.errors:
            abort(400)
        return _render_detail(doc, **{key: form})
    with saving(form, mapping) as outcome:
        call()
    if outcome.ok:
        flash(success, "success")
        return redirect(url_for("incoming.detail", doc_id=doc.id))
    if outcome.conflict:  # shown on top: the action's form may be gone (e.g. already cancelled)
        return _render_detail(doc, 409, outcome.error)
    return _render_detail(doc, **{key: form})


@bp.route("/<int:doc_id>/cancel", methods=["POST"])
@login_required
def cancel(doc_id: int):
    doc = _load(doc_id)
    form = f.CancelForm(prefix="cancel")
    return _act(doc, "cancel", form, lambda: services.cancel_incoming(doc, form.reason.data, actor=current_user),
                _("The registration was cancelled."))


@bp.route("/<int:doc_id>/present", methods=["POST"])
@login_required
def present(doc_id: int):
    doc = _load(doc_id)
    form = f.PresentForm(prefix="present")
    return _act(doc, "present", form,
                lambda: services.present(doc, actor=current_user, leader_id=posted_id(form.leader_id.data)),
                _("The document was presented."))


def _assignees(form) -> tuple[list[dict], dict]:
    """The posted choices as the service's assignee list, and where each item's errors belong."""
    items, mapping = [], {"assignees": "primary", "instruction": "instruction", "due_date": "due_date"}
    for field, role in (("primary", "primary"), ("coordinators", "coordinate"), ("informed", "inform")):
        for value in form[field].data or []:
            if not value:
                continue
            kind, _sep, ident = str(value).partition(":")
            item = {"role": role}
            if kind in ("user", "unit"):
                item[f"{kind}_id"] = posted_id(ident) or "invalid"
            mapping[f"assignees.{len(items)}"] = field
            items.append(item)
    return items, mapping


@bp.route("/<int:doc_id>/assign", methods=["POST"])
@login_required
def assign(doc_id: int):
    doc = _load(doc_id)
    form = f.AssignForm(prefix="assign")
    items, mapping = _assignees(form)
    return _act(doc, "assign", form,
                lambda: services.assign(doc, actor=current_user, instruction=form.instruction.data,
                                        assignees=items, due_date=form.due_date.data or None),
                _("The document was assigned."), mapping)


@bp.route("/<int:doc_id>/assignments/<int:assignment_id>/delegate", methods=["POST"])
@login_required
def delegate(doc_id: int, assignment_id: int):
    doc = _load(doc_id)
    assignment = _assignment(doc, assignment_id)
    form = f.DelegateForm(prefix=f"delegate-{assignment.id}")
    return _act(doc, f"delegate-{assignment.id}", form,
                lambda: services.delegate(assignment, actor=current_user, user_id=posted_id(form.user_id.data),
                                          due_date=form.due_date.data or None, note=form.note.data),
                _("The assignment was handed on."))


@bp.route("/<int:doc_id>/assignments/<int:assignment_id>/urge", methods=["POST"])
@login_required
def urge(doc_id: int, assignment_id: int):
    doc = _load(doc_id)
    assignment = _assignment(doc, assignment_id)
    form = f.UrgeForm(prefix="urge")
    return _act(doc, "urge", form,
                lambda: services.urge(assignment, actor=current_user, message=(form.message.data or "").strip()
                                      or None),
                _("A reminder was sent."), {"assignment": "message"})


@bp.route("/<int:doc_id>/progress", methods=["POST"])
@login_required
def progress(doc_id: int):
    doc = _load(doc_id)
    form = f.ProgressForm(prefix="progress")
    return _act(doc, "progress", form, lambda: services.add_progress(doc, form.note.data, actor=current_user),
                _("The progress note was added."))


@bp.route("/<int:doc_id>/opinion", methods=["POST"])
@login_required
def opinion(doc_id: int):
    doc = _load(doc_id)
    form = f.OpinionForm(prefix="opinion")
    return _act(doc, "opinion", form, lambda: services.give_opinion(doc, form.opinion.data, actor=current_user),
                _("Your opinion was recorded."))


@bp.route("/<int:doc_id>/read", methods=["POST"])
@login_required
def mark_read(doc_id: int):
    doc = _load(doc_id)
    form = f.ButtonForm(prefix="read")
    return _act(doc, "read", form, lambda: services.mark_read(doc, actor=current_user), _("Marked as read."))


@bp.route("/<int:doc_id>/complete", methods=["POST"])
@login_required
def complete(doc_id: int):
    doc = _load(doc_id)
    form = f.CompleteForm(prefix="complete")
    return _act(doc, "complete", form,
                lambda: services.complete(doc, form.result.data, actor=current_user,
                                          reply_number_symbol=form.reply_number_symbol.data or None),
                _("The document was completed."), {"reply_id": "reply_number_symbol"})


@bp.route("/<int:doc_id>/attachments", methods=["POST"])
@login_required
def upload(doc_id: int):
    doc = _load(doc_id)
    form = f.UploadForm(prefix="upload")
    if not form.validate_on_submit():
        abort(400)
    if not _has_file(form.file.data):
        form.file.errors = [_("Choose a file.")]
        return _render_detail(doc, upload=form)
    with saving(form) as outcome:
        attachment = _store_file(doc, form.file.data)  # refuses (403) who may not attach
    if not outcome.ok:
        return _render_detail(doc, upload=form), outcome.status
    _enqueue_text_extraction(attachment.id)
    flash(_("The file %(name)s was attached.", name=attachment.filename), "success")
    return redirect(url_for("incoming.detail", doc_id=doc.id))


# ---- task inbox --------------------------------------------------------------------------------

@bp.route("/tasks")
@login_required
def tasks():
    state = request.args.get("state") if request.args.get("state") in TASK_STATES else "open"
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 1_000_000)
    counts = services.count_task_tabs(current_user)
    pagination = services.task_page(current_user, state, page=page, per_page=PER_PAGE, counted=counts.get(state),
                                    options=lambda root: (selectinload(root.document),))
    return render_template("incoming/tasks.html", pagination=pagination, state=state, counts=counts,
                           state_labels=TASK_STATE_LABELS, today=today())


# ---- notifications (moved to the registry's own page) -------------------------------------------

@bp.route("/notifications", methods=["GET", "POST"])
def notifications():
    """The old address of the notifications page (bookmarks): a permanent redirect that keeps the method."""
    return redirect(url_for("notifications.index", **request.args), 308)
