"""The archive's rules (issue 7/9, domain.md §4): the retention table, the year's file plan, dossiers and
the documents filed in them, the archivist's work queue, transfers to the agency archive with their
deadlines and keep-backs, loans (the borrowing book) and destruction through an approved disposition.

Every function validates, checks the actor with docflow/archive/rules.py, changes rows, writes its
audit event and flushes; it raises ValidationFailed (422), PermissionDenied (403), NotFound (404) or
Conflict (409) and never commits (the view, API route or command commits once).

A dossier's metadata is seen as rules.dossier_filter says; the documents inside a dossier always follow
registry/access.visible_filter: a confidential document stays invisible, and uncounted, for a user
who is not cleared for it.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from docflow.archive import rules
from docflow.archive.models import (
    DOSSIER_STATUSES,
    LOAN_STATES,
    Disposition,
    DispositionDossier,
    Dossier,
    DossierDocument,
    FilePlan,
    FilePlanHeading,
    KeepBack,
    Loan,
    RetentionPeriod,
    Transfer,
)
from docflow.auth.models import Unit, User
from docflow.core import audit
from docflow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from docflow.core.fields import add_error, check_version, clean_date, clean_int, clean_text
from docflow.core.text import fold, like_escape
from docflow.core.timeutil import today as _today
from docflow.core.timeutil import utcnow
from docflow.core.values import as_id, get_by_id
from docflow.extensions import db
from docflow.incoming.models import IncomingDocument  # noqa: F401  (the incoming flow's mapper, for visibility)
from docflow.outgoing.models import OutgoingDocument  # noqa: F401  (the outgoing flow's mapper, for visibility)
from docflow.registry import access, events, history, storage
from docflow.registry.models import Attachment, Document

MEDIA = ("paper", "electronic", "mixed")
#: the retention table `flask docflow init` seeds (TT 10/2022/TT-BNV; values in use, domain.md §4.4)
DEFAULT_RETENTION = (
    ("Vĩnh viễn", None, "Quyết định, quy chế, quy định của cơ quan\nKế hoạch, báo cáo tổng kết năm\n"
                        "Hồ sơ tổ chức, nhân sự chủ chốt", 10),
    ("70 năm", 70, "Hồ sơ nhân sự (hồ sơ cán bộ, công chức)", 20),
    ("50 năm", 50, "Hồ sơ xây dựng cơ bản, công trình nhóm A", 30),
    ("20 năm", 20, "Kế hoạch, báo cáo công tác quý, 6 tháng\nHồ sơ thanh tra, kiểm tra", 40),
    ("10 năm", 10, "Kế hoạch, báo cáo công tác tháng\nSổ đăng ký văn bản đi, đến", 50),
    ("5 năm", 5, "Công văn trao đổi về những vấn đề thông thường\nGiấy mời, thông báo hội nghị", 60),
)
#: a keep-back lasts at most this many years after the transfer deadline
MAX_KEEP_BACK_YEARS = 2
#: warn this many days before the transfer deadline
TRANSFER_WARNING_DAYS = 30


# ---- helpers ---------------------------------------------------------------------------------------

def _lock(*objs) -> None:
    """Take the rows' locks and re-read them, so the state and version checks that follow see the
    committed rows and concurrent changes queue (PostgreSQL: SELECT ... FOR UPDATE; SQLite's writers
    hold the database write lock already)."""
    for obj in objs:
        if obj is None or obj.id is None:
            continue
        model = type(obj)
        db.session.execute(sa.select(model.id).where(model.id == obj.id).with_for_update())
        db.session.refresh(obj)


def _require(allowed: bool, role_ok: bool, state_message: str | None = None) -> None:
    """403 when the actor's role may not do it, 409 when only the object's state refuses it."""
    if allowed:
        return
    if not role_ok:
        raise PermissionDenied(_("You may not do this."))
    raise Conflict(state_message or _("This cannot be done in the record's present state."))


def _snapshot(dossier: Dossier) -> dict:
    return {"code": dossier.code, "title": dossier.title, "year": dossier.year, "status": dossier.status,
            "unit_id": dossier.unit_id, "keeper_id": dossier.keeper_id, "retention_years": dossier.retention_years,
            "medium": dossier.medium, "start_date": dossier.start_date, "end_date": dossier.end_date}


def _bump(obj) -> None:
    obj.version = (obj.version or 0) + 1


def _clean_year(value, field: str, errors: dict) -> int | None:
    return clean_int(value, field, errors, lo=1900, hi=2200)


def _unit(value, field: str, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    unit = get_by_id(Unit, value)
    if unit is None:
        add_error(errors, field, _("Unknown unit."))
        return None
    return unit.id


def _user(value, field: str, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    user = get_by_id(User, value)
    if user is None or not user.is_active:
        add_error(errors, field, _("Unknown user."))
        return None
    return user.id


def _retention(data: dict, errors: dict) -> tuple[int | None, int | None]:
    """(retention_years, retention_id) from `retention_id` (a row of the table) or `retention_years`
    (None or empty = permanent)."""
    if data.get("retention_id") not in (None, ""):
        period = get_by_id(RetentionPeriod, data.get("retention_id"))
        if period is None:
            add_error(errors, "retention_id", _("Unknown retention period."))
            return None, None
        return period.years, period.id
    years = clean_int(data.get("retention_years"), "retention_years", errors, lo=1, hi=500)
    return years, None


def _code_taken(year: int, code: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(Dossier.id).where(Dossier.year == year, Dossier.code == code)
    if exclude_id is not None:
        stmt = stmt.where(Dossier.id != exclude_id)
    return db.session.scalar(stmt.limit(1)) is not None


# ---- retention ---------------------------------------------------------------------------------------

def retention_periods(active_only: bool = True) -> list[RetentionPeriod]:
    """The retention table, longest first (permanent at the top)."""
    stmt = sa.select(RetentionPeriod).order_by(RetentionPeriod.sort_order, RetentionPeriod.id)
    if active_only:
        stmt = stmt.where(RetentionPeriod.is_active.is_(True))
    return list(db.session.scalars(stmt))


def save_retention(data: dict, *, actor, period: RetentionPeriod | None = None) -> RetentionPeriod:
    """Add a row to the retention table, or change one (`data["version"]` checked): name, years
    (empty = permanent), categories (one per line), sort_order, is_active. Admin and archivist."""
    _lock(period)
    _require(rules.may_edit_retention(actor), False)
    if period is not None:
        check_version(period, data.get("version"))
    errors: dict = {}
    name = clean_text(data.get("name"), "name", errors, 60, required=True)
    years = clean_int(data.get("years"), "years", errors, lo=1, hi=500)
    categories = clean_text(data.get("categories"), "categories", errors, 4000, multiline=True)
    sort_order = clean_int(data.get("sort_order"), "sort_order", errors, lo=0, hi=100000)
    if errors:
        raise ValidationFailed(errors)
    before = None
    if period is None:
        period = RetentionPeriod()
        db.session.add(period)
    else:
        before = {"name": period.name, "years": period.years, "categories": period.categories,
                  "is_active": period.is_active}
        _bump(period)
    period.name = name
    period.years = years
    period.categories = categories or ""
    if sort_order is not None:
        period.sort_order = sort_order
    elif period.sort_order is None:
        period.sort_order = 100
    if "is_active" in data and data["is_active"] is not None:
        period.is_active = bool(data["is_active"])
    elif period.is_active is None:
        period.is_active = True
    db.session.flush()
    audit.record("retention.save", obj=period, actor=actor, before=before,
                 after={"name": name, "years": years, "categories": period.categories, "is_active": period.is_active})
    return period


def seed_retention() -> int:
    """The default retention table (Vĩnh viễn, 70, 50, 20, 10, 5 years with example categories);
    idempotent: adds only the names not there yet. Returns how many rows were added."""
    have = set(db.session.scalars(sa.select(RetentionPeriod.name)))
    added = 0
    for name, years, categories, order in DEFAULT_RETENTION:
        if name not in have:
            db.session.add(RetentionPeriod(name=name, years=years, categories=categories, sort_order=order,
                                           is_active=True))
            added += 1
    if added:
        db.session.flush()
    return added


# ---- the file plan -------------------------------------------------------------------------------------

def plan_for(year) -> FilePlan | None:
    year = as_id(year)
    if year is None:
        return None
    return db.session.scalar(sa.select(FilePlan).where(FilePlan.year == year))


def _plan_headings(plan: FilePlan) -> dict[int, FilePlanHeading]:
    return {h.id: h for h in plan.headings}


def create_plan(year, *, actor) -> FilePlan:
    """A draft file plan for `year` (archivist, admin); 409 when the year has one."""
    _require(rules.may_draft_plan(actor), False)
    errors: dict = {}
    year = _clean_year(year, "year", errors)
    if year is None and not errors:
        add_error(errors, "year", _("This field is required."))
    if errors:
        raise ValidationFailed(errors)
    if plan_for(year) is not None:
        raise Conflict(_("The file plan of %(year)d exists already.", year=year))
    plan = FilePlan(year=year, status="draft", created_by_id=actor.id)
    db.session.add(plan)
    db.session.flush()
    audit.record("plan.create", obj=plan, actor=actor, after={"year": year})
    return plan


def add_heading(plan: FilePlan, data: dict, *, actor) -> FilePlanHeading:
    """A heading of a draft plan: title, abbr, unit_id, parent_id (a major heading of the same plan),
    sort_order."""
    _lock(plan)
    _require(rules.may_draft_plan(actor, plan), rules.may_draft_plan(actor),
             _("An approved file plan cannot be changed."))
    errors: dict = {}
    title = clean_text(data.get("title"), "title", errors, 300, required=True)
    abbr = clean_text(data.get("abbr"), "abbr", errors, 20)
    unit_id = _unit(data.get("unit_id"), "unit_id", errors)
    sort_order = clean_int(data.get("sort_order"), "sort_order", errors, lo=0, hi=100000)
    parent_id = None
    if data.get("parent_id") not in (None, ""):
        parent = _plan_headings(plan).get(as_id(data.get("parent_id")))
        if parent is None or parent.parent_id is not None:
            add_error(errors, "parent_id", _("Choose a major heading of this plan."))
        else:
            parent_id = parent.id
    if errors:
        raise ValidationFailed(errors)
    heading = FilePlanHeading(plan_id=plan.id, title=title, abbr=abbr or "", unit_id=unit_id, parent_id=parent_id,
                              sort_order=sort_order if sort_order is not None else 100)
    db.session.add(heading)
    db.session.flush()
    db.session.refresh(plan, ["headings"])
    audit.record("plan.add_heading", obj=plan, actor=actor,
                 after={"heading_id": heading.id, "title": title, "abbr": heading.abbr, "parent_id": parent_id})
    return heading


def _clean_dossier(data: dict, errors: dict, *, partial: bool = False) -> dict:
    """The dossier fields present in `data` (all of them when not `partial`), cleaned."""
    out: dict = {}

    def given(key):
        return not partial or key in data

    if given("code"):
        out["code"] = clean_text(data.get("code"), "code", errors, 40, required=True)
    if given("title"):
        out["title"] = clean_text(data.get("title"), "title", errors, 500, required=True)
    if given("year") and data.get("year") not in (None, ""):
        out["year"] = _clean_year(data.get("year"), "year", errors)
    if given("unit_id"):
        out["unit_id"] = _unit(data.get("unit_id"), "unit_id", errors)
    if given("keeper_id"):
        out["keeper_id"] = _user(data.get("keeper_id"), "keeper_id", errors)
    if not partial or "retention_years" in data or "retention_id" in data:
        out["retention_years"], out["retention_id"] = _retention(data, errors)
    if given("medium") and data.get("medium") not in (None, ""):
        if data.get("medium") not in MEDIA:
            add_error(errors, "medium", _("Unknown value."))
        else:
            out["medium"] = data["medium"]
    if given("start_date"):
        out["start_date"] = clean_date(data.get("start_date"), "start_date", errors)
    if given("description"):
        out["description"] = clean_text(data.get("description"), "description", errors, 4000, multiline=True)
    if given("rights") and data.get("rights") not in (None, ""):
        out["rights"] = clean_text(data.get("rights"), "rights", errors, 30)
    if given("language") and data.get("language") not in (None, ""):
        out["language"] = clean_text(data.get("language"), "language", errors, 30)
    return out


def plan_dossier(plan: FilePlan, data: dict, *, actor) -> Dossier:
    """A planned dossier in a draft plan: code, title, heading_id, unit_id, keeper_id,
    retention_years (empty = permanent) or retention_id."""
    _lock(plan)
    _require(rules.may_draft_plan(actor, plan), rules.may_draft_plan(actor),
             _("An approved file plan cannot be changed."))
    errors: dict = {}
    fields = _clean_dossier(data, errors)
    fields.pop("year", None)
    heading_id = None
    if data.get("heading_id") not in (None, ""):
        heading = _plan_headings(plan).get(as_id(data.get("heading_id")))
        if heading is None:
            add_error(errors, "heading_id", _("Choose a heading of this plan."))
        else:
            heading_id = heading.id
            if fields.get("unit_id") is None and heading.unit_id is not None:
                fields["unit_id"] = heading.unit_id
    if not errors and fields.get("code") and _code_taken(plan.year, fields["code"]):
        add_error(errors, "code", _("A dossier of this year has this code already."))
    if errors:
        raise ValidationFailed(errors)
    dossier = Dossier(year=plan.year, plan_id=plan.id, heading_id=heading_id, status="planned",
                      created_by_id=actor.id, **fields)
    db.session.add(dossier)
    db.session.flush()
    audit.record("dossier.create", obj=dossier, actor=actor, after=_snapshot(dossier))
    return dossier


def approve_plan(plan: FilePlan, *, actor, version=None) -> FilePlan:
    """A leader approves a draft plan."""
    _lock(plan)
    _require(rules.may_approve_plan(actor, plan), bool(actor is not None and actor.has_role("leader")),
             _("This file plan is approved already."))
    check_version(plan, version)
    plan.status = "approved"
    plan.approved_by_id = actor.id
    plan.approved_at = utcnow()
    _bump(plan)
    db.session.flush()
    audit.record("plan.approve", obj=plan, actor=actor, before={"status": "draft"}, after={"status": "approved"})
    return plan


def copy_plan(from_year, to_year, *, actor) -> FilePlan:
    """Last year's plan into a new (draft) year: its headings and its dossiers, as planned dossiers.
    The target year's plan is created if missing; it must still be a draft; codes already used in the
    target year are skipped."""
    _require(rules.may_draft_plan(actor), False)
    errors: dict = {}
    src_year = _clean_year(from_year, "from_year", errors)
    dst_year = _clean_year(to_year, "to_year", errors)
    if src_year is not None and src_year == dst_year:
        add_error(errors, "to_year", _("Choose another year."))
    if errors:
        raise ValidationFailed(errors)
    source = plan_for(src_year)
    if source is None:
        raise ValidationFailed({"from_year": [_("There is no file plan for %(year)d.", year=src_year)]})
    target = plan_for(dst_year)
    if target is not None and target.status != "draft":
        raise Conflict(_("An approved file plan cannot be changed."))
    if target is None:
        target = FilePlan(year=dst_year, status="draft", created_by_id=actor.id)
        db.session.add(target)
        db.session.flush()
    mapping: dict[int, int] = {}
    majors = [h for h in source.headings if h.parent_id is None]
    minors = [h for h in source.headings if h.parent_id is not None]
    for heading in majors + minors:
        copy = FilePlanHeading(plan_id=target.id, title=heading.title, abbr=heading.abbr, unit_id=heading.unit_id,
                               sort_order=heading.sort_order, parent_id=mapping.get(heading.parent_id))
        db.session.add(copy)
        db.session.flush()
        mapping[heading.id] = copy.id
    used = set(db.session.scalars(sa.select(Dossier.code).where(Dossier.year == dst_year)))
    copied = 0
    for old in db.session.scalars(sa.select(Dossier).where(Dossier.plan_id == source.id).order_by(Dossier.code)):
        if old.code in used:
            continue
        db.session.add(Dossier(year=dst_year, code=old.code, title=old.title, plan_id=target.id,
                               heading_id=mapping.get(old.heading_id), unit_id=old.unit_id, keeper_id=old.keeper_id,
                               retention_years=old.retention_years, retention_id=old.retention_id, status="planned",
                               medium=old.medium, created_by_id=actor.id))
        used.add(old.code)
        copied += 1
    db.session.flush()
    db.session.refresh(target, ["headings"])
    audit.record("plan.copy", obj=target, actor=actor,
                 after={"from_year": src_year, "to_year": dst_year, "headings": len(mapping), "dossiers": copied})
    return target


# ---- dossiers ------------------------------------------------------------------------------------------

def _ended_year():
    return sa.func.coalesce(sa.extract("year", Dossier.end_date), Dossier.year)


def _expired_condition(on: date):
    """Retention over: closed or archived, not permanent, 31/12 of (ended year + retention) < on."""
    return sa.and_(Dossier.status.in_(("closed", "archived")), Dossier.retention_years.is_not(None),
                   _ended_year() + Dossier.retention_years < on.year)


def dossiers_for(user, *, status=None, year=None, expired=False, unit_id=None, q=None):
    """select(Dossier) of the dossiers whose metadata the user may see, newest year first, by code.
    Unknown filter values are a 422."""
    errors: dict = {}
    stmt = sa.select(Dossier).where(rules.dossier_filter(user))
    if status not in (None, ""):
        if status not in DOSSIER_STATUSES:
            add_error(errors, "status", _("Unknown value."))
        else:
            stmt = stmt.where(Dossier.status == status)
    if year not in (None, ""):
        year_value = _clean_year(year, "year", errors)
        if year_value is not None:
            stmt = stmt.where(Dossier.year == year_value)
    if unit_id not in (None, ""):
        unit_value = as_id(unit_id)
        if unit_value is None:
            add_error(errors, "unit_id", _("Unknown unit."))
        else:
            stmt = stmt.where(Dossier.unit_id == unit_value)
    if expired:
        stmt = stmt.where(_expired_condition(_today()))
    text = clean_text(q, "q", errors, 200)
    if text:
        # folded on both sides: "ke hoach", "KẾ HOẠCH" and "Kế hoạch" find the same dossiers
        stmt = stmt.where(Dossier.search_key.like("%" + like_escape(fold(text)) + "%", escape="\\"))
    if errors:
        raise ValidationFailed(errors)
    return stmt.order_by(Dossier.year.desc(), Dossier.code, Dossier.id)


def get_dossier(user, dossier_id) -> Dossier:
    """The dossier, or NotFound when it is missing or the user may not see it."""
    dossier = get_by_id(Dossier, dossier_id)
    if dossier is None or not rules.may_see_dossier(user, dossier):
        raise NotFound(_("No such dossier."))
    return dossier


def create_dossier(data: dict, *, actor) -> Dossier:
    """A dossier opened ad hoc (status open): code, title, year (default this year), unit_id (default
    the actor's unit), retention_years (empty = permanent) or retention_id, keeper_id (default the
    actor), medium, start_date (default today), description."""
    _require(rules.may_create_dossier(actor), False)
    errors: dict = {}
    if "retention_years" not in data and data.get("retention_id") in (None, ""):
        add_error(errors, "retention_years", _("This field is required."))
    fields = _clean_dossier(data, errors)
    fields.setdefault("year", None)
    if fields["year"] is None:
        fields["year"] = _today().year
    if "unit_id" not in data:
        fields["unit_id"] = actor.unit_id
    if fields.get("keeper_id") is None:
        fields["keeper_id"] = actor.id
    if fields.get("start_date") is None:
        fields["start_date"] = _today()
    if not errors and _code_taken(fields["year"], fields["code"]):
        add_error(errors, "code", _("A dossier of this year has this code already."))
    if errors:
        raise ValidationFailed(errors)
    dossier = Dossier(status="open", created_by_id=actor.id, **fields)
    db.session.add(dossier)
    db.session.flush()
    audit.record("dossier.create", obj=dossier, actor=actor, after=_snapshot(dossier))
    return dossier


def open_dossier(dossier: Dossier, *, actor, version=None) -> Dossier:
    """A planned dossier of the file plan opened (start date today unless set)."""
    _lock(dossier)
    _require(rules.may_open(actor, dossier), rules.keeps(actor, dossier) and rules.may_create_dossier(actor),
             _("Only a planned dossier can be opened."))
    check_version(dossier, version)
    dossier.status = "open"
    if dossier.start_date is None:
        dossier.start_date = _today()
    if dossier.keeper_id is None:
        dossier.keeper_id = actor.id
    _bump(dossier)
    db.session.flush()
    audit.record("dossier.open", obj=dossier, actor=actor, before={"status": "planned"}, after={"status": "open"})
    return dossier


def update_dossier(dossier: Dossier, data: dict, *, actor) -> Dossier:
    """Change the metadata given in `data` (`version` checked); an archived or destroyed dossier is
    read-only."""
    _lock(dossier)
    _require(rules.may_edit(actor, dossier), rules.keeps(actor, dossier), _("This dossier is read-only."))
    check_version(dossier, data.get("version"))
    errors: dict = {}
    fields = _clean_dossier(data, errors, partial=True)
    year = fields.get("year") or dossier.year
    code = fields.get("code") or dossier.code
    if not errors and ("year" in fields or "code" in fields) and _code_taken(year, code, exclude_id=dossier.id):
        add_error(errors, "code", _("A dossier of this year has this code already."))
    if "end_date" in data and dossier.status == "closed":
        end_date = clean_date(data.get("end_date"), "end_date", errors)
        if end_date is not None:
            fields["end_date"] = end_date
    if errors:
        raise ValidationFailed(errors)
    before = _snapshot(dossier)
    for key, value in fields.items():
        if key == "year" and value is None:
            continue
        setattr(dossier, key, value)
    _bump(dossier)
    db.session.flush()
    audit.record("dossier.update", obj=dossier, actor=actor, before=before, after=_snapshot(dossier))
    return dossier


def _entry(dossier: Dossier, document_id: int) -> DossierDocument | None:
    return db.session.get(DossierDocument, (dossier.id, document_id))


def add_document(dossier: Dossier, document_id, *, actor) -> DossierDocument:
    """File a document the actor may see (404 otherwise) at the end of an open dossier; 409 if it is
    in it already."""
    _lock(dossier)
    _require(rules.may_file(actor, dossier), rules.keeps(actor, dossier), _("Only an open dossier takes documents."))
    document = access.get_visible_or_404(actor, document_id)
    if _entry(dossier, document.id) is not None:
        raise Conflict(_("The document is in this dossier already."))
    last = db.session.scalar(sa.select(sa.func.max(DossierDocument.position))
                             .where(DossierDocument.dossier_id == dossier.id))
    entry = DossierDocument(dossier_id=dossier.id, document_id=document.id, position=(last or 0) + 1,
                            added_by_id=actor.id)
    db.session.add(entry)
    _bump(dossier)  # its contents changed: a close form shown before this is stale
    db.session.flush()
    db.session.expire(dossier, ["entries"])
    audit.record("dossier.add_document", obj=dossier, actor=actor,
                 after={"document_id": document.id, "position": entry.position})
    return entry


def _visible_entry(dossier: Dossier, document_id, actor) -> DossierDocument:
    document = access.get_visible_or_404(actor, document_id)
    entry = _entry(dossier, document.id)
    if entry is None:
        raise NotFound(_("The document is not in this dossier."))
    return entry


def remove_document(dossier: Dossier, document_id, *, actor) -> None:
    """Take a document (that the actor may see) out of an open dossier."""
    _lock(dossier)
    _require(rules.may_file(actor, dossier), rules.keeps(actor, dossier), _("Only an open dossier can be changed."))
    entry = _visible_entry(dossier, document_id, actor)
    doc_id, position = entry.document_id, entry.position
    db.session.delete(entry)
    _bump(dossier)
    db.session.flush()
    db.session.expire(dossier, ["entries"])
    audit.record("dossier.remove_document", obj=dossier, actor=actor,
                 before={"document_id": doc_id, "position": position})


def move_document(dossier: Dossier, document_id, position, *, actor) -> DossierDocument:
    """Move a document to `position` (1 = first) in the dossier's order; the others follow."""
    _lock(dossier)
    _require(rules.may_file(actor, dossier), rules.keeps(actor, dossier), _("Only an open dossier can be changed."))
    errors: dict = {}
    position = clean_int(position, "position", errors, lo=1, hi=1_000_000)
    if position is None and not errors:
        add_error(errors, "position", _("This field is required."))
    if errors:
        raise ValidationFailed(errors)
    entry = _visible_entry(dossier, document_id, actor)
    ordered = list(db.session.scalars(sa.select(DossierDocument).where(DossierDocument.dossier_id == dossier.id)
                                      .order_by(DossierDocument.position, DossierDocument.document_id)))
    old = ordered.index(entry) + 1
    ordered.remove(entry)
    ordered.insert(min(position, len(ordered) + 1) - 1, entry)
    for index, item in enumerate(ordered, start=1):
        item.position = index
    _bump(dossier)
    db.session.flush()
    db.session.expire(dossier, ["entries"])
    audit.record("dossier.move_document", obj=dossier, actor=actor,
                 before={"document_id": entry.document_id, "position": old},
                 after={"document_id": entry.document_id, "position": entry.position})
    return entry


