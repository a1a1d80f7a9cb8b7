"""Fixtures: a real database (a file SQLite, or PostgreSQL when DOCFLOW_TEST_DATABASE_URL is set),
schema made once per run by the migrations, every table emptied between tests."""

import os
import re
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import TestingConfig
from docflow import create_app
from docflow.extensions import db as _db
from docflow.extensions import limiter

PASSWORD = "Test-Passw0rd-2026"


def _database_url() -> str:
    url = os.environ.get("DOCFLOW_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url:
        if worker:  # one database per xdist worker, created on the same server
            base, name = url.rsplit("/", 1)
            worker_url = f"{base}/{name}_{worker}"
            admin = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}_{worker}"')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}_{worker}"')
            admin.dispose()
            return worker_url
        return url
    tmp = Path(tempfile.mkdtemp(prefix="docflow-test-"))
    return f"sqlite:///{tmp}/test-{worker or 'main'}.db"


@pytest.fixture(scope="session")
def database_url():
    url = _database_url()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        from flask_migrate import upgrade

        if _db.engine.dialect.name == "postgresql":
            with _db.engine.begin() as conn:  # start from nothing, as CI does
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        _db.engine.dispose()
    return url


def _empty_all_tables():
    engine = _db.engine
    tables = [t for t in reversed(_db.metadata.sorted_tables)]
    with engine.begin() as conn:
        for t in tables:  # children first
            conn.execute(t.delete())
        if engine.dialect.name == "postgresql":
            # ids from 1 again, as TRUNCATE ... RESTART IDENTITY would, at a tenth of its cost (140 ms a test:
            # it makes new files for every table)
            conn.exec_driver_sql("SELECT setval(c.oid, 1, false) FROM pg_class c "
                                 "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace")
        else:
            conn.exec_driver_sql("DELETE FROM sqlite_sequence") if conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'").first() else None
        conn.exec_driver_sql("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")


