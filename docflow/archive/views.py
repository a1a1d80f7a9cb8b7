"""/archive/: the archive's pages (issue 7/9, domain.md §4): the work queue, the retention table, the
year's file plan, dossiers (their documents, closing, keep-back, transfer, loans), the printable cover
and document index, transfer lists and handover records, the borrowing book and disposition; and, on
every document's page, the dossiers it sits in with a "file into dossier" form.

The pages are thin: archive/services.py owns every rule and change (it flushes; these views commit
once through core.views.saving), archive/rules.py says who may do what (the same predicates hide the
buttons here), and what a page lists of a dossier's documents is what the reader may see
(registry/access.py) — its exports and counts too.
"""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields import SelectChoice

from docflow.archive import dashboard, exports, rules, services
from docflow.archive import forms as f
from docflow.archive.models import (
    DOSSIER_STATUSES,
    LOAN_STATES,
    Dossier,
    DossierDocument,
    KeepBack,
    Loan,
    RetentionPeriod,
    Transfer,
)
from docflow.auth.models import Unit, User
from docflow.core.errors import ValidationFailed
from docflow.core.timeutil import today
from docflow.core.values import get_by_id
from docflow.core.views import apply_errors, saving
from docflow.extensions import db
from docflow.registry.access import get_visible_or_404, visible_filter
from docflow.registry.books import display
from docflow.registry.models import Document

bp = Blueprint("archive", __name__, url_prefix="/archive")

PER_PAGE = 50
#: lines of the borrowing book a page shows (the XLSX has the same lines)
BOOK_ROWS = 500
#: documents offered in a "add a document" select box, and dossiers in a "file into" one
CHOICES_LIMIT = 200

#: a dossier's status ("Open" and "Closed" alone already mean other things in the catalogue)
STATUS_LABELS = {"planned": _l("Planned"), "open": _l("Open for filing"), "closed": _l("Ended"),
                 "archived": _l("Archived"), "destroyed": _l("Destroyed")}
LOAN_STATE_LABELS = {"requested": _l("Requested"), "approved": _l("Approved"), "lent": _l("Lent"),
                     "returned": _l("Returned"), "refused": _l("Refused"), "overdue": _l("Overdue")}
DECISION_LABELS = {"proposed": _l("Awaiting decision"), "approved": _l("Approved"), "refused": _l("Refused")}
TRANSFER_STATE_LABELS = {"warning": _l("Transfer due soon"), "late": _l("Transfer late")}


@bp.app_context_processor
def archive_context():
    return {"archive_rules": rules}


@bp.app_template_global()
def archive_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@bp.app_template_global()
def archive_roman(n: int) -> str:
    """A major heading's number in the file plan (I, II, III...)."""
    return exports.roman(n)


@bp.app_template_global()
def archive_medium_label(medium: str) -> str:
    return next((str(c.label) for c in f.medium_choices() if c.value == medium), medium or "")


@bp.app_template_global()
def archive_cell(value) -> str:
    """A sheet's cell as the page shows it (dates dd/mm/yyyy), as the XLSX holds it."""
    return display(value)


@bp.app_template_global()
def archive_retention_label(years) -> str:
    return exports.retention_label(years)


@bp.app_template_global()
def archive_document_dossiers(doc) -> dict:
    """For a document's page (the caller has shown it, so the user may see it): the dossiers it sits in
    that the user may see, and a "file into dossier" form listing the open dossiers the user may fill."""
    if not current_user.is_authenticated or doc is None or doc.id is None:
        return {"dossiers": [], "form": None}
    dossiers = services.dossiers_of_document(doc, current_user)
    candidates = services.fileable_dossiers(current_user, doc, limit=CHOICES_LIMIT)
    form = None
    if candidates:
        form = f.FileForm(prefix="file", formdata=None)
        form.dossier_id.choices = [SelectChoice("", _("Choose a dossier"))] + [
            SelectChoice(str(d.id), f"{d.code} – {d.title} ({d.year})") for d in candidates]
    return {"dossiers": dossiers, "form": form}


# ---- helpers --------------------------------------------------------------------------------------

def _count(stmt) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0


def _visible_counts(dossier_ids: list[int]) -> dict[int, int]:
    """How many documents of each dossier the current user may see (a list's count column)."""
    if not dossier_ids:
        return {}
    rows = db.session.execute(
        sa.select(DossierDocument.dossier_id, sa.func.count())
        .join(Document, Document.id == DossierDocument.document_id)
        .where(DossierDocument.dossier_id.in_(dossier_ids), visible_filter(current_user))
        .group_by(DossierDocument.dossier_id))
    return dict(rows.all())


def _int_arg(name: str) -> int | None:
    value = (request.args.get(name) or "").strip()
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _page_arg() -> int:
    page = _int_arg("page") or 1
    return min(max(page, 1), 100000)


