"""Attachments: type by content (415), size (413), safe names, content-addressed storage outside the
web root, files that follow the transaction, permission-checked downloads and their headers."""

import io
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from docflow.core.models import AuditEvent
from docflow.registry.attachments import add_attachment, safe_filename
from docflow.registry.models import Attachment, Participant
from docflow.search.indexer import retag
from tests.conftest import PASSWORD
from tests.fixtures import files as F

PROBLEM = "application/problem+json"
_n = {"i": 0}


@pytest.fixture(autouse=True)
def inline_jobs(app):
    app.config["JOBS_INLINE"] = True


def new_incoming(api, user, **extra):
    _n["i"] += 1
    body = {"sender_name": "Sở Nội vụ", "number_symbol": f"{_n['i']}/SNV-VP", "issued_date": "2026-01-05",
            "received_date": "2026-01-06", "doc_type": "CV",
            "subject": "Về việc tăng cường công tác văn thư, lưu trữ", **extra}
    response = api(user).post("/incoming", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def multipart(data: bytes, name: str) -> dict:
    """The request body, encoded in memory. (With data={"file": (stream, name)} the test client
    spools bodies over 500 kB to a temporary file it never closes: a ResourceWarning, an error here.)"""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename=name)})
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def upload(api, user, doc_id, data: bytes, name="tep.pdf"):
    return api(user).post(f"/incoming/{doc_id}/attachments", **multipart(data, name))


def storage_dir(app) -> Path:
    return Path(app.config["STORAGE_DIR"])


def stored_files(app) -> list[Path]:
    """Every file in the store, temporary ones included."""
    root = storage_dir(app)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def content_path(app, sha) -> Path:
    return storage_dir(app) / sha[:2] / sha[2:4] / sha


def attachment_count(db) -> int:
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Attachment))
    db.session.rollback()  # end the read: on SQLite it holds the write lock another app's request needs
    return count


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM, response.headers.get("Content-Type")
    body = response.get_json(force=True)
    assert body["status"] == status
    return body


# ---- accepted uploads ----------------------------------------------------------------------------

def test_pdf_upload_is_stored_content_addressed_and_audited(app, api, users, db):
    doc_id = new_incoming(api, users["clerk"])
    data = F.pdf_bytes()
    response = upload(api, users["clerk"], doc_id, data, "Quyết định 12.pdf")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    assert body == {"id": body["id"], "filename": "Quyết định 12.pdf", "size": len(data), "sha256": sha,
                    "content_type": "application/pdf"}
    path = content_path(app, sha)
    assert path.read_bytes() == data
    assert stored_files(app) == [path]  # nothing else, no temporary file left
    static = Path(app.static_folder).resolve()
    assert static not in path.resolve().parents

    att = db.session.get(Attachment, body["id"])
    assert att.document_id == doc_id and att.uploaded_by_id == users["clerk"].id
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "attachment.add")).one()
    assert (event.object_type, event.object_id, event.actor_id) == ("documents", str(doc_id), users["clerk"].id)
    assert event.after["attachment_id"] == att.id and event.after["sha256"] == sha

    detail = api(users["clerk"]).get(f"/incoming/{doc_id}").get_json()
    assert [a["id"] for a in detail["attachments"]] == [att.id]


