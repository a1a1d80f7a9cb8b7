"""A real browser (Debian's chromium, driven by Playwright) against the app served on loopback."""

import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = shutil.which("chromium") is not None


@pytest.fixture
def people(users, db):
    """The users as plain data. The test thread must not keep a transaction open on SQLite
    (outside a request every transaction takes the write lock), so the ORM session is closed."""
    data = {role: {"username": u.username, "full_name": u.full_name} for role, u in users.items()}
    db.session.remove()
    return data


@pytest.fixture
def live_server(make_app, app):
    """The app as an office runs it (Vietnamese by default), served on a loopback port."""
    app = make_app(BABEL_DEFAULT_LOCALE="vi")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def new_page():
    """new_page() → a page in a fresh browser context (its own cookies), with console errors kept."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        contexts = []

        def make():
            context = browser.new_context(locale="vi-VN")
            contexts.append(context)
            pg = context.new_page()
            pg.set_default_timeout(20000)
            errors: list[str] = []
            pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            pg.console_errors = errors
            return pg

        yield make
        for context in contexts:
            context.close()
        browser.close()


@pytest.fixture
def page(new_page):
    return new_page()


requires_chromium = pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian chromium is not installed (.ci/run installs it)")