def _checked_year(year: int) -> int:
    if not 1945 <= year <= 2999:
        abort(404)
    return year


def _unit_choices(blank: str):
    units = db.session.scalars(sa.select(Unit).order_by(Unit.name)).all()
    return [SelectChoice("", blank)] + [SelectChoice(str(u.id), u.name) for u in units]


def _user_choices(blank: str):
    people = db.session.scalars(sa.select(User).where(User.is_active_flag.is_(True)).order_by(User.full_name)).all()
    return [SelectChoice("", blank)] + [SelectChoice(str(u.id), u.full_name) for u in people]


def _retention_choices(form) -> None:
    periods = services.retention_periods()
    form.retention_id.choices = [SelectChoice("", _("Choose the retention"))] + [
        SelectChoice(str(p.id), p.name) for p in periods]
    form.retention_years_of = {p.id: p.years for p in periods}


def _bad_post(form) -> bool:
    """A posted form whose CSRF token is missing or wrong: a 400, nothing changed."""
    return "csrf_token" in form.errors


def _dossier(dossier_id: int) -> Dossier:
    return services.get_dossier(current_user, dossier_id)


def _sees_dispositions() -> bool:
    return current_user.has_role("admin", "archivist", "leader")


# ---- the work queue ---------------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    """The archivist's work queue (handled documents in no dossier, dossiers of an ended year still
    open, transfers due) and the archive's counts, within what the user may see."""
    queue = services.work_queue(current_user)
    counts = dashboard.archive_counts(current_user)
    unfiled = db.session.scalars(queue["unfiled"].limit(20)).all()
    open_ended = db.session.scalars(queue["open_ended"].limit(20)).all()
    keep_backs = []
    if current_user.has_role("leader"):
        keep_backs = db.session.scalars(services.keep_backs_for(current_user, state="proposed").limit(100)).all()
    return render_template("archive/index.html", counts=counts, unfiled=unfiled, open_ended=open_ended,
                           transfers=queue["transfers"], keep_backs=keep_backs, statuses=DOSSIER_STATUSES,
                           transfer_labels=TRANSFER_STATE_LABELS)


# ---- the retention table ---------------------------------------------------------------------------

@bp.route("/retention", methods=["GET", "POST"])
@login_required
def retention():
    may_edit = rules.may_edit_retention(current_user)
    periods = services.retention_periods(active_only=False)
    form, status = None, 200
    if request.method == "POST":
        if not may_edit:
            abort(403)
        form = f.RetentionForm(prefix="retention")
        if not form.validate_on_submit():
            if _bad_post(form):
                abort(400)
        else:
            period_id = f.blank_none(form.period_id.data)
            period = None
            if period_id is not None:
                period = get_by_id(RetentionPeriod, period_id)
                if period is None:
                    abort(404)
            with saving(form) as outcome:
                services.save_retention(form.values(), actor=current_user, period=period)
            if outcome.ok:
                flash(_("The retention period was saved."), "success")
                return redirect(url_for("archive.retention"))
            status = outcome.status
    if form is None and may_edit:
        form = f.RetentionForm(prefix="retention", formdata=None)
    return render_template("archive/retention.html", periods=periods, form=form, may_edit=may_edit), status


# ---- the file plan ----------------------------------------------------------------------------------

def _plan_dossiers(plan) -> list[Dossier]:
    """The plan's dossiers whose metadata the user may see (rules.dossier_filter), by code."""
    return db.session.scalars(sa.select(Dossier).where(Dossier.plan_id == plan.id, rules.dossier_filter(current_user))
                              .order_by(Dossier.code, Dossier.id)).all()


def _plan_sheet(plan) -> exports.Sheet:
    return exports.file_plan(plan, _plan_dossiers(plan))


def _plan_page(year: int, status: int = 200, **given):
    plan = services.plan_for(year)
    dossiers = []
    if plan is not None:
        dossiers = _plan_dossiers(plan)
    may_draft = rules.may_draft_plan(current_user, plan)
    forms = {}
    if may_draft:
        forms["copy_plan"] = given.get("copy") or f.PlanCopyForm(prefix="copy", formdata=None,
                                                            data={"from_year": str(year - 1)})
        if plan is not None:
            heading = given.get("heading") or f.HeadingForm(prefix="heading", formdata=None)
            heading.unit_id.choices = _unit_choices(_("No unit"))
            heading.parent_id.choices = [SelectChoice("", _("A major heading"))] + [
                SelectChoice(str(h.id), h.title) for h in plan.headings if h.parent_id is None]
            forms["heading"] = heading
            pd = given.get("dossier") or f.PlanDossierForm(prefix="dossier", formdata=None)
            pd.heading_id.choices = [SelectChoice("", _("No heading"))] + [
                SelectChoice(str(h.id), h.title) for h in plan.headings]
            pd.unit_id.choices = _unit_choices(_("No unit"))
            pd.keeper_id.choices = _user_choices(_("No keeper yet"))
            _retention_choices(pd)
            forms["dossier"] = pd
    if plan is not None and rules.may_approve_plan(current_user, plan):
        forms["approve"] = given.get("approve") or f.VersionedActionForm(prefix="approve", formdata=None,
                                                                         data={"version": plan.version})
    by_heading: dict = {}
    for d in dossiers:
        by_heading.setdefault(d.heading_id, []).append(d)
    return render_template("archive/plan.html", year=year, plan=plan, by_heading=by_heading, dossiers=dossiers,
                           forms=forms, may_draft=may_draft), status