def _flags(entries: list[DossierDocument]) -> dict[int, str | None]:
    """On closing: `draft` for an outgoing document never issued; `duplicate` for a second entry with the
    same number and symbol, issued date and sender."""
    flags: dict[int, str | None] = {}
    seen: set = set()
    for entry in entries:
        doc = entry.document
        flag = None
        if doc.direction == "outgoing" and doc.status != "issued":
            flag = "draft"
        elif doc.number_symbol:
            key = (doc.direction, doc.number_symbol.strip().lower(), doc.issued_date,
                   doc.sender_org_id, (doc.sender_name or "").strip().lower())
            if key in seen:
                flag = "duplicate"
            seen.add(key)
        flags[entry.document_id] = flag
    return flags


def close_dossier(dossier: Dossier, data: dict | None = None, *, actor) -> Dossier:
    """Close an open dossier: end_date (default today, not before start_date), page_total (default:
    the pages of all its documents), closing_note; sets doc_total and flags drafts and duplicates."""
    data = data or {}
    _lock(dossier)
    _require(rules.may_close(actor, dossier), rules.keeps(actor, dossier), _("Only an open dossier can be closed."))
    check_version(dossier, data.get("version"))
    errors: dict = {}
    end_date = clean_date(data.get("end_date"), "end_date", errors) or (None if errors else _today())
    page_total = clean_int(data.get("page_total"), "page_total", errors, lo=0, hi=10_000_000)
    note = clean_text(data.get("closing_note"), "closing_note", errors, 4000, multiline=True)
    if end_date is not None and dossier.start_date is not None and end_date < dossier.start_date:
        add_error(errors, "end_date", _("The end date cannot be before the start date."))
    if end_date is not None and end_date > _today():
        add_error(errors, "end_date", _("The end date cannot be in the future."))
    if errors:
        raise ValidationFailed(errors)
    entries = list(db.session.scalars(sa.select(DossierDocument).where(DossierDocument.dossier_id == dossier.id)
                                      .order_by(DossierDocument.position, DossierDocument.document_id)))
    flags = _flags(entries)
    for entry in entries:
        entry.flag = flags[entry.document_id]
    if page_total is None:
        page_total = sum((e.document.pages or 0) for e in entries)
    dossier.status = "closed"
    dossier.end_date = end_date
    dossier.page_total = page_total
    dossier.doc_total = len(entries)
    dossier.closing_note = note
    dossier.closed_at = utcnow()
    _bump(dossier)
    db.session.flush()
    audit.record("dossier.close", obj=dossier, actor=actor, before={"status": "open"},
                 after={"status": "closed", "end_date": end_date, "doc_total": dossier.doc_total,
                        "page_total": page_total, "flagged": {str(k): v for k, v in flags.items() if v}})
    return dossier


