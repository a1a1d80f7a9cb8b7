import io
import re

import pytest
from docx import Document as Docx

from tests.conftest import PASSWORD
from tests.e2e.conftest import requires_chromium

pytestmark = [pytest.mark.e2e, requires_chromium]


def _docx(path):
    document = Docx()
    document.add_paragraph("V/v đề nghị phối hợp kiểm tra công tác văn thư")
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def _login(new_page, live_server, username):
    page = new_page()
    page.goto(live_server + "/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard")
    return page


def test_a_draft_climbs_the_ladder_and_is_issued_in_the_browser(people, live_server, new_page, tmp_path):
    drafter = _login(new_page, live_server, people["specialist"]["username"])
    drafter.goto(live_server + "/outgoing/new")
    drafter.fill("#subject", "V/v đề nghị phối hợp kiểm tra công tác văn thư")
    drafter.set_input_files("#file", str(_docx(tmp_path / "du-thao.docx")))
    drafter.click("#draft-form [type=submit]")
    drafter.wait_for_url(re.compile(r".*/outgoing/\d+$"))
    detail = drafter.url
    drafter.click("form[action$='/submit'] [type=submit]")
    drafter.wait_for_load_state()
    assert drafter.locator("form[action$='/approve']").count() == 0  # never on one's own draft

    for role in ("unit_head", "leader"):
        approver = _login(new_page, live_server, people[role]["username"])
        approver.goto(detail)
        approver.click("form[action$='/approve'] [type=submit]")
        approver.wait_for_load_state()

    clerk = _login(new_page, live_server, people["clerk"]["username"])
    clerk.goto(detail)
    clerk.click("form[action$='/issue'] [type=submit]")
    clerk.wait_for_load_state()
    assert "01/UBND-KT" in clerk.content()
    assert not any(p.console_errors for p in (drafter, clerk)), [p.console_errors for p in (drafter, clerk)]
