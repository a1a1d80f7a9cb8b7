"""OCR of scans: Vietnamese text rendered to PNG, JPEG and an image-only PDF is read by tesseract's
vie model in the extraction job; without tesseract the job says so; the time cap ends a slow OCR
(and the tesseract it started)."""

import io
import logging
import shutil
import struct
import subprocess
import time
import unicodedata
import zlib
from pathlib import Path

import pytest

from docflow.core.text import fold
from docflow.registry import extract
from docflow.registry.models import Attachment
from tests.fixtures import files as F
from tests.registry.test_attachments import new_incoming, upload


def _tesseract_languages() -> list[str]:
    if shutil.which("tesseract") is None:
        return []
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return out.decode("utf-8", "replace").split()


HAVE_VIE = "vie" in _tesseract_languages()
needs_tesseract = pytest.mark.skipif(
    not HAVE_VIE, reason="tesseract with the Vietnamese model is not installed "
                         "(Debian: apt-get install tesseract-ocr tesseract-ocr-vie; .ci/run does)")

#: words of F.OCR_LINES: folded, each must be found; with diacritics, most must be read exactly
FOLDED_WORDS = ("quyet dinh", "thanh lap", "hoi dong", "tham dinh", "dat dai", "tinh dong nai", "12/qd-ubnd")
EXACT_WORDS = ("Quyết", "định", "thành", "lập", "Hội", "đồng", "thẩm", "đất", "đai", "tỉnh", "Đồng", "Nai",
               "QĐ-UBND", "tháng", "năm")


@pytest.fixture(autouse=True)
def inline_jobs(app):
    app.config["JOBS_INLINE"] = True


def uploaded(api, users, db, data, name):
    doc_id = new_incoming(api, users["clerk"])
    response = upload(api, users["clerk"], doc_id, data, name)
    assert response.status_code == 201, response.get_data(as_text=True)
    db.session.expire_all()
    return doc_id, db.session.get(Attachment, response.get_json()["id"])


def assert_reads_the_letter(text: str, times: int = 1):
    assert text and unicodedata.is_normalized("NFC", text)
    assert "\u00d0" not in text and "\u00f0" not in text  # the eth tesseract gives for Đ is fixed
    folded = fold(text)
    for words in FOLDED_WORDS:
        assert folded.count(words) >= times, (words, text)
    exact = [w for w in EXACT_WORDS if w in text]
    assert len(exact) >= len(EXACT_WORDS) - 3, (exact, text)  # the diacritics survive: lang=vie


def write(tmp_path, name, data) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---- through the real service: upload, then the job -----------------------------------------------

@needs_tesseract
@pytest.mark.parametrize("fmt,name,content_type", [("PNG", "cong-van.png", "image/png"),
                                                   ("JPEG", "cong-van.jpg", "image/jpeg"),
                                                   ("PDF", "cong-van-scan.pdf", "application/pdf")])
def test_a_scanned_letter_is_read_in_vietnamese(api, users, db, fmt, name, content_type):
    _doc_id, att = uploaded(api, users, db, F.scan_bytes(fmt), name)
    assert att.content_type == content_type
    assert att.text_status == "done"
    assert_reads_the_letter(att.text)
    assert "Quyết định" in att.text and "Đồng Nai" in att.text


@needs_tesseract
def test_a_pdf_with_a_text_page_and_a_scanned_page_gets_both(api, users, db):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in (F.pdf_bytes(), F.scan_bytes("PDF")):
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    buf = io.BytesIO()
    writer.write(buf)
    _doc_id, att = uploaded(api, users, db, buf.getvalue(), "hai-trang.pdf")
    assert att.text_status == "done"
    assert F.VN_TEXT in att.text  # the text layer, as it is
    assert fold(att.text).index(fold(F.VN_TEXT)) < fold(att.text).index("tham dinh")  # in page order
    assert_reads_the_letter(att.text)


def test_without_tesseract_the_job_says_so_and_the_document_stays(app, api, users, db, tmp_path, caplog):
    app.config["OCR_TESSERACT_CMD"] = str(tmp_path / "no-such-tesseract")
    with caplog.at_level(logging.INFO):
        doc_id, att = uploaded(api, users, db, F.scan_bytes("PNG"), "scan.png")
        _doc_id2, att2 = uploaded(api, users, db, F.scan_bytes("PDF"), "scan.pdf")
    assert (att.text_status, att.text) == ("none", None)
    assert (att2.text_status, att2.text) == ("none", None)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "OCR unavailable" in r.getMessage()]
    assert len(warnings) <= 1  # once per process (an earlier test may have said it already)
    assert any("OCR unavailable: tesseract not installed" in r.getMessage() for r in caplog.records)
    # the document itself, with its metadata, is untouched
    response = api(users["clerk"]).get(f"/incoming/{doc_id}")
    assert response.status_code == 200 and response.get_json()["subject"]
    # a PDF with a text layer still gets its text
    _doc_id3, att3 = uploaded(api, users, db, F.pdf_bytes(), "van-ban.pdf")
    assert att3.text_status == "done" and F.VN_TEXT in att3.text


