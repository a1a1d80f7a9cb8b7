"""Log in and out, sessions, throttling, CSRF, cookies, headers, passwords, the secret key."""

import os
import re
import stat
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, csrf_token_from, login

NEW_PASSWORD = "Another-Passw0rd-2027"


def _events(db, action):
    from docflow.core.models import AuditEvent

    db.session.expire_all()
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


def _set_cookie(response, name):
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


# ---- logging in ------------------------------------------------------------------------------

def test_login_page_renders(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert 'name="username"' in response.get_data(as_text=True)


def test_login_success_is_audited(client, users, db):
    response = login(client, "clerk1")
    assert response.headers["Location"].endswith("/dashboard")
    events = _events(db, "login.success")
    assert [e.actor_name for e in events] == ["clerk1"]
    assert events[0].after == {"channel": "web"}


def test_wrong_password_refused_and_audited(client, users, db):
    response = client.post("/auth/login", data={"username": "clerk1", "password": "not-the-password"})
    assert response.status_code == 200
    assert "/auth/login" not in response.headers.get("Location", "")
    assert client.get("/dashboard").status_code == 302
    events = _events(db, "login.failure")
    assert len(events) == 1
    assert events[0].after["username"] == "clerk1"
    assert events[0].after["reason"] == "wrong password"
    assert events[0].object_id == str(users["clerk"].id)
    assert events[0].actor_id is None


def test_unknown_user_refused_and_audited(client, users, db):
    response = client.post("/auth/login", data={"username": "nobody", "password": PASSWORD})
    assert response.status_code == 200
    events = _events(db, "login.failure")
    assert [(e.after["username"], e.after["reason"]) for e in events] == [("nobody", "unknown user")]


def test_logout_ends_the_session(client, users, login_as):
    login_as(users["clerk"])
    assert client.get("/dashboard").status_code == 200
    response = client.post("/auth/logout")
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_logged_in_user_visiting_login_goes_to_dashboard(client, users, login_as):
    login_as(users["clerk"])
    response = client.get("/auth/login")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")


def test_deactivated_user_cannot_log_in_and_loses_session(app, client, users, login_as, db):
    from docflow.auth import services

    login_as(users["specialist"])
    assert client.get("/dashboard").status_code == 200

    services.set_active(users["specialist"], False, actor=users["admin"])
    db.session.commit()

    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]

    response = client.post("/auth/login", data={"username": "spec1", "password": PASSWORD})
    assert response.status_code == 200
    assert client.get("/dashboard").status_code == 302
    reasons = [e.after["reason"] for e in _events(db, "login.failure")]
    assert reasons == ["inactive"]


def test_login_rotates_the_session(client, users):
    """A fresh session on login (ASVS 3.2.1): nothing planted before login survives except the language."""
    with client.session_transaction() as sess:
        sess["planted"] = "x"
        sess["lang"] = "en"
    login(client, "clerk1")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["lang"] == "en"
        assert sess["_user_id"] == users["clerk"].session_token


# ---- throttling ------------------------------------------------------------------------------

def test_repeated_failures_for_one_username_are_throttled(client, users):
    limit = int(client.application.config["LOGIN_LIMIT_USER"].split()[0])
    assert limit == 5
    for _ in range(limit):
        response = client.post("/auth/login", data={"username": "clerk1", "password": "wrong-password"})
        assert response.status_code == 200
    response = client.post("/auth/login", data={"username": "clerk1", "password": "wrong-password"})
    assert response.status_code == 429
    # even the right password is refused while throttled
    response = client.post("/auth/login", data={"username": "clerk1", "password": PASSWORD})
    assert response.status_code == 429
    # another username is not affected
    other = client.application.test_client()
    assert other.post("/auth/login", data={"username": "leader1", "password": PASSWORD}).status_code == 302


def test_successful_logins_do_not_count_towards_the_throttle(app, users):
    for _ in range(8):
        c = app.test_client()
        assert c.post("/auth/login", data={"username": "clerk1", "password": PASSWORD}).status_code == 302
    c = app.test_client()
    for _ in range(5):  # still the full allowance of failures
        assert c.post("/auth/login", data={"username": "clerk1", "password": "wrong-password"}).status_code == 200
    assert c.post("/auth/login", data={"username": "clerk1", "password": "wrong-password"}).status_code == 429


# ---- CSRF ------------------------------------------------------------------------------------