@pytest.mark.parametrize("builder,name,content_type", [
    (F.docx_bytes, "công văn.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (F.xlsx_bytes, "bảng.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (F.png_bytes, "ảnh.png", "image/png"),
    (F.zip_bytes, "hồ sơ.zip", "application/zip"),
    # the name lies, the content decides
    (F.docx_bytes, "scan.pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (F.pdf_bytes, "no-extension", "application/pdf"),
])
def test_accepted_types_are_recognised_by_content(api, users, builder, name, content_type):
    doc_id = new_incoming(api, users["clerk"])
    response = upload(api, users["clerk"], doc_id, builder(), name)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["content_type"] == content_type


# ---- refused uploads ----------------------------------------------------------------------------

@pytest.mark.parametrize("data,name", [
    (F.exe_bytes(), "quyet-dinh.pdf"),           # an .exe renamed .pdf
    (b"Xin chao, day la van ban thuong.\n" * 20, "ghi-chu.pdf"),  # plain text
    (b"PK\x03\x04" + b"\x00" * 200, "hong.docx"),  # a zip signature with no readable archive behind it
    (b"<html><script>alert(1)</script></html>", "trang.pdf"),
])
def test_wrong_type_by_content_is_refused_415_leaving_nothing(app, api, users, db, data, name):
    doc_id = new_incoming(api, users["clerk"])
    body = assert_problem(upload(api, users["clerk"], doc_id, data, name), 415)
    assert body["errors"]["file"]
    assert attachment_count(db) == 0
    assert stored_files(app) == []
    assert not db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "attachment.add")).first()


def test_empty_file_and_missing_field(app, api, users, db):
    doc_id = new_incoming(api, users["clerk"])
    body = assert_problem(upload(api, users["clerk"], doc_id, b"", "rong.pdf"), 422)
    assert body["errors"]["file"]
    response = api(users["clerk"]).post(f"/incoming/{doc_id}/attachments", data={"other": "x"},
                                        content_type="multipart/form-data")
    assert_problem(response, 422)
    assert attachment_count(db) == 0 and stored_files(app) == []


def test_oversize_is_refused_413(make_app, app, users, db):
    small = make_app(MAX_UPLOAD_MB=1, JOBS_INLINE=True)
    client = small.test_client()
    token = client.post("/api/v1/auth/tokens", json={"username": "clerk1", "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post("/api/v1/incoming", headers=headers, json={
        "sender_name": "Sở Nội vụ", "number_symbol": "99/SNV-VP", "issued_date": "2026-01-05",
        "received_date": "2026-01-06", "doc_type": "CV", "subject": "Tệp quá lớn"})
    assert response.status_code == 201
    doc_id = response.get_json()["id"]

    pdf = F.pdf_bytes()
    for size in (2 * 1024 * 1024, 1536 * 1024):  # over the request limit; under it but over the file limit
        data = pdf + b"%" * (size - len(pdf))
        response = client.post(f"/api/v1/incoming/{doc_id}/attachments", headers=headers,
                               **multipart(data, "lon.pdf"))
        assert_problem(response, 413)
    assert attachment_count(db) == 0
    assert stored_files(small) == []

    response = client.post(f"/api/v1/incoming/{doc_id}/attachments", headers=headers, **multipart(pdf, "nho.pdf"))
    assert response.status_code == 201


# ---- names and places ----------------------------------------------------------------------------

def test_path_traversal_name_is_only_a_display_name(app, api, users, db, tmp_path):
    doc_id = new_incoming(api, users["clerk"])
    data = F.pdf_bytes(lines=("Tệp có tên nguy hiểm",))
    response = upload(api, users["clerk"], doc_id, data, "../../etc/passwd.pdf")
    assert response.status_code == 201
    body = response.get_json()
    assert body["filename"] == "passwd.pdf"
    root = storage_dir(app).resolve()
    files = stored_files(app)
    assert files == [content_path(app, body["sha256"])]
    assert all(root in f.resolve().parents for f in files)
    assert not any(p.name == "passwd.pdf" for p in tmp_path.rglob("*"))
    assert not (tmp_path / "etc").exists()