def _entries_stmt(dossier: Dossier, user):
    return (sa.select(DossierDocument).join(Document, Document.id == DossierDocument.document_id)
            .where(DossierDocument.dossier_id == dossier.id, access.visible_filter(user)))


def dossier_entries(dossier: Dossier, user) -> list[DossierDocument]:
    """The dossier's entries whose documents the user may see, in the dossier's order."""
    return list(db.session.scalars(_entries_stmt(dossier, user)
                                   .order_by(DossierDocument.position, DossierDocument.document_id)))


def dossier_counts(dossier: Dossier, user) -> dict:
    """{"documents": n, "pages": n} over the documents the user may see."""
    row = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Document.pages), 0))
        .select_from(DossierDocument).join(Document, Document.id == DossierDocument.document_id)
        .where(DossierDocument.dossier_id == dossier.id, access.visible_filter(user))).one()
    return {"documents": int(row[0]), "pages": int(row[1] or 0)}


def dossiers_of_document(document: Document, user) -> list[Dossier]:
    """The dossiers a document sits in, among those the user may see."""
    return list(db.session.scalars(
        sa.select(Dossier).join(DossierDocument, DossierDocument.dossier_id == Dossier.id)
        .where(DossierDocument.document_id == document.id, rules.dossier_filter(user))
        .order_by(Dossier.year.desc(), Dossier.code)))


