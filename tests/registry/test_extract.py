"""Text extraction: real Vietnamese PDF/DOCX/XLSX, and damaged, encrypted and hostile files that
must end as text_status "none"/"failed" without an error, a crash or a hang."""

import io
import unicodedata
import zipfile

import pytest

from docflow.registry import extract
from docflow.registry.models import Attachment
from tests.fixtures import files as F
from tests.registry.test_attachments import new_incoming, upload


@pytest.fixture(autouse=True)
def inline_jobs(app):
    app.config["JOBS_INLINE"] = True


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def uploaded(api, users, db, data, name):
    doc_id = new_incoming(api, users["clerk"])
    response = upload(api, users["clerk"], doc_id, data, name)
    assert response.status_code == 201, response.get_data(as_text=True)
    db.session.expire_all()
    return db.session.get(Attachment, response.get_json()["id"])


# ---- through the API: the job runs after the upload ----------------------------------------------

@pytest.mark.parametrize("builder,name", [(F.pdf_bytes, "quyet-dinh.pdf"), (F.docx_bytes, "quyet-dinh.docx"),
                                          (F.xlsx_bytes, "so-van-ban.xlsx")])
def test_text_is_extracted_from_real_vietnamese_files(api, users, db, builder, name):
    att = uploaded(api, users, db, builder(), name)
    assert att.text_status == "done"
    assert F.VN_TEXT in att.text
    assert unicodedata.is_normalized("NFC", att.text)
    if name.endswith(".docx"):
        assert "Ủy ban nhân dân tỉnh Đồng Nai" in att.text
        assert "12/SNV-VP\tVăn thư" in att.text  # the table


@pytest.mark.parametrize("builder,name,statuses", [
    (F.malformed_pdf_bytes, "hong.pdf", ("failed",)),
    (F.encrypted_pdf_bytes, "khoa.pdf", ("none",)),
    (F.docx_bomb_bytes, "bom.docx", ("failed",)),
    (F.docx_many_entries_bytes, "nhieu-phan.docx", ("failed",)),
    (F.png_bytes, "anh.png", ("none",)),
    (F.zip_bytes, "goi.zip", ("none",)),
])
def test_hostile_or_textless_files_are_accepted_without_text(api, users, db, builder, name, statuses):
    att = uploaded(api, users, db, builder(), name)
    assert att.text_status in statuses
    assert att.text_status != "done" and not att.text


def test_extraction_failure_never_breaks_the_upload(api, users, db, monkeypatch):
    from docflow.registry import attachments

    def explode(*args, **kwargs):
        raise RuntimeError("extractor crashed")

    monkeypatch.setattr(attachments, "extract_text", explode)
    doc_id = new_incoming(api, users["clerk"])
    response = upload(api, users["clerk"], doc_id, F.pdf_bytes(), "a.pdf")
    assert response.status_code == 201
    db.session.expire_all()
    assert db.session.get(Attachment, response.get_json()["id"]).text_status == "pending"


# ---- the extractor itself ---------------------------------------------------------------------------

def test_extract_text_in_a_child_process(tmp_path):
    result = extract.extract_text(write(tmp_path, "a", F.pdf_bytes(pages=3)), extract.PDF)
    assert result.status == "done"
    assert result.text.count(F.VN_TEXT) == 3 and "Trang 3" in result.text


def test_the_wall_clock_timeout_ends_the_child(tmp_path):
    result = extract.extract_text(write(tmp_path, "a", F.pdf_bytes()), extract.PDF, timeout_s=0.001)
    assert result.status == "failed" and "timed out" in result.reason


def test_a_pdf_flate_bomb_is_stopped(tmp_path):
    result = extract.extract_text(write(tmp_path, "bomb", F.pdf_flate_bomb_bytes()), extract.PDF,
                                  memory_mb=512)
    assert result.status in ("failed", "none")
    assert not result.text or len(result.text) < 1_000_000


def test_extract_here_reports_instead_of_raising(tmp_path):
    for data, content_type in ((F.malformed_pdf_bytes(), extract.PDF), (b"PK\x03\x04junk", extract.DOCX),
                               (F.pdf_bytes(), extract.XLSX), (F.pdf_bytes(), extract.ODT)):
        result = extract.extract_here(str(write(tmp_path, "x", data)), content_type)
        assert result["status"] == "failed", result
    assert extract.extract_here(str(write(tmp_path, "y", F.png_bytes())), "image/png")["status"] == "none"


def test_odt_text(tmp_path):
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
               f'<text:h>Tiêu đề</text:h><text:p>{F.VN_TEXT}</text:p></office:text></office:body>'
               '</office:document-content>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", extract.ODT, compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    from docflow.registry.attachments import detect_content_type

    path = write(tmp_path, "van-ban", buf.getvalue())
    assert detect_content_type(path) == extract.ODT
    result = extract.extract_text(path, extract.ODT)
    assert result.status == "done" and F.VN_TEXT in result.text


def test_zip_check_limits(tmp_path):
    extract.zip_check(write(tmp_path, "ok.docx", F.docx_bytes()))
    with pytest.raises(extract.ZipRejected, match="entries"):
        extract.zip_check(write(tmp_path, "many.docx", F.docx_many_entries_bytes(1001)))
    with pytest.raises(extract.ZipRejected, match="uncompressed"):
        extract.zip_check(write(tmp_path, "bomb.docx", F.docx_bomb_bytes(120)))
    with pytest.raises(extract.ZipRejected, match="ratio"):
        extract.zip_check(write(tmp_path, "ratio.docx", F.docx_bomb_bytes(20)))
    with pytest.raises(extract.ZipRejected, match="readable"):
        extract.zip_check(write(tmp_path, "junk.docx", b"PK\x03\x04" + b"\x00" * 64))


def test_clean_text_is_nfc_without_nul():
    assert extract.clean_text("Quye\u0302\u0301t\x00 đi\u0323nh") == "Quyết định"
    assert len(extract.clean_text("a" * 10, limit=4)) == 4


def test_an_inline_job_does_not_wait_for_the_callers_read_transaction(app, api, users, db):
    """The pattern of the page views: commit, then read attachment.id (a new transaction: on SQLite
    a write lock), then enqueue. The inline job must not wait for that lock (30 s, then "locked")."""
    from docflow import jobs
    from docflow.registry.attachments import add_attachment
    from docflow.registry.models import Document

    doc_id = new_incoming(api, users["clerk"])
    att = add_attachment(db.session.get(Document, doc_id), io.BytesIO(F.pdf_bytes()), actor=users["clerk"],
                         filename="a.pdf")
    db.session.commit()
    attachment_id = att.id  # refreshes: a new transaction
    assert db.session().in_transaction()
    assert jobs.enqueue("extract_attachment_text", attachment_id) == "done"
    db.session.expire_all()
    assert F.VN_TEXT in db.session.get(Attachment, attachment_id).text