def _fresh_g():
    from flask import g

    for name in list(vars(g)):
        delattr(g, name)


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on the test database; extra config as keyword arguments."""
    apps = []

    def factory(**overrides):
        config = {"SQLALCHEMY_DATABASE_URI": database_url, "STORAGE_DIR": str(tmp_path / "files"), **overrides}
        app = create_app(TestingConfig, **config)
        # The `app` fixture keeps an app context pushed, and Flask reuses it for test requests, so
        # `g` (Flask-Login's cached user, Flask-Babel's locale...) would leak from one request into
        # the next, even across test clients. Each real request starts with a fresh `g`.
        app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


_SHARED_APPS: dict = {}


def _shared_app(database_url):
    """One app per worker for the tests that take the plain `app`: building one costs 150-250 ms (the
    routes' compilation and the OpenAPI description), about a quarter of a short test. Its config is put
    back after every test; a test that changes the app itself (adds a route) asks for its own with
    `@pytest.mark.fresh_app`."""
    shared = _SHARED_APPS.get(database_url)
    if shared is None:
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url)
        app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
        # the limiter is one object that every create_app binds to its app's storage: a test's own app
        # (make_app(REDIS_URL=...)) rebinds it, so the shared app puts its own binding back each time
        shared = _SHARED_APPS[database_url] = (app, dict(vars(limiter)))
    app, limiter_state = shared
    vars(limiter).update(limiter_state)
    return app


def _search_tags_in_step() -> None:
    """After every test, whatever it did to documents: each search index row's tags are its document's
    (the search asks them of the engine in place of the filters: a stale one hides a document from a
    filtered search). The document events keep them in step; a path that changes a document's status,
    type, dates... without one fails here. So does a row whose mirrored columns are not its document's."""
    from docflow.registry.models import Document
    from docflow.search.indexer import document_tags, prefix_lexemes, with_symbol_tags
    from docflow.search.models import MIRRORED, SearchIndex

    rows = _db.session.execute(sa.select(Document, SearchIndex.tags, SearchIndex.body, SearchIndex.attachments_text,
                                         SearchIndex.symbol_norm)
                               .join(SearchIndex, SearchIndex.document_id == Document.id)).all()
    made = {doc.id: with_symbol_tags(document_tags(doc), body, text, own) for doc, _tags, body, text, own in rows}
    stale = {doc.id: (tags, made[doc.id]) for doc, tags, *_texts in rows if tags != made[doc.id]}
    # and the document's columns each row mirrors (search.models.MIRRORED, kept by the triggers of migration
    # 0027): PostgreSQL's count asks the visibility rule of them
    documents, index = Document.__table__, SearchIndex.__table__
    mirrored = _db.session.execute(
        sa.select(documents.c.id, *(documents.c[c] for c in MIRRORED), *(index.c[c] for c in MIRRORED))
        .join(index, index.c.document_id == documents.c.id)).all()
    apart = {row[0]: row[1:] for row in mirrored if tuple(row[1:1 + len(MIRRORED)]) != tuple(row[1 + len(MIRRORED):])}
    # PostgreSQL: each row's prefixes are those of its text (the GIN index holds them: a stale one hides the row
    # from a prefix of a word it holds now)
    unprefixed = {}
    if _db.engine.dialect.name == "postgresql":
        written = _db.session.execute(sa.select(index.c.document_id, index.c.body, index.c.attachments_text,
                                                sa.func.array_to_string(sa.func.tsvector_to_array(index.c.prefixes),
                                                                        " "))).all()
        unprefixed = {i: p for i, body, text, p in written
                      if sorted(p.split()) != sorted(prefix_lexemes(body, text).split())}
    _db.session.remove()
    assert not stale, f"search tags out of step with their documents: {stale}"
    assert not apart, f"search_index's mirrored columns out of step with their documents: {apart}"
    assert not unprefixed, f"search_index's prefixes out of step with its text: {unprefixed}"


@pytest.fixture
def app(request, make_app, database_url, tmp_path):
    if request.node.get_closest_marker("fresh_app"):
        app, saved = make_app(), None
    else:
        app = _shared_app(database_url)
        saved = dict(app.config)
        app.config["STORAGE_DIR"] = str(tmp_path / "files")
    try:
        with app.app_context():
            _empty_all_tables()
            limiter.reset()
            yield app
            _db.session.remove()
            _search_tags_in_step()
    finally:
        if saved is not None:
            app.config.clear()
            app.config.update(saved)


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


# ---- builders ----------------------------------------------------------------------------------

@pytest.fixture
def office(app):
    """The reference data and two units, as `flask docflow init` + `unit add` make them."""
    from docflow.auth import services
    from docflow.office import init_office

    init_office("Ủy ban nhân dân tỉnh Đồng Nai", "UBND", "000.00.00.H19")
    units = {code: services.create_unit({"code": code, "name": name})
             for code, name in (("VP", "Văn phòng"), ("KT", "Phòng Kinh tế"), ("VX", "Phòng Văn hóa - Xã hội"))}
    _db.session.commit()
    return units


_counter = {"n": 0}


@pytest.fixture
def make_user(office):
    from docflow.auth import services

    def factory(*roles, unit="KT", clearance="normal", username=None, password=PASSWORD, full_name=None):
        _counter["n"] += 1
        roles = roles or ("specialist",)
        name = username or f"{roles[0].replace('_', '')}{_counter['n']}"
        user = services.create_user({"username": name, "password": password, "roles": list(roles),
                                     "unit_code": unit, "clearance": clearance,
                                     "full_name": full_name or f"Người dùng {name}"})
        _db.session.commit()
        return user

    return factory


@pytest.fixture
def users(make_user):
    """One user per role."""
    return {
        "admin": make_user("admin", unit="VP", username="admin1"),
        "clerk": make_user("clerk", unit="VP", clearance="secret", username="clerk1"),
        "leader": make_user("leader", unit="VP", clearance="top_secret", username="leader1"),
        "unit_head": make_user("unit_head", unit="KT", clearance="confidential", username="head1"),
        "specialist": make_user("specialist", unit="KT", username="spec1"),
        "archivist": make_user("archivist", unit="VP", clearance="confidential", username="arch1"),
    }


def login(client, username, password=PASSWORD):
    response = client.post("/auth/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def login_as(client):
    def do(user_or_name, password=PASSWORD):
        name = getattr(user_or_name, "username", user_or_name)
        login(client, name, password)
        return client

    return do


@pytest.fixture
def token_for(client):
    def do(user_or_name, password=PASSWORD):
        name = getattr(user_or_name, "username", user_or_name)
        response = client.post("/api/v1/auth/tokens", json={"username": name, "password": password})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()["token"]

    return do


@pytest.fixture
def api(client, token_for):
    """api(user).get(path) / .post(path, json=...) with the user's bearer token."""

    class Caller:
        def __init__(self, token):
            self.headers = {"Authorization": f"Bearer {token}"}

        def __getattr__(self, method):
            def call(path, **kw):
                headers = {**self.headers, **kw.pop("headers", {})}
                return getattr(client, method)("/api/v1" + path, headers=headers, **kw)

            return call

    return lambda user: Caller(token_for(user))