@bp.route("/plans/")
@login_required
def plans():
    return redirect(url_for("archive.plan", year=today().year))


@bp.route("/plans/<int:year>")
@login_required
def plan(year: int):
    return _plan_page(_checked_year(year))


def _plan_action(year: int, key: str, form, call, success: str):
    if not form.validate_on_submit():
        if _bad_post(form):
            abort(400)
        return _plan_page(year, **{key: form})
    with saving(form) as outcome:
        call()
    if outcome.ok:
        flash(success, "success")
        return redirect(url_for("archive.plan", year=year))
    return _plan_page(year, outcome.status, **{key: form})


@bp.route("/plans/<int:year>/print")
@login_required
def plan_print(year: int):
    """The file plan as issued (danh mục hồ sơ): printable, and as XLSX."""
    plan = _existing_plan(year)
    return render_template("archive/sheet.html", sheets=[_plan_sheet(plan)],
                           page_title=_("File plan %(year)s", year=year),
                           xlsx_url=url_for("archive.plan_xlsx", year=year), back=url_for("archive.plan", year=year),
                           back_label=_("Back to the file plan"))


@bp.route("/plans/<int:year>.xlsx")
@login_required
def plan_xlsx(year: int):
    sheet = _plan_sheet(_existing_plan(year))
    return exports.xlsx_response([sheet], sheet.name)


@bp.route("/plans/<int:year>/create", methods=["POST"])
@login_required
def plan_create(year: int):
    _checked_year(year)
    form = f.ActionForm(prefix="create")
    return _plan_action(year, "create", form, lambda: services.create_plan(year, actor=current_user),
                        _("The file plan of %(year)s was created.", year=year))


@bp.route("/plans/<int:year>/copy", methods=["POST"])
@login_required
def plan_copy(year: int):
    _checked_year(year)
    form = f.PlanCopyForm(prefix="copy")
    return _plan_action(year, "copy", form,
                        lambda: services.copy_plan(form.year(), year, actor=current_user),
                        _("The plan was copied into %(year)s.", year=year))


def _existing_plan(year: int):
    plan = services.plan_for(_checked_year(year))
    if plan is None:
        abort(404)
    return plan


@bp.route("/plans/<int:year>/approve", methods=["POST"])
@login_required
def plan_approve(year: int):
    plan = _existing_plan(year)
    form = f.VersionedActionForm(prefix="approve")
    return _plan_action(year, "approve", form,
                        lambda: services.approve_plan(plan, actor=current_user, version=form.version.data),
                        _("The file plan of %(year)s was approved.", year=year))


@bp.route("/plans/<int:year>/headings", methods=["POST"])
@login_required
def plan_heading(year: int):
    plan = _existing_plan(year)
    form = f.HeadingForm(prefix="heading")
    return _plan_action(year, "heading", form, lambda: services.add_heading(plan, form.values(), actor=current_user),
                        _("The heading was added."))


@bp.route("/plans/<int:year>/dossiers", methods=["POST"])
@login_required
def plan_dossier(year: int):
    plan = _existing_plan(year)
    form = f.PlanDossierForm(prefix="dossier")
    _retention_choices(form)
    return _plan_action(year, "dossier", form,
                        lambda: services.plan_dossier(plan, form.values(), actor=current_user),
                        _("The dossier was added to the plan."))


# ---- dossiers -----------------------------------------------------------------------------------

@bp.route("/dossiers")
@login_required
def dossiers():
    form = f.DossierFilterForm(request.args)
    form.status.choices = [SelectChoice("", _("Any status"))] + [
        SelectChoice(s, STATUS_LABELS[s]) for s in DOSSIER_STATUSES]
    form.unit_id.choices = _unit_choices(_("Any unit"))
    form.validate()
    errors: dict = {}
    year = f.int_field(form, "year", errors, minimum=1945, maximum=2999)
    status = form.status.data if form.status.data in DOSSIER_STATUSES else None
    unit_id = f.id_field(form, "unit_id", errors)
    for name, messages in errors.items():
        form[name].errors = list(form[name].errors) + messages
    try:
        stmt = services.dossiers_for(current_user, status=status, year=year, expired=bool(form.expired.data),
                                     unit_id=unit_id, q=f.blank_none(form.q.data))
    except ValidationFailed as exc:
        apply_errors(form, exc.errors)
        stmt = sa.select(Dossier).where(sa.false())
    pagination = db.paginate(stmt, page=_page_arg(),
                             per_page=PER_PAGE, error_out=False, count=True)
    counts = _visible_counts([d.id for d in pagination.items])
    params = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("archive/dossiers.html", form=form, pagination=pagination, counts=counts, params=params,
                           may_create=rules.may_create_dossier(current_user))