def fileable_dossiers(user, document: Document | None = None, *, limit: int = 200) -> list[Dossier]:
    """Open dossiers the user may file into (for the "file into dossier" form), without those already
    holding `document`: the newest years first, at most `limit` (every document page asks)."""
    stmt = sa.select(Dossier).where(Dossier.status == "open", rules.dossier_filter(user))
    if document is not None:
        stmt = stmt.where(~sa.exists().where(DossierDocument.dossier_id == Dossier.id,
                                             DossierDocument.document_id == document.id))
    stmt = stmt.order_by(Dossier.year.desc(), Dossier.code).limit(limit)
    return [d for d in db.session.scalars(stmt) if rules.may_file(user, d)]


# ---- the work queue and transfer deadlines --------------------------------------------------------------

def transfer_deadline(dossier: Dossier) -> date:
    """Within one year of the year the matter ended: 31/12 of (end year + 1)."""
    ended = dossier.end_date.year if dossier.end_date else dossier.year
    return date(ended + 1, 12, 31)


def transfer_state(dossier: Dossier, today: date | None = None) -> str | None:
    """For a closed, transferable dossier not kept back: 'late' after the deadline, 'warning' from 30
    days before it to the deadline itself, else None."""
    today = today or _today()
    if dossier.status != "closed" or not rules.is_transferable(dossier):
        return None
    if dossier.kept_back_until is not None and today <= dossier.kept_back_until:
        return None
    deadline = transfer_deadline(dossier)
    if today > deadline:
        return "late"
    if deadline - timedelta(days=TRANSFER_WARNING_DAYS) <= today:
        return "warning"
    return None


