"""Auth and people: tokens, me, units, users, document types, registers, organisations."""

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from docflow.api.auth import require_role
from docflow.api.schemas import Id, PageArgs, UnitRef, UtcDateTime, list_schema, page_of
from docflow.auth import services as people
from docflow.auth.models import ApiToken, Unit
from docflow.auth.throttle import json_username, login_limits
from docflow.core.enums import CLEARANCES, DIRECTIONS, ROLES
from docflow.core.errors import NotFound
from docflow.core.values import get_by_id
from docflow.extensions import db
from docflow.registry import reference
from docflow.registry.models import DocType

blp = Blueprint("api_people", __name__, description="Auth and people")


# ---- schemas ---------------------------------------------------------------------------------

class TokenCreateSchema(Schema):
    username = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    password = fields.Str(required=True, validate=validate.Length(min=1, max=128))
    name = fields.Str(load_default="", validate=validate.Length(max=80))


class TokenSchema(Schema):
    id = fields.Int()
    token = fields.Str(metadata={"description": "shown once; only its hash is stored"})
    name = fields.Str()
    created_at = UtcDateTime()


class UserSchema(Schema):
    id = fields.Int()
    username = fields.Str()
    full_name = fields.Str()
    email = fields.Str(allow_none=True)
    roles = fields.List(fields.Str())
    unit = fields.Nested(UnitRef, allow_none=True)
    clearance = fields.Str()
    active = fields.Bool(attribute="is_active")
    version = fields.Int()


class UserPickSchema(Schema):
    """What anyone may know of a colleague (to pick a handler or a signer); admins see UserSchema."""

    id = fields.Int()
    username = fields.Str()
    full_name = fields.Str()
    roles = fields.List(fields.Str())
    unit = fields.Nested(UnitRef, allow_none=True)


def _user_schema() -> Schema:
    return UserSchema() if current_user.has_role("admin") else UserPickSchema()


class UserCreateSchema(Schema):
    username = fields.Str(required=True, validate=validate.Length(min=2, max=64))
    password = fields.Str(required=True, validate=validate.Length(min=1, max=128))
    full_name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    email = fields.Str(load_default=None, validate=validate.Length(max=254))
    roles = fields.List(fields.Str(validate=validate.OneOf(ROLES)), required=True, validate=validate.Length(min=1))
    unit_id = Id(required=True)
    clearance = fields.Str(load_default="normal", validate=validate.OneOf(CLEARANCES))


class UserPatchSchema(Schema):
    version = fields.Int(required=True)
    full_name = fields.Str(validate=validate.Length(min=1, max=120))
    email = fields.Str(allow_none=True, validate=validate.Length(max=254))
    roles = fields.List(fields.Str(validate=validate.OneOf(ROLES)), validate=validate.Length(min=1))
    unit_id = Id()
    clearance = fields.Str(validate=validate.OneOf(CLEARANCES))
    active = fields.Bool()


class UserArgs(PageArgs):
    unit = fields.Str(metadata={"description": "unit id or code"})
    role = fields.Str(validate=validate.OneOf(ROLES))
    q = fields.Str(validate=validate.Length(max=100), metadata={"description": "username, name or e-mail; "
                                                                             "diacritics optional"})


class UnitSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()
    parent_id = fields.Int(allow_none=True)
    active = fields.Bool(attribute="is_active")
    version = fields.Int()


class UnitCreateSchema(Schema):
    code = fields.Str(required=True, validate=validate.Length(min=1, max=20))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    parent_id = Id(load_default=None, allow_none=True)


class DocTypeSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()
    in_symbol = fields.Bool()
    active = fields.Bool(attribute="is_active")


class RegisterSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    direction = fields.Str()
    confidential = fields.Bool(attribute="is_confidential")
    year = fields.Int()
    last_number = fields.Int()
    active = fields.Bool(attribute="is_active")
    version = fields.Int()


class RegisterArgs(PageArgs):
    direction = fields.Str(validate=validate.OneOf(DIRECTIONS))
    year = fields.Int(validate=validate.Range(min=1900, max=2999))


class OrganizationSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    abbr = fields.Str(allow_none=True)
    code = fields.Str(allow_none=True)
    active = fields.Bool(attribute="is_active")
    successor_id = fields.Int(allow_none=True)
    version = fields.Int()


class OrganizationCreateSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=250))
    abbr = fields.Str(load_default=None, validate=validate.Length(max=30))
    code = fields.Str(load_default=None, validate=validate.Length(max=13))


class OrganizationArgs(PageArgs):
    q = fields.Str(validate=validate.Length(max=200))
    active = fields.Bool()


# ---- auth ------------------------------------------------------------------------------------