@bp.route("/dossiers/new", methods=["GET", "POST"])
@login_required
def dossier_new():
    if not rules.may_create_dossier(current_user):
        abort(403)
    form = f.DossierForm(prefix="dossier") if request.method == "POST" else f.DossierForm(
        prefix="dossier", formdata=None, data={"year": str(today().year), "unit_id": str(current_user.unit_id or ""),
                                               "keeper_id": str(current_user.id),
                                               "start_date": today().isoformat()})
    form.unit_id.choices = _unit_choices(_("No unit"))
    form.keeper_id.choices = _user_choices(_("Myself"))
    _retention_choices(form)
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            if _bad_post(form):
                abort(400)
        else:
            with saving(form) as outcome:
                dossier = services.create_dossier(form.values(), actor=current_user)
            if outcome.ok:
                flash(_("Dossier %(code)s was opened.", code=dossier.code), "success")
                return redirect(url_for("archive.dossier", dossier_id=dossier.id))
            status = outcome.status
    return render_template("archive/dossier_new.html", form=form), status


def _add_choices(form, dossier: Dossier) -> None:
    """The handled documents the user may see and that sit in no dossier yet (the work queue's)."""
    docs = db.session.scalars(services.unfiled_documents(current_user).limit(CHOICES_LIMIT)).all()
    form.document_id.choices = [SelectChoice("", _("Choose a document"))] + [
        SelectChoice(str(d.id), f"{d.number_symbol or '#' + str(d.id)} – {d.subject[:120]}") for d in docs]


def _period_of(years) -> int | None:
    """The retention table's row of so many years (None: permanent), for a dossier saved with years only."""
    return next((p.id for p in services.retention_periods() if p.years == years), None)


def _edit_choices(form) -> None:
    form.unit_id.choices = _unit_choices(_("No unit"))
    form.keeper_id.choices = _user_choices(_("No keeper yet"))
    _retention_choices(form)


def _dossier_page(dossier: Dossier, status: int = 200, conflict: str | None = None, **given):
    user = current_user
    entries = services.dossier_entries(dossier, user)
    counts = services.dossier_counts(dossier, user)
    forms: dict = {}
    if rules.may_open(user, dossier):
        forms["open"] = given.get("open") or f.ActionForm(prefix="open", formdata=None)
    if rules.may_file(user, dossier):
        add = given.get("add") or f.AddDocumentForm(prefix="add", formdata=None)
        _add_choices(add, dossier)
        forms["add"] = add
        forms["move"] = given.get("move")
    if rules.may_edit(user, dossier):
        edit = given.get("edit")
        if edit is None:
            edit = f.DossierEditForm(prefix="edit", formdata=None, data={
                "version": dossier.version, "code": dossier.code, "title": dossier.title,
                "unit_id": str(dossier.unit_id or ""), "keeper_id": str(dossier.keeper_id or ""),
                "retention_id": str(dossier.retention_id or _period_of(dossier.retention_years) or ""),
                "medium": dossier.medium,
                "description": dossier.description or ""})
        _edit_choices(edit)
        forms["edit"] = edit
    if rules.may_close(user, dossier):
        forms["close"] = given.get("close") or f.CloseForm(prefix="close", formdata=None,
                                                           data={"version": dossier.version})
    if rules.may_request_keep_back(user, dossier):
        forms["keep_back"] = given.get("keep_back") or f.KeepBackForm(prefix="keep_back", formdata=None)
    if rules.may_put_on_transfer(user, dossier):
        forms["transfer_list"] = f.ActionForm(prefix="transfer_list", formdata=None)
    if rules.may_transfer_now(user, dossier):
        forms["transfer"] = given.get("transfer") or f.LocationForm(prefix="transfer", formdata=None)
    if rules.may_request_loan(user, dossier):
        forms["loan"] = given.get("loan") or f.LoanRequestForm(prefix="loan", formdata=None)
    keep_backs = db.session.scalars(sa.select(KeepBack).where(KeepBack.dossier_id == dossier.id)
                                    .order_by(KeepBack.requested_at.desc())).all()
    decide = {kb.id: given.get(f"kb-{kb.id}") or f.DecisionForm(prefix=f"kb-{kb.id}", formdata=None)
              for kb in keep_backs if rules.may_decide_keep_back(user, kb)}
    loans = db.session.scalars(services.loans_for(user, dossier_id=dossier.id).limit(100)).all()
    deadline = state = None
    if dossier.status == "closed" and rules.is_transferable(dossier):
        deadline = services.transfer_deadline(dossier)
        state = services.transfer_state(dossier, today())
    return render_template(
        "archive/dossier.html", dossier=dossier, entries=entries, counts=counts, forms=forms,
        may_file=rules.may_file(user, dossier), keep_backs=keep_backs, decide=decide, loans=loans,
        deadline=deadline, transfer_state=state, transfer_labels=TRANSFER_STATE_LABELS,
        decision_labels=DECISION_LABELS, loan_labels=LOAN_STATE_LABELS, conflict=conflict, today=today(),
        flag_label=exports.flag_label), status


