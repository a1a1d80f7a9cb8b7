"""The exchange tests' fixtures: the office's people, real files to carry, an issued outgoing document
of ours (what a ResponseFor or a status message names), and helpers counting what an import wrote."""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from docflow.core.timeutil import today
from docflow.exchange.models import ExchangeMessage
from docflow.extensions import db as _db
from docflow.outgoing import services as outgoing
from docflow.registry.models import Attachment, Document, Organization
from tests.fixtures.files import docx_bytes, pdf_bytes

_FILES: dict = {}


@pytest.fixture
def files():
    """{'pdf': bytes, 'docx': bytes}, built once per run."""
    if not _FILES:
        _FILES["pdf"] = pdf_bytes()
        _FILES["docx"] = docx_bytes()
    return _FILES


@pytest.fixture
def clerk(users):
    return users["clerk"]


@pytest.fixture
def our_outgoing(users):
    """An issued outgoing document of ours (a reply from the sender names it in ResponseFor)."""
    drafter = users["specialist"]
    doc = outgoing.create_draft({"doc_type": "CV", "subject": "Về việc đề nghị báo cáo công tác văn thư",
                                 "signer_id": users["leader"].id,
                                 "recipients": [{"name": "Văn phòng Chính phủ"}]}, actor=drafter)
    outgoing.add_version(doc, io.BytesIO(docx_bytes(paragraphs=("Đề nghị báo cáo",))), actor=drafter,
                         filename="du-thao.docx")
    outgoing.submit(doc, actor=drafter)
    if doc.current_step == 1:
        outgoing.approve(doc, actor=users["unit_head"])
    outgoing.approve(doc, actor=users["leader"])
    outgoing.issue(doc, actor=users["clerk"], issued_date=today())
    _db.session.commit()
    return doc


def counts() -> dict:
    """What an import could have written."""
    return {name: _db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for name, model in (("documents", Document), ("attachments", Attachment),
                                ("organizations", Organization), ("exchange", ExchangeMessage))}


def stored_files(app) -> list[Path]:
    root = Path(app.config["STORAGE_DIR"])
    return [p for p in root.rglob("*") if p.is_file() and ".tmp" not in p.parts] if root.exists() else []
