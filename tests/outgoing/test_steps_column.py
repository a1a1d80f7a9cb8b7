"""The "Bước" (step) column of the approver's inbox and of the tracking page: every draft waiting at a
step shows that step's name, however many drafts wait at the same step of the same ladder."""

import io
import re

import pytest
import sqlalchemy as sa
from docx import Document as DocxDocument

from docflow.registry.models import Document
from tests.conftest import login


def _docx():
    out = io.BytesIO()
    doc = DocxDocument()
    doc.add_paragraph("Dự thảo")
    doc.save(out)
    out.seek(0)
    return out, "du-thao.docx"


@pytest.fixture
def as_user(app):
    def do(user):
        client = app.test_client()
        login(client, user.username)
        return client

    return do


def _submitted(client, db, n):
    ids = []
    for i in range(n):
        response = client.post("/outgoing/new", data={
            "doc_type": "CV", "subject": f"V/v dự thảo số {i + 1}", "urgency": "normal",
            "confidentiality": "normal", "recipient_names": "Sở Tài chính", "file": _docx()},
            content_type="multipart/form-data")
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
        doc_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        assert client.post(f"/outgoing/{doc_id}/submit").status_code == 302
        ids.append(doc_id)
    db.session.expire_all()
    assert {d.current_step for d in db.session.scalars(sa.select(Document).where(Document.id.in_(ids)))} == {1}
    return ids


def _rows(html: str, table_id: str) -> list[str]:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr[ >].*?</tr>", table.split("<tbody>", 1)[1], flags=re.S)


def test_every_row_of_the_approver_inbox_names_its_step(as_user, db, users):
    ids = _submitted(as_user(users["specialist"]), db, 4)
    html = as_user(users["unit_head"]).get("/outgoing/awaiting").get_data(as_text=True)
    rows = _rows(html, "awaiting-table")
    assert len(rows) == len(ids)
    for row in rows:
        first_cell = re.search(r"<td>(.*?)</td>", row, flags=re.S).group(1)
        assert first_cell.strip() == "Trưởng đơn vị duyệt", row


def test_every_row_of_the_tracking_page_names_its_step(as_user, db, users):
    ids = _submitted(as_user(users["specialist"]), db, 3)
    html = as_user(users["leader"]).get("/outgoing/tracking").get_data(as_text=True)
    rows = _rows(html, "in-review")
    assert len(rows) == len(ids)
    assert all("Trưởng đơn vị duyệt" in row for row in rows)
