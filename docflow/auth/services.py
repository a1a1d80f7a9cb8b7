"""People services: users, units, passwords, sessions and API tokens. They flush, never commit."""

import hashlib
import re
import secrets

import sqlalchemy as sa
import sqlalchemy.orm
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from docflow.auth.models import ApiToken, Unit, User, UserRole, new_session_token
from docflow.core import audit
from docflow.core.direct import Direct, column_keys, loaded
from docflow.core.enums import CLEARANCES, ROLES
from docflow.core.errors import NotFound, ValidationFailed
from docflow.core.fields import check_version
from docflow.core.text import fold, like_escape
from docflow.core.timeutil import utcnow
from docflow.core.values import get_by_id
from docflow.extensions import db

MIN_PASSWORD_LENGTH = 12
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
UNIT_CODE_RE = re.compile(r"^[A-ZĐ0-9][A-ZĐ0-9&]{0,19}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# A password check against a constant hash keeps a login for an unknown user as slow as one for a
# known user, so response times do not reveal which usernames exist.
_DUMMY_HASH = generate_password_hash("docflow-timing-equaliser")


def user_snapshot(user: User) -> dict:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "unit": user.unit.code if user.unit else None,
        "roles": user.roles,
        "clearance": user.clearance,
        "active": user.is_active,
    }


def unit_snapshot(unit: Unit) -> dict:
    return {"code": unit.code, "name": unit.name, "parent": unit.parent.code if unit.parent else None,
            "active": unit.is_active}


# ---- passwords -------------------------------------------------------------------------------

def password_problems(password: str | None, username: str | None = None) -> list[str]:
    problems = []
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    elif username and username.lower() in password.lower():
        problems.append(_("The password must not contain the username."))
    if password and len(password) > 128:
        problems.append(_("The password must have at most 128 characters."))
    return problems


def set_password(user: User, password: str) -> None:
    problems = password_problems(password, user.username)
    if problems:
        raise ValidationFailed({"password": problems})
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    user.password_hash = generate_password_hash(password, method=method)
    user.password_changed_at = utcnow()


def end_cookie_sessions(user: User) -> None:
    """Rotate the session id: every browser session of the user ends (API tokens stay)."""
    user.session_token = new_session_token()


def end_sessions(user: User) -> None:
    """Rotate the session id (ends every cookie session) and revoke every API token."""
    user.session_token = new_session_token()
    now = utcnow()
    for token in db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id,
                                                              ApiToken.revoked_at.is_(None))):
        token.revoked_at = now


def change_own_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationFailed({"current_password": [_("The current password is wrong.")]})
    set_password(user, new)
    end_sessions(user)
    user.version += 1
    db.session.flush()
    audit.record("user.password_change", obj=user, actor=user)


def authenticate(username: str, password: str, *, channel: str = "web") -> User | None:
    """The user when the credentials are right and the account is active; records the attempt."""
    username = (username or "").strip().lower()
    user = db.session.scalar(sa.select(User).where(User.username == username)) if username else None
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is None or not ok or not user.is_active:
        reason = "unknown user" if user is None else ("wrong password" if not ok else "inactive")
        audit.record("login.failure", object_type="user", object_id=user.id if user else None,
                     after={"username": username[:64], "reason": reason, "channel": channel},
                     actor=None, actor_name=username[:80] or None)
        return None
    user.last_login_at = utcnow()
    audit.record("login.success", obj=user, after={"channel": channel}, actor=user)
    return user


# ---- users -----------------------------------------------------------------------------------

def _validate_user_fields(data: dict, *, creating: bool) -> dict:
    errors: dict[str, list[str]] = {}
    clean = {}
    if creating or "username" in data:
        username = (data.get("username") or "").strip().lower()
        if not USERNAME_RE.match(username):
            errors["username"] = [_("Use 2–64 lower-case letters, digits, dots, dashes or underscores.")]
        clean["username"] = username
    if creating or "full_name" in data:
        full_name = " ".join((data.get("full_name") or "").split())
        if not full_name or len(full_name) > 120:
            errors["full_name"] = [_("Enter the full name (at most 120 characters).")]
        clean["full_name"] = full_name
    if "email" in data:
        email = (data.get("email") or "").strip() or None
        if email and (len(email) > 254 or not EMAIL_RE.match(email)):
            errors["email"] = [_("Enter a valid e-mail address.")]
        clean["email"] = email
    if creating or "roles" in data:
        roles = list(dict.fromkeys(data.get("roles") or []))
        if not roles:
            errors["roles"] = [_("Choose at least one role.")]
        elif any(r not in ROLES for r in roles):
            errors["roles"] = [_("Unknown role.")]
        clean["roles"] = roles
    if creating or "clearance" in data:
        clearance = data.get("clearance") or "normal"
        if clearance not in CLEARANCES:
            errors["clearance"] = [_("Unknown clearance level.")]
        clean["clearance"] = clearance
    if creating or "unit_id" in data or "unit_code" in data:
        unit = None
        if data.get("unit_id") is not None:
            unit = get_by_id(Unit, data["unit_id"])
        elif data.get("unit_code"):
            unit = db.session.scalar(sa.select(Unit).where(Unit.code == data["unit_code"]))
        if unit is None:
            errors["unit_id"] = [_("Choose an existing unit.")]
        clean["unit"] = unit
    if errors:
        raise ValidationFailed(errors)
    return clean


