"""`flask docflow demo`: the demo office, built once here and read by every check of it (building it is
the slowest thing the suite does, so the checks that used to build their own share this one).

- the command: units, one user per role, coded organisations, the printed logins (a 0600 file) that work,
  and a second run that changes nothing;
- the incoming documents fill every state, with gap-free numbers in arrival order, and the tracking
  book's XLSX lists every ordinary letter;
- it reads like a real office: the postal book lists only external recipients, dispatch dates follow
  issue dates, each document's history shows the times its fields show, and the audit chain still
  verifies after the demo backdated them.
"""

import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from docflow.core.timeutil import to_local, today

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _count(db, model, *where):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_the_demo_office(app, db, tmp_path):
    from docflow.core import audit

    logins = tmp_path / "logins.txt"
    result = app.test_cli_runner().invoke(args=["docflow", "demo", "--credentials-file", str(logins)])
    assert result.exit_code == 0, result.output
    assert "Demo office loaded." in result.output
    passwords = _the_command(app, db, logins, result.output)
    _incoming_fills_every_state(app, db, passwords)
    _reads_like_a_real_office(db)
    _histories_read_in_order(db)
    assert audit.verify().ok


def _the_command(app, db, logins, output):
    from docflow.auth.models import Unit, User
    from docflow.core.enums import ROLES
    from docflow.registry.models import Organization
    from docflow.registry.reference import ORG_CODE_RE

    assert _count(db, Unit) >= 5
    users = db.session.scalars(sa.select(User)).all()
    assert {r for u in users for r in u.roles} == set(ROLES)
    orgs = db.session.scalars(sa.select(Organization)).all()
    coded = [o.code for o in orgs if o.code]
    assert len(coded) >= 30
    assert all(len(c) == 13 and ORG_CODE_RE.match(c) for c in coded)
    assert len(set(coded)) == len(coded)

    text = logins.read_text(encoding="utf-8")
    assert text in output
    assert oct(logins.stat().st_mode & 0o777) == "0o600"
    found = dict(re.findall(r"^\s+(\S+)\s+(Demo-\S+)", text, re.M))
    assert set(found) == {u.username for u in users}
    # the printed credentials work
    client = app.test_client()
    assert client.post("/auth/login", data={"username": "vanthu", "password": found["vanthu"]}).status_code == 302

    again = app.test_cli_runner().invoke(args=["docflow", "demo", "--credentials-file", str(logins)])
    assert again.exit_code == 0, again.output
    assert "already present" in again.output
    assert _count(db, User) == len(users)
    assert logins.read_text(encoding="utf-8") == text
    return found


def _incoming_fills_every_state(app, db, passwords):
    from docflow.demo.incoming import demo_incoming
    from docflow.incoming.models import Assignment, IncomingDocument, ProgressNote
    from docflow.registry.models import Attachment, Document, Register

    assert demo_incoming(n=80, show_progress=False) == 0  # only once
    statuses = dict(db.session.execute(sa.select(Document.status, sa.func.count())
                                       .where(Document.direction == "incoming").group_by(Document.status)).all())
    assert set(statuses) == {"registered", "submitted", "assigned", "completed", "cancelled"}, statuses
    outgoing = set(db.session.scalars(sa.select(Document.status).where(Document.direction == "outgoing").distinct()))
    assert outgoing == {"draft", "in_review", "returned", "rejected", "approved", "issued", "cancelled"}, outgoing
    day = today()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document).where(Document.received_date > day)) == 0
    years = set(db.session.scalars(sa.select(Document.year).where(Document.direction == "incoming").distinct()))
    assert years == {day.year, day.year - 1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)
                             .where(Document.confidentiality != "normal")) > 0
    roles = set(db.session.scalars(sa.select(Assignment.role).distinct()))
    assert roles == {"primary", "coordinate", "inform"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)
                             .where(Assignment.parent_id.is_not(None))) > 0  # delegated to a specialist
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)
                             .where(Assignment.state == "open", Assignment.due_date < day)) > 0  # overdue
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)
                             .where(IncomingDocument.reply_number_symbol.is_not(None))) > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgressNote)) > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) > 0
    # numbers are gap-free per register, in arrival order
    for reg_id in db.session.scalars(sa.select(Document.register_id).where(Document.direction == "incoming")
                                     .distinct()):
        rows = db.session.execute(sa.select(Document.number, Document.received_date)
                                  .where(Document.register_id == reg_id).order_by(Document.number)).all()
        assert [r.number for r in rows] == list(range(1, len(rows) + 1))
        assert [r.received_date for r in rows] == sorted(r.received_date for r in rows)

    client = app.test_client()
    assert client.post("/auth/login", data={"username": "vanthu", "password": passwords["vanthu"]}).status_code == 302
    response = client.get("/books/tracking.xlsx", query_string={"from": f"{day.year - 1}-01-01"})
    assert response.status_code == 200 and response.mimetype == XLSX
    ws = load_workbook(io.BytesIO(response.data)).active
    rows = list(ws.iter_rows(min_row=5, values_only=True))  # the book's header takes four rows
    ordinary = (sa.select(sa.func.count()).select_from(Document).join(Register, Register.id == Document.register_id)
                .where(Register.is_confidential.is_(False), Document.direction == "incoming"))
    assert len(rows) == db.session.scalar(ordinary)


