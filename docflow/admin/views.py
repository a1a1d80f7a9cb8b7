"""Administration pages (admin role): people, reference data, agency settings, audit log.

Every view calls the services (which flush, audit and raise domain errors) and commits once.
Field errors of a `ValidationFailed` go onto the form, which is shown again with status 200; a
stale `version` (`Conflict`) is shown again with status 409 and nothing is written.
"""


import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from wtforms.fields import SelectChoice

from docflow.admin.forms import (
    AgencyForm,
    CalendarForm,
    DocTypeCreateForm,
    DocTypeEditForm,
    OrganizationEditForm,
    OrganizationForm,
    PasswordResetForm,
    RegisterCreateForm,
    RegisterEditForm,
    UnitEditForm,
    UnitForm,
    UserCreateForm,
    UserEditForm,
)
from docflow.auth import services
from docflow.auth.forms import EmptyForm
from docflow.auth.models import Unit, User
from docflow.core import audit, calendar, settings
from docflow.core.enums import ROLES, URGENCIES
from docflow.core.errors import ValidationFailed
from docflow.core.fields import check_version
from docflow.core.models import AuditEvent
from docflow.core.permissions import role_required
from docflow.core.text import like_escape
from docflow.core.timeutil import today
from docflow.core.values import as_id
from docflow.core.views import saving
from docflow.extensions import db
from docflow.registry import history, reference
from docflow.registry.models import DocType, Organization, Register

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 25
AUDIT_PER_PAGE = 50


# ---- helpers ---------------------------------------------------------------------------------


def _unit_choices(*, blank: str | None = None, exclude: Unit | None = None, keep: int | None = None):
    """Units in tree order, indented; inactive ones only when `keep` (the current value) is one."""
    choices = [SelectChoice("", blank)] if blank is not None else []
    for unit, depth in services.unit_tree():
        if exclude is not None and exclude in unit.path():
            continue  # a unit cannot go under itself or its descendants
        if not unit.is_active and unit.id != keep:
            continue
        label = "\u2003" * depth + f"{unit.code} — {unit.name}"
        if not unit.is_active:
            label += " (" + _("inactive") + ")"
        choices.append(SelectChoice(str(unit.id), label))
    return choices


def _organization_choices(exclude: Organization | None = None):
    choices = [SelectChoice("", _("(none)"))]
    for org in db.session.scalars(sa.select(Organization).order_by(Organization.name)):
        if exclude is not None and org.id == exclude.id:
            continue
        label = org.name + (f" ({org.abbr})" if org.abbr else "") + (f" — {org.code}" if org.code else "")
        choices.append(SelectChoice(str(org.id), label))
    return choices


def _button_form() -> EmptyForm:
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    return form


# ---- index -----------------------------------------------------------------------------------

@bp.route("/")
@role_required("admin")
def index():
    count = lambda stmt: db.session.scalar(stmt) or 0  # noqa: E731
    counts = {
        "users": count(sa.select(sa.func.count(User.id)).where(User.is_active_flag.is_(True))),
        "units": count(sa.select(sa.func.count(Unit.id))),
        "organizations": count(sa.select(sa.func.count(Organization.id))),
        "doc_types": count(sa.select(sa.func.count(DocType.id)).where(DocType.is_active.is_(True))),
        "registers": count(sa.select(sa.func.count(Register.id)).where(Register.year == today().year)),
        "audit": count(sa.select(sa.func.count(AuditEvent.id))),
    }
    return render_template("admin/index.html", counts=counts, agency=settings.agency())


# ---- users -----------------------------------------------------------------------------------

