"""Reference data services: document types, registers, external organisations, the agency."""

import re

import sqlalchemy as sa
from flask_babel import gettext as _

from docflow.core import audit, settings
from docflow.core.direct import Direct
from docflow.core.errors import NotFound, ValidationFailed
from docflow.core.text import fold, like_escape
from docflow.core.timeutil import today
from docflow.core.values import get_by_id
from docflow.extensions import db
from docflow.registry.models import DocType, Organization, Register

# Decree 30/2020, Art. 7 and App. III: (abbreviation, name, carries the abbreviation in its symbol)
DECREE30_TYPES: tuple[tuple[str, str, bool], ...] = (
    ("NQ", "Nghị quyết", True),
    ("QĐ", "Quyết định", True),
    ("CT", "Chỉ thị", True),
    ("QC", "Quy chế", True),
    ("QyĐ", "Quy định", True),
    ("TC", "Thông cáo", True),
    ("TB", "Thông báo", True),
    ("HD", "Hướng dẫn", True),
    ("CTr", "Chương trình", True),
    ("KH", "Kế hoạch", True),
    ("PA", "Phương án", True),
    ("ĐA", "Đề án", True),
    ("DA", "Dự án", True),
    ("BC", "Báo cáo", True),
    ("BB", "Biên bản", True),
    ("TTr", "Tờ trình", True),
    ("HĐ", "Hợp đồng", True),
    ("CV", "Công văn", False),
    ("CĐ", "Công điện", True),
    ("BGN", "Bản ghi nhớ", True),
    ("BTT", "Bản thỏa thuận", True),
    ("GUQ", "Giấy ủy quyền", True),
    ("GM", "Giấy mời", True),
    ("GGT", "Giấy giới thiệu", True),
    ("GNP", "Giấy nghỉ phép", True),
    ("PG", "Phiếu gửi", True),
    ("PC", "Phiếu chuyển", True),
    ("PB", "Phiếu báo", True),
    ("ThC", "Thư công", False),
)

DEFAULT_REGISTERS = (
    # (direction, confidential, name)
    ("incoming", False, "Sổ văn bản đến"),
    ("incoming", True, "Sổ văn bản đến mật"),
    ("outgoing", False, "Sổ văn bản đi"),
    ("outgoing", True, "Sổ văn bản đi mật"),
)

ORG_CODE_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
TYPE_CODE_RE = re.compile(r"^[A-Za-zĐđ]{1,10}$")


# ---- the agency ------------------------------------------------------------------------------

def update_agency(data: dict, *, actor=None) -> dict:
    errors = {}
    name = " ".join((data.get("name") or "").split())
    abbr = (data.get("abbr") or "").strip()
    code = (data.get("code") or "").strip().upper()
    if not name or len(name) > 250:
        errors["name"] = [_("Enter the agency's name (at most 250 characters).")]
    if not abbr or len(abbr) > 20 or not re.match(r"^[A-Za-zĐđ0-9]+$", abbr):
        errors["abbr"] = [_("Enter the abbreviation used in document symbols (letters and digits, at most 20).")]
    if code and not ORG_CODE_RE.match(code):
        errors["code"] = [_("The electronic code has 13 characters, like 000.00.00.H19.")]
    if errors:
        raise ValidationFailed(errors)
    value = {"name": name, "abbr": abbr, "code": code}
    settings.put("agency", value, actor=actor)
    return value


# ---- document types --------------------------------------------------------------------------

def seed_doc_types() -> int:
    existing = set(db.session.scalars(sa.select(DocType.code)))
    added = 0
    for order, (code, name, in_symbol) in enumerate(DECREE30_TYPES, start=1):
        if code not in existing:
            db.session.add(DocType(code=code, name=name, in_symbol=in_symbol, is_builtin=True, sort_order=order))
            added += 1
    db.session.flush()
    return added


def active_doc_types():
    return db.session.scalars(sa.select(DocType).where(DocType.is_active.is_(True))
                              .order_by(DocType.sort_order, DocType.code)).all()


