"""Login throttling that cannot be turned against the user (per username and address, per address, a far
higher per-username ceiling; web form and API alike), proxies believed only when configured, Secure
cookies in production, and logins that keep working when Redis is down."""

import logging

import pytest

from tests.conftest import PASSWORD

A = {"REMOTE_ADDR": "203.0.113.7"}  # the attacker
B = {"REMOTE_ADDR": "198.51.100.20"}  # the real user, elsewhere


def _web(client, username, password, env=None, **kw):
    return client.post("/auth/login", data={"username": username, "password": password},
                       environ_base=env or {}, **kw)


def _api(client, username, password, env=None, **kw):
    return client.post("/api/v1/auth/tokens", json={"username": username, "password": password},
                       environ_base=env or {}, **kw)


def test_guessing_from_one_address_does_not_lock_the_user_out(app, users):
    attacker, user = app.test_client(), app.test_client()
    for _ in range(5):
        assert _web(attacker, "clerk1", "wrong-password", A).status_code == 200
    refused = _web(attacker, "clerk1", "wrong-password", A)
    assert refused.status_code == 429
    assert "from your address" in refused.get_data(as_text=True)
    assert _web(attacker, "clerk1", PASSWORD, A).status_code == 429  # the guesser's own address waits
    # the real user, from their own address, logs in: web and API
    assert _web(user, "clerk1", PASSWORD, B).status_code == 302
    assert _api(app.test_client(), "clerk1", PASSWORD, B).status_code == 201


def test_api_guessing_does_not_lock_the_user_out_either(app, users):
    client = app.test_client()
    for _ in range(5):
        assert _api(client, "clerk1", "wrong", A).status_code == 401
    refused = _api(client, "clerk1", PASSWORD, A)
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert "from your address" in refused.get_json()["detail"]
    assert _api(client, "clerk1", PASSWORD, B).status_code == 201
    assert _web(app.test_client(), "clerk1", PASSWORD, B).status_code == 302


def test_web_form_and_api_count_the_same_failures(app, users):
    client = app.test_client()
    for _ in range(3):
        assert _web(client, "clerk1", "wrong-password", A).status_code == 200
    for _ in range(2):
        assert _api(client, "clerk1", "wrong", A).status_code == 401
    assert _api(client, "clerk1", "wrong", A).status_code == 429
    assert _web(client, "clerk1", "wrong-password", A).status_code == 429


def test_one_address_guessing_many_users_is_throttled(app, users, make_user):
    client = app.test_client()
    names = ["clerk1", "leader1", "head1", "spec1", "arch1", "admin1"]
    for i in range(20):
        assert _web(client, names[i % len(names)], "wrong-password", A).status_code == 200
    refused = _web(client, "leader1", PASSWORD, A)
    assert refused.status_code == 429
    assert "from your address" in refused.get_data(as_text=True)
    assert _web(app.test_client(), "leader1", PASSWORD, B).status_code == 302


def test_per_user_ceiling_stops_guessing_spread_over_addresses(make_app, users):
    app = make_app(LOGIN_LIMIT_USER_CEILING="8 per hour")
    client = app.test_client()
    for i in range(8):
        assert _web(client, "clerk1", "wrong-password", {"REMOTE_ADDR": f"192.0.2.{i + 1}"}).status_code == 200
    refused = _web(client, "clerk1", PASSWORD, {"REMOTE_ADDR": "192.0.2.100"})
    assert refused.status_code == 429
    assert "many addresses" in refused.get_data(as_text=True)
    body = _api(client, "clerk1", PASSWORD, {"REMOTE_ADDR": "192.0.2.101"}).get_json()
    assert body["status"] == 429 and "many addresses" in body["detail"]
    assert _web(app.test_client(), "leader1", PASSWORD, B).status_code == 302  # other users are not affected