def _handled():
    return sa.or_(sa.and_(Document.direction == "incoming", Document.status == "completed"),
                  sa.and_(Document.direction == "outgoing", Document.status == "issued"))


def unfiled_documents(user):
    """select(Document): handled documents (incoming completed, outgoing issued) the user may see and
    that sit in no dossier, newest first."""
    return (access.visible_documents(user).where(_handled())
            .where(~sa.exists().where(DossierDocument.document_id == Document.id))
            .order_by(Document.id.desc()))


def transfers_due(user, today: date | None = None) -> list[tuple[Dossier, date, str]]:
    """(dossier, deadline, 'warning'|'late') for the closed transferable dossiers the user may see."""
    today = today or _today()
    stmt = (sa.select(Dossier).where(rules.dossier_filter(user), Dossier.status == "closed",
                                     sa.or_(Dossier.retention_years.is_(None),
                                            Dossier.retention_years >= rules.MIN_TRANSFER_YEARS),
                                     # due from 1/12 of the year after the end: never for a later end
                                     _ended_year() + 1 <= today.year)
            .order_by(Dossier.end_date, Dossier.code))
    due = []
    for dossier in db.session.scalars(stmt):
        state = transfer_state(dossier, today)
        if state is not None:
            due.append((dossier, transfer_deadline(dossier), state))
    return due


def work_queue(user, today: date | None = None) -> dict:
    """The archivist's queue: {"unfiled": select of handled documents in no dossier, "open_ended":
    select of open dossiers of earlier years, "transfers": [(dossier, deadline, state)]}."""
    today = today or _today()
    return {
        "unfiled": unfiled_documents(user),
        "open_ended": (sa.select(Dossier).where(rules.dossier_filter(user), Dossier.status == "open",
                                                Dossier.year < today.year).order_by(Dossier.year, Dossier.code)),
        "transfers": transfers_due(user, today),
    }


# ---- transfers -------------------------------------------------------------------------------------------

def transfers_for(user, *, status=None):
    """select(Transfer): all for the archive-wide roles, else those holding a dossier the user may see."""
    stmt = sa.select(Transfer)
    if not (user is not None and user.has_role(*rules.ARCHIVE_WIDE_ROLES)):
        stmt = stmt.where(sa.exists().where(Dossier.transfer_id == Transfer.id, rules.dossier_filter(user)))
    if status not in (None, ""):
        if status not in ("proposed", "accepted"):
            raise ValidationFailed({"status": [_("Unknown value.")]})
        stmt = stmt.where(Transfer.status == status)
    return stmt.order_by(Transfer.created_at.desc(), Transfer.id.desc())


def get_transfer(user, transfer_id) -> Transfer:
    transfer = get_by_id(Transfer, transfer_id)
    if transfer is None:
        raise NotFound(_("No such transfer."))
    if not user.has_role(*rules.ARCHIVE_WIDE_ROLES) and not any(rules.may_see_dossier(user, d)
                                                                  for d in transfer.dossiers):
        raise NotFound(_("No such transfer."))
    return transfer