@pytest.mark.csrf
def test_login_needs_the_csrf_token(make_app, users):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "clerk1", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/dashboard").status_code == 302

    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"username": "clerk1", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200

    # logout is a POST with a token too: without it the session stays
    client.post("/auth/logout")
    assert client.get("/dashboard").status_code == 200


# ---- password change -------------------------------------------------------------------------

def _change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post("/auth/account", data={
        "pw-current_password": current, "pw-new_password": new, "pw-confirm": confirm or new,
        "pw-submit": "Change password"})


def test_password_change_ends_other_sessions_and_tokens(app, client, users, login_as, token_for, db):
    from docflow.auth.models import ApiToken

    token = token_for(users["clerk"])
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    other = app.test_client()
    login(other, "clerk1")
    assert other.get("/dashboard").status_code == 200

    login_as(users["clerk"])
    response = _change_password(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/account")

    # this session continues
    assert client.get("/dashboard").status_code == 200
    assert client.get("/auth/account").status_code == 200
    # the other one is sent to the login page
    response = other.get("/dashboard")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    # API tokens are revoked
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    db.session.expire_all()
    assert all(t.revoked_at is not None for t in db.session.scalars(sa.select(ApiToken)))
    # the new password works, the old one does not
    fresh = app.test_client()
    assert fresh.post("/auth/login", data={"username": "clerk1", "password": PASSWORD}).status_code == 200
    assert fresh.post("/auth/login", data={"username": "clerk1", "password": NEW_PASSWORD}).status_code == 302
    assert [e.actor_name for e in _events(db, "user.password_change")] == ["clerk1"]


def test_password_change_with_wrong_current_password(client, users, login_as, db):
    from docflow.auth.models import User

    login_as(users["clerk"])
    old_hash = users["clerk"].password_hash
    response = _change_password(client, current="wrong-current-password")
    assert response.status_code == 200
    assert "The current password is wrong." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, users["clerk"].id).password_hash == old_hash
    assert client.get("/dashboard").status_code == 200


def test_password_change_refuses_short_password(client, users, login_as, db):
    login_as(users["clerk"])
    response = _change_password(client, new="short1")
    assert response.status_code == 200
    assert "at least 12 characters" in response.get_data(as_text=True)
    assert _events(db, "user.password_change") == []


def test_account_page_creates_a_token_shown_once(client, users, login_as, db):
    from docflow.auth.models import ApiToken

    login_as(users["clerk"])
    response = client.post("/auth/account", data={"tok-name": "script", "tok-submit": "Create token"})
    assert response.status_code == 200
    match = re.search(r'id="new-token">(dfl_[^<]+)<', response.get_data(as_text=True))
    assert match
    token = match.group(1)
    assert token not in client.get("/auth/account").get_data(as_text=True)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    row = db.session.scalars(sa.select(ApiToken)).one()
    response = client.post(f"/auth/account/tokens/{row.id}/revoke")
    assert response.status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# ---- cookies and headers ---------------------------------------------------------------------

def test_session_cookie_flags(client, users):
    response = login(client, "clerk1")
    cookie = _set_cookie(response, "docflow_session")
    parts = [p.strip().lower() for p in cookie.split(";")]
    assert "httponly" in parts
    assert "samesite=lax" in parts
    assert "secure" not in parts
    expires = next(p for p in cookie.split(";") if p.strip().lower().startswith("expires="))
    when = parsedate_to_datetime(expires.split("=", 1)[1])
    left = when - datetime.now(UTC)
    assert timedelta(hours=11, minutes=55) < left <= timedelta(hours=12, minutes=1)


def test_session_cookie_secure_behind_https(make_app, users):
    app = make_app(SECURE_COOKIES=True)
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "clerk1", "password": PASSWORD},
                           base_url="https://localhost")
    assert response.status_code == 302
    parts = [p.strip().lower() for p in _set_cookie(response, "docflow_session").split(";")]
    assert "secure" in parts and "httponly" in parts and "samesite=lax" in parts
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("path", ["/auth/login", "/", "/dashboard", "/no-such-page", "/healthz", "/api/v1/me",
                                  "/api/v1/openapi.json", "/static/css/app.css"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy")
    response.close()


@pytest.mark.fresh_app
def test_security_headers_on_error_pages(app, client):
    @app.route("/boom-page")
    def boom_page():
        raise RuntimeError("boom")

    response = client.get("/boom-page")
    assert response.status_code == 500
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_are_not_cached(client, users, login_as):
    login_as(users["clerk"])
    assert client.get("/dashboard").headers.get("Cache-Control") == "no-store"


# ---- open redirects --------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example", "/\t/evil.example",
                                    "evil.example"])
