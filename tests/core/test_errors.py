"""The error pages with no template of their own speak the page's language (werkzeug's names and
descriptions are English)."""

import io

import pytest

from tests.conftest import PASSWORD, csrf_token_from


def _text(response) -> str:
    html = response.get_data(as_text=True)
    return html[html.index('id="content"'):html.index("</main>")]


@pytest.mark.csrf
def test_an_expired_form_says_so_in_vietnamese_not_the_csrf_jargon(make_app, users):
    """A form sent without its token (a page left open past the token's life, the session ended) showed
    "Bad Request" / "The CSRF token is missing." on the Vietnamese pages."""
    client = make_app(WTF_CSRF_ENABLED=True, BABEL_DEFAULT_LOCALE="vi").test_client()
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"username": "clerk1", "password": PASSWORD, "csrf_token": token})
    response = client.post("/auth/account", data={"pw-current_password": PASSWORD})
    assert response.status_code == 400
    text = _text(response)
    assert "Biểu mẫu đã hết hạn" in text and "tải lại trang" in text
    assert "CSRF" not in text and "Bad Request" not in text
    client.post("/auth/lang/en", data={"csrf_token": csrf_token_from(client.get("/dashboard").get_data(as_text=True))})
    text = _text(client.post("/auth/account", data={}))
    assert "The form has expired" in text and "CSRF" not in text


def test_too_large_an_upload_and_a_wrong_method_in_the_pages_language(client, users, login_as, app, monkeypatch):
    login_as(users["clerk"])
    with client.session_transaction() as session:
        session["lang"] = "vi"
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    response = client.post("/exchange/import", data={"files": (io.BytesIO(b"x" * 5000), "big.edxml")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    text = _text(response)
    assert "Dung lượng quá lớn" in text and f"({app.config['MAX_UPLOAD_MB']} MB mỗi tệp)" in text
    assert "Request Entity Too Large" not in text
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "Không thực hiện được theo cách này" in _text(response) and "Method Not Allowed" not in _text(response)
