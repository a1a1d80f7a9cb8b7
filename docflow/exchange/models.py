"""What the exchange keeps (issue 8/9, domain.md §6): every edXML envelope and status message that came
in or went out, with the document it is about and the other party, so a document's page can show its
exchange and the status messages can follow the document."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.timeutil import utcnow
from docflow.extensions import db

#: edXML status codes (QCVN 102:2016): 01 arrived, 02 refused, 03 accepted, 04 assigned, 05 in progress,
#: 06 completed
STATUS_CODES = ("01", "02", "03", "04", "05", "06")


class ExchangeMessage(db.Model):
    """One envelope (`kind` document) or status message (`kind` status), received (`direction` in) or
    produced (`direction` out)."""

    __tablename__ = "exchange_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(sa.String(3))
    kind: Mapped[str] = mapped_column(sa.String(10))
    #: the document it is about: the incoming document registered from it, our outgoing document it
    #: carries, or the document a status message is about; None for a refused envelope
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id", ondelete="SET NULL"))
    #: the other party: sender of what came in, receiver of what went out
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    party_code: Mapped[str | None] = mapped_column(sa.String(13))
    party_name: Mapped[str | None] = mapped_column(sa.String(250))
    #: edXML DocumentId: "<agency code>,<yyyy/MM/dd>,<number-symbol>"
    document_key: Mapped[str | None] = mapped_column(sa.String(200))
    #: a status message's code (STATUS_CODES) and description
    status_code: Mapped[str | None] = mapped_column(sa.String(2))
    description: Mapped[str | None] = mapped_column(sa.String(1000))
    #: an incoming envelope's ResponseFor, resolved to our outgoing document it answers
    response_for_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id", ondelete="SET NULL"))
    #: the envelope's file: the uploaded name (in), or the outbox file name (out), and its digest
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: why an incoming envelope was refused
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    document = relationship("Document", foreign_keys=[document_id])
    response_for = relationship("Document", foreign_keys=[response_for_id])
    organization = relationship("Organization")

    __table_args__ = (
        sa.CheckConstraint(sa.text("direction IN ('in','out')"), name="direction"),
        sa.CheckConstraint(sa.text("kind IN ('document','status')"), name="kind"),
        sa.Index("ix_exchange_messages_document", "document_id", "kind", "direction"),
        sa.Index("ix_exchange_messages_key", "document_key"),
        # each status code is produced once per letter, even by two jobs at the same moment
        sa.Index("ux_exchange_messages_status_once", "document_id", "status_code", unique=True,
                 sqlite_where=sa.text("direction = 'out' AND kind = 'status'"),
                 postgresql_where=sa.text("direction = 'out' AND kind = 'status'")),
    )
