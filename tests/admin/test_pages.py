"""The administration pages: who may use them, and that each change goes through the services,
is audited, refuses bad input with field errors and refuses a stale version without writing."""

import re

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, csrf_token_from, login

NEW_PASSWORD = "Fresh-Admin-Set-2027"
NON_ADMIN_ROLES = ("clerk", "leader", "unit_head", "specialist", "archivist")

# Every admin page, with placeholders for the records the `targets` fixture makes.
GET_URLS = (
    "/admin/",
    "/admin/users",
    "/admin/users?q=spec&role=specialist&active=1&page=1",
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/users/{user}/password",
    "/admin/units",
    "/admin/units/new",
    "/admin/units/{unit}",
    "/admin/organizations",
    "/admin/organizations?q=so+tai+chinh",
    "/admin/organizations/new",
    "/admin/organizations/{org}",
    "/admin/doc-types",
    "/admin/doc-types/new",
    "/admin/doc-types/{doc_type}",
    "/admin/registers",
    "/admin/registers/new",
    "/admin/registers/{register}",
    "/admin/agency",
    "/admin/calendar",
    "/admin/audit",
    "/admin/audit?verify=1&action=user.",
)

POST_URLS = (
    ("/admin/users/new", {"username": "intruder", "full_name": "Kẻ lạ", "unit_id": "{unit}", "roles": ["admin"],
                          "clearance": "top_secret", "password": NEW_PASSWORD}),
    ("/admin/users/{user}", {"version": "1", "full_name": "Đổi tên", "unit_id": "{unit}", "roles": ["admin"],
                             "clearance": "top_secret"}),
    ("/admin/users/{user}/deactivate", {}),
    ("/admin/users/{user}/activate", {}),
    ("/admin/users/{user}/password", {"password": NEW_PASSWORD}),
    ("/admin/units/new", {"code": "XX", "name": "Phòng lạ"}),
    ("/admin/units/{unit}", {"version": "1", "code": "KT", "name": "Đổi tên", "active": "y"}),
    ("/admin/organizations/new", {"name": "Tổ chức lạ", "active": "y"}),
    ("/admin/organizations/{org}", {"version": "1", "name": "Đổi tên", "active": "y"}),
    ("/admin/doc-types/new", {"code": "NĐ", "name": "Nghị định", "in_symbol": "y"}),
    ("/admin/doc-types/{doc_type}", {"version": "1", "name": "Đổi tên", "active": "y"}),
    ("/admin/registers/new", {"name": "Sổ lạ", "direction": "incoming", "year": "2030"}),
    ("/admin/registers/{register}", {"version": "1", "name": "Đổi tên", "active": "y"}),
    ("/admin/agency", {"name": "Cơ quan lạ", "abbr": "CQL", "code": ""}),
    ("/admin/calendar", {"holidays": "01/01/2026", "days_normal": "1", "days_urgent": "1", "days_very_urgent": "1",
                         "days_flash": "0"}),
)


# ---- helpers ---------------------------------------------------------------------------------

def _events(db, action=None, prefix=None):
    from docflow.core.models import AuditEvent

    db.session.rollback()  # an uncommitted change (a view that forgot to commit) is gone
    stmt = sa.select(AuditEvent).order_by(AuditEvent.seq)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if prefix:
        stmt = stmt.where(AuditEvent.action.startswith(prefix))
    return db.session.scalars(stmt).all()


def _non_login_event_count(db):
    return len([e for e in _events(db) if not e.action.startswith("login.")])


def _version_in(html: str) -> str:
    match = re.search(r'name="version" type="hidden" value="(\d+)"', html)
    assert match, "no version field in the form"
    return match.group(1)


def _fill(value, targets):
    if isinstance(value, list):
        return [_fill(v, targets) for v in value]
    return value.format(**targets) if isinstance(value, str) else value


def _get(db, model, **where):
    db.session.rollback()  # an uncommitted change (a view that forgot to commit) is gone
    return db.session.scalar(sa.select(model).filter_by(**where))


@pytest.fixture
def targets(users, office, db):
    """One record of each kind, for the edit pages."""
    from docflow.registry import reference
    from docflow.registry.models import DocType, Register

    org = reference.save_organization({"name": "Sở Tài chính", "abbr": "STC", "code": "000.00.01.H19"})
    doc_type = db.session.scalar(sa.select(DocType).where(DocType.code == "QĐ"))
    register = db.session.scalar(sa.select(Register).order_by(Register.id))
    db.session.commit()
    return {"user": str(users["specialist"].id), "unit": str(office["KT"].id), "org": str(org.id),
            "doc_type": str(doc_type.id), "register": str(register.id)}


@pytest.fixture
def admin_client(client, users, login_as):
    login_as(users["admin"])
    return client


# ---- (1) who may use the pages ---------------------------------------------------------------