def create_user(data: dict, *, actor=None) -> User:
    clean = _validate_user_fields(data, creating=True)
    if db.session.scalar(sa.select(User.id).where(User.username == clean["username"])):
        raise ValidationFailed({"username": [_("This username is already taken.")]})
    user = User(username=clean["username"], full_name=clean["full_name"], email=clean.get("email"),
                unit=clean["unit"], clearance=clean["clearance"], password_hash="")
    user.set_roles(clean["roles"])
    set_password(user, data.get("password") or "")
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", obj=user, after=user_snapshot(user), actor=actor)
    return user


def update_user(user: User, data: dict, *, actor=None, version=None) -> User:
    check_version(user, version)
    clean = _validate_user_fields(data, creating=False)
    before = user_snapshot(user)
    for field in ("full_name", "email", "clearance", "unit"):
        if field in clean:
            setattr(user, field, clean[field])
    if "roles" in clean:
        user.set_roles(clean["roles"])
    user.version += 1
    db.session.flush()
    audit.record("user.update", obj=user, before=before, after=user_snapshot(user), actor=actor)
    return user


def set_active(user: User, active: bool, *, actor=None) -> User:
    if actor is not None and actor.id == user.id and not active:
        raise ValidationFailed({"active": [_("You cannot deactivate your own account.")]})
    before = user_snapshot(user)
    user.is_active_flag = active
    if not active:
        end_sessions(user)
    user.version += 1
    db.session.flush()
    audit.record("user.activate" if active else "user.deactivate", obj=user, before=before,
                 after=user_snapshot(user), actor=actor)
    return user


def reset_password(user: User, new_password: str, *, actor=None) -> User:
    set_password(user, new_password)
    end_sessions(user)
    user.version += 1
    db.session.flush()
    audit.record("user.password_reset", obj=user, actor=actor)
    return user


def get_user(user_id) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def list_users(*, unit_id=None, role=None, active=None, q=None, private_fields=True):
    """Users in username order. With private_fields=False (a non-admin's picker) `q` matches the
    username and name only: the e-mail part of the search key is left out, so it cannot be probed."""
    stmt = sa.select(User).order_by(User.username)
    if unit_id:
        stmt = stmt.where(User.unit_id == unit_id)
    if role:
        stmt = stmt.where(User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == role)))
    if active is not None:
        stmt = stmt.where(User.is_active_flag.is_(active))
    key = User.search_key
    if not private_fields:  # search_key is "username folded-name e-mail": cut the e-mail off its end
        email_len = sa.func.length(sa.func.coalesce(sa.func.lower(User.email), ""))
        key = sa.func.substr(User.search_key, 1, sa.func.length(User.search_key) - email_len)
    for word in fold(q or "").split()[:6]:  # diacritics and case optional, % and _ literal
        escaped = like_escape(word)
        stmt = stmt.where(key.like(f"%{escaped}%", escape="\\"))
    return stmt


# ---- units -----------------------------------------------------------------------------------

def _validate_unit(data: dict, unit: Unit | None = None) -> dict:
    errors = {}
    code = (data.get("code") or "").strip().upper()
    name = " ".join((data.get("name") or "").split())
    if not UNIT_CODE_RE.match(code):
        errors["code"] = [_("Use 1–20 capital letters or digits (the code appears in document symbols).")]
    if not name or len(name) > 200:
        errors["name"] = [_("Enter the unit's name (at most 200 characters).")]
    parent = None
    parent_ref = data.get("parent_id") or data.get("parent_code")
    if parent_ref:
        if data.get("parent_id"):
            parent = get_by_id(Unit, data["parent_id"])
        else:
            parent = db.session.scalar(sa.select(Unit).where(Unit.code == str(parent_ref).upper()))
        if parent is None:
            errors["parent_id"] = [_("Choose an existing parent unit.")]
        elif unit is not None and unit in parent.path():
            errors["parent_id"] = [_("A unit cannot be placed under itself.")]
    existing = db.session.scalar(sa.select(Unit).where(Unit.code == code)) if code else None
    if existing is not None and existing is not unit:
        errors["code"] = [_("This code is already used by another unit.")]
    if errors:
        raise ValidationFailed(errors)
    return {"code": code, "name": name, "parent": parent}


