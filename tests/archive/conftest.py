"""The archive tests' fixtures (any archive test may use them): the people of an archive (the office's
six roles plus two readers of another unit, one cleared for Mật), and documents to file — handled
incoming letters (one confidential), an issued outgoing document and a draft, each made through the
incoming and outgoing services with a real file in the store — and builders of dossiers in every
state."""

import io
from datetime import date, timedelta

import pytest

from docflow.archive import services
from docflow.core.timeutil import today
from docflow.incoming import services as incoming
from docflow.outgoing import services as outgoing
from docflow.registry import attachments, storage
from tests.fixtures.files import docx_bytes, pdf_bytes


@pytest.fixture
def people(users, make_user):
    """`users` (admin VP normal, clerk VP secret, leader VP top_secret, unit_head KT confidential,
    specialist KT normal, archivist VP confidential) with two readers of unit VX: `reader` (normal) and
    `cleared_reader` (confidential)."""
    return {**users,
            "reader": make_user("specialist", unit="VX", username="reader1"),
            "cleared_reader": make_user("specialist", unit="VX", clearance="confidential", username="reader2")}


def handled_letter(people, symbol: str, subject: str, *, confidentiality: str = "normal", pages: int = 3,
                   handler: str | None = None, with_file: bool = True, content: bytes | None = None):
    """An incoming letter registered by the clerk, assigned by the leader and completed by its handler
    (the specialist; the unit head for a confidential one), with a PDF attachment."""
    handler_user = people[handler or ("specialist" if confidentiality == "normal" else "unit_head")]
    received = today() - timedelta(days=10)
    doc = incoming.register_incoming({"sender_name": "Bộ Tài chính", "number_symbol": symbol,
                                      "issued_date": (received - timedelta(days=2)).isoformat(),
                                      "received_date": received.isoformat(), "subject": subject, "doc_type": "CV",
                                      "confidentiality": confidentiality, "pages": pages, "medium": "paper"},
                                     actor=people["clerk"])
    if with_file:
        attachments.add_attachment(doc, io.BytesIO(content or pdf_bytes(lines=(subject, symbol))),
                                   actor=people["clerk"], filename="van-ban.pdf")
    incoming.assign(doc, actor=people["leader"], instruction="Giao xử lý",
                    assignees=[{"user_id": handler_user.id, "role": "primary"}])
    incoming.complete(doc, "Đã xử lý xong", actor=handler_user)
    return doc


def outgoing_document(people, subject: str, *, issue: bool = True, pages: int | None = 2):
    """An outgoing document drafted by the specialist with a DOCX version (an attachment), approved and
    issued by the clerk (`issue=False`: left a draft)."""
    drafter = people["specialist"]
    doc = outgoing.create_draft({"doc_type": "CV", "subject": subject, "signer_id": people["leader"].id,
                                 "recipients": [{"name": "Sở Tài chính tỉnh Đồng Nai"}]}, actor=drafter)
    outgoing.add_version(doc, io.BytesIO(docx_bytes(paragraphs=(subject,))), actor=drafter, filename="du-thao.docx")
    if issue:
        outgoing.submit(doc, actor=drafter)
        if doc.current_step == 1:
            outgoing.approve(doc, actor=people["unit_head"])
        outgoing.approve(doc, actor=people["leader"])
        outgoing.issue(doc, actor=people["clerk"], issued_date=today())
    doc.pages = pages
    return doc


@pytest.fixture
def docs(db, people):
    """Handled documents to file: `letter` (normal, 3 pages, a PDF), `secret` (Mật, 2 pages, a PDF, handled
    by KT's head), `issued` (an issued outgoing document with its DOCX)."""
    made = {"letter": handled_letter(people, "11/BTC-NS", "Báo cáo ngân sách quý"),
            "secret": handled_letter(people, "12/CA-PV01", "Bảo vệ bí mật nhà nước", confidentiality="confidential",
                                     pages=2),
            "issued": outgoing_document(people, "Công văn trả lời Bộ Tài chính")}
    db.session.commit()
    return made


def make_dossier(archivist, code: str, *, year: int | None = None, unit_id=None, years: int | None = 10,
                 documents=(), end: date | None = None, medium: str = "paper", keeper=None):
    """An open dossier (created by `archivist`, through the services) holding `documents`; closed on `end`
    when given (its start is 1 January of its year)."""
    year = year or (end.year if end else today().year)
    data = {"code": code, "title": f"Hồ sơ {code}", "year": year, "unit_id": unit_id, "retention_years": years,
            "start_date": date(year, 1, 1), "medium": medium}
    if keeper is not None:
        data["keeper_id"] = keeper.id
    dossier = services.create_dossier(data, actor=archivist)
    for doc in documents:
        services.add_document(dossier, getattr(doc, "id", doc), actor=archivist)
    if end is not None:
        services.close_dossier(dossier, {"end_date": end}, actor=archivist)
    return dossier


def archived_dossier(people, code: str, documents=(), *, years: int | None = 10, unit_id=None):
    """A dossier closed today and taken into the archive by the archivist (box B1, shelf K2)."""
    dossier = make_dossier(people["archivist"], code, unit_id=unit_id, years=years, documents=documents,
                           end=today())
    services.transfer_dossier(dossier, actor=people["archivist"], box="B1", shelf="K2")
    return dossier


def stored(sha256: str) -> bool:
    """Is the content in the attachment store?"""
    return storage.path_for(sha256).is_file()