def test_forwarded_for_is_ignored_without_a_configured_proxy(app, users):
    client = app.test_client()
    for i in range(5):
        headers = {"X-Forwarded-For": f"10.9.8.{i}"}
        assert _web(client, "clerk1", "wrong-password", A, headers=headers).status_code == 200
    response = _web(client, "clerk1", PASSWORD, A, headers={"X-Forwarded-For": "10.9.9.9"})
    assert response.status_code == 429


def test_forwarded_for_is_the_address_behind_a_configured_proxy(make_app, users):
    app = make_app(PROXY_COUNT=1)
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    client = app.test_client()
    for _ in range(5):
        assert _web(client, "clerk1", "wrong-password", proxy,
                    headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 200
    assert _web(client, "clerk1", PASSWORD, proxy, headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    assert _web(app.test_client(), "clerk1", PASSWORD, proxy,
                headers={"X-Forwarded-For": "198.51.100.20"}).status_code == 302


# ---- production cookies ---------------------------------------------------------------------------------

def _production_app(make_app, **overrides):
    from config import ProductionConfig
    from docflow import create_app

    base = make_app()  # the test database URL and storage
    config = {"SQLALCHEMY_DATABASE_URI": base.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "p" * 64,
              "STORAGE_DIR": base.config["STORAGE_DIR"], "AUDIT_KEY": "k" * 64, **overrides}
    return create_app(ProductionConfig, **config)


def test_production_cookies_are_secure_with_hsts_by_default(make_app, db, monkeypatch):
    monkeypatch.delenv("DOCFLOW_SECURE_COOKIES", raising=False)
    db.session.commit()
    app = _production_app(make_app)
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    response = app.test_client().get("/auth/login", base_url="https://localhost")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers.get("Set-Cookie", "")
    assert "docflow_session=" in cookie and "Secure" in cookie
    with app.app_context():
        from docflow.extensions import db as app_db

        app_db.engine.dispose()


@pytest.mark.parametrize("value", ["false", "0", "no"])
def test_production_secure_cookies_can_be_turned_off_explicitly(make_app, db, monkeypatch, value):
    monkeypatch.setenv("DOCFLOW_SECURE_COOKIES", value)
    db.session.commit()
    app = _production_app(make_app)
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert "Strict-Transport-Security" not in app.test_client().get("/auth/login").headers
    with app.app_context():
        from docflow.extensions import db as app_db

        app_db.engine.dispose()


def test_development_cookies_stay_plain_unless_asked(app):
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert "Strict-Transport-Security" not in app.test_client().get("/auth/login").headers


# ---- Redis down -----------------------------------------------------------------------------------------

@pytest.fixture
def redis_down_app(make_app, users):
    """Made after the `app` fixture's app: the module-level limiter takes the storage of the last app."""
    from docflow.extensions import limiter

    url = "redis://127.0.0.1:6390/0"  # nothing listens there
    app = make_app(REDIS_URL=url, RATELIMIT_STORAGE_URI=url, JOBS_INLINE=True)
    assert "Redis" in type(limiter.storage).__name__
    yield app
    limiter._storage_dead = False  # the module-level limiter serves the next tests' apps


def test_logins_work_when_redis_is_unreachable(redis_down_app, users, caplog):
    caplog.set_level(logging.WARNING)
    app = redis_down_app
    assert _web(app.test_client(), "clerk1", PASSWORD).status_code == 302
    response = _api(app.test_client(), "clerk1", PASSWORD)
    assert response.status_code == 201, response.get_data(as_text=True)
    token = response.get_json()["token"]
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # failures are still counted, per process
    client = app.test_client()
    for _ in range(5):
        assert _web(client, "leader1", "wrong-password", A).status_code == 200
    assert _web(client, "leader1", "wrong-password", A).status_code == 429
    assert _web(app.test_client(), "leader1", PASSWORD, B).status_code == 302
    outage = [r for r in caplog.records if "unreachable" in r.getMessage().lower()]
    assert len(outage) == 1, [r.getMessage() for r in caplog.records]