@bp.route("/users")
@role_required("admin")
def users():
    unit_id = as_id(request.args.get("unit"))
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    active_arg = request.args.get("active", "")
    active = {"1": True, "0": False}.get(active_arg)
    q = (request.args.get("q") or "").strip()[:100]
    pagination = db.paginate(services.list_users(unit_id=unit_id, role=role, active=active, q=q or None),
                             per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)
    filters = {"unit": unit_id, "role": role, "active": active_arg if active is not None else None, "q": q or None}
    return render_template("admin/users.html", pagination=pagination, filters=filters,
                           units=services.unit_tree(), button_form=EmptyForm())


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def user_create():
    form = UserCreateForm()
    form.unit_id.choices = _unit_choices(blank=_("Choose a unit"))
    if form.validate_on_submit():
        with saving(form) as saved:
            user = services.create_user({
                "username": form.username.data, "full_name": form.full_name.data, "email": form.email.data,
                "unit_id": form.unit_id.data, "roles": form.roles.data, "clearance": form.clearance.data,
                "password": form.password.data}, actor=current_user)
        if saved.ok:
            flash(_("User %(name)s was created.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user) if request.method == "GET" else UserEditForm()
    form.unit_id.choices = _unit_choices(blank=_("Choose a unit"), keep=user.unit_id)
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            if user.id == current_user.id and "admin" not in (form.roles.data or []):
                raise ValidationFailed({"roles": [_("You cannot remove your own administrator role.")]})
            services.update_user(user, {
                "full_name": form.full_name.data, "email": form.email.data, "unit_id": form.unit_id.data,
                "roles": form.roles.data, "clearance": form.clearance.data},
                actor=current_user, version=form.version.data)
        if saved.ok:
            flash(_("The changes to %(name)s were saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
        status = saved.status
    return render_template("admin/user_form.html", form=form, user=user, button_form=EmptyForm(),
                           stale=status == 409), status


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@role_required("admin")
def user_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@role_required("admin")
def user_activate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = db.get_or_404(User, user_id)
    _button_form()
    try:
        services.set_active(user, active, actor=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        for messages in exc.errors.values():
            for message in messages:
                flash(message, "error")
    else:
        db.session.commit()
        if active:
            flash(_("User %(name)s was reactivated.", name=user.username), "success")
        else:
            flash(_("User %(name)s was deactivated; their sessions and API tokens have ended.",
                    name=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@role_required("admin")
def user_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            services.reset_password(user, form.password.data, actor=current_user)
        if saved.ok:
            if user.id == current_user.id:  # keep this session going with the new session id
                login_user(user)
                session.permanent = True
            flash(_("The password of %(name)s was reset; their sessions and API tokens have ended.",
                    name=user.username), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_password.html", form=form, user=user)


# ---- units -----------------------------------------------------------------------------------

@bp.route("/units")
@role_required("admin")
def units():
    tree = services.unit_tree()
    member_counts = dict(db.session.execute(
        sa.select(User.unit_id, sa.func.count(User.id)).where(User.is_active_flag.is_(True)).group_by(User.unit_id)
    ).all())
    return render_template("admin/units.html", tree=tree, member_counts=member_counts)


@bp.route("/units/new", methods=["GET", "POST"])
@role_required("admin")
def unit_create():
    form = UnitForm()
    form.parent_id.choices = _unit_choices(blank=_("(top level)"))
    if form.validate_on_submit():
        with saving(form) as saved:
            unit = services.create_unit({"code": form.code.data, "name": form.name.data,
                                         "parent_id": form.parent_id.data}, actor=current_user)
        if saved.ok:
            flash(_("Unit %(code)s was created.", code=unit.code), "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=None)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@role_required("admin")
def unit_edit(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    if request.method == "GET":
        form = UnitEditForm(obj=unit)
        form.active.data = unit.is_active
    else:
        form = UnitEditForm()
    form.parent_id.choices = _unit_choices(blank=_("(top level)"), exclude=unit, keep=unit.parent_id)
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            services.update_unit(unit, {"code": form.code.data, "name": form.name.data,
                                        "parent_id": form.parent_id.data, "active": form.active.data},
                                 actor=current_user, version=form.version.data)
        if saved.ok:
            flash(_("Unit %(code)s was saved.", code=unit.code), "success")
            return redirect(url_for("admin.units"))
        status = saved.status
    return render_template("admin/unit_form.html", form=form, unit=unit, stale=status == 409), status


# ---- external organisations ------------------------------------------------------------------

@bp.route("/organizations")
@role_required("admin")
def organizations():
    q = (request.args.get("q") or "").strip()[:100]
    pagination = db.paginate(reference.search_organizations(q or None), per_page=PER_PAGE,
                             max_per_page=PER_PAGE, error_out=False)
    return render_template("admin/organizations.html", pagination=pagination, q=q)


def _organization_data(form) -> dict:
    return {"name": form.name.data, "abbr": form.abbr.data, "code": form.code.data,
            "active": form.active.data, "successor_id": form.successor_id.data}


@bp.route("/organizations/new", methods=["GET", "POST"])
@role_required("admin")
def organization_create():
    form = OrganizationForm()
    form.successor_id.choices = _organization_choices()
    if form.validate_on_submit():
        with saving(form) as saved:
            org = reference.save_organization(_organization_data(form), actor=current_user)
        if saved.ok:
            flash(_("Organisation %(name)s was created.", name=org.name), "success")
            return redirect(url_for("admin.organizations"))
    return render_template("admin/organization_form.html", form=form, org=None)


@bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
@role_required("admin")
def organization_edit(org_id: int):
    org = db.get_or_404(Organization, org_id)
    if request.method == "GET":
        form = OrganizationEditForm(obj=org)
        form.active.data = org.is_active
    else:
        form = OrganizationEditForm()
    form.successor_id.choices = _organization_choices(exclude=org)
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            check_version(org, form.version.data)
            reference.save_organization(_organization_data(form), org, actor=current_user)
        if saved.ok:
            flash(_("Organisation %(name)s was saved.", name=org.name), "success")
            return redirect(url_for("admin.organizations"))
        status = saved.status
    return render_template("admin/organization_form.html", form=form, org=org, stale=status == 409), status


# ---- document types --------------------------------------------------------------------------

@bp.route("/doc-types")
@role_required("admin")
def doc_types():
    types = db.session.scalars(sa.select(DocType).order_by(DocType.sort_order, DocType.code)).all()
    return render_template("admin/doc_types.html", types=types)


@bp.route("/doc-types/new", methods=["GET", "POST"])
@role_required("admin")
def doc_type_create():
    form = DocTypeCreateForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            doc_type = reference.save_doc_type({"code": form.code.data, "name": form.name.data,
                                                "in_symbol": form.in_symbol.data}, actor=current_user)
        if saved.ok:
            flash(_("Document type %(code)s was created.", code=doc_type.code), "success")
            return redirect(url_for("admin.doc_types"))
    return render_template("admin/doc_type_form.html", form=form, doc_type=None)


@bp.route("/doc-types/<int:type_id>", methods=["GET", "POST"])
@role_required("admin")
def doc_type_edit(type_id: int):
    doc_type = db.get_or_404(DocType, type_id)
    if request.method == "GET":
        form = DocTypeEditForm(obj=doc_type)
        form.active.data = doc_type.is_active
    else:
        form = DocTypeEditForm()
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            check_version(doc_type, form.version.data)
            reference.save_doc_type({"name": form.name.data, "in_symbol": form.in_symbol.data,
                                     "active": form.active.data}, doc_type, actor=current_user)
        if saved.ok:
            flash(_("Document type %(code)s was saved.", code=doc_type.code), "success")
            return redirect(url_for("admin.doc_types"))
        status = saved.status
    return render_template("admin/doc_type_form.html", form=form, doc_type=doc_type, stale=status == 409), status


# ---- registers -------------------------------------------------------------------------------

@bp.route("/registers")
@role_required("admin")
def registers():
    current_year = today().year
    year = request.args.get("year", default=current_year, type=int)
    if year and not 1900 <= year <= 2999:
        year = current_year
    rows = db.session.scalars(reference.list_registers(year=year or None)).all()
    years = set(db.session.scalars(sa.select(Register.year).distinct())) | {current_year}
    return render_template("admin/registers.html", registers=rows, year=year, years=sorted(years, reverse=True))


@bp.route("/registers/new", methods=["GET", "POST"])
@role_required("admin")
def register_create():
    form = RegisterCreateForm()
    if request.method == "GET":
        form.year.data = today().year
    if form.validate_on_submit():
        with saving(form) as saved:
            register = reference.save_register({"name": form.name.data, "direction": form.direction.data,
                                                "confidential": form.confidential.data, "year": form.year.data},
                                               actor=current_user)
        if saved.ok:
            flash(_("Register %(name)s was created.", name=register.name), "success")
            return redirect(url_for("admin.registers", year=register.year))
    return render_template("admin/register_form.html", form=form, register=None)


@bp.route("/registers/<int:register_id>", methods=["GET", "POST"])
@role_required("admin")
def register_edit(register_id: int):
    register = db.get_or_404(Register, register_id)
    if request.method == "GET":
        form = RegisterEditForm(obj=register)
        form.active.data = register.is_active
    else:
        form = RegisterEditForm()
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            check_version(register, form.version.data)
            reference.save_register({"name": form.name.data, "active": form.active.data}, register,
                                    actor=current_user)
        if saved.ok:
            flash(_("Register %(name)s was saved.", name=register.name), "success")
            return redirect(url_for("admin.registers", year=register.year))
        status = saved.status
    return render_template("admin/register_form.html", form=form, register=register,
                           stale=status == 409), status


# ---- the agency ------------------------------------------------------------------------------

@bp.route("/agency", methods=["GET", "POST"])
@role_required("admin")
def agency():
    form = AgencyForm(data=settings.agency()) if request.method == "GET" else AgencyForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            reference.update_agency({"name": form.name.data, "abbr": form.abbr.data, "code": form.code.data},
                                    actor=current_user)
        if saved.ok:
            flash(_("The agency settings were saved."), "success")
            return redirect(url_for("admin.agency"))
    return render_template("admin/agency.html", form=form)


# ---- working calendar ------------------------------------------------------------------------

@bp.route("/calendar", methods=["GET", "POST"])
@role_required("admin")
def working_calendar():
    """Holidays and the default handling deadlines per urgency (working days). Opening the page fills
    in the public holidays of this year and the next (and of `?year=`) when that year has none yet."""
    if request.method == "GET":
        this_year = today().year
        years = {this_year, this_year + 1}
        asked = as_id(request.args.get("year")) if request.args.get("year") else None
        first, last = calendar.PRELOAD_YEARS
        if asked is not None and first <= asked <= last:
            years.add(asked)
        elif request.args.get("year"):
            flash(_("Years from %(first)d to %(last)d only.", first=first, last=last), "warning")
        try:
            filled = calendar.preload_holidays(years, actor=current_user)
            db.session.commit()
        except sa.exc.IntegrityError:  # another admin's request preloaded the same year at the same moment
            db.session.rollback()
            filled = []
        if filled:
            flash(_("The public holidays of %(years)s were filled in: check them against the government's "
                    "announcement, then edit or delete any day.", years=", ".join(str(y) for y in filled)), "info")
        elif asked in years:
            flash(_("The public holidays of %(year)d were filled in before (or the year was set by hand): edit them in "
                    "the list.", year=asked), "info")
        data = {"holidays": "\n".join(f"{d:%d/%m/%Y}  {calendar.holiday_name(d)}".rstrip()
                                      for d in sorted(calendar.holidays()))}
        data.update({f"days_{u}": calendar.deadline_days(u) for u in URGENCIES})
        form = CalendarForm(data=data)
    else:
        form = CalendarForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            calendar.update_calendar(form.holidays.data or "",
                                     {u: getattr(form, f"days_{u}").data for u in URGENCIES},
                                     actor=current_user)
        if saved.ok:
            flash(_("The working calendar was saved."), "success")
            return redirect(url_for("admin.working_calendar"))
    return render_template("admin/calendar.html", form=form, preload_years=calendar.PRELOAD_YEARS)


# ---- audit log -------------------------------------------------------------------------------

@bp.route("/audit", endpoint="audit")
@role_required("admin")
def audit_log():
    action = (request.args.get("action") or "").strip()[:64]
    stmt = sa.select(AuditEvent).order_by(AuditEvent.seq.desc())
    if action:
        escaped = like_escape(action)
        stmt = stmt.where(AuditEvent.action.like(f"{escaped}%", escape="\\"))
    pagination = db.paginate(stmt, per_page=AUDIT_PER_PAGE, max_per_page=AUDIT_PER_PAGE, error_out=False)
    actions = db.session.scalars(sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    prefixes = sorted({a.split(".", 1)[0] + "." for a in actions} | set(actions))
    result = audit.verify() if request.args.get("verify") else None
    return render_template("admin/audit.html", pagination=pagination, action=action, prefixes=prefixes,
                           result=result, entries=history.entries(pagination.items), areas=history.AREA_LABELS)

