"""Vietnamese is the default language and every interface string has its Vietnamese translation."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
VI_PO = ROOT / "docflow" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def test_every_interface_string_is_in_the_vietnamese_catalog(tmp_path):
    """Extract the strings from the code and templates now: none may be missing or untranslated."""
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as fh:
        template = read_po(fh)
    wanted = {m.id for m in template if m.id}
    # every file that marks strings was scanned (Babel silently skips directories starting with "_")
    scanned = {location for m in template for location, _line in m.locations}
    marking = {str(path.relative_to(ROOT)) for pattern in ("templates/**/*.html", "docflow/**/*.py")
               for path in ROOT.glob(pattern) if '_("' in path.read_text(encoding="utf-8")}
    assert marking <= scanned, sorted(marking - scanned)
    with open(VI_PO, "rb") as fh:
        catalog = read_po(fh, locale="vi")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(wanted - translated)
    assert not missing, f"{len(missing)} strings lack a Vietnamese translation (make translations-update): {missing[:10]}"


def test_placeholders_survive_translation():
    import re

    pattern = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")
    with open(VI_PO, "rb") as fh:
        catalog = read_po(fh, locale="vi")
    broken = [m.id for m in catalog if m.id and m.string and
              sorted(pattern.findall(m.id)) != sorted(pattern.findall(m.string))]
    assert not broken


def test_the_default_language_is_vietnamese():
    from config import Config, DevelopmentConfig, ProductionConfig

    assert Config.BABEL_DEFAULT_LOCALE == DevelopmentConfig.BABEL_DEFAULT_LOCALE == "vi"
    assert ProductionConfig.BABEL_DEFAULT_LOCALE == "vi"


@pytest.fixture
def vi_client(make_app, app, users, db):
    """A client of an app configured as production is (Vietnamese by default), and the clerk's
    username. The test's own session ends its transaction first: a second app on the same SQLite
    file must not wait for its lock."""
    client = make_app(BABEL_DEFAULT_LOCALE="vi").test_client()
    client.clerk = users["clerk"].username
    db.session.rollback()
    return client


def test_pages_are_vietnamese_by_default_and_english_on_request(vi_client):
    client = vi_client
    login = client.get("/auth/login").get_data(as_text=True)
    assert 'lang="vi"' in login and "Đăng nhập" in login
    client.post("/auth/login", data={"username": client.clerk, "password": PASSWORD})
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Việc cần làm" in page or "việc cần làm" in page.lower()
    client.post("/auth/lang/en", data={"next": "/dashboard"})
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'lang="en"' in page and "To do" in page


def test_api_validation_messages_follow_the_default_language(vi_client):
    token = vi_client.post("/api/v1/auth/tokens", json={"username": vi_client.clerk, "password": PASSWORD}
                           ).get_json()["token"]
    response = vi_client.post("/api/v1/incoming", headers={"Authorization": f"Bearer {token}"}, json={"sender_name": "Sở Nội vụ", "number_symbol": "1/SNV",
                                                             "issued_date": "2020-01-01", "doc_type": "XX",
                                                             "subject": "Thử"})
    assert response.status_code == 422
    assert response.get_json()["errors"]["doc_type"] == ["Loại văn bản không đúng."] or \
        "loại văn bản" in response.get_json()["errors"]["doc_type"][0].lower()