@bp.route("/dossiers/<int:dossier_id>")
@login_required
def dossier(dossier_id: int):
    return _dossier_page(_dossier(dossier_id))


def _act(dossier: Dossier, key: str, form, call, success: str, back: str | None = None):
    """Run one action of a dossier's page: the service, one commit, a message; a refusal is shown on
    the page again (field errors on the form, a conflict on top: 409)."""
    if not form.validate_on_submit():
        if _bad_post(form):
            abort(400)
        return _dossier_page(dossier, **{key: form})
    with saving(form) as outcome:
        call()
    if outcome.ok:
        flash(success, "success")
        return redirect(back or url_for("archive.dossier", dossier_id=dossier.id))
    if outcome.conflict:
        return _dossier_page(dossier, 409, outcome.error, **{key: form})
    return _dossier_page(dossier, 200, **{key: form})


@bp.route("/dossiers/<int:dossier_id>/open", methods=["POST"])
@login_required
def dossier_open(dossier_id: int):
    dossier = _dossier(dossier_id)
    form = f.ActionForm(prefix="open")
    return _act(dossier, "open", form, lambda: services.open_dossier(dossier, actor=current_user),
                _("The dossier was opened."))


@bp.route("/dossiers/<int:dossier_id>/edit", methods=["POST"])
@login_required
def dossier_edit(dossier_id: int):
    dossier = _dossier(dossier_id)
    form = f.DossierEditForm(prefix="edit")
    _retention_choices(form)
    return _act(dossier, "edit", form, lambda: services.update_dossier(dossier, form.values(), actor=current_user),
                _("The dossier was saved."))


@bp.route("/dossiers/<int:dossier_id>/documents", methods=["POST"])
@login_required
def dossier_add(dossier_id: int):
    dossier = _dossier(dossier_id)
    form = f.AddDocumentForm(prefix="add")
    return _act(dossier, "add", form,
                lambda: services.add_document(dossier, form.document(), actor=current_user),
                _("The document was added to the dossier."))


@bp.route("/dossiers/<int:dossier_id>/documents/<int:document_id>/remove", methods=["POST"])
@login_required
def dossier_remove(dossier_id: int, document_id: int):
    dossier = _dossier(dossier_id)
    form = f.ActionForm(prefix="remove")
    return _act(dossier, "remove", form,
                lambda: services.remove_document(dossier, document_id, actor=current_user),
                _("The document was taken out of the dossier."))


@bp.route("/dossiers/<int:dossier_id>/documents/<int:document_id>/move", methods=["POST"])
@login_required
def dossier_move(dossier_id: int, document_id: int):
    dossier = _dossier(dossier_id)
    form = f.MoveForm(prefix="move")
    return _act(dossier, "move", form,
                lambda: services.move_document(dossier, document_id, form.values(), actor=current_user),
                _("The document was moved."))


@bp.route("/dossiers/<int:dossier_id>/close", methods=["POST"])
@login_required
def dossier_close(dossier_id: int):
    dossier = _dossier(dossier_id)
    form = f.CloseForm(prefix="close")
    return _act(dossier, "close", form, lambda: services.close_dossier(dossier, form.values(), actor=current_user),
                _("The dossier was closed."))


@bp.route("/dossiers/<int:dossier_id>/keep-back", methods=["POST"])
@login_required
def dossier_keep_back(dossier_id: int):
    dossier = _dossier(dossier_id)
    form = f.KeepBackForm(prefix="keep_back")
    return _act(dossier, "keep_back", form,
                lambda: services.request_keep_back(dossier, **form.values(), actor=current_user),
                _("The keep-back was asked for; a leader decides."))


@bp.route("/keep-backs/<int:kb_id>/decide", methods=["POST"])
@login_required
def keep_back_decide(kb_id: int):
    kb = services.get_keep_back(current_user, kb_id)
    dossier = kb.dossier
    form = f.DecisionForm(prefix=f"kb-{kb.id}")
    approve = bool(form.approve.data)
    return _act(dossier, f"kb-{kb.id}", form,
                lambda: services.decide_keep_back(kb, approve=approve, actor=current_user,
                                                  comment=f.blank_none(form.comment.data)),
                _("The keep-back was approved.") if approve else _("The keep-back was refused."))


