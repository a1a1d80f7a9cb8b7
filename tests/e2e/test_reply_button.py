"""An incoming letter's page offers "Soạn văn bản trả lời" to whoever may draft and sees it: the
button opens a new draft already answering the letter, and the saved draft is linked to it."""

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from docx import Document as Docx

from docflow.core.timeutil import today
from docflow.outgoing.models import ReplyLink
from tests.conftest import PASSWORD
from tests.e2e.conftest import requires_chromium

pytestmark = [pytest.mark.e2e, requires_chromium]


@pytest.fixture
def letter_id(users, db):
    """An incoming letter from a listed organisation, assigned by the leader to the specialist."""
    from docflow.incoming import services
    from docflow.registry import reference

    org = reference.save_organization({"name": "Sở Tài chính tỉnh Đồng Nai", "abbr": "STC"})
    doc = services.register_incoming({
        "sender_id": org.id, "sender_name": org.name, "number_symbol": "77/STC-NS",
        "issued_date": (today() - timedelta(days=2)).isoformat(), "received_date": today().isoformat(),
        "doc_type": "CV", "subject": "V/v đề nghị báo cáo số liệu ngân sách quý I"}, actor=users["clerk"])
    services.assign(doc, actor=users["leader"], instruction="Phòng Kinh tế trả lời",
                    assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    db.session.commit()
    doc_id = doc.id
    db.session.remove()  # the test thread keeps no transaction open (see tests/e2e/conftest.py)
    return doc_id


def _docx(path):
    document = Docx()
    document.add_paragraph("Trả lời về số liệu ngân sách quý I")
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


def test_the_reply_button_opens_a_draft_answering_the_letter(people, letter_id, live_server, new_page, db,
                                                              tmp_path):
    archivist = _login(new_page, live_server, people["archivist"]["username"])
    archivist.goto(f"{live_server}/incoming/{letter_id}")
    assert archivist.locator("#draft-reply").count() == 0  # sees the letter, does not draft

    spec = _login(new_page, live_server, people["specialist"]["username"])
    spec.goto(f"{live_server}/incoming/{letter_id}")
    spec.click("#draft-reply")
    spec.wait_for_url(re.compile(rf".*/outgoing/new\?reply_to={letter_id}$"))
    assert spec.locator(f"input[name=reply_to][value='{letter_id}']").is_checked()
    spec.fill("#subject", "V/v báo cáo số liệu ngân sách quý I")
    spec.set_input_files("#file", str(_docx(tmp_path / "tra-loi.docx")))
    spec.click("#draft-form [type=submit]")
    spec.wait_for_url(re.compile(r".*/outgoing/\d+$"))
    draft_id = int(spec.url.rsplit("/", 1)[1])
    assert "77/STC-NS" in spec.locator("body").inner_text()  # the draft's page names the letter it answers
    assert not spec.console_errors, spec.console_errors

    links = db.session.execute(sa.select(ReplyLink.outgoing_id, ReplyLink.incoming_id)).all()
    db.session.remove()
    assert [tuple(link) for link in links] == [(draft_id, letter_id)]
