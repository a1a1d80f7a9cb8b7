import pytest
import sqlalchemy as sa

from docflow.core.timeutil import today
from tests.conftest import PASSWORD
from tests.e2e.conftest import requires_chromium

pytestmark = [pytest.mark.e2e, requires_chromium]


@pytest.fixture
def sender(db, office):
    from docflow.registry import reference

    org = reference.save_organization({"name": "Sở Nội vụ tỉnh Đồng Nai", "abbr": "SNV", "code": "000.00.01.H19"})
    reference.save_organization({"name": "Sở Tài chính tỉnh Đồng Nai", "abbr": "STC", "code": "000.00.02.H19"})
    db.session.commit()
    org_id = org.id
    db.session.remove()
    return org_id


def test_clerk_registers_with_the_keyboard_and_the_issuer_autocomplete(sender, people, live_server, page, db):
    page.goto(live_server + "/auth/login")
    page.fill("input[name=username]", people["clerk"]["username"])
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard")
    page.goto(live_server + "/incoming/new")
    assert page.evaluate("document.activeElement.id") == "sender_name"  # the first field has the focus
    assert page.input_value("#received_date") == f"{today():%d/%m/%Y}"  # arrival date prefilled, day first

    page.keyboard.type("so noi vu")  # no diacritics: the list still offers "Sở Nội vụ tỉnh Đồng Nai"
    page.wait_for_function(
        "Array.from(document.querySelectorAll('#org-options option')).some(o => o.value === 'Sở Nội vụ tỉnh Đồng Nai')")
    page.fill("#sender_name", "Sở Nội vụ tỉnh Đồng Nai")  # what picking the offered option does
    assert page.input_value("#sender_id") == str(sender)
    page.keyboard.press("Tab")
    page.keyboard.type("12/SNV-VP")
    page.fill("#issued_date", f"{today():%d/%m/%Y}")  # typed as the office writes dates
    page.fill("#subject", "V/v kiểm tra công tác văn thư, lưu trữ năm 2026")
    page.click("#submit_next")
    page.wait_for_selector("#last-number")
    assert "1" in page.inner_text("#last-number")
    assert page.input_value("#sender_name") == ""  # a fresh form for the next letter
    assert not page.console_errors, page.console_errors  # nothing blocked by the CSP

    from docflow.registry.models import Document

    doc = db.session.scalar(sa.select(Document))
    assert (doc.number, doc.sender_org_id, doc.number_symbol) == (1, sender, "12/SNV-VP")