def save_doc_type(data: dict, doc_type: DocType | None = None, *, actor=None) -> DocType:
    errors = {}
    code = (data.get("code") or (doc_type.code if doc_type else "")).strip()
    name = " ".join((data.get("name") or "").split())
    if doc_type is None:
        if not TYPE_CODE_RE.match(code):
            errors["code"] = [_("Use 1–10 letters, exactly as the abbreviation is written.")]
        elif db.session.scalar(sa.select(DocType.id).where(DocType.code == code)):
            errors["code"] = [_("This abbreviation already exists.")]
    if not name or len(name) > 120:
        errors["name"] = [_("Enter the type's name (at most 120 characters).")]
    if errors:
        raise ValidationFailed(errors)
    if doc_type is None:
        doc_type = DocType(code=code, name=name, in_symbol=bool(data.get("in_symbol", True)), sort_order=1000)
        db.session.add(doc_type)
        before = None
    else:
        before = {"name": doc_type.name, "in_symbol": doc_type.in_symbol, "active": doc_type.is_active}
        doc_type.name = name
        if "in_symbol" in data:
            doc_type.in_symbol = bool(data["in_symbol"])
        if "active" in data:
            doc_type.is_active = bool(data["active"])
        doc_type.version += 1
    db.session.flush()
    audit.record("doc_type.save", obj=doc_type, before=before,
                 after={"code": doc_type.code, "name": doc_type.name, "in_symbol": doc_type.in_symbol,
                        "active": doc_type.is_active}, actor=actor)
    return doc_type


# ---- registers -------------------------------------------------------------------------------

def ensure_default_registers(year: int | None = None) -> list[Register]:
    """The four default registers of a year (created when missing); idempotent."""
    year = year or today().year
    out = []
    for direction, confidential, name in DEFAULT_REGISTERS:
        reg = db.session.scalar(sa.select(Register).where(Register.direction == direction, Register.year == year,
                                                          Register.is_confidential.is_(confidential),
                                                          Register.is_default.is_(True)))
        if reg is None:
            try:
                with db.session.begin_nested():  # another transaction may create it at the same moment
                    reg = Register(name=name, direction=direction, is_confidential=confidential, year=year,
                                   is_default=True, last_number=0)
                    db.session.add(reg)
            except sa.exc.IntegrityError:
                reg = db.session.scalar(sa.select(Register).where(Register.direction == direction,
                                                                  Register.year == year, Register.name == name))
        out.append(reg)
    return out


_r = Register.__table__
#: built once and run on the session's cursor (core/direct.py): every registration asks
_DEFAULT_REGISTER = Direct(sa.select(*_r.columns).where(_r.c.direction == sa.bindparam("direction"),
                                                        _r.c.year == sa.bindparam("year"),
                                                        _r.c.is_confidential == sa.bindparam("confidential"),
                                                        _r.c.is_default == sa.bindparam("default")))


def default_register(direction: str, confidential: bool, year: int, *, create: bool = True) -> Register | None:
    """The year's default register for a direction and secrecy, created on first use (None when it is still
    to be created and `create` is false)."""
    found = _DEFAULT_REGISTER.instances(Register, {"direction": direction, "year": year,
                                                    "confidential": confidential, "default": True})
    if found:
        return found[0]
    if not create:
        return None
    for reg in ensure_default_registers(year):
        if reg.direction == direction and reg.is_confidential == confidential:
            return reg
    raise AssertionError("default registers cover every direction and secrecy")  # pragma: no cover


def list_registers(direction: str | None = None, year: int | None = None):
    stmt = sa.select(Register).order_by(Register.year.desc(), Register.direction, Register.is_confidential,
                                        Register.name)
    if direction:
        stmt = stmt.where(Register.direction == direction)
    if year:
        stmt = stmt.where(Register.year == year)
    return stmt


