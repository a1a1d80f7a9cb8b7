"""An attachment's name takes the extension of its detected type (a PDF is never offered as `x.html` or
`invoice.exe`), and a hidden attachment answers exactly what a missing one does."""

import re

import sqlalchemy as sa

from docflow.registry.attachments import name_for_type
from docflow.registry.models import Attachment, Participant
from docflow.search.indexer import retag
from tests.fixtures import files as F
from tests.registry.test_attachments import assert_problem, new_incoming, upload

PDF = "application/pdf"


def test_name_for_type():
    assert name_for_type("x.html", PDF) == "x.pdf"
    assert name_for_type("invoice.exe", PDF) == "invoice.pdf"
    assert name_for_type("Quyết định.PDF", PDF) == "Quyết định.PDF"
    assert name_for_type("so-05.pdf.exe", PDF) == "so-05.pdf"
    assert name_for_type("khong-duoi", PDF) == "khong-duoi.pdf"
    assert name_for_type("anh.jpeg", "image/jpeg") == "anh.jpeg"
    assert name_for_type("anh.png", "image/jpeg") == "anh.jpg"
    assert name_for_type("scan.pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document") \
        == "scan.docx"
    assert len(name_for_type("Đ" * 252 + ".exe", PDF)) <= 255


def _download(api, user, att_id):
    response = api(user).get(f"/attachments/{att_id}")
    response.get_data()
    response.close()
    assert response.status_code == 200
    return response.headers["Content-Disposition"]


def test_polyglot_and_renamed_pdf_are_stored_and_offered_as_pdf(app, api, users, db):
    app.config["JOBS_INLINE"] = True
    doc_id = new_incoming(api, users["clerk"])
    polyglot = F.pdf_bytes() + b"\n<html><script>alert(document.cookie)</script></html>\n"
    for sent, stored in (("x.html", "x.pdf"), ("invoice.exe", "invoice.pdf"), ("Tờ trình.svg", "Tờ trình.pdf")):
        data = polyglot if sent == "x.html" else F.pdf_bytes(lines=(sent,))
        response = upload(api, users["clerk"], doc_id, data, sent)
        assert response.status_code == 201, response.get_data(as_text=True)
        body = response.get_json()
        assert body["content_type"] == PDF
        assert body["filename"] == stored
        disposition = _download(api, users["clerk"], body["id"])
        assert sent.rsplit(".", 1)[1] not in disposition
        assert disposition.endswith(".pdf") and ".pdf\"" in disposition


def test_a_name_stored_earlier_is_corrected_on_download(app, api, users, db):
    app.config["JOBS_INLINE"] = True
    doc_id = new_incoming(api, users["clerk"])
    att_id = upload(api, users["clerk"], doc_id, F.pdf_bytes(), "tep.pdf").get_json()["id"]
    db.session.execute(sa.update(Attachment).where(Attachment.id == att_id).values(filename="old.html"))
    db.session.commit()
    assert 'filename="old.pdf"' in _download(api, users["clerk"], att_id)


def test_hidden_and_missing_attachments_answer_the_same(app, api, users, client, login_as, db):
    app.config["JOBS_INLINE"] = True
    doc_id = new_incoming(api, users["clerk"])
    att_id = upload(api, users["clerk"], doc_id, F.pdf_bytes(), "mat.pdf").get_json()["id"]
    secret_id = new_incoming(api, users["clerk"], confidentiality="secret")
    secret_att = upload(api, users["clerk"], secret_id, F.pdf_bytes(), "mat2.pdf").get_json()["id"]
    db.session.add(Participant(document_id=secret_id, user_id=users["unit_head"].id, role="primary"))
    retag([secret_id])  # what the flows' events would do
    db.session.commit()

    missing = assert_problem(api(users["specialist"]).get("/attachments/987654"), 404)
    hidden = assert_problem(api(users["specialist"]).get(f"/attachments/{att_id}"), 404)
    above_clearance = assert_problem(api(users["unit_head"]).get(f"/attachments/{secret_att}"), 404)
    assert hidden == missing == above_clearance

    login_as(users["specialist"])
    page_missing = client.get("/files/attachments/987654")
    page_hidden = client.get(f"/files/attachments/{att_id}")
    assert page_missing.status_code == page_hidden.status_code == 404
    # the pages differ only by the address they echo (the language switch's "next") and the log-out form's
    # CSRF token, signed with the second it was made in (two requests may fall in two seconds)
    def without_address(page):
        text = re.sub(r"attachments(/|%2F)\d+", "attachments/N", page.get_data(as_text=True))
        return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value="T"', text)

    assert without_address(page_missing) == without_address(page_hidden)
