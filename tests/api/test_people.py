"""/api/v1 "Auth and people" (api.md), bearer tokens, problem+json errors and the OpenAPI document."""

import hashlib

import pytest
import sqlalchemy as sa

from docflow.core.timeutil import today
from tests.conftest import PASSWORD

PROBLEM = "application/problem+json"


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM, response.headers.get("Content-Type")
    body = response.get_json(force=True)
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str) and body[key], body
    assert "<html" not in response.get_data(as_text=True).lower()
    return body


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# ---- tokens ----------------------------------------------------------------------------------

def test_token_is_created_once_and_stored_hashed(client, users, db):
    from docflow.auth.models import ApiToken

    response = client.post("/api/v1/auth/tokens", json={"username": "clerk1", "password": PASSWORD, "name": "cli"})
    assert response.status_code == 201
    body = response.get_json()
    token = body["token"]
    assert isinstance(body["id"], int) and token.startswith("dfl_") and len(token) > 40

    row = db.session.get(ApiToken, body["id"])
    assert row.user_id == users["clerk"].id
    assert row.token_hash != token
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.prefix + row.name)

    # no GET ever shows it again
    for path in ("/me", "/users", f"/users/{users['clerk'].id}", "/units", "/doc-types", "/registers",
                 "/organizations", "/openapi.json"):
        response = client.get("/api/v1" + path, headers=bearer(token))
        assert response.status_code == 200, path
        assert token not in response.get_data(as_text=True), path


def test_token_with_wrong_password_is_refused_and_audited(client, users, db):
    from docflow.core.models import AuditEvent

    response = client.post("/api/v1/auth/tokens", json={"username": "clerk1", "password": "wrong-password"})
    body = assert_problem(response, 401)
    assert "token" not in body
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "login.failure")).all()
    assert [(e.after["username"], e.after["channel"]) for e in events] == [("clerk1", "api")]


def test_token_requests_are_throttled(client, users):
    for _ in range(5):
        assert client.post("/api/v1/auth/tokens", json={"username": "clerk1", "password": "wrong"}).status_code == 401
    assert_problem(client.post("/api/v1/auth/tokens", json={"username": "clerk1", "password": PASSWORD}), 429)
    assert client.post("/api/v1/auth/tokens", json={"username": "leader1", "password": PASSWORD}).status_code == 201


def test_revoked_token_gets_401(client, users, token_for):
    token = token_for(users["clerk"])
    token_id = client.get("/api/v1/me", headers=bearer(token))
    assert token_id.status_code == 200
    from docflow.auth.models import ApiToken
    from docflow.extensions import db

    row = db.session.scalars(sa.select(ApiToken)).one()
    response = client.delete(f"/api/v1/auth/tokens/{row.id}", headers=bearer(token))
    assert response.status_code == 204
    response = client.get("/api/v1/me", headers=bearer(token))
    body = assert_problem(response, 401)
    assert body["title"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is not None


def test_other_users_token_is_404(client, users, token_for, db):
    from docflow.auth.models import ApiToken

    clerk_token = token_for(users["clerk"])
    spec_token = token_for(users["specialist"])
    clerk_row = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == users["clerk"].id))
    assert_problem(client.delete(f"/api/v1/auth/tokens/{clerk_row.id}", headers=bearer(spec_token)), 404)
    assert_problem(client.delete("/api/v1/auth/tokens/999999", headers=bearer(spec_token)), 404)
    assert client.get("/api/v1/me", headers=bearer(clerk_token)).status_code == 200
    # an administrator may revoke anyone's
    admin_token = token_for(users["admin"])
    assert client.delete(f"/api/v1/auth/tokens/{clerk_row.id}", headers=bearer(admin_token)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(clerk_token)).status_code == 401