def save_register(data: dict, register: Register | None = None, *, actor=None) -> Register:
    errors = {}
    name = " ".join((data.get("name") or "").split())
    if not name or len(name) > 120:
        errors["name"] = [_("Enter the register's name (at most 120 characters).")]
    if register is None:
        direction = data.get("direction")
        if direction not in ("incoming", "outgoing"):
            errors["direction"] = [_("Choose incoming or outgoing.")]
        try:
            year = int(data.get("year") or 0)
        except (TypeError, ValueError):
            year = 0
        if not 1900 <= year <= 2999:
            errors["year"] = [_("Enter a year.")]
    else:
        direction, year = register.direction, register.year
    if not errors:
        clash = db.session.scalar(sa.select(Register.id).where(Register.direction == direction, Register.year == year,
                                                               Register.name == name))
        if clash and (register is None or clash != register.id):
            errors["name"] = [_("A register with this name already exists for that year.")]
    if errors:
        raise ValidationFailed(errors)
    before = None
    if register is None:
        register = Register(name=name, direction=direction, year=year,
                            is_confidential=bool(data.get("confidential")), last_number=0)
        db.session.add(register)
    else:
        before = {"name": register.name, "active": register.is_active}
        register.name = name
        if "active" in data:
            register.is_active = bool(data["active"])
        register.version += 1
    db.session.flush()
    audit.record("register.save", obj=register, before=before,
                 after={"name": register.name, "direction": register.direction, "year": register.year,
                        "confidential": register.is_confidential, "active": register.is_active}, actor=actor)
    return register


# ---- external organisations ------------------------------------------------------------------

def _org_key(org: Organization) -> str:
    return " ".join(filter(None, [fold(org.name), fold(org.abbr), (org.code or "").lower()]))[:400]


def org_snapshot(org: Organization) -> dict:
    return {"name": org.name, "abbr": org.abbr, "code": org.code, "active": org.is_active,
            "successor": org.successor.code if org.successor else None}


def save_organization(data: dict, org: Organization | None = None, *, actor=None) -> Organization:
    if org is not None:  # a partial update keeps the fields it does not name
        data = {"name": org.name, "abbr": org.abbr, "code": org.code, **data}
    errors = {}
    name = " ".join((data.get("name") or "").split())
    abbr = (data.get("abbr") or "").strip() or None
    code = (data.get("code") or "").strip().upper() or None
    if not name or len(name) > 250:
        errors["name"] = [_("Enter the organisation's name (at most 250 characters).")]
    if abbr and len(abbr) > 30:
        errors["abbr"] = [_("At most 30 characters.")]
    if code:
        if not ORG_CODE_RE.match(code):
            errors["code"] = [_("The electronic code has 13 characters, like 000.00.00.H19.")]
        else:
            clash = db.session.scalar(sa.select(Organization.id).where(Organization.code == code))
            if clash and (org is None or clash != org.id):
                errors["code"] = [_("Another organisation already has this code.")]
    successor = None
    if data.get("successor_id"):
        successor = get_by_id(Organization, data["successor_id"])
        if successor is None or (org is not None and successor.id == org.id):
            errors["successor_id"] = [_("Choose another existing organisation.")]
    if errors:
        raise ValidationFailed(errors)
    before = None
    if org is None:
        org = Organization(name=name, abbr=abbr, code=code)
        db.session.add(org)
    else:
        before = org_snapshot(org)
        org.name, org.abbr, org.code = name, abbr, code
        org.version += 1
    if "active" in data:
        org.is_active = bool(data["active"])
    if "successor_id" in data:
        org.successor = successor
    org.search_key = _org_key(org)
    db.session.flush()
    audit.record("organization.save", obj=org, before=before, after=org_snapshot(org), actor=actor)
    return org


def search_organizations(q: str | None = None, *, active_only: bool = False):
    stmt = sa.select(Organization).order_by(Organization.name)
    if q:
        for word in fold(q).split()[:8]:
            escaped = like_escape(word)
            stmt = stmt.where(Organization.search_key.like(f"%{escaped}%", escape="\\"))
    if active_only:
        stmt = stmt.where(Organization.is_active.is_(True))
    return stmt


def get_organization(org_id) -> Organization:
    org = get_by_id(Organization, org_id)
    if org is None:
        raise NotFound(_("No such organisation."))
    return org