@blp.route("/auth/tokens", methods=["POST"])
@login_limits(json_username, lambda r: r.status_code == 401)  # the web form's counters, per (user, address)
@blp.arguments(TokenCreateSchema)
@blp.response(201, TokenSchema)
@blp.alt_response(401, description="Wrong username or password, or the account is disabled")
@blp.doc(security=[])
def create_token(body):
    """Create a personal token (shown once; stored hashed)."""
    user = people.authenticate(body["username"], body["password"], channel="api")
    if user is None:
        db.session.commit()  # keep the audited failure
        abort(401, description="Wrong username or password, or the account is disabled.")
    token, plain = people.create_token(user, body["name"] or "api", actor=user)
    db.session.commit()
    return {"id": token.id, "token": plain, "name": token.name, "created_at": token.created_at}


@blp.route("/auth/tokens/<int:token_id>", methods=["DELETE"])
@blp.response(204)
def delete_token(token_id):
    """Revoke a token (your own; an admin may revoke anyone's)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != current_user.id and not current_user.has_role("admin")):
        raise NotFound("No such token.")
    people.revoke_token(token, actor=current_user)
    db.session.commit()


@blp.route("/me")
@blp.response(200, UserSchema)
def me():
    return current_user


# ---- people ----------------------------------------------------------------------------------

@blp.route("/units")
@blp.arguments(PageArgs, location="query")
@blp.response(200, list_schema(UnitSchema, "UnitList"))
def list_units(args):
    return page_of(sa.select(Unit).order_by(Unit.code), args, UnitSchema())


@blp.route("/units", methods=["POST"])
@blp.arguments(UnitCreateSchema)
@blp.response(201, UnitSchema)
def create_unit(body):
    """Create a unit (admin)."""
    require_role("admin")
    unit = people.create_unit(body, actor=current_user)
    db.session.commit()
    return unit


@blp.route("/users")
@blp.arguments(UserArgs, location="query")
@blp.response(200, list_schema(UserSchema, "UserList"))
def list_users(args):
    """Users. Admins get the whole record; anyone else what a picker needs (id, username, full_name,
    unit, roles): no e-mail, clearance or state, and `q` does not search e-mail addresses."""
    unit_id = None
    if args.get("unit"):
        ref = args["unit"]
        if ref.isdecimal():
            unit = get_by_id(Unit, ref)
        else:
            unit = db.session.scalar(sa.select(Unit).where(Unit.code == ref.strip().upper()))
        unit_id = unit.id if unit else -1
    admin = current_user.has_role("admin")
    stmt = people.list_users(unit_id=unit_id, role=args.get("role"), q=args.get("q"), private_fields=admin)
    return page_of(stmt, args, _user_schema())


@blp.route("/users", methods=["POST"])
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(body):
    """Create a user (admin)."""
    require_role("admin")
    user = people.create_user(body, actor=current_user)
    db.session.commit()
    return user


@blp.route("/users/<int:user_id>")
@blp.response(200, UserSchema)
def get_user(user_id):
    """One user: the whole record for admins, the picker's fields for anyone else."""
    user = people.get_user(user_id)
    return user if current_user.has_role("admin") else UserPickSchema().dump(user)


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@blp.arguments(UserPatchSchema)
@blp.response(200, UserSchema)
def patch_user(body, user_id):
    """Edit a user (admin); send back the `version` you read."""
    require_role("admin")
    user = people.get_user(user_id)
    version = body.pop("version")
    active = body.pop("active", None)
    people.update_user(user, body, actor=current_user, version=version)
    if active is not None and active != user.is_active:
        people.set_active(user, active, actor=current_user)
    db.session.commit()
    return user


# ---- reference data --------------------------------------------------------------------------

@blp.route("/doc-types")
@blp.arguments(PageArgs, location="query")
@blp.response(200, list_schema(DocTypeSchema, "DocTypeList"))
def list_doc_types(args):
    return page_of(sa.select(DocType).order_by(DocType.sort_order, DocType.code), args, DocTypeSchema())


@blp.route("/registers")
@blp.arguments(RegisterArgs, location="query")
@blp.response(200, list_schema(RegisterSchema, "RegisterList"))
def list_registers(args):
    return page_of(reference.list_registers(args.get("direction"), args.get("year")), args, RegisterSchema())


@blp.route("/organizations")
@blp.arguments(OrganizationArgs, location="query")
@blp.response(200, list_schema(OrganizationSchema, "OrganizationList"))
def list_organizations(args):
    """External agencies; `q` matches name, abbreviation or code, diacritics optional."""
    stmt = reference.search_organizations(args.get("q"), active_only=bool(args.get("active")))
    return page_of(stmt, args, OrganizationSchema())


@blp.route("/organizations", methods=["POST"])
@blp.arguments(OrganizationCreateSchema)
@blp.response(201, OrganizationSchema)
def create_organization(body):
    """Add an external agency (admin or clerk)."""
    require_role("admin", "clerk")
    org = reference.save_organization(body, actor=current_user)
    db.session.commit()
    return org