@bp.route("/dossiers/<int:dossier_id>/transfer", methods=["POST"])
@login_required
def dossier_transfer(dossier_id: int):
    """The archivist takes one closed dossier into the archive at once (box and shelf for paper)."""
    dossier = _dossier(dossier_id)
    form = f.LocationForm(prefix="transfer")
    return _act(dossier, "transfer", form,
                lambda: services.transfer_dossier(dossier, actor=current_user, box=f.blank_none(form.box.data),
                                                  shelf=f.blank_none(form.shelf.data)),
                _("The dossier was transferred to the archive."))


@bp.route("/dossiers/<int:dossier_id>/transfer-list", methods=["POST"])
@login_required
def dossier_transfer_list(dossier_id: int):
    """Put this one dossier on a new transfer list (the archivist accepts it on the list's page)."""
    dossier = _dossier(dossier_id)
    form = f.ActionForm(prefix="transfer_list")
    made = {}

    def call():
        made["transfer"] = services.create_transfer([dossier.id], actor=current_user)

    response = _act(dossier, "transfer_list", form, call, _("The transfer list was made."))
    if made.get("transfer") is not None and response.status_code == 302:
        return redirect(url_for("archive.transfer", transfer_id=made["transfer"].id))
    return response


@bp.route("/dossiers/<int:dossier_id>/loans", methods=["POST"])
@login_required
def dossier_loan(dossier_id: int):
    dossier = _dossier(dossier_id)
    form = f.LoanRequestForm(prefix="loan")
    return _act(dossier, "loan", form,
                lambda: services.request_loan(dossier, **form.values(), actor=current_user),
                _("Your request was sent; a leader decides."))


# ---- a dossier's printable cover and document index --------------------------------------------

def _cover_sheet(dossier: Dossier) -> exports.Sheet:
    return exports.cover(dossier, services.dossier_counts(dossier, current_user))


def _index_sheet(dossier: Dossier) -> exports.Sheet:
    return exports.document_index(dossier, services.dossier_entries(dossier, current_user),
                                  services.dossier_counts(dossier, current_user))


@bp.route("/dossiers/<int:dossier_id>/cover")
@login_required
def dossier_cover(dossier_id: int):
    dossier = _dossier(dossier_id)
    return render_template("archive/sheet.html", sheets=[_cover_sheet(dossier)], page_title=dossier.code,
                           xlsx_url=url_for("archive.dossier_cover_xlsx", dossier_id=dossier.id),
                           back=url_for("archive.dossier", dossier_id=dossier.id), back_label=_("Back to the dossier"))


@bp.route("/dossiers/<int:dossier_id>/cover.xlsx")
@login_required
def dossier_cover_xlsx(dossier_id: int):
    sheet = _cover_sheet(_dossier(dossier_id))
    return exports.xlsx_response([sheet], sheet.name)


@bp.route("/dossiers/<int:dossier_id>/index")
@login_required
def dossier_index(dossier_id: int):
    dossier = _dossier(dossier_id)
    return render_template("archive/sheet.html", sheets=[_index_sheet(dossier)], page_title=dossier.code,
                           xlsx_url=url_for("archive.dossier_index_xlsx", dossier_id=dossier.id),
                           back=url_for("archive.dossier", dossier_id=dossier.id), back_label=_("Back to the dossier"))


@bp.route("/dossiers/<int:dossier_id>/index.xlsx")
@login_required
def dossier_index_xlsx(dossier_id: int):
    sheet = _index_sheet(_dossier(dossier_id))
    return exports.xlsx_response([sheet], sheet.name)


# ---- filing from a document's page ----------------------------------------------------------------

def _document_url(doc: Document) -> str:
    endpoint = "incoming.detail" if doc.direction == "incoming" else "outgoing.detail"
    return url_for(endpoint, doc_id=doc.id)


@bp.route("/documents/<int:document_id>/file", methods=["POST"])
@login_required
def file_document(document_id: int):
    """The "file into dossier" form of a document's page."""
    doc = get_visible_or_404(current_user, document_id)
    form = f.FileForm(prefix="file")
    if not form.validate_on_submit():
        abort(400)
    back = _document_url(doc)
    try:
        dossier_id = form.dossier()
    except ValidationFailed as exc:
        flash(exc.detail, "error")
        return redirect(back)
    dossier = _dossier(dossier_id)
    with saving(form) as outcome:
        services.add_document(dossier, doc.id, actor=current_user)
    if outcome.ok:
        flash(_("The document was filed into dossier %(code)s.", code=dossier.code), "success")
    else:
        flash("; ".join([*form.form_errors, *[m for msgs in form.errors.values() for m in msgs]])
              or _("The document could not be filed."), "error")
    return redirect(back)


# ---- transfers ----------------------------------------------------------------------------------

