import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import requires_chromium

pytestmark = [pytest.mark.e2e, requires_chromium]


def test_login_dashboard_language_and_logout(people, live_server, page):
    page.goto(live_server + "/")
    assert "/auth/login" in page.url
    page.fill("input[name=username]", people["admin"]["username"])
    page.fill("input[name=password]", "wrong-password-123")
    page.click("input[type=submit]")
    assert page.locator(".invalid-feedback").count() == 1
    page.fill("input[name=username]", people["admin"]["username"])
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/dashboard")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert people["admin"]["full_name"] in page.content()
    # Bootstrap is served locally (no CDN): its stylesheet loaded and applied
    assert page.evaluate("getComputedStyle(document.querySelector('.navbar')).display") == "flex"
    assert not page.console_errors, page.console_errors  # nothing blocked by the CSP, nothing missing
    page.click("footer button[lang=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("nav form button[type=submit]")  # log out
    page.wait_for_url("**/auth/login")
    page.goto(live_server + "/dashboard")
    assert "/auth/login" in page.url


def test_admin_reaches_users_page_and_clerk_does_not(people, live_server, new_page):
    for name, allowed in ((people["clerk"]["username"], False), (people["admin"]["username"], True)):
        page = new_page()  # a fresh browser: its own cookies
        page.goto(live_server + "/auth/login")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/dashboard")
        response = page.goto(live_server + "/admin/users")
        assert response.status == (200 if allowed else 403)