def _ids(values, field: str) -> list[int]:
    if not isinstance(values, (list, tuple)) or not values:
        raise ValidationFailed({field: [_("Choose at least one dossier.")]})
    ids = []
    for value in values:
        ident = as_id(value)
        if ident is None:
            raise ValidationFailed({field: [_("Unknown dossier.")]})
        if ident not in ids:
            ids.append(ident)
    return ids


def create_transfer(dossier_ids, *, actor, note=None) -> Transfer:
    """A transfer list of closed, transferable dossiers (retention >= 5 years or permanent) that the actor
    may put on it; 422 naming `dossier_ids` for one that cannot go; nothing written then."""
    ids = _ids(dossier_ids, "dossier_ids")
    dossiers = [get_dossier(actor, ident) for ident in ids]
    _lock(*dossiers)
    for dossier in dossiers:
        _require(rules.may_put_on_transfer(actor, dossier), rules._puts_on_transfer(actor, dossier),
                 _("Dossier %(code)s is not closed or is on a transfer list already.", code=dossier.code))
    short = [d.code for d in dossiers if not rules.is_transferable(d)]
    if short:
        raise ValidationFailed({"dossier_ids": [_("Only dossiers kept 5 years or more are transferred: %(codes)s.",
                                                  codes=", ".join(short))]})
    text = clean_text(note, "note", errors := {}, 2000, multiline=True)
    if errors:
        raise ValidationFailed(errors)
    units = {d.unit_id for d in dossiers}
    transfer = Transfer(status="proposed", note=text, created_by_id=actor.id,
                        unit_id=units.pop() if len(units) == 1 else None)
    db.session.add(transfer)
    db.session.flush()
    for dossier in dossiers:
        dossier.transfer_id = transfer.id
        _bump(dossier)
    db.session.flush()
    db.session.expire(transfer, ["dossiers"])
    audit.record("transfer.create", obj=transfer, actor=actor, after={"dossier_ids": [d.id for d in dossiers]})
    return transfer


def accept_transfer(transfer: Transfer, *, actor, locations: dict | None = None, version=None) -> Transfer:
    """The archivist accepts a transfer list: its dossiers become archived, paper and mixed ones with
    their box and shelf, both required (`locations`: {dossier_id: (box, shelf)})."""
    _lock(transfer, *transfer.dossiers)
    _require(rules.may_accept_transfer(actor, transfer), bool(actor is not None and actor.has_role("archivist")),
             _("This transfer is accepted already."))
    check_version(transfer, version)
    locations = locations or {}
    errors: dict = {}
    places = {}
    for dossier in transfer.dossiers:
        box, shelf = (locations.get(dossier.id) or locations.get(str(dossier.id)) or (None, None))
        box = clean_text(box, f"locations.{dossier.id}.box", errors, 40)
        shelf = clean_text(shelf, f"locations.{dossier.id}.shelf", errors, 40)
        if dossier.medium != "electronic":  # paper is found on its shelf, in its box
            for field, value in (("box", box), ("shelf", shelf)):
                if not value and f"locations.{dossier.id}.{field}" not in errors:
                    add_error(errors, f"locations.{dossier.id}.{field}",
                              _("A paper dossier needs its place in the archive (box and shelf)."))
        places[dossier.id] = (box, shelf)
        if dossier.status != "closed":
            raise Conflict(_("Dossier %(code)s is no longer closed.", code=dossier.code))
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    for dossier in transfer.dossiers:
        dossier.status = "archived"
        dossier.archived_at = now
        dossier.location_box, dossier.location_shelf = places[dossier.id]
        _bump(dossier)
    transfer.status = "accepted"
    transfer.accepted_by_id = actor.id
    transfer.accepted_at = now
    _bump(transfer)
    db.session.flush()
    audit.record("transfer.accept", obj=transfer, actor=actor, before={"status": "proposed"},
                 after={"status": "accepted", "locations": {str(k): list(v) for k, v in places.items()}})
    return transfer


def transfer_dossier(dossier: Dossier, *, actor, box=None, shelf=None) -> Transfer:
    """A one-dossier transfer by the archivist, accepted at once."""
    _lock(dossier)
    _require(rules.may_transfer_now(actor, dossier), bool(actor is not None and actor.has_role("archivist")),
             _("Only a closed dossier can be transferred."))
    if dossier.transfer is not None and dossier.transfer.status == "proposed":
        transfer = dossier.transfer
        if len(transfer.dossiers) == 1:
            return accept_transfer(transfer, actor=actor, locations={dossier.id: (box, shelf)})
        raise Conflict(_("Dossier %(code)s is on a transfer list already.", code=dossier.code))
    transfer = create_transfer([dossier.id], actor=actor)
    return accept_transfer(transfer, actor=actor, locations={dossier.id: (box, shelf)})


# ---- keep-back --------------------------------------------------------------------------------------------

def keep_back_limit(dossier: Dossier) -> date:
    """A keep-back lasts at most 2 years after the transfer deadline."""
    deadline = transfer_deadline(dossier)
    return deadline.replace(year=deadline.year + MAX_KEEP_BACK_YEARS)


def request_keep_back(dossier: Dossier, *, reason, until, actor) -> KeepBack:
    """The keeper or the unit's head asks to keep a closed dossier back until `until` (after today, at
    most 2 years after the transfer deadline), with a reason."""
    _lock(dossier)
    role_ok = bool(actor is not None and (dossier.keeper_id == actor.id or (
        actor.has_role("unit_head") and actor.unit_id is not None and actor.unit_id == dossier.unit_id)))
    _require(rules.may_request_keep_back(actor, dossier), role_ok, _("Only a closed dossier can be kept back."))
    errors: dict = {}
    reason = clean_text(reason, "reason", errors, 1000, required=True, multiline=True)
    until = clean_date(until, "until", errors)
    if until is None and "until" not in errors:
        add_error(errors, "until", _("This field is required."))
    elif until is not None and until <= _today():
        add_error(errors, "until", _("Choose a day after today."))
    elif until is not None and until > keep_back_limit(dossier):
        add_error(errors, "until", _("At most 2 years after the transfer deadline (%(day)s).",
                                     day=keep_back_limit(dossier).strftime("%d/%m/%Y")))
    if errors:
        raise ValidationFailed(errors)
    pending = db.session.scalar(sa.select(KeepBack.id).where(KeepBack.dossier_id == dossier.id,
                                                             KeepBack.state == "proposed").limit(1))
    if pending is not None:
        raise Conflict(_("A keep-back of this dossier awaits a decision."))
    kb = KeepBack(dossier_id=dossier.id, reason=reason, until=until, state="proposed", requested_by_id=actor.id)
    db.session.add(kb)
    db.session.flush()
    audit.record("keepback.request", obj=kb, actor=actor,
                 after={"dossier_id": dossier.id, "until": until, "reason": reason})
    return kb


def get_keep_back(user, keep_back_id) -> KeepBack:
    kb = get_by_id(KeepBack, keep_back_id)
    if kb is None or not rules.may_see_dossier(user, kb.dossier):
        raise NotFound(_("No such keep-back request."))
    return kb