@bp.route("/transfers", methods=["GET", "POST"])
@login_required
def transfers():
    """The transfer lists the user may see, and a new list of the closed dossiers they may put on one."""
    candidates = [d for d in db.session.scalars(services.dossiers_for(current_user, status="closed").limit(1000))
                  if rules.may_put_on_transfer(current_user, d) and rules.is_transferable(d)][:CHOICES_LIMIT]
    form = f.TransferForm(prefix="transfer") if request.method == "POST" else f.TransferForm(prefix="transfer",
                                                                                              formdata=None)
    form.dossier_ids.choices = [SelectChoice(str(d.id), f"{d.code} – {d.title} ({d.year})") for d in candidates]
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            if _bad_post(form):
                abort(400)
        else:
            made = {}
            with saving(form) as outcome:
                made["t"] = services.create_transfer(form.ids(), actor=current_user,
                                                     note=f.blank_none(form.note.data))
            if outcome.ok:
                flash(_("The transfer list was made."), "success")
                return redirect(url_for("archive.transfer", transfer_id=made["t"].id))
            status = outcome.status
    lists = db.session.scalars(services.transfers_for(current_user).limit(500)).all()
    return render_template("archive/transfers.html", transfers=lists, form=form if candidates or form.errors else None
                           ), status


def _transfer_sheets(transfer: Transfer) -> list[exports.Sheet]:
    counts = {d.id: services.dossier_counts(d, current_user) for d in transfer.dossiers}
    return [exports.transfer_list(transfer, counts), exports.handover_record(transfer)]


def _transfer_page(transfer: Transfer, status: int = 200, form=None):
    if form is None and rules.may_accept_transfer(current_user, transfer):
        form = f.VersionedActionForm(prefix="accept", formdata=None, data={"version": transfer.version})
    return render_template("archive/transfer.html", transfer=transfer, sheets=_transfer_sheets(transfer),
                           form=form, xlsx_url=url_for("archive.transfer_xlsx", transfer_id=transfer.id)), status


@bp.route("/transfers/<int:transfer_id>")
@login_required
def transfer(transfer_id: int):
    return _transfer_page(services.get_transfer(current_user, transfer_id))


@bp.route("/transfers/<int:transfer_id>.xlsx")
@login_required
def transfer_xlsx(transfer_id: int):
    transfer = services.get_transfer(current_user, transfer_id)
    return exports.xlsx_response(_transfer_sheets(transfer), f"nop-luu-{transfer.id}")


@bp.route("/transfers/<int:transfer_id>/accept", methods=["POST"])
@login_required
def transfer_accept(transfer_id: int):
    """The archivist accepts the list: its dossiers become archived, each paper one in its box and shelf."""
    transfer = services.get_transfer(current_user, transfer_id)
    form = f.VersionedActionForm(prefix="accept")
    if not form.validate_on_submit():
        abort(400)
    locations = {}
    for d in transfer.dossiers:
        box = f.blank_none(request.form.get(f"box-{d.id}"))
        shelf = f.blank_none(request.form.get(f"shelf-{d.id}"))
        if box or shelf:
            locations[d.id] = (box, shelf)
    with saving(form) as outcome:
        services.accept_transfer(transfer, actor=current_user, locations=locations or None,
                                 version=form.version.data)
    if outcome.ok:
        flash(_("The transfer was accepted; its dossiers are in the archive."), "success")
        return redirect(url_for("archive.transfer", transfer_id=transfer.id))
    return _transfer_page(transfer, outcome.status, form)


# ---- loans: the borrowing book --------------------------------------------------------------------

def _loans_of_filter() -> tuple[f.LoanFilterForm, list[Loan]]:
    form = f.LoanFilterForm(request.args)
    form.state.choices = [SelectChoice("", _("Any state"))] + [
        SelectChoice(s, LOAN_STATE_LABELS[s]) for s in (*LOAN_STATES, "overdue")]
    state = form.state.data if form.state.data in (*LOAN_STATES, "overdue") else None
    stmt = services.loans_for(current_user, state=state)
    loans = db.session.scalars(stmt.order_by(None).order_by(Loan.requested_at, Loan.id).limit(BOOK_ROWS)).all()
    return form, loans


@bp.route("/loans")
@login_required
def loans():
    form, loans = _loans_of_filter()
    sheet = exports.borrowing_book(loans)
    decide = {loan.id: f.DecisionForm(prefix=f"loan-{loan.id}", formdata=None) for loan in loans
              if rules.may_decide_loan(current_user, loan)}
    actions = f.ActionForm(prefix="act", formdata=None)
    return render_template("archive/loans.html", form=form, loans=loans, sheet=sheet, decide=decide, actions=actions,
                           labels=LOAN_STATE_LABELS, today=today(), limit=BOOK_ROWS,
                           xlsx_url=url_for("archive.loans_xlsx", **request.args.to_dict()))


