"""The demo office reads like a real one: the postal book lists only external recipients, dispatch
dates follow issue dates, and each document's history shows the times its fields show (the audit
chain still verifies after the demo backdated them)."""

import sqlalchemy as sa

from docflow.core.timeutil import to_local


def test_the_demo_is_consistent(app, db, tmp_path):
    from docflow.core import audit
    from docflow.core.models import AuditEvent
    from docflow.demo import load_demo
    from docflow.outgoing.models import Recipient
    from docflow.registry.models import Document

    assert load_demo(tmp_path / "logins.txt")
    db.session.commit()
    assert audit.verify().ok

    posted = db.session.scalars(sa.select(Recipient).where(Recipient.channel == "paper")).all()
    assert posted and all(r.unit_id is None for r in posted)  # internal units are never posted to

    issued = db.session.scalars(sa.select(Document).where(Document.direction == "outgoing",
                                                          Document.issued_date.is_not(None))).all()
    sent = db.session.scalars(sa.select(Recipient).where(Recipient.dispatched_at.is_not(None))).all()
    by_id = {d.id: d for d in issued}
    assert sent and all(to_local(r.dispatched_at).date() == by_id[r.document_id].issued_date for r in sent)
    assert all(to_local(d.issued_at).date() == d.issued_date for d in issued if d.status == "issued")

    def first(action):
        return {int(e.object_id): e.created_at for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq.desc()))}

    registered = first("incoming.register")
    incoming = db.session.scalars(sa.select(Document).where(Document.direction == "incoming")).all()
    assert incoming and all(registered[d.id] == d.created_at for d in incoming)
    directed = first("incoming.assign")
    assert directed and all(directed[d.id] == d.directed_at for d in incoming if d.id in directed)
    issues = first("outgoing.issue")
    assert issues and all(issues[d.id] == d.issued_at for d in issued if d.id in issues)