def test_the_reason_names_what_is_missing(tmp_path):
    png = write(tmp_path, "scan", F.scan_bytes("PNG", dpi=100))
    result = extract.extract_text(png, extract.PNG, ocr=extract.OcrSettings(cmd=str(tmp_path / "none")))
    assert (result.status, result.text) == ("none", None)
    assert result.reason == "OCR unavailable: tesseract not installed"
    if HAVE_VIE:
        result = extract.extract_text(png, extract.PNG, ocr=extract.OcrSettings(lang="xyz"))
        assert result.status == "none" and "OCR unavailable" in result.reason and "'xyz'" in result.reason


# ---- the time cap -------------------------------------------------------------------------------------

def _fake_tesseract(tmp_path, *, hang_on_list_langs: bool) -> Path:
    """A tesseract that knows vie and then takes a minute (an OCR that is too slow)."""
    script = tmp_path / "slow-tesseract"
    list_langs = "sleep 61.25; exit 0" if hang_on_list_langs else 'printf "List of languages:\\neng\\nvie\\n"; exit 0'
    script.write_text("#!/bin/sh\n"
                      f'if [ "$1" = "--list-langs" ]; then {list_langs}; fi\n'
                      "sleep 61.25\nexit 0\n")
    script.chmod(0o755)
    return script


def _leftovers(marker: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if marker in text or "sleep 61.25" in text:
            found.append(text)
    return found


@pytest.mark.parametrize("hang_on_list_langs", [False, True], ids=["slow-ocr", "hung-tesseract"])
def test_the_time_cap_ends_a_slow_ocr_and_its_tesseract(tmp_path, hang_on_list_langs):
    script = _fake_tesseract(tmp_path, hang_on_list_langs=hang_on_list_langs)
    png = write(tmp_path, "scan", F.scan_bytes("PNG", dpi=100))
    started = time.monotonic()
    result = extract.extract_text(png, extract.PNG, timeout_s=2, ocr=extract.OcrSettings(cmd=str(script)))
    elapsed = time.monotonic() - started
    assert result.status == "failed" and "timed out" in result.reason, result
    assert elapsed < 8
    deadline = time.monotonic() + 3
    while _leftovers(str(script)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _leftovers(str(script))  # tesseract (and what it started) went with the child


@needs_tesseract
def test_a_tiny_time_cap_fails_the_job_without_an_error(app, api, users, db):
    app.config["EXTRACT_TIMEOUT_S"] = 0.3
    _doc_id, att = uploaded(api, users, db, F.scan_bytes("PNG"), "scan.png")
    assert (att.text_status, att.text) == ("failed", None)


# ---- the details ----------------------------------------------------------------------------------------

def test_ocr_output_is_nfc_with_d_stroke_not_eth():
    assert extract.clean_ocr_text("Quye\u0302\u0301t \u0111i\u0323nh 05/Q\u00d0-UBND \u00f0\u1ea5t\x0c\n") == \
        "Quyết định 05/QĐ-UBND đất"
    assert extract.clean_ocr_text("12/QĐÐ-UBND, 3/QÐĐ-UBND, đðất") == \
        "12/QĐ-UBND, 3/QĐ-UBND, đất"


@needs_tesseract
def test_only_the_first_pages_are_ocred(tmp_path):
    pdf = write(tmp_path, "scan", F.scan_bytes("PDF", pages=3, dpi=150))
    result = extract.extract_text(pdf, extract.PDF, ocr=extract.OcrSettings(max_pages=2))
    assert result.status == "done"
    assert fold(result.text).count("hoi dong") == 2
    assert "first 2 scanned pages" in result.reason


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@needs_tesseract
def test_a_pixel_bomb_is_refused_before_decoding(tmp_path):
    result = extract.extract_text(write(tmp_path, "bomb", _png_header_only(40_000, 40_000)), extract.PNG)
    assert result.status == "failed" and "image too large" in result.reason


@needs_tesseract
def test_an_image_without_text_has_no_text(tmp_path):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (800, 600), 255).save(buf, "PNG")
    result = extract.extract_text(write(tmp_path, "blank", buf.getvalue()), extract.PNG)
    assert (result.status, result.text) == ("none", None)