def keep_backs_for(user, *, state=None):
    """select(KeepBack) of the dossiers the user may see, newest first; `state` proposed, approved or
    refused."""
    if state not in (None, "") and state not in ("proposed", "approved", "refused"):
        raise ValidationFailed({"state": [_("Unknown value.")]})
    stmt = sa.select(KeepBack).join(Dossier, Dossier.id == KeepBack.dossier_id).where(rules.dossier_filter(user))
    if state not in (None, ""):
        stmt = stmt.where(KeepBack.state == state)
    return stmt.order_by(KeepBack.requested_at.desc(), KeepBack.id.desc())


def decide_keep_back(kb: KeepBack, *, approve: bool, actor, comment=None) -> KeepBack:
    """A leader approves (the dossier is kept back until then: no transfer warnings) or refuses."""
    _lock(kb)
    _require(rules.may_decide_keep_back(actor, kb), bool(actor is not None and actor.has_role("leader")),
             _("This request was decided already."))
    comment = clean_text(comment, "comment", errors := {}, 1000, multiline=True)
    if errors:
        raise ValidationFailed(errors)
    kb.state = "approved" if approve else "refused"
    kb.decided_by_id = actor.id
    kb.decided_at = utcnow()
    kb.comment = comment
    _bump(kb)
    if approve:
        kb.dossier.kept_back_until = kb.until
        _bump(kb.dossier)
    db.session.flush()
    audit.record("keepback.approve" if approve else "keepback.refuse", obj=kb, actor=actor,
                 before={"state": "proposed"}, after={"state": kb.state, "until": kb.until, "comment": comment})
    return kb


# ---- loans -------------------------------------------------------------------------------------------------

def loans_for(user, *, state=None, dossier_id=None, today: date | None = None):
    """select(Loan): the borrowing book for the archivist, leader and admin; a user's own loans for
    everyone else. `state` one of LOAN_STATES or `overdue` (lent and due before today)."""
    stmt = sa.select(Loan)
    if not rules.sees_all_loans(user):
        stmt = stmt.where(Loan.borrower_id == (user.id if user is not None else -1))
    if state not in (None, ""):
        if state == "overdue":
            stmt = stmt.where(Loan.state == "lent", Loan.due_date < (today or _today()))
        elif state in LOAN_STATES:
            stmt = stmt.where(Loan.state == state)
        else:
            raise ValidationFailed({"state": [_("Unknown value.")]})
    if dossier_id is not None:
        stmt = stmt.where(Loan.dossier_id == dossier_id)
    return stmt.order_by(Loan.requested_at.desc(), Loan.id.desc())


def get_loan(user, loan_id) -> Loan:
    loan = get_by_id(Loan, loan_id)
    if loan is None or not rules.may_see_loan(user, loan):
        raise NotFound(_("No such loan."))
    return loan


def is_overdue(loan: Loan, today: date | None = None) -> bool:
    return loan.state == "lent" and loan.due_date < (today or _today())


def request_loan(dossier: Dossier, *, reason, due_date, actor) -> Loan:
    """Any user asks to use an archived dossier until `due_date` (after today), with a reason."""
    _require(rules.may_request_loan(actor, dossier), actor is not None,
             _("Only a dossier in the archive can be borrowed."))
    errors: dict = {}
    reason = clean_text(reason, "reason", errors, 1000, required=True, multiline=True)
    due = clean_date(due_date, "due_date", errors)
    if due is None and "due_date" not in errors:
        add_error(errors, "due_date", _("This field is required."))
    elif due is not None and due <= _today():
        add_error(errors, "due_date", _("Choose a day after today."))
    if errors:
        raise ValidationFailed(errors)
    loan = Loan(dossier_id=dossier.id, borrower_id=actor.id, reason=reason, due_date=due, state="requested")
    db.session.add(loan)
    db.session.flush()
    audit.record("loan.request", obj=loan, actor=actor,
                 after={"dossier_id": dossier.id, "due_date": due, "reason": reason})
    return loan


def _loan_step(loan: Loan, action: str, new_state: str, actor, **changes) -> Loan:
    before = loan.state
    loan.state = new_state
    for key, value in changes.items():
        setattr(loan, key, value)
    _bump(loan)
    db.session.flush()
    audit.record(action, obj=loan, actor=actor, before={"state": before},
                 after={"state": new_state, **{k: v for k, v in changes.items() if k == "comment"}})
    return loan


def approve_loan(loan: Loan, *, actor, comment=None) -> Loan:
    """The archive's head (a leader) approves a requested loan."""
    _lock(loan)
    _require(rules.may_decide_loan(actor, loan), bool(actor is not None and actor.has_role("leader")),
             _("This request was decided already."))
    comment = clean_text(comment, "comment", errors := {}, 1000, multiline=True)
    if errors:
        raise ValidationFailed(errors)
    return _loan_step(loan, "loan.approve", "approved", actor, decided_by_id=actor.id, decided_at=utcnow(),
                      comment=comment)


def refuse_loan(loan: Loan, *, actor, comment) -> Loan:
    """The archive's head (a leader) refuses a requested loan, saying why."""
    _lock(loan)
    _require(rules.may_decide_loan(actor, loan), bool(actor is not None and actor.has_role("leader")),
             _("This request was decided already."))
    comment = clean_text(comment, "comment", errors := {}, 1000, required=True, multiline=True)
    if errors:
        raise ValidationFailed(errors)
    return _loan_step(loan, "loan.refuse", "refused", actor, decided_by_id=actor.id, decided_at=utcnow(),
                      comment=comment)


def lend_loan(loan: Loan, *, actor) -> Loan:
    """The archivist lends an approved loan: the borrower sees the dossier's documents (within their
    clearance) while it is lent."""
    _lock(loan)
    _require(rules.may_lend(actor, loan), bool(actor is not None and actor.has_role("archivist")),
             _("Only an approved loan can be lent."))
    return _loan_step(loan, "loan.lend", "lent", actor, lent_by_id=actor.id, lent_at=utcnow())


def return_loan(loan: Loan, *, actor) -> Loan:
    """The archivist takes a lent dossier back."""
    _lock(loan)
    _require(rules.may_take_back(actor, loan), bool(actor is not None and actor.has_role("archivist")),
             _("Only a lent dossier can be returned."))
    return _loan_step(loan, "loan.return", "returned", actor, returned_at=utcnow())


# ---- disposition -----------------------------------------------------------------------------------------

def expired_dossiers(today: date | None = None):
    """select(Dossier): closed or archived dossiers whose retention ended before `today` (never a
    permanent one), not on a pending destruction proposal."""
    pending = (sa.select(DispositionDossier.dossier_id).join(Disposition)
               .where(Disposition.state == "proposed"))
    return (sa.select(Dossier).where(_expired_condition(today or _today()), Dossier.id.not_in(pending))
            .order_by(Dossier.year, Dossier.code))


