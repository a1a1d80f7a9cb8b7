"""The layout as an office sees it, at an ordinary office screen's width."""

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import requires_chromium

pytestmark = [pytest.mark.e2e, requires_chromium]

#: every item of the top bar, links and the log-out button
TOP_BAR_ITEMS = "nav .nav-link, nav form button"


@pytest.mark.parametrize("width", [1024, 1280, 1366])
def test_the_top_bar_items_never_break_inside_and_nothing_scrolls_sideways(people, live_server, new_page, width):
    """An admin's top bar at 1366 px used to break its items over two lines ("Việc cần / làm",
    "Nguyễn Văn / Quản", "Đăng / xuất")."""
    page = new_page()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server + "/auth/login")
    page.fill("input[name=username]", people["admin"]["username"])
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/dashboard")
    page.goto(live_server + "/admin/users")
    heights = page.eval_on_selector_all(TOP_BAR_ITEMS, """els => els.filter(e => e.offsetParent).map(e => {
        const style = getComputedStyle(e);
        return [e.textContent.trim(), e.getBoundingClientRect().height,
                parseFloat(style.lineHeight) + parseFloat(style.paddingTop) + parseFloat(style.paddingBottom)
                + parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth)];
    })""")
    assert len(heights) >= 10
    broken = [text for text, height, one_line in heights if height > one_line + 2]
    assert not broken, broken
    assert page.evaluate("document.documentElement.scrollWidth") <= width