@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_every_admin_page_is_forbidden_to_other_roles(role, client, users, targets, login_as, db):
    from docflow.auth.models import User

    login_as(users[role])
    before = _non_login_event_count(db)
    wrong = []
    for url in GET_URLS:
        response = client.get(url.format(**targets))
        if response.status_code != 403:
            wrong.append(("GET", url, response.status_code))
    for url, data in POST_URLS:
        response = client.post(url.format(**targets), data={k: _fill(v, targets) for k, v in data.items()})
        if response.status_code != 403:
            wrong.append(("POST", url, response.status_code))
    assert wrong == []
    assert _non_login_event_count(db) == before  # nothing was changed
    assert _get(db, User, username="intruder") is None
    assert _get(db, User, username=users["specialist"].username).is_active


def test_every_admin_page_redirects_anonymous_users_to_login(client, targets, db):
    before = _non_login_event_count(db)
    wrong = []
    for url in GET_URLS:
        response = client.get(url.format(**targets))
        if response.status_code != 302 or "/auth/login" not in response.headers.get("Location", ""):
            wrong.append(("GET", url, response.status_code))
    for url, data in POST_URLS:
        response = client.post(url.format(**targets), data={k: _fill(v, targets) for k, v in data.items()})
        if response.status_code != 302 or "/auth/login" not in response.headers.get("Location", ""):
            wrong.append(("POST", url, response.status_code))
    assert wrong == []
    assert _non_login_event_count(db) == before


def test_admin_can_open_every_page(admin_client, targets):
    statuses = {url: admin_client.get(url.format(**targets)).status_code for url in GET_URLS}
    assert statuses == {url: 200 for url in GET_URLS}


def test_admin_menu_in_base_links_to_the_pages(admin_client):
    html = admin_client.get("/admin/").get_data(as_text=True)
    for path in ("/admin/users", "/admin/units", "/admin/organizations", "/admin/doc-types", "/admin/registers",
                 "/admin/agency", "/admin/calendar", "/admin/audit"):
        assert f'href="{path}"' in html


@pytest.mark.parametrize("method, url", [
    ("get", "/admin/users/999999"), ("get", "/admin/users/abc"), ("get", "/admin/users/999999/password"),
    ("post", "/admin/users/999999/deactivate"), ("post", "/admin/users/999999/activate"),
    ("get", "/admin/units/999999"), ("get", "/admin/units/KT"), ("get", "/admin/organizations/999999"),
    ("get", "/admin/organizations/x1"), ("get", "/admin/doc-types/999999"), ("get", "/admin/registers/999999"),
    ("post", "/admin/registers/-1"),
])
def test_unknown_or_malformed_ids_are_404(admin_client, method, url):
    assert getattr(admin_client, method)(url).status_code == 404


# ---- (2) users -------------------------------------------------------------------------------