def test_login_next_refuses_other_sites(client, users, target):
    response = client.post("/auth/login", query_string={"next": target},
                           data={"username": "clerk1", "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location and "javascript" not in location
    assert location.endswith("/dashboard")


def test_login_next_keeps_local_paths(client, users):
    response = client.post("/auth/login?next=/auth/account%3Fx%3D1",
                           data={"username": "clerk1", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/account?x=1"


def test_language_switch_next_refuses_other_sites(client):
    response = client.post("/auth/lang/en", data={"next": "//evil.example/"})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]


# ---- language --------------------------------------------------------------------------------

def test_language_switch(client, users, login_as, db):
    from docflow.auth.models import User

    # the suite's app speaks its configured default (English in TestingConfig; Vietnamese in
    # production, see tests/test_i18n.py) until the user switches
    assert '<html lang="en">' in client.get("/auth/login").get_data(as_text=True)
    response = client.post("/auth/lang/en", data={"next": "/auth/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    with client.session_transaction() as sess:
        assert sess["lang"] == "en"
    assert '<html lang="en">' in client.get("/auth/login").get_data(as_text=True)

    # kept across login, and remembered on the account
    login_as(users["clerk"])
    assert '<html lang="en">' in client.get("/dashboard").get_data(as_text=True)
    client.post("/auth/lang/vi")
    db.session.expire_all()
    assert db.session.get(User, users["clerk"].id).locale == "vi"
    assert '<html lang="vi">' in client.get("/dashboard").get_data(as_text=True)


def test_unknown_language_is_404(client):
    assert client.post("/auth/lang/fr").status_code == 404
    with client.session_transaction() as sess:
        assert "lang" not in sess


# ---- passwords and secrets -------------------------------------------------------------------

def test_production_password_hash_is_scrypt(make_app, office):
    from config import Config, ProductionConfig
    from docflow.auth import services
    from docflow.auth.models import User

    assert Config.PASSWORD_HASH_METHOD == "scrypt"
    assert ProductionConfig.PASSWORD_HASH_METHOD == "scrypt"
    app = make_app(PASSWORD_HASH_METHOD="scrypt")
    with app.app_context():
        user = User(username="hashcheck", full_name="x", password_hash="")
        services.set_password(user, PASSWORD)
        assert user.password_hash.startswith("scrypt:")
        from werkzeug.security import check_password_hash

        assert check_password_hash(user.password_hash, PASSWORD)
        assert not check_password_hash(user.password_hash, PASSWORD + "x")


def test_password_rules(app):
    from docflow.auth import services

    assert services.password_problems("short")
    assert services.password_problems("nguyenvana-2026-abc", "nguyenvana")
    assert services.password_problems("x" * 129)
    assert services.password_problems(PASSWORD, "someone") == []


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    from config import ProductionConfig
    from docflow import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DOCFLOW_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/prod.db")


def test_production_takes_secret_key_from_environment(monkeypatch, tmp_path):
    from config import ProductionConfig
    from docflow import create_app

    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/prod.db")
    assert app.config["SECRET_KEY"] == "s" * 64
    with app.app_context():
        from docflow.extensions import db

        db.engine.dispose()


def test_instance_secret_is_generated_once(app, tmp_path, monkeypatch):
    from docflow import _instance_secret

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    key = _instance_secret(app)
    assert len(key) == 64
    path = tmp_path / "secret_key"
    assert path.read_text().strip() == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert _instance_secret(app) == key


def test_development_app_keeps_generated_key_in_instance(monkeypatch, tmp_path):
    import flask

    from config import DevelopmentConfig
    from docflow import create_app
    from docflow.extensions import db

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DOCFLOW_SECRET_KEY", raising=False)
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(tmp_path))
    first = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/dev.db")
    second = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/dev.db")
    assert first.instance_path == str(tmp_path)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()
    for a in (first, second):
        with a.app_context():
            db.engine.dispose()


def test_logout_invalidates_a_copied_session_cookie(app, users, login_as):
    """ASVS 3.3.1: after logout, the old session id does not work again."""
    client = login_as(users["clerk"])
    cookie = client.get_cookie("docflow_session")
    assert cookie is not None
    assert client.get("/dashboard").status_code == 200
    thief = app.test_client()
    thief.set_cookie("docflow_session", cookie.value)
    assert thief.get("/dashboard").status_code == 200  # a copy works while the session lives
    client.post("/auth/logout")
    assert thief.get("/dashboard").status_code == 302  # and is dead after logout