@pytest.mark.parametrize("raw,expected", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\Windows\\system.ini.pdf", "system.ini.pdf"),
    ("C:\\Users\\văn thư\\Công văn số 12.docx", "Công văn số 12.docx"),
    (".htaccess", "htaccess"),
    ("...", "tep-dinh-kem.pdf"),
    ("", "tep-dinh-kem.pdf"),
    (None, "tep-dinh-kem.pdf"),
    ("Quye\u0302\u0301t đi\u0323nh.pdf", "Quyết định.pdf"),  # NFD in, NFC out
    ("báo\x00cáo\r\n\u202egpj.pdf", "báocáo gpj.pdf"),  # control and bidi characters go
    ('a<b>c:"d|e?f*.pdf', "a_b_c__d_e_f_.pdf"),
    ("CON.pdf", "_CON.pdf"),
    ("Ủy ban   nhân\tdân.xlsx", "Ủy ban nhân dân.xlsx"),
])
def test_safe_filename_keeps_vietnamese_and_drops_paths(raw, expected):
    assert safe_filename(raw, ".pdf") == expected


def test_safe_filename_is_at_most_255_characters_and_keeps_the_extension():
    name = safe_filename("Đ" * 400 + ".docx")
    assert len(name) == 255 and name.endswith(".docx")


# ---- storage follows the transaction ---------------------------------------------------------------

def test_rolled_back_transaction_leaves_no_file(app, api, users, db):
    from docflow.registry.models import Document

    doc_id = new_incoming(api, users["clerk"])
    doc = db.session.get(Document, doc_id)
    data = F.pdf_bytes(lines=("Sẽ bị hủy",))
    att = add_attachment(doc, io.BytesIO(data), actor=users["clerk"], filename="huy.pdf")
    path = content_path(app, att.sha256)
    assert path.exists()
    db.session.rollback()
    assert not path.exists()
    assert attachment_count(db) == 0
    assert stored_files(app) == []


def test_failed_request_leaves_no_rows_or_files(app, api, users, db, monkeypatch):
    from docflow.registry import attachments

    doc_id = new_incoming(api, users["clerk"])

    class BrokenAudit:
        @staticmethod
        def record(*args, **kwargs):
            raise RuntimeError("audit store down")

    caller = api(users["clerk"])
    monkeypatch.setattr(attachments, "audit", BrokenAudit)
    response = caller.post(f"/incoming/{doc_id}/attachments", **multipart(F.pdf_bytes(lines=("Lỗi",)), "loi.pdf"))
    assert_problem(response, 500)
    assert attachment_count(db) == 0
    assert stored_files(app) == []


def test_rollback_never_deletes_content_another_row_uses(app, api, users, db):
    from docflow.registry.models import Document

    doc_id = new_incoming(api, users["clerk"])
    data = F.pdf_bytes(lines=("Dùng chung",))
    first = upload(api, users["clerk"], doc_id, data, "a.pdf").get_json()
    path = content_path(app, first["sha256"])
    doc = db.session.get(Document, doc_id)
    add_attachment(doc, io.BytesIO(data), actor=users["clerk"], filename="b.pdf")
    db.session.rollback()
    assert path.read_bytes() == data
    assert attachment_count(db) == 1


def test_identical_content_is_stored_once(app, api, users, db):
    data = F.docx_bytes()
    one = upload(api, users["clerk"], new_incoming(api, users["clerk"]), data, "mot.docx").get_json()
    two = upload(api, users["clerk"], new_incoming(api, users["clerk"]), data, "hai.docx").get_json()
    assert one["id"] != two["id"] and one["sha256"] == two["sha256"]
    assert attachment_count(db) == 2
    assert stored_files(app) == [content_path(app, one["sha256"])]


# ---- who may upload -------------------------------------------------------------------------------

def test_upload_permission_clerk_or_participant(app, api, users, db):
    doc_id = new_incoming(api, users["clerk"])
    pdf = F.pdf_bytes()
    # the leader sees the document but neither registers nor handles it
    assert_problem(upload(api, users["leader"], doc_id, pdf), 403)
    # a specialist who takes no part does not even see it
    assert_problem(upload(api, users["specialist"], doc_id, pdf), 404)
    assert attachment_count(db) == 0 and stored_files(app) == []

    db.session.add(Participant(document_id=doc_id, user_id=users["specialist"].id, role="primary"))
    retag([doc_id])  # what the flows' events would do
    db.session.commit()
    response = upload(api, users["specialist"], doc_id, pdf, "ket-qua.pdf")
    assert response.status_code == 201, response.get_data(as_text=True)