@bp.route("/loans.xlsx")
@login_required
def loans_xlsx():
    _form, loans = _loans_of_filter()
    return exports.xlsx_response([exports.borrowing_book(loans)], "so-theo-doi-su-dung")


def _loan_action(loan_id: int, form, call, success: str):
    loan = services.get_loan(current_user, loan_id)
    if not form.validate_on_submit():
        abort(400)
    with saving(form) as outcome:
        call(loan)
    if outcome.ok:
        flash(success, "success")
    else:
        flash("; ".join([*form.form_errors, *[m for msgs in form.errors.values() for m in msgs]]), "error")
    return redirect(url_for("archive.loans"))


@bp.route("/loans/<int:loan_id>/decide", methods=["POST"])
@login_required
def loan_decide(loan_id: int):
    form = f.DecisionForm(prefix=f"loan-{loan_id}")
    if form.refuse.data:
        return _loan_action(loan_id, form, lambda loan: services.refuse_loan(
            loan, actor=current_user, comment=f.blank_none(form.comment.data)), _("The request was refused."))
    return _loan_action(loan_id, form, lambda loan: services.approve_loan(loan, actor=current_user),
                        _("The request was approved."))


@bp.route("/loans/<int:loan_id>/lend", methods=["POST"])
@login_required
def loan_lend(loan_id: int):
    return _loan_action(loan_id, f.ActionForm(prefix="act"),
                        lambda loan: services.lend_loan(loan, actor=current_user), _("The dossier was lent."))


@bp.route("/loans/<int:loan_id>/return", methods=["POST"])
@login_required
def loan_return(loan_id: int):
    return _loan_action(loan_id, f.ActionForm(prefix="act"),
                        lambda loan: services.return_loan(loan, actor=current_user), _("The dossier was returned."))


# ---- disposition --------------------------------------------------------------------------------

def _dispositions_page(status: int = 200, form=None, decide_given=None):
    if not _sees_dispositions():
        abort(403)
    expired = db.session.scalars(services.expired_dossiers().order_by(Dossier.year, Dossier.code)
                                 .limit(CHOICES_LIMIT)).all()
    may_propose = rules.may_propose_disposition(current_user)
    if may_propose and form is None:
        form = f.DispositionForm(prefix="disposition", formdata=None)
    if form is not None:
        form.dossier_ids.choices = [SelectChoice(str(d.id), f"{d.code} – {d.title} ({d.year})") for d in expired]
    proposals = db.session.scalars(services.dispositions_for(current_user).limit(200)).all()
    decide = {}
    for p in proposals:
        if rules.may_decide_disposition(current_user, p):
            decide[p.id] = (decide_given or {}).get(p.id) or f.DispositionDecisionForm(prefix=f"disp-{p.id}",
                                                                                       formdata=None)
            decide[p.id].confirm_label(len(p.items))
    return render_template("archive/dispositions.html", expired=expired, form=form if may_propose else None,
                           proposals=proposals, decide=decide, labels=DECISION_LABELS), status


@bp.route("/dispositions", methods=["GET", "POST"])
@login_required
def dispositions():
    if request.method == "GET":
        return _dispositions_page()
    if not rules.may_propose_disposition(current_user):
        abort(403)
    form = f.DispositionForm(prefix="disposition")
    if not form.validate_on_submit():
        if _bad_post(form):
            abort(400)
        return _dispositions_page(200, form)
    with saving(form) as outcome:
        services.propose_disposition(form.ids(), reason=(form.reason.data or "").strip(), actor=current_user)
    if outcome.ok:
        flash(_("The destruction was proposed; a leader decides."), "success")
        return redirect(url_for("archive.dispositions"))
    return _dispositions_page(outcome.status, form)


@bp.route("/dispositions/<int:disposition_id>/decide", methods=["POST"])
@login_required
def disposition_decide(disposition_id: int):
    if not _sees_dispositions():
        abort(403)
    disposition = services.get_disposition(current_user, disposition_id)
    form = f.DispositionDecisionForm(prefix=f"disp-{disposition.id}")
    if not form.validate_on_submit():
        if _bad_post(form):
            abort(400)
        return _dispositions_page(200, decide_given={disposition.id: form})
    decision = f.blank_none(form.decision.data)
    with saving(form, {"decision": "decision"}) as outcome:
        if form.refuse.data:
            services.refuse_disposition(disposition, actor=current_user, decision=decision)
        else:
            if rules.may_decide_disposition(current_user, disposition):  # else the service's 403 or 409
                form.check_approval()  # nothing destroyed without the ticked box and the decision's number
            services.approve_disposition(disposition, actor=current_user, decision=decision)
    if outcome.ok:
        flash(_("The destruction was refused.") if form.refuse.data else
              _("The destruction was approved; the dossiers' files were removed."), "success")
        return redirect(url_for("archive.dispositions"))
    return _dispositions_page(outcome.status, decide_given={disposition.id: form})
