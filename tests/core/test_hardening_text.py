"""Text that is not text (a lone UTF-16 surrogate, NUL and other control characters) is refused at the
boundary with a field error: 422 problem+json in the API, a field error in forms, a 400 page for a
query string. Never a 500, never stored, the same on SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD

PROBLEM = "application/problem+json"


def _problem_fields(response) -> dict:
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == 422 and body["detail"]
    return body["errors"]


def test_bad_text_reason():
    from docflow.core.text import bad_text_reason

    assert bad_text_reason("Quyết định số 05/QĐ-UBND") is None
    assert bad_text_reason("dòng 1\r\ndòng 2\tcột") is None
    assert bad_text_reason(None) is None and bad_text_reason(12) is None
    assert bad_text_reason("a\ud800b")
    assert bad_text_reason("a\x00b")
    assert bad_text_reason("\x1b[31m")
    assert bad_text_reason("\x7f") and bad_text_reason("\x85")


@pytest.mark.parametrize("username", ["\ud800", "clerk1\x00", "\udfff"])
def test_token_request_with_junk_text_is_a_422_without_a_token(client, users, username, db):
    from docflow.core.models import AuditEvent

    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    response = client.post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD})
    errors = _problem_fields(response)
    assert list(errors) == ["username"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before


def test_junk_in_a_password_is_named_too(client, users):
    response = client.post("/api/v1/auth/tokens", json={"username": "clerk1", "password": "x\ud83d"})
    assert list(_problem_fields(response)) == ["password"]


def test_nul_in_a_json_field_is_the_same_field_error_on_both_databases(api, users, db):
    from docflow.auth.models import Unit

    caller = api(users["admin"])
    response = caller.post("/units", json={"code": "TH", "name": "Phòng\x00Tổng hợp"})
    assert _problem_fields(response) == {"name": [response.get_json()["errors"]["name"][0]]}
    assert "control character" in response.get_json()["errors"]["name"][0]
    response = caller.post("/units", json={"code": "TH", "name": "Phòng \ud800"})
    assert "Unicode" in _problem_fields(response)["name"][0]
    db.session.expire_all()
    assert db.session.scalar(sa.select(Unit).where(Unit.code == "TH")) is None
    # tab and line breaks are text
    assert caller.post("/units", json={"code": "TH", "name": "Phòng\tTổng hợp"}).status_code == 201


def test_nested_and_query_junk_names_the_path(api, users, office):
    caller = api(users["admin"])
    response = caller.post("/users", json={"username": "moi1", "password": "Quite-Long-Passw0rd",
                                           "full_name": "Người Mới", "roles": ["clerk", "x\x01"],
                                           "unit_id": office["VX"].id})
    assert list(_problem_fields(response)) == ["roles.1"]
    response = caller.get("/users?q=%00")
    assert list(_problem_fields(response)) == ["q"]
    response = caller.patch(f"/users/{users['clerk'].id}", json={"version": 1, "full_name": "A\x08B"})
    assert list(_problem_fields(response)) == ["full_name"]


def test_incoming_registration_with_a_surrogate_is_a_422(api, users, office, db):
    from docflow.registry.models import Document

    response = api(users["clerk"]).post("/incoming", json={"subject": "Trích yếu \ud800", "sender_name": "Sở A"})
    assert "subject" in _problem_fields(response)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0


# ---- forms -----------------------------------------------------------------------------------------

def test_form_field_with_nul_is_a_field_error_and_nothing_is_stored(client, users, login_as, db):
    from docflow.auth.models import Unit

    login_as(users["admin"])
    response = client.post("/admin/units/new", data={"code": "TH", "name": "Phòng\x00Tổng hợp", "parent_id": ""})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "control character" in html
    assert "\x00" not in html
    db.session.expire_all()
    assert db.session.scalar(sa.select(Unit).where(Unit.code == "TH")) is None


def test_login_form_with_control_characters_is_a_field_error(client, users, db):
    response = client.post("/auth/login", data={"username": "clerk1\x00", "password": PASSWORD})
    assert response.status_code == 200
    assert "control character" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_form_error_is_vietnamese_by_default(make_app, users):
    app = make_app(BABEL_DEFAULT_LOCALE="vi")
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "clerk1\x1f", "password": PASSWORD})
    assert response.status_code == 200
    assert "ký tự điều khiển" in response.get_data(as_text=True)


def test_every_form_class_refuses_junk():
    import inspect

    from flask_wtf import FlaskForm

    from docflow.admin import forms as admin_forms
    from docflow.auth import forms as auth_forms
    from docflow.core.forms import BaseForm
    from docflow.incoming import forms as incoming_forms
    from docflow.outgoing import forms as outgoing_forms

    for module in (admin_forms, auth_forms, incoming_forms, outgoing_forms):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm):
                assert issubclass(cls, BaseForm), f"{module.__name__}.{name}"


# ---- query strings on pages ---------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/incoming/?q=%00", "/incoming/?q=ab%1Bc", "/admin/users?q=%00x", "/auth/login?next=%00"])
def test_junk_in_a_page_query_string_is_a_400_page(client, users, login_as, url):
    login_as(users["admin"])
    response = client.get(url)
    assert response.status_code == 400, response.status_code
    assert response.mimetype == "text/html"