def test_upload_to_a_missing_document_is_404(api, users):
    assert_problem(upload(api, users["clerk"], 987654, F.pdf_bytes()), 404)


# ---- downloads ------------------------------------------------------------------------------------

def test_download_headers_api_and_page(app, api, users, client, login_as):
    doc_id = new_incoming(api, users["clerk"])
    data = F.pdf_bytes()
    att = upload(api, users["clerk"], doc_id, data, "Quyết định số 12.pdf").get_json()

    response = api(users["leader"]).get(f"/attachments/{att['id']}")
    body = response.get_data()
    response.close()  # the body was a file wrapper: close it (ResourceWarnings are errors here)
    assert response.status_code == 200
    assert body == data
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("Quyết định số 12.pdf", safe="") in disposition
    assert 'filename="Quyet dinh so 12.pdf"' in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]

    login_as(users["clerk"])
    page = client.get(f"/files/attachments/{att['id']}")
    body = page.get_data()
    page.close()
    assert page.status_code == 200
    assert body == data
    assert page.headers["Content-Disposition"] == disposition
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.mimetype == "application/pdf"


def test_download_of_an_invisible_document_is_404(app, api, users, client, login_as):
    doc_id = new_incoming(api, users["clerk"])
    att = upload(api, users["clerk"], doc_id, F.pdf_bytes(), "mat.pdf").get_json()
    secret_id = new_incoming(api, users["clerk"], confidentiality="secret")
    secret = upload(api, users["clerk"], secret_id, F.docx_bytes(), "mat.docx").get_json()

    # the specialist takes no part in the first; the unit head (cleared "confidential") is not cleared
    # for the second, even as a participant
    from docflow.extensions import db

    db.session.add(Participant(document_id=secret_id, user_id=users["unit_head"].id, role="primary"))
    retag([secret_id])  # what the flows' events would do
    db.session.commit()
    for user, attachment_id in ((users["specialist"], att["id"]), (users["unit_head"], secret["id"]),
                                (users["clerk"], 987654)):
        assert_problem(api(user).get(f"/attachments/{attachment_id}"), 404)

    login_as(users["specialist"])
    page = client.get(f"/files/attachments/{att['id']}")
    assert page.status_code == 404
    assert "mat.pdf" not in page.get_data(as_text=True)
    assert client.get("/files/attachments/987654").status_code == 404


def test_page_download_needs_login(app, api, users, client):
    doc_id = new_incoming(api, users["clerk"])
    att = upload(api, users["clerk"], doc_id, F.pdf_bytes(), "a.pdf").get_json()
    fresh = app.test_client()
    response = fresh.get(f"/files/attachments/{att['id']}")
    assert response.status_code in (302, 401)
    assert response.data != F.pdf_bytes()
    assert fresh.get(f"/api/v1/attachments/{att['id']}").status_code == 401


# ---- jobs ---------------------------------------------------------------------------------------------

def test_jobs_go_to_rq_when_redis_is_configured(app, monkeypatch):
    from rq import Queue

    from docflow import jobs

    calls = []
    monkeypatch.setattr(Queue, "enqueue", lambda self, f, *args, **kw: calls.append((self.name, f, args)) or "job")
    app.config.update(REDIS_URL="redis://127.0.0.1:6399/0", JOBS_INLINE=False)
    assert jobs.enqueue("extract_attachment_text", 7) == "job"
    assert calls == [("docflow", "docflow.jobs.run_job", ("extract_attachment_text", 7))]
    with pytest.raises(LookupError):
        jobs.enqueue("no_such_job")