def test_admin_creates_a_user_who_can_log_in(admin_client, users, office, db, app):
    from docflow.auth.models import User

    response = admin_client.post("/admin/users/new", data={
        "username": "nguyenvana", "full_name": "Nguyễn Văn A", "email": "a@example.vn", "unit_id": office["VX"].id,
        "roles": ["clerk", "archivist"], "clearance": "confidential", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/users")
    user = _get(db, User, username="nguyenvana")
    assert user is not None
    assert (user.full_name, user.email, user.unit.code, user.roles, user.clearance) == (
        "Nguyễn Văn A", "a@example.vn", "VX", ["archivist", "clerk"], "confidential")
    assert "User nguyenvana was created." in admin_client.get("/admin/users").get_data(as_text=True)

    events = _events(db, "user.create")
    assert [(e.object_id, e.actor_name) for e in events if e.object_id == str(user.id)] == [(str(user.id), "admin1")]

    other = app.test_client()
    assert login(other, "nguyenvana", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("data, field_errors", [
    ({"username": "Bad Name!", "roles": ["clerk"], "password": NEW_PASSWORD}, ["Use 2–64 lower-case letters"]),
    ({"username": "goodname", "roles": [], "password": NEW_PASSWORD}, ["Choose at least one role."]),
    ({"username": "goodname", "roles": ["clerk"], "password": "short"}, ["at least 12 characters"]),
    ({"username": "goodname", "roles": ["clerk"], "password": "xx-goodname-xx-12"}, ["must not contain the username"]),
    ({"username": "goodname", "roles": ["clerk"], "password": NEW_PASSWORD, "email": "not-an-address"},
     ["Enter a valid e-mail address."]),
    ({"username": "goodname", "roles": ["clerk"], "password": NEW_PASSWORD, "unit_id": "abc"}, ["Invalid Choice"]),
    ({"username": "goodname", "roles": ["clerk"], "password": NEW_PASSWORD, "unit_id": "999999"},
     ["Not a valid choice"]),
    ({"username": "goodname", "roles": ["superuser"], "password": NEW_PASSWORD}, ["superuser"]),
    ({"username": "clerk1", "roles": ["clerk"], "password": NEW_PASSWORD}, ["This username is already taken."]),
])
def test_create_user_with_bad_input_shows_field_errors_and_writes_nothing(admin_client, office, db, data,
                                                                          field_errors):
    from docflow.auth.models import User

    count = db.session.scalar(sa.select(sa.func.count(User.id)))
    form = {"full_name": "Trần Thị B", "unit_id": office["KT"].id, "clearance": "normal", **data}
    response = admin_client.post("/admin/users/new", data=form)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "invalid-feedback" in html
    for message in field_errors:
        assert message in html
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == count
    assert _events(db, "user.create") == [] or all(e.after["username"] != "goodname"
                                                    for e in _events(db, "user.create"))


def test_admin_edits_roles_unit_and_clearance(admin_client, users, office, db):
    from docflow.auth.models import User

    spec = users["specialist"]
    page = admin_client.get(f"/admin/users/{spec.id}").get_data(as_text=True)
    version = _version_in(page)
    response = admin_client.post(f"/admin/users/{spec.id}", data={
        "version": version, "full_name": "Lê Văn C", "email": "c@example.vn", "unit_id": office["VX"].id,
        "roles": ["unit_head", "leader"], "clearance": "secret"})
    assert response.status_code == 302
    user = _get(db, User, username=spec.username)
    assert (user.full_name, user.email, user.unit.code, user.roles, user.clearance) == (
        "Lê Văn C", "c@example.vn", "VX", ["leader", "unit_head"], "secret")
    assert user.version == int(version) + 1

    [event] = [e for e in _events(db, "user.update") if e.object_id == str(spec.id)]
    assert event.actor_name == "admin1"
    assert event.before["roles"] == ["specialist"] and event.after["roles"] == ["leader", "unit_head"]
    assert event.before["unit"] == "KT" and event.after["unit"] == "VX"
    assert event.after["clearance"] == "secret"


def test_edit_user_with_bad_input_changes_nothing(admin_client, users, db):
    from docflow.auth.models import User

    spec = users["specialist"]
    response = admin_client.post(f"/admin/users/{spec.id}", data={
        "version": "1", "full_name": "Tên mới", "unit_id": spec.unit_id, "roles": [], "clearance": "normal"})
    assert response.status_code == 200
    assert "Choose at least one role." in response.get_data(as_text=True)
    user = _get(db, User, username=spec.username)
    assert user.full_name != "Tên mới" and user.roles == ["specialist"] and user.version == 1
    assert [e for e in _events(db, "user.update")] == []


def test_edit_user_without_version_is_refused(admin_client, users, db):
    from docflow.auth.models import User

    spec = users["specialist"]
    response = admin_client.post(f"/admin/users/{spec.id}", data={
        "full_name": "Tên mới", "unit_id": spec.unit_id, "roles": ["clerk"], "clearance": "normal"})
    assert response.status_code == 200
    assert 'id="form-alert"' in response.get_data(as_text=True)
    assert _get(db, User, username=spec.username).roles == ["specialist"]


def test_admin_cannot_remove_own_admin_role(admin_client, users, db):
    from docflow.auth.models import User

    admin = users["admin"]
    response = admin_client.post(f"/admin/users/{admin.id}", data={
        "version": "1", "full_name": admin.full_name, "unit_id": admin.unit_id, "roles": ["clerk"],
        "clearance": "normal"})
    assert response.status_code == 200
    assert "You cannot remove your own administrator role." in response.get_data(as_text=True)
    assert _get(db, User, username="admin1").roles == ["admin"]


def test_deactivated_user_cannot_log_in_and_reactivation_restores(admin_client, users, db, app):
    from docflow.auth.models import User

    spec = users["specialist"]
    # the specialist is logged in elsewhere: deactivation ends that session too
    other = app.test_client()
    login(other, spec.username)
    assert other.get("/auth/account").status_code == 200

    response = admin_client.post(f"/admin/users/{spec.id}/deactivate")
    assert response.status_code == 302
    assert not _get(db, User, username=spec.username).is_active
    assert other.get("/auth/account").status_code == 302
    failed = app.test_client().post("/auth/login", data={"username": spec.username, "password": PASSWORD})
    assert failed.status_code == 200
    assert [e.actor_name for e in _events(db, "user.deactivate")] == ["admin1"]
    assert "Inactive" in admin_client.get(f"/admin/users/{spec.id}").get_data(as_text=True)
    listed = admin_client.get("/admin/users?active=0").get_data(as_text=True)
    assert spec.username in listed and "clerk1" not in listed

    response = admin_client.post(f"/admin/users/{spec.id}/activate")
    assert response.status_code == 302
    assert _get(db, User, username=spec.username).is_active
    assert login(app.test_client(), spec.username).status_code == 302
    assert [e.actor_name for e in _events(db, "user.activate")] == ["admin1"]


def test_deactivate_is_post_only(admin_client, users, db):
    from docflow.auth.models import User

    spec = users["specialist"]
    assert admin_client.get(f"/admin/users/{spec.id}/deactivate").status_code == 405
    assert _get(db, User, username=spec.username).is_active


def test_admin_cannot_deactivate_self(admin_client, users, db):
    from docflow.auth.models import User

    admin = users["admin"]
    response = admin_client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert response.status_code == 200
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert _get(db, User, username="admin1").is_active
    assert _events(db, "user.deactivate") == []


def test_admin_resets_a_password(admin_client, users, db, app):
    spec = users["specialist"]
    response = admin_client.post(f"/admin/users/{spec.id}/password", data={"password": NEW_PASSWORD})
    assert response.status_code == 302
    old = app.test_client().post("/auth/login", data={"username": spec.username, "password": PASSWORD})
    assert old.status_code == 200  # the old password no longer works
    assert login(app.test_client(), spec.username, NEW_PASSWORD).status_code == 302
    [event] = _events(db, "user.password_reset")
    assert (event.object_id, event.actor_name) == (str(spec.id), "admin1")
    assert NEW_PASSWORD not in str(event.after) and NEW_PASSWORD not in str(event.before)


def test_reset_with_a_weak_password_keeps_the_old_one(admin_client, users, db, app):
    spec = users["specialist"]
    response = admin_client.post(f"/admin/users/{spec.id}/password", data={"password": "short"})
    assert response.status_code == 200
    assert "at least 12 characters" in response.get_data(as_text=True)
    assert login(app.test_client(), spec.username).status_code == 302
    assert _events(db, "user.password_reset") == []


def test_admin_resetting_own_password_stays_logged_in(admin_client, users, app):
    response = admin_client.post(f"/admin/users/{users['admin'].id}/password", data={"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert admin_client.get("/admin/users").status_code == 200
    assert login(app.test_client(), "admin1", NEW_PASSWORD).status_code == 302


def test_user_list_filters_and_search(admin_client, users, office):
    def usernames(query):
        html = admin_client.get("/admin/users" + query).get_data(as_text=True)
        return set(re.findall(r'<td><a href="/admin/users/\d+">([^<]+)</a>', html))

    assert usernames("") == {"admin1", "clerk1", "leader1", "head1", "spec1", "arch1"}
    assert usernames("?role=clerk") == {"clerk1"}
    assert usernames(f"?unit={office['KT'].id}") == {"head1", "spec1"}
    assert usernames("?q=SPEC") == {"spec1"}
    assert usernames("?q=Người dùng lead") == {"leader1"}
    assert usernames("?role=nonsense&unit=abc&active=maybe") == {"admin1", "clerk1", "leader1", "head1", "spec1",
                                                                  "arch1"}


def test_user_list_is_paginated(admin_client, make_user, users):
    for i in range(30):
        make_user("specialist", username=f"zz{i:02d}")
    first = admin_client.get("/admin/users").get_data(as_text=True)
    second = admin_client.get("/admin/users?page=2").get_data(as_text=True)
    on_first = set(re.findall(r'<td><a href="/admin/users/\d+">([^<]+)</a>', first))
    on_second = set(re.findall(r'<td><a href="/admin/users/\d+">([^<]+)</a>', second))
    assert len(on_first) == 25 and len(on_second) == 11 and not on_first & on_second
    assert "/admin/users?page=2" in first
    assert admin_client.get("/admin/users?page=abc").status_code == 200


# ---- (3) units -------------------------------------------------------------------------------

def test_admin_creates_and_edits_units(admin_client, office, users, db):
    from docflow.auth.models import Unit

    response = admin_client.post("/admin/units/new", data={"code": "tckh", "name": "Phòng Tài chính - Kế hoạch",
                                                           "parent_id": office["VP"].id})
    assert response.status_code == 302
    unit = _get(db, Unit, code="TCKH")
    assert unit.name == "Phòng Tài chính - Kế hoạch" and unit.parent.code == "VP"
    html = admin_client.get("/admin/units").get_data(as_text=True)
    assert f'class="tree-indent-1"><a href="/admin/units/{unit.id}">TCKH</a>' in html

    version = _version_in(admin_client.get(f"/admin/units/{unit.id}").get_data(as_text=True))
    response = admin_client.post(f"/admin/units/{unit.id}", data={
        "version": version, "code": "TCKH", "name": "Phòng Tài chính", "parent_id": ""})  # active unchecked
    assert response.status_code == 302
    unit = _get(db, Unit, code="TCKH")
    assert (unit.name, unit.parent, unit.is_active) == ("Phòng Tài chính", None, False)

    [created] = _events(db, "unit.create")[-1:]
    assert created.after["code"] == "TCKH" and created.actor_name == "admin1"
    [updated] = _events(db, "unit.update")
    assert updated.before["parent"] == "VP" and updated.after == {"code": "TCKH", "name": "Phòng Tài chính",
                                                                  "parent": None, "active": False}


@pytest.mark.parametrize("data, message", [
    ({"code": "bad code!", "name": "Phòng X"}, "Use 1–20 capital letters or digits"),
    ({"code": "KT", "name": "Phòng trùng"}, "This code is already used by another unit."),
    ({"code": "NEW", "name": ""}, "This field is required."),
    ({"code": "NEW", "name": "Phòng X", "parent_id": "999999"}, "Not a valid choice"),
])
def test_create_unit_with_bad_input_writes_nothing(admin_client, office, db, data, message):
    from docflow.auth.models import Unit

    count = db.session.scalar(sa.select(sa.func.count(Unit.id)))
    response = admin_client.post("/admin/units/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == count
    assert len(_events(db, "unit.create")) == 3  # only the office fixture's units


def test_unit_cannot_go_under_its_own_child(admin_client, office, users, db):
    from docflow.auth import services
    from docflow.auth.models import Unit

    child = services.create_unit({"code": "KT1", "name": "Tổ 1", "parent_code": "KT"})
    db.session.commit()
    kt = office["KT"]
    page = admin_client.get(f"/admin/units/{kt.id}").get_data(as_text=True)
    assert f'value="{child.id}"' not in page  # descendants are not offered as parents
    response = admin_client.post(f"/admin/units/{kt.id}", data={
        "version": _version_in(page), "code": "KT", "name": kt.name, "parent_id": str(child.id), "active": "y"})
    assert response.status_code == 200
    assert _get(db, Unit, code="KT").parent_id is None


# ---- (3) organisations -----------------------------------------------------------------------

def test_admin_creates_edits_and_searches_organizations(admin_client, targets, db):
    from docflow.registry.models import Organization

    response = admin_client.post("/admin/organizations/new", data={
        "name": "Sở Kế hoạch và Đầu tư", "abbr": "SKHĐT", "code": "000.00.02.h19", "active": "y"})
    assert response.status_code == 302
    org = _get(db, Organization, code="000.00.02.H19")
    assert (org.name, org.abbr, org.is_active) == ("Sở Kế hoạch và Đầu tư", "SKHĐT", True)

    old = _get(db, Organization, code="000.00.01.H19")
    page = admin_client.get(f"/admin/organizations/{old.id}").get_data(as_text=True)
    assert f'<option value="{old.id}"' not in page  # not its own successor
    response = admin_client.post(f"/admin/organizations/{old.id}", data={
        "version": _version_in(page), "name": "Sở Tài chính (cũ)", "abbr": "STC", "code": "000.00.01.H19",
        "successor_id": str(org.id)})  # active unchecked: closed
    assert response.status_code == 302
    old = _get(db, Organization, code="000.00.01.H19")
    assert (old.name, old.is_active, old.successor_id) == ("Sở Tài chính (cũ)", False, org.id)

    def listed(q):
        html = admin_client.get("/admin/organizations", query_string={"q": q}).get_data(as_text=True)
        return set(re.findall(r'<td><a href="/admin/organizations/\d+">([^<]+)</a>', html))

    assert listed("so ke hoach") == {"Sở Kế hoạch và Đầu tư"}
    assert listed("SỞ TÀI") == {"Sở Tài chính (cũ)"}
    assert listed("000.00.02") == {"Sở Kế hoạch và Đầu tư"}
    assert listed("") == {"Sở Kế hoạch và Đầu tư", "Sở Tài chính (cũ)"}
    assert listed("100%_") == set()

    events = _events(db, "organization.save")
    assert [e.after["code"] for e in events][-2:] == ["000.00.02.H19", "000.00.01.H19"]
    assert events[-1].after["successor"] == "000.00.02.H19" and events[-1].after["active"] is False
    assert events[-1].actor_name == "admin1"


@pytest.mark.parametrize("code", ["000.00.00.H1", "000.00.00.H199", "00000000H19XX", "abc"])
def test_organization_with_an_invalid_code_is_refused(admin_client, targets, db, code):
    from docflow.registry.models import Organization

    count = db.session.scalar(sa.select(sa.func.count(Organization.id)))
    response = admin_client.post("/admin/organizations/new", data={"name": "Sở Y tế", "code": code, "active": "y"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The electronic code has 13 characters" in html
    assert 'class="form-control is-invalid" id="code"' in html
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Organization.id))) == count
    assert _get(db, Organization, name="Sở Y tế") is None


def test_organization_code_must_be_unique(admin_client, targets, db):
    from docflow.registry.models import Organization

    response = admin_client.post("/admin/organizations/new", data={"name": "Trùng mã", "code": "000.00.01.H19"})
    assert response.status_code == 200
    assert "Another organisation already has this code." in response.get_data(as_text=True)
    assert _get(db, Organization, name="Trùng mã") is None


# ---- (3) document types ----------------------------------------------------------------------

def test_admin_creates_and_edits_doc_types(admin_client, office, users, db):
    from docflow.registry.models import DocType

    response = admin_client.post("/admin/doc-types/new", data={"code": "NĐ", "name": "Nghị định", "in_symbol": "y"})
    assert response.status_code == 302
    doc_type = _get(db, DocType, code="NĐ")
    assert (doc_type.name, doc_type.in_symbol, doc_type.is_active, doc_type.is_builtin) == (
        "Nghị định", True, True, False)
    assert "Nghị định" in admin_client.get("/admin/doc-types").get_data(as_text=True)

    version = _version_in(admin_client.get(f"/admin/doc-types/{doc_type.id}").get_data(as_text=True))
    response = admin_client.post(f"/admin/doc-types/{doc_type.id}", data={"version": version, "name": "Nghị định CP"})
    assert response.status_code == 302
    doc_type = _get(db, DocType, code="NĐ")
    assert (doc_type.name, doc_type.in_symbol, doc_type.is_active) == ("Nghị định CP", False, False)

    saves = [e for e in _events(db, "doc_type.save") if e.after["code"] == "NĐ"]
    assert [(e.before, e.after["name"], e.after["active"]) for e in saves] == [
        (None, "Nghị định", True),
        ({"name": "Nghị định", "in_symbol": True, "active": True}, "Nghị định CP", False)]
    assert all(e.actor_name == "admin1" for e in saves)


@pytest.mark.parametrize("data, message", [
    ({"code": "QĐ", "name": "Trùng"}, "This abbreviation already exists."),
    ({"code": "A1", "name": "Chữ số"}, "Use 1–10 letters"),
])
def test_create_doc_type_with_bad_input_writes_nothing(admin_client, office, users, db, data, message):
    from docflow.registry.models import DocType

    count = db.session.scalar(sa.select(sa.func.count(DocType.id)))
    response = admin_client.post("/admin/doc-types/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(DocType.id))) == count
    assert _events(db, "doc_type.save") == []


# ---- (3) registers ---------------------------------------------------------------------------

def test_admin_creates_and_edits_registers(admin_client, office, users, db):
    from docflow.registry.models import Register

    response = admin_client.post("/admin/registers/new", data={
        "name": "Sổ đơn thư", "direction": "incoming", "confidential": "y", "year": "2031"})
    assert response.status_code == 302
    register = _get(db, Register, name="Sổ đơn thư")
    assert (register.direction, register.is_confidential, register.year, register.last_number, register.is_active) == (
        "incoming", True, 2031, 0, True)

    register.last_number = 17
    db.session.commit()
    html = admin_client.get("/admin/registers?year=2031").get_data(as_text=True)
    assert f'data-last-number="{register.id}">17<' in html
    assert "Sổ văn bản đến" not in html  # the default registers are of this year, not 2031
    assert "Sổ văn bản đến" in admin_client.get("/admin/registers").get_data(as_text=True)
    assert "Sổ đơn thư" in admin_client.get("/admin/registers?year=0").get_data(as_text=True)

    version = _version_in(admin_client.get(f"/admin/registers/{register.id}").get_data(as_text=True))
    response = admin_client.post(f"/admin/registers/{register.id}", data={"version": version, "name": "Sổ đơn thư cũ"})
    assert response.status_code == 302
    register = _get(db, Register, id=register.id)
    assert (register.name, register.is_active, register.last_number, register.year) == (
        "Sổ đơn thư cũ", False, 17, 2031)

    saves = _events(db, "register.save")
    assert [(e.after["name"], e.after["active"], e.actor_name) for e in saves] == [
        ("Sổ đơn thư", True, "admin1"), ("Sổ đơn thư cũ", False, "admin1")]


@pytest.mark.parametrize("data, message", [
    ({"name": "Sổ văn bản đến", "direction": "incoming", "year": "{year}"},
     "A register with this name already exists for that year."),
    ({"name": "Sổ X", "direction": "sideways", "year": "2031"}, "Not a valid choice"),
    ({"name": "Sổ X", "direction": "incoming", "year": "abc"}, "Not a valid integer value"),
    ({"name": "Sổ X", "direction": "incoming", "year": "1800"}, "Enter a year."),
    ({"name": "Sổ X", "direction": "incoming", "year": ""}, "This field is required."),
    ({"name": "", "direction": "incoming", "year": "2031"}, "This field is required."),
])
def test_create_register_with_bad_input_writes_nothing(admin_client, office, users, db, data, message):
    from docflow.core.timeutil import today
    from docflow.registry.models import Register

    count = db.session.scalar(sa.select(sa.func.count(Register.id)))
    data = {k: v.format(year=today().year) for k, v in data.items()}
    response = admin_client.post("/admin/registers/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Register.id))) == count
    assert _events(db, "register.save") == []


# ---- (3) the agency --------------------------------------------------------------------------

def test_admin_edits_the_agency(admin_client, office, users, db):
    from docflow.core import settings

    html = admin_client.get("/admin/agency").get_data(as_text=True)
    assert 'value="Ủy ban nhân dân tỉnh Đồng Nai"' in html and 'value="000.00.00.H19"' in html
    response = admin_client.post("/admin/agency", data={"name": "Sở Nội vụ tỉnh Đồng Nai", "abbr": "SNV",
                                                        "code": "000.01.00.h19"})
    assert response.status_code == 302
    db.session.rollback()
    assert settings.agency() == {"name": "Sở Nội vụ tỉnh Đồng Nai", "abbr": "SNV", "code": "000.01.00.H19"}
    event = _events(db, "setting.update")[-1]
    assert event.object_id == "agency" and event.actor_name == "admin1"
    assert event.before["value"]["abbr"] == "UBND" and event.after["value"]["abbr"] == "SNV"


@pytest.mark.parametrize("data, message", [
    ({"name": "Sở Nội vụ", "abbr": "SNV", "code": "000.01.00.H1"}, "The electronic code has 13 characters"),
    ({"name": "Sở Nội vụ", "abbr": "S-NV", "code": ""}, "Enter the abbreviation used in document symbols"),
    ({"name": "", "abbr": "SNV", "code": ""}, "This field is required."),
])
def test_agency_with_bad_input_is_unchanged(admin_client, office, users, db, data, message):
    from docflow.core import settings

    events = len(_events(db, "setting.update"))
    response = admin_client.post("/admin/agency", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.rollback()
    assert settings.agency()["name"] == "Ủy ban nhân dân tỉnh Đồng Nai"
    assert len(_events(db, "setting.update")) == events


# ---- (4) stale versions ----------------------------------------------------------------------

def test_stale_user_edit_is_refused_and_changes_nothing(admin_client, users, office, db):
    from docflow.auth import services
    from docflow.auth.models import User

    spec = users["specialist"]
    stale = _version_in(admin_client.get(f"/admin/users/{spec.id}").get_data(as_text=True))
    # meanwhile someone else changes the user
    services.update_user(spec, {"full_name": "Đổi bởi người khác"}, version=stale)
    db.session.commit()
    updates = len(_events(db, "user.update"))

    response = admin_client.post(f"/admin/users/{spec.id}", data={
        "version": stale, "full_name": "Đổi bởi admin", "unit_id": office["VX"].id, "roles": ["admin"],
        "clearance": "top_secret"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this record meanwhile" in html
    assert f'href="/admin/users/{spec.id}">Reload the current version' in html
    user = _get(db, User, username=spec.username)
    assert (user.full_name, user.roles, user.unit.code, user.clearance, user.version) == (
        "Đổi bởi người khác", ["specialist"], "KT", "normal", int(stale) + 1)
    assert len(_events(db, "user.update")) == updates


@pytest.mark.parametrize("kind", ["unit", "org", "doc_type", "register"])
def test_stale_reference_edit_is_refused(admin_client, targets, db, kind):
    from docflow.auth import services
    from docflow.auth.models import Unit
    from docflow.registry import reference
    from docflow.registry.models import DocType, Organization, Register

    model, path, change, data = {
        "unit": (Unit, "units", lambda o: services.update_unit(o, {"name": "Khác"}),
                 {"code": "KT", "name": "Của admin", "active": "y"}),
        "org": (Organization, "organizations", lambda o: reference.save_organization({"name": "Khác"}, o),
                {"name": "Của admin", "active": "y"}),
        "doc_type": (DocType, "doc-types", lambda o: reference.save_doc_type({"name": "Khác"}, o),
                     {"name": "Của admin", "active": "y"}),
        "register": (Register, "registers", lambda o: reference.save_register({"name": "Khác"}, o),
                     {"name": "Của admin", "active": "y"}),
    }[kind]
    obj_id = int(targets[kind])
    stale = _version_in(admin_client.get(f"/admin/{path}/{obj_id}").get_data(as_text=True))
    change(db.session.get(model, obj_id))
    db.session.commit()
    events = _non_login_event_count(db)

    response = admin_client.post(f"/admin/{path}/{obj_id}", data={"version": stale, **data})
    assert response.status_code == 409
    assert "Someone else changed this record meanwhile" in response.get_data(as_text=True)
    obj = _get(db, model, id=obj_id)
    assert obj.name == "Khác" and obj.version == int(stale) + 1
    assert _non_login_event_count(db) == events

    # with the current version the same edit goes through
    current = _version_in(admin_client.get(f"/admin/{path}/{obj_id}").get_data(as_text=True))
    assert admin_client.post(f"/admin/{path}/{obj_id}", data={"version": current, **data}).status_code == 302
    assert _get(db, model, id=obj_id).name == "Của admin"


# ---- (5) the audit page ----------------------------------------------------------------------

def test_audit_page_lists_newest_first_filters_and_verifies(admin_client, users, office, db):
    from docflow.core.models import AuditEvent

    admin_client.post("/admin/units/new", data={"code": "TH", "name": "Tổng hợp"})
    html = admin_client.get("/admin/audit").get_data(as_text=True)
    actions = re.findall(r'<tr data-action="([^"]+)"', html)
    assert actions[0] == "unit.create" and actions[1] == "login.success"
    seqs = [int(s) for s in re.findall(r'<tr data-action="[^"]*">\s*<td>(\d+)</td>', html)]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == len(_events(db))
    assert 'id="verify-result"' not in html

    filtered = admin_client.get("/admin/audit?action=user.").get_data(as_text=True)
    assert set(re.findall(r'<tr data-action="([^"]+)"', filtered)) == {"user.create"}
    assert re.findall(r'<tr data-action="([^"]+)"',
                      admin_client.get("/admin/audit?action=%25").get_data(as_text=True)) == []

    verified = admin_client.get("/admin/audit?verify=1").get_data(as_text=True)
    assert "The chain is intact." in verified and "alert-success" in verified

    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "unit.create")
                              .order_by(AuditEvent.seq.desc()))
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == event.id).values(object_id="999"))
    db.session.commit()
    broken = admin_client.get("/admin/audit?verify=1").get_data(as_text=True)
    assert "The chain is broken!" in broken and f"#{event.seq}" in broken and "alert-danger" in broken


def test_audit_page_is_paginated(admin_client, users, db):
    from docflow.core import audit

    for i in range(60):
        audit.record("test.filler", object_type="test", object_id=i)
    db.session.commit()
    html = admin_client.get("/admin/audit?action=test.").get_data(as_text=True)
    assert len(re.findall(r'<tr data-action="test.filler"', html)) == 50
    page2 = admin_client.get("/admin/audit?action=test.&page=2").get_data(as_text=True)
    assert len(re.findall(r'<tr data-action="test.filler"', page2)) == 10
    assert "page=2" in html and "action=test." in html


def test_index_shows_counts(admin_client, targets):
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert re.search(r'data-count="users">6<', html)
    assert re.search(r'data-count="units">3<', html)
    assert re.search(r'data-count="organizations">1<', html)
    assert re.search(r'data-count="registers">4<', html)


# ---- CSRF ------------------------------------------------------------------------------------

@pytest.mark.csrf
def test_admin_posts_need_the_csrf_token(make_app, users, db):
    from docflow.auth.models import User

    spec_id, spec_name = users["specialist"].id, users["specialist"].username
    db.session.rollback()  # another app (engine) writes to the same SQLite file: hold no lock meanwhile

    def is_active():
        active = _get(db, User, username=spec_name).is_active
        db.session.rollback()
        return active

    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    assert client.post("/auth/login", data={"username": "admin1", "password": PASSWORD,
                                            "csrf_token": token}).status_code == 302
    assert client.post(f"/admin/users/{spec_id}/deactivate").status_code == 400
    assert client.post("/admin/units/new", data={"code": "CS", "name": "Không token"}).status_code == 400
    assert is_active()

    page = client.get(f"/admin/users/{spec_id}").get_data(as_text=True)
    response = client.post(f"/admin/users/{spec_id}/deactivate", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    assert not is_active()


def test_pages_have_no_inline_script_or_style(admin_client, targets):
    for url in GET_URLS:
        html = admin_client.get(url.format(**targets)).get_data(as_text=True)
        assert "<script>" not in html and "style=" not in html and " on" + "click=" not in html, url


def test_admin_sets_the_working_calendar(admin_client, db):
    from datetime import date

    from docflow.core import calendar
    from docflow.core.models import AuditEvent
    from docflow.core.timeutil import today

    preloaded = calendar.holidays()  # `init` preloads the public holidays of this year and the next
    assert date(today().year, 9, 2) in preloaded
    bad = admin_client.post("/admin/calendar", data={"holidays": "30/04/2026\n31/02/2026", "days_normal": "7",
                                                     "days_urgent": "2", "days_very_urgent": "1", "days_flash": "0"})
    assert bad.status_code == 200
    assert "Not a date: 31/02/2026" in bad.get_data(as_text=True)
    db.session.rollback()
    assert calendar.holidays() == preloaded  # nothing half-saved
    response = admin_client.post("/admin/calendar", data={
        "holidays": "30/04/2026\n2026-05-01\n\n", "days_normal": "5", "days_urgent": "2", "days_very_urgent": "1",
        "days_flash": "0"})
    assert response.status_code == 302
    db.session.rollback()
    assert calendar.holidays() == {date(2026, 4, 30), date(2026, 5, 1)}
    assert calendar.deadline_days("normal") == 5
    # Wednesday 29/04/2026 + 2 working days skips the holidays and the weekend: Tuesday 05/05
    assert calendar.default_due_date("urgent", date(2026, 4, 29)) == date(2026, 5, 5)
    page = admin_client.get("/admin/calendar").get_data(as_text=True)
    assert "30/04/2026" in page and "01/05/2026" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "setting.update")) >= 2
    out_of_range = admin_client.post("/admin/calendar", data={"holidays": "", "days_normal": "99", "days_urgent": "2",
                                                              "days_very_urgent": "1", "days_flash": "0"})
    assert out_of_range.status_code == 200 and "Enter 0 to 60 working days." in out_of_range.get_data(as_text=True)


def test_the_holiday_preload_form_leaves_a_wrong_year_to_the_server_in_the_pages_language(admin_client):
    """The form had `required` and min/max without `novalidate`: an empty or out-of-range year got the
    browser's own bubble ("Please fill out this field.", in the browser's language) on the Vietnamese page."""
    with admin_client.session_transaction() as session:
        session["lang"] = "vi"
    html = admin_client.get("/admin/calendar").get_data(as_text=True)
    assert re.search(r'<form [^>]*id="preload-year"[^>]*novalidate', html)
    html = admin_client.get("/admin/calendar?year=1900", follow_redirects=True).get_data(as_text=True)
    assert "Chỉ nhận các năm từ" in html