def dispositions_for(user, *, state=None):
    """select(Disposition) for the archivist, leader and admin (403 for others)."""
    if not (user is not None and user.has_role("archivist", "leader", "admin")):
        raise PermissionDenied(_("You may not do this."))
    stmt = sa.select(Disposition)
    if state not in (None, ""):
        if state not in ("proposed", "approved", "refused"):
            raise ValidationFailed({"state": [_("Unknown value.")]})
        stmt = stmt.where(Disposition.state == state)
    return stmt.order_by(Disposition.proposed_at.desc(), Disposition.id.desc())


def get_disposition(user, disposition_id) -> Disposition:
    disposition = get_by_id(Disposition, disposition_id)
    if disposition is None or not (user is not None and user.has_role("archivist", "leader", "admin")):
        raise NotFound(_("No such destruction proposal."))
    return disposition


def propose_disposition(dossier_ids, *, reason, actor) -> Disposition:
    """The archivist proposes destroying dossiers whose retention has expired. A permanent dossier, one
    not yet expired, or one already proposed is a 422 naming `dossier_ids`, and nothing is written."""
    _require(rules.may_propose_disposition(actor), False)
    ids = _ids(dossier_ids, "dossier_ids")
    errors: dict = {}
    reason = clean_text(reason, "reason", errors, 4000, required=True, multiline=True)
    dossiers = [get_dossier(actor, ident) for ident in ids]
    _lock(*dossiers)
    permanent = [d.code for d in dossiers if d.is_permanent]
    if permanent:
        add_error(errors, "dossier_ids", _("Permanent dossiers are never destroyed: %(codes)s.",
                                           codes=", ".join(permanent)))
    expired_ids = set(db.session.scalars(expired_dossiers().with_only_columns(Dossier.id)
                                         .where(Dossier.id.in_(ids))))
    not_expired = [d.code for d in dossiers if not d.is_permanent and d.id not in expired_ids]
    if not_expired:
        add_error(errors, "dossier_ids", _("These dossiers are not expired or are proposed already: %(codes)s.",
                                           codes=", ".join(not_expired)))
    if errors:
        raise ValidationFailed(errors)
    disposition = Disposition(reason=reason, state="proposed", proposed_by_id=actor.id)
    disposition.items = [DispositionDossier(dossier_id=d.id) for d in dossiers]
    db.session.add(disposition)
    db.session.flush()
    audit.record("disposition.propose", obj=disposition, actor=actor,
                 after={"dossier_ids": [d.id for d in dossiers], "reason": reason})
    return disposition


def _still_needed_documents(document_ids: set[int]) -> set[int]:
    """Documents that also sit in a dossier that is not destroyed."""
    if not document_ids:
        return set()
    return set(db.session.scalars(
        sa.select(DossierDocument.document_id).join(Dossier, Dossier.id == DossierDocument.dossier_id)
        .where(DossierDocument.document_id.in_(document_ids), Dossier.status != "destroyed")))


def approve_disposition(disposition: Disposition, *, actor, decision=None) -> Disposition:
    """A leader approves: each dossier becomes destroyed; each attachment file of its documents is removed
    from the store (after the commit) unless the document sits in another dossier that is not destroyed
    or another live attachment holds the same content; Attachment.destroyed_at set; rows and metadata
    kept; the decision kept."""
    _lock(disposition)
    _require(rules.may_decide_disposition(actor, disposition), bool(actor is not None and actor.has_role("leader")),
             _("This proposal was decided already."))
    decision = clean_text(decision, "decision", errors := {}, 1000, multiline=True)
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    dossiers = [item.dossier for item in disposition.items]
    for dossier in dossiers:
        if dossier.status not in ("closed", "archived") or dossier.is_permanent:
            raise Conflict(_("Dossier %(code)s can no longer be destroyed.", code=dossier.code))
    for dossier in dossiers:
        before = dossier.status
        dossier.status = "destroyed"
        dossier.destroyed_at = now
        dossier.disposition_id = disposition.id
        _bump(dossier)
        db.session.flush()
        audit.record("dossier.destroy", obj=dossier, actor=actor, before={"status": before},
                     after={"status": "destroyed", "disposition_id": disposition.id})
    document_ids = set(db.session.scalars(sa.select(DossierDocument.document_id)
                                          .where(DossierDocument.dossier_id.in_([d.id for d in dossiers]))))
    keep = _still_needed_documents(document_ids)
    doomed = sorted(document_ids - keep)
    attachments = list(db.session.scalars(sa.select(Attachment).where(Attachment.document_id.in_(doomed),
                                                                      Attachment.destroyed_at.is_(None))
                                          .order_by(Attachment.id))) if doomed else []
    for attachment in attachments:
        attachment.destroyed_at = now
        # the file's content goes with it: its extracted text is no longer kept, found or shown in a snippet
        attachment.text, attachment.text_status = None, "none"
    db.session.flush()
    for doc in {a.document_id: a.document for a in attachments}.values():  # the index without that text
        events.attachment_text_ready.send(doc, actor=actor, attachment_id=None, status="none")
    for attachment in attachments:
        audit.record("attachment.destroy", obj=attachment, actor=actor,
                     after={"document_id": attachment.document_id, "sha256": attachment.sha256,
                            "disposition_id": disposition.id})
        storage.remove_after_commit(db.session, attachment.sha256)
    disposition.state = "approved"
    disposition.decided_by_id = actor.id
    disposition.decided_at = now
    disposition.decision = decision
    _bump(disposition)
    db.session.flush()
    audit.record("disposition.approve", obj=disposition, actor=actor, before={"state": "proposed"},
                 after={"state": "approved", "decision": decision, "dossier_ids": [d.id for d in dossiers],
                        "attachments_destroyed": len(attachments)})
    return disposition


def refuse_disposition(disposition: Disposition, *, actor, decision) -> Disposition:
    """A leader refuses a destruction proposal, saying why."""
    _lock(disposition)
    _require(rules.may_decide_disposition(actor, disposition), bool(actor is not None and actor.has_role("leader")),
             _("This proposal was decided already."))
    decision = clean_text(decision, "decision", errors := {}, 1000, required=True, multiline=True)
    if errors:
        raise ValidationFailed(errors)
    disposition.state = "refused"
    disposition.decided_by_id = actor.id
    disposition.decided_at = utcnow()
    disposition.decision = decision
    _bump(disposition)
    db.session.flush()
    audit.record("disposition.refuse", obj=disposition, actor=actor, before={"state": "proposed"},
                 after={"state": "refused", "decision": decision})
    return disposition


def _dossier_names(dossier_ids: set[int]):
    """(dossier_id, "01.VP – title") of these dossiers, for the sentences of the audit log."""
    rows = db.session.execute(sa.select(Dossier.id, Dossier.code, Dossier.title).where(Dossier.id.in_(dossier_ids)))
    return [(dossier_id, f"{code} – {title}" if code else title) for dossier_id, code, title in rows]


history.register_dossier_names(_dossier_names)  # the registry's history names a dossier with it