def create_unit(data: dict, *, actor=None) -> Unit:
    clean = _validate_unit(data)
    unit = Unit(**clean)
    db.session.add(unit)
    db.session.flush()
    audit.record("unit.create", obj=unit, after=unit_snapshot(unit), actor=actor)
    return unit


def update_unit(unit: Unit, data: dict, *, actor=None, version=None) -> Unit:
    check_version(unit, version)
    before = unit_snapshot(unit)
    current = {"code": unit.code, "name": unit.name, "parent_id": unit.parent_id}
    clean = _validate_unit({**current, **data}, unit)
    unit.code, unit.name, unit.parent = clean["code"], clean["name"], clean["parent"]
    if "active" in data:
        unit.is_active = bool(data["active"])
    unit.version += 1
    db.session.flush()
    audit.record("unit.update", obj=unit, before=before, after=unit_snapshot(unit), actor=actor)
    return unit


def unit_tree() -> list[tuple[Unit, int]]:
    """Units in tree order with their depth, for lists and select boxes."""
    units = db.session.scalars(sa.select(Unit).order_by(Unit.code)).all()
    by_parent: dict = {}
    for u in units:
        by_parent.setdefault(u.parent_id, []).append(u)
    out: list[tuple[Unit, int]] = []

    def walk(parent_id, depth):
        for u in by_parent.get(parent_id, []):
            out.append((u, depth))
            walk(u.id, depth + 1)

    walk(None, 0)
    return out


# ---- API tokens ------------------------------------------------------------------------------

TOKEN_PREFIX = "dfl_"  # noqa: S105


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: User, name: str = "", *, actor=None) -> tuple[ApiToken, str]:
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=(name or "").strip()[:80], token_hash=_hash_token(plain),
                     prefix=plain[:10])
    db.session.add(token)
    db.session.flush()
    audit.record("token.create", obj=token, after={"user": user.username, "name": token.name},
                 actor=actor or user)
    return token, plain


def revoke_token(token: ApiToken, *, actor=None) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        audit.record("token.revoke", obj=token, after={"user": token.user.username}, actor=actor)


def user_for_token(plain: str) -> User | None:
    if not plain or not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    # One indexed query per request (nothing is cached across requests): the user with unit and roles,
    # only if the token exists, is not revoked and the account is active. Run on the session's cursor and
    # put in the session as loaded (the ORM's joined load of the same rows cost ~1 ms, an eighth of a
    # registration: bench/README.md).
    rows = _TOKEN_USER.all({"token_hash": _hash_token(plain), "active": True})
    if not rows:
        return None
    n_user = len(_USER_COLUMNS)
    user = loaded(User, dict(zip(_USER_KEYS, rows[0][:n_user], strict=True)))
    if rows[0][n_user] is not None:
        unit = loaded(Unit, dict(zip(_UNIT_KEYS, rows[0][n_user:n_user + len(_UNIT_COLUMNS)], strict=True)))
    else:
        unit = None
    if "unit" not in user.__dict__:
        sa.orm.attributes.set_committed_value(user, "unit", unit)
    if "role_rows" not in user.__dict__:
        roles = sorted({row[-1] for row in rows if row[-1] is not None})
        sa.orm.attributes.set_committed_value(
            user, "role_rows", [loaded(UserRole, {"user_id": user.id, "role": r}) for r in roles])
    return user if user.is_active else None


_USER_COLUMNS = [c for c in User.__table__.columns]
_UNIT_COLUMNS = [c for c in Unit.__table__.columns]
_USER_KEYS = column_keys(User)
_UNIT_KEYS = column_keys(Unit)
_roles = UserRole.__table__
_TOKEN_USER = Direct(
    sa.select(*_USER_COLUMNS, *_UNIT_COLUMNS, _roles.c.role)
    .select_from(User.__table__.join(ApiToken.__table__, ApiToken.__table__.c.user_id == User.__table__.c.id)
                 .outerjoin(Unit.__table__, Unit.__table__.c.id == User.__table__.c.unit_id)
                 .outerjoin(_roles, _roles.c.user_id == User.__table__.c.id))
    .where(ApiToken.__table__.c.token_hash == sa.bindparam("token_hash"), ApiToken.__table__.c.revoked_at.is_(None),
           User.__table__.c.is_active == sa.bindparam("active")))