def test_deactivated_users_token_gets_401(client, users, token_for, db):
    from docflow.auth import services

    token = token_for(users["specialist"])
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    services.set_active(users["specialist"], False, actor=users["admin"])
    db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=bearer(token)), 401)
    # nor may they get a new one
    response = client.post("/api/v1/auth/tokens", json={"username": "spec1", "password": PASSWORD})
    assert_problem(response, 401)


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Bearer dfl_notatoken", "Basic Y2xlcmsxOng=",
                                    "Token dfl_x"])
def test_missing_or_bad_token_gets_401(client, users, header):
    headers = {"Authorization": header} if header else {}
    assert_problem(client.get("/api/v1/me", headers=headers), 401)


def test_api_ignores_the_cookie_session(client, users, login_as):
    login_as(users["admin"])
    assert client.get("/dashboard").status_code == 200
    assert_problem(client.get("/api/v1/me"), 401)
    assert_problem(client.post("/api/v1/units", json={"code": "X", "name": "X"}), 401)


# ---- me, units, users ------------------------------------------------------------------------

def test_me(api, users):
    response = api(users["unit_head"]).get("/me")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == users["unit_head"].id
    assert body["username"] == "head1"
    assert body["full_name"] == users["unit_head"].full_name
    assert body["roles"] == ["unit_head"]
    assert body["clearance"] == "confidential"
    assert body["unit"]["code"] == "KT"
    assert body["unit"]["name"] == "Phòng Kinh tế"
    assert isinstance(body["unit"]["id"], int)
    assert "password_hash" not in body and "session_token" not in body


def test_units_list(api, users):
    response = api(users["specialist"]).get("/units")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= {"items", "total", "page", "per_page"}
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 50
    assert [u["code"] for u in body["items"]] == ["KT", "VP", "VX"]
    assert body["items"][0]["name"] == "Phòng Kinh tế"


def test_pagination(api, users):
    caller = api(users["specialist"])
    body = caller.get("/users?per_page=2&page=2").get_json()
    assert body["total"] == 6 and body["page"] == 2 and body["per_page"] == 2
    assert len(body["items"]) == 2
    assert caller.get("/users?page=99").get_json()["items"] == []
    assert caller.get("/users?per_page=200").status_code == 200
    for bad in ("per_page=201", "per_page=0", "page=0", "page=abc"):
        body = assert_problem(caller.get("/users?" + bad), 422)
        assert body["errors"]


def test_users_filtered_by_unit_and_role(api, users, office):
    caller = api(users["clerk"])
    by_code = caller.get("/users?unit=KT").get_json()
    assert {u["username"] for u in by_code["items"]} == {"head1", "spec1"}
    by_id = caller.get(f"/users?unit={office['KT'].id}").get_json()
    assert by_id["items"] == by_code["items"]
    assert caller.get("/users?unit=kt").get_json()["total"] == 2
    assert caller.get("/users?unit=NOPE").get_json()["total"] == 0
    leaders = caller.get("/users?role=leader").get_json()
    assert [u["username"] for u in leaders["items"]] == ["leader1"]
    assert leaders["items"][0]["roles"] == ["leader"]
    both = caller.get("/users?unit=VP&role=clerk").get_json()
    assert [u["username"] for u in both["items"]] == ["clerk1"]
    assert_problem(caller.get("/users?role=emperor"), 422)


def test_get_user_and_unknown_id(api, users):
    caller = api(users["admin"])  # others get only a picker's fields (tests/api/test_users_privacy.py)
    body = caller.get(f"/users/{users['leader'].id}").get_json()
    assert body["username"] == "leader1" and body["version"] == 1 and body["active"] is True
    assert_problem(caller.get("/users/999999"), 404)