def _reads_like_a_real_office(db):
    from docflow.core.models import AuditEvent
    from docflow.outgoing.models import Recipient
    from docflow.registry.models import Document

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


def _histories_read_in_order(db):
    """A document's history read out of order ("Submitted" at 22:10 under "Version 1" at 22:12; presented
    before it was registered) and an assignment's line said the deadline the service computed from today
    (due 14/12/2026) while the table said the backdated one (07/10/2026)."""
    from docflow.auth.models import User
    from docflow.core.models import AuditEvent
    from docflow.incoming.models import Assignment
    from docflow.outgoing.models import DraftVersion
    from docflow.registry.models import Document

    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type == "documents")
                                .order_by(AuditEvent.seq)).all()
    last, disorder = {}, []
    for e in events:
        before = last.get(e.object_id)
        if before is not None and e.created_at < before.created_at:
            disorder.append((e.object_id, before.action, before.created_at, e.action, e.created_at))
        last[e.object_id] = e
    assert not disorder, disorder[:5]

    docs = {str(d.id): d for d in db.session.scalars(sa.select(Document))}
    versions = {(v.document_id, v.number): v.created_at for v in db.session.scalars(sa.select(DraftVersion))}
    usernames = dict(db.session.execute(sa.select(User.username, User.id)).all())
    assigned = [e for e in events if e.action == "incoming.assign"]
    handed_on = [e for e in events if e.action == "incoming.delegate"]
    assert assigned and handed_on
    for e in assigned:
        assert e.after["due_date"] == docs[e.object_id].due_date.isoformat(), e.object_id
    for e in handed_on:
        child = db.session.scalar(sa.select(Assignment).where(Assignment.parent_id == e.after["assignment"],
                                                              Assignment.user_id == usernames[e.after["to"]]))
        assert e.after["due_date"] == child.due_date.isoformat(), e.object_id
    for e in events:
        if e.action == "outgoing.version":
            assert e.created_at == versions[(int(e.object_id), e.after["version"])], e.object_id

    # the notes and opinions are dated as their history lines, before the letter was completed (an opinion
    # was dated the day the demo was loaded)
    from docflow.incoming.models import ProgressNote

    notes: dict = {}
    for note in db.session.scalars(sa.select(ProgressNote).order_by(ProgressNote.id)):
        notes.setdefault((str(note.document_id), f"incoming.{note.kind}"), []).append(note.created_at)
        done = docs[str(note.document_id)].completed_at
        assert done is None or note.created_at <= done, note.document_id
    lines: dict = {}
    for e in events:
        if e.action in ("incoming.progress", "incoming.opinion"):
            lines.setdefault((e.object_id, e.action), []).append(e.created_at)
    assert lines and lines == notes