def test_admin_creates_a_user(api, users, office, client):
    response = api(users["admin"]).post("/users", json={
        "username": "NewClerk", "password": "Quite-Long-Passw0rd", "full_name": "Lý Thị Mới",
        "roles": ["clerk", "archivist"], "unit_id": office["VX"].id, "clearance": "confidential"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["username"] == "newclerk"
    assert body["roles"] == ["archivist", "clerk"]
    assert body["unit"]["code"] == "VX"
    assert "password" not in body
    # the new account can log in
    assert client.post("/api/v1/auth/tokens", json={"username": "newclerk",
                                                    "password": "Quite-Long-Passw0rd"}).status_code == 201


def test_create_user_validation(api, users, office):
    caller = api(users["admin"])
    good = {"username": "someone", "password": "Quite-Long-Passw0rd", "full_name": "Ai Đó", "roles": ["clerk"],
            "unit_id": office["VX"].id}
    for change, field in ((dict(roles=["emperor"]), "roles.0"), (dict(password="short"), "password"),
                          (dict(unit_id=999999), "unit_id"), (dict(username="clerk1"), "username"),
                          (dict(username="bad name!"), "username"), (dict(roles=[]), "roles")):
        body = assert_problem(caller.post("/users", json={**good, **change}), 422)
        assert field in body["errors"], (change, body)
    body = assert_problem(caller.post("/users", json={"username": "x1"}), 422)
    assert {"password", "full_name", "roles", "unit_id"} <= set(body["errors"])


def test_only_admin_creates_users(api, users, office, db):
    from docflow.auth.models import User

    for role in ("clerk", "leader", "specialist"):
        response = api(users[role]).post("/users", json={
            "username": f"by{role}", "password": "Quite-Long-Passw0rd", "full_name": "X", "roles": ["admin"],
            "unit_id": office["VX"].id})
        assert_problem(response, 403)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 6


def test_admin_patches_a_user(api, users, office, client, token_for):
    caller = api(users["admin"])
    target = users["specialist"]
    response = caller.patch(f"/users/{target.id}", json={"version": 1, "full_name": "Đỗ Thị Mai",
                                                         "roles": ["specialist", "unit_head"],
                                                         "unit_id": office["VX"].id})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["full_name"] == "Đỗ Thị Mai" and body["roles"] == ["specialist", "unit_head"]
    assert body["unit"]["code"] == "VX" and body["version"] == 2

    # a stale version is refused and changes nothing
    body = assert_problem(caller.patch(f"/users/{target.id}", json={"version": 1, "full_name": "Stale"}), 409)
    assert caller.get(f"/users/{target.id}").get_json()["full_name"] == "Đỗ Thị Mai"
    assert body.get("current_version") == 2

    # version is required
    assert "version" in assert_problem(caller.patch(f"/users/{target.id}", json={"full_name": "X"}), 422)["errors"]

    # deactivation ends their tokens
    spec_token = token_for(target)
    response = caller.patch(f"/users/{target.id}", json={"version": 2, "active": False})
    assert response.status_code == 200
    assert response.get_json()["active"] is False
    assert client.get("/api/v1/me", headers=bearer(spec_token)).status_code == 401
    assert_problem(caller.patch("/users/999999", json={"version": 1}), 404)


def test_admin_cannot_deactivate_self(api, users):
    caller = api(users["admin"])
    body = assert_problem(caller.patch(f"/users/{users['admin'].id}", json={"version": 1, "active": False}), 422)
    assert "active" in body["errors"]
    assert caller.get("/me").status_code == 200


def test_only_admin_patches_users(api, users):
    for role in ("clerk", "specialist"):
        assert_problem(api(users[role]).patch(f"/users/{users[role].id}",
                                              json={"version": 1, "roles": ["admin"]}), 403)


def test_admin_creates_units(api, users, office):
    caller = api(users["admin"])
    response = caller.post("/units", json={"code": "th", "name": "Phòng Tổng hợp", "parent_id": office["VP"].id})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["code"] == "TH" and body["parent_id"] == office["VP"].id and body["version"] == 1
    assert "code" in assert_problem(caller.post("/units", json={"code": "TH", "name": "Again"}), 422)["errors"]
    assert "code" in assert_problem(caller.post("/units", json={"code": "A B", "name": "Space"}), 422)["errors"]
    assert "parent_id" in assert_problem(caller.post("/units", json={"code": "ZZ", "name": "Z", "parent_id": 99999}),
                                         422)["errors"]
    assert_problem(api(users["clerk"]).post("/units", json={"code": "QQ", "name": "Q"}), 403)
    assert caller.get("/units").get_json()["total"] == 4


# ---- reference data --------------------------------------------------------------------------

def test_doc_types(api, users):
    body = api(users["specialist"]).get("/doc-types?per_page=200").get_json()
    codes = [t["code"] for t in body["items"]]
    assert body["total"] == 29
    for code in ("QĐ", "QyĐ", "TTr", "CTr", "CV", "GM", "TB", "BC", "KH", "NQ", "CĐ"):
        assert code in codes
    by_code = {t["code"]: t for t in body["items"]}
    assert by_code["CV"]["in_symbol"] is False and by_code["QĐ"]["in_symbol"] is True
    assert by_code["QĐ"]["name"] == "Quyết định"


def test_registers(api, users):
    caller = api(users["clerk"])
    year = today().year
    body = caller.get("/registers").get_json()
    assert body["total"] == 4
    incoming = caller.get(f"/registers?direction=incoming&year={year}").get_json()
    assert incoming["total"] == 2
    assert {r["direction"] for r in incoming["items"]} == {"incoming"}
    assert {r["confidential"] for r in incoming["items"]} == {True, False}
    assert all(r["year"] == year and r["last_number"] == 0 for r in incoming["items"])
    assert caller.get(f"/registers?year={year - 1}").get_json()["total"] == 0
    assert_problem(caller.get("/registers?direction=sideways"), 422)


def _orgs(db):
    from docflow.registry import reference

    for name, abbr, code in (("Sở Nội vụ tỉnh Đồng Nai", "SNV", "000.00.01.H19"),
                             ("Bộ Tài chính", "BTC", "000.00.00.G12"),
                             ("Ủy ban nhân dân tỉnh Bình Dương", "UBND", "000.00.00.H13")):
        reference.save_organization({"name": name, "abbr": abbr, "code": code})
    db.session.commit()


def test_organizations_search_ignores_diacritics(api, users, db):
    _orgs(db)
    caller = api(users["specialist"])
    assert caller.get("/organizations").get_json()["total"] == 3
    for q in ("dong nai", "Đồng Nai", "ĐỒNG NAI", "so noi vu", "snv", "000.00.01"):
        body = caller.get("/organizations", query_string={"q": q}).get_json()
        assert [o["name"] for o in body["items"]] == ["Sở Nội vụ tỉnh Đồng Nai"], q
    assert caller.get("/organizations?q=binh duong").get_json()["items"][0]["code"] == "000.00.00.H13"
    assert caller.get("/organizations?q=ha noi").get_json()["total"] == 0
    assert caller.get("/organizations?q=%25").get_json()["total"] == 0  # LIKE wildcards are literal


def test_create_organization(api, users, db):
    _orgs(db)
    clerk = api(users["clerk"])
    response = clerk.post("/organizations", json={"name": "Sở  Y tế tỉnh Đồng Nai", "abbr": "SYT",
                                                  "code": "000.00.09.h19"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "Sở Y tế tỉnh Đồng Nai" and body["code"] == "000.00.09.H19" and body["version"] == 1
    assert clerk.get("/organizations?q=so y te").get_json()["items"][0]["id"] == body["id"]
    # without a code
    assert clerk.post("/organizations", json={"name": "Cục Thuế tỉnh Đồng Nai"}).status_code == 201
    # invalid and duplicate codes
    for code in ("12345", "000.00.00-H19", "ABC.00.00.H19", "000.00.00.H19X"):
        body = assert_problem(clerk.post("/organizations", json={"name": "X", "code": code}), 422)
        assert "code" in body["errors"], code
    assert "code" in assert_problem(clerk.post("/organizations", json={"name": "Y", "code": "000.00.00.G12"}),
                                    422)["errors"]
    assert "name" in assert_problem(clerk.post("/organizations", json={"code": "000.00.77.H19"}), 422)["errors"]
    # a specialist may look, not add
    assert_problem(api(users["specialist"]).post("/organizations", json={"name": "Z"}), 403)
    assert api(users["admin"]).post("/organizations", json={"name": "By admin"}).status_code == 201
    assert clerk.get("/organizations").get_json()["total"] == 6


# ---- problem+json ----------------------------------------------------------------------------

def test_malformed_json_is_400(api, users):
    caller = api(users["admin"])
    response = caller.post("/units", data="{not json", headers={"Content-Type": "application/json"})
    assert_problem(response, 400)
    response = caller.post("/units", data=b"\xff\xfe", headers={"Content-Type": "application/json"})
    assert_problem(response, 400)


def test_json_of_the_wrong_shape_is_422(api, users):
    caller = api(users["admin"])
    assert_problem(caller.post("/units", json=["a", "list"]), 422)
    body = assert_problem(caller.post("/units", json={"code": 5, "name": None}), 422)
    assert {"code", "name"} <= set(body["errors"])
    assert all(isinstance(m, list) and all(isinstance(x, str) for x in m) for m in body["errors"].values())


def test_401_403_404_405_are_problems(client, api, users):
    assert_problem(client.get("/api/v1/users"), 401)
    caller = api(users["specialist"])
    assert_problem(caller.post("/units", json={"code": "AA", "name": "A"}), 403)
    assert_problem(caller.get("/no-such-endpoint"), 404)
    assert_problem(caller.get("/units/999999/nothing"), 404)
    assert_problem(caller.get("/users/999999"), 404)
    response = caller.put("/me", json={})
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]
    assert_problem(caller.delete("/units"), 405)


def test_unexpected_error_is_500_problem(app, api, users, monkeypatch):
    from docflow.auth import services

    def explode(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services, "list_users", explode)
    response = api(users["specialist"]).get("/users")
    body = assert_problem(response, 500)
    assert "database on fire" not in response.get_data(as_text=True)
    assert body["title"] == "Internal Server Error"


@pytest.mark.fresh_app
def test_unexpected_error_in_a_new_route_is_500_problem(app, api, users):
    @app.route("/api/v1/_boom")
    def boom():
        raise ZeroDivisionError("secret detail")

    response = api(users["specialist"]).get("/_boom")
    assert_problem(response, 500)
    assert "secret detail" not in response.get_data(as_text=True)
    # and the session is usable afterwards
    assert api(users["specialist"]).get("/me").status_code == 200


def test_api_errors_are_not_cached_and_carry_security_headers(client):
    response = client.get("/api/v1/me")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# ---- OpenAPI ---------------------------------------------------------------------------------

def _openapi_path(rule: str) -> str:
    import re

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_openapi_lists_every_api_path(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops
                  if method in ("get", "post", "put", "patch", "delete")}
    registered = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.endswith("openapi.json"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            registered.add((_openapi_path(rule.rule), method))
    assert registered, "no API routes registered"
    missing = registered - documented
    assert not missing, f"not in openapi.json: {sorted(missing)}"
    assert documented - registered == set()
    for path in ("/auth/tokens", "/auth/tokens/{token_id}", "/me", "/units", "/users", "/users/{user_id}",
                 "/doc-types", "/registers", "/organizations"):
        assert "/api/v1" + path in spec["paths"], path


def test_openapi_declares_bearer_security(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert {"bearer": []} in spec["security"]
    # the token endpoint itself needs no token
    assert spec["paths"]["/api/v1/auth/tokens"]["post"].get("security") == []


# ---- values a client may send that the database cannot hold ---------------------------------

HUGE = "99999999999"


def test_out_of_range_ids_are_404_or_422_not_500(api, users, office):
    caller = api(users["admin"])
    assert_problem(caller.get(f"/users/{HUGE}"), 404)
    assert_problem(caller.get("/users/" + "9" * 30), 404)
    assert_problem(caller.patch(f"/users/{HUGE}", json={"version": 1}), 404)
    assert_problem(caller.delete(f"/auth/tokens/{HUGE}"), 404)
    assert caller.get(f"/users?unit={HUGE}").get_json()["total"] == 0
    body = assert_problem(caller.post("/users", json={"username": "abc", "password": PASSWORD, "full_name": "X",
                                                      "roles": ["clerk"], "unit_id": int(HUGE)}), 422)
    assert "unit_id" in body["errors"]
    body = assert_problem(caller.post("/units", json={"code": "ABC", "name": "X", "parent_id": int(HUGE)}), 422)
    assert "parent_id" in body["errors"]
    assert_problem(caller.get("/users?page=" + "9" * 20), 422)


@pytest.mark.fresh_app
def test_database_refusing_a_value_is_422(app, api, users):
    """The safety net behind validation: the database refusing a value is the client's 422, not a 500."""

    @app.route("/api/v1/_toolong", methods=["POST"])
    def toolong():
        raise sa.exc.DataError("INSERT ...", {}, Exception("value too long for type character varying(20)"))

    response = api(users["admin"]).post("/_toolong", json={})
    assert_problem(response, 422)
    assert api(users["admin"]).get("/me").status_code == 200


@pytest.mark.parametrize("content_type, data", [("text/plain", "code=X"), ("application/x-www-form-urlencoded",
                                                                           "code=X&name=Y"),
                                                 ("application/xml", "<unit/>")])
def test_wrong_media_type_is_415(api, users, content_type, data):
    response = api(users["admin"]).post("/units", data=data, headers={"Content-Type": content_type})
    assert_problem(response, 415)


def test_json_with_charset_and_bodiless_actions_are_accepted(api, users):
    caller = api(users["admin"])
    response = caller.post("/units", data='{"code": "CS", "name": "Charset"}',
                           headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 201
    # no body at all: not a media-type question (the fields are missing)
    assert_problem(caller.post("/units"), 422)


def test_timestamps_carry_an_offset(client, users):
    body = client.post("/api/v1/auth/tokens", json={"username": "clerk1", "password": PASSWORD}).get_json()
    from datetime import datetime

    assert datetime.fromisoformat(body["created_at"]).utcoffset() is not None


@pytest.mark.csrf
def test_api_works_with_csrf_protection_on(make_app, users, db):
    db.session.commit()
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/api/v1/auth/tokens", json={"username": "admin1", "password": PASSWORD})
    assert response.status_code == 201
    token = response.get_json()["token"]
    response = client.post("/api/v1/units", json={"code": "CSRF", "name": "X"}, headers=bearer(token))
    assert response.status_code == 201, response.get_data(as_text=True)
    # while a cookie-authenticated page POST still needs its token
    assert client.post("/auth/login", data={"username": "admin1", "password": PASSWORD}).status_code == 400


def test_user_search_ignores_diacritics_and_case(api, users, make_user):
    make_user("specialist", username="dangvd", full_name="ĐẶNG Văn Dũng")
    make_user("specialist", username="dungnt", full_name="Nguyễn Thị Dung")
    admin = api(users["admin"])

    def names(q):
        body = admin.get("/users", query_string={"q": q}).get_json()
        return sorted(u["username"] for u in body["items"])

    assert names("đặng") == ["dangvd"]
    assert names("dang van") == ["dangvd"]
    assert names("VĂN DŨNG") == ["dangvd"]
    assert names("nguyen thi") == ["dungnt"]
    assert len(names("dung")) == 8  # "Người dùng ..." of the other test users too
    assert names("_") == []  # LIKE wildcards match themselves
