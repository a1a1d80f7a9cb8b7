"""`flask docflow ...`: init, unit add, user add, backup (the demo command: tests/demo/test_demo_office.py)."""

import sqlite3
import subprocess
import tarfile

import pytest
import sqlalchemy as sa

from docflow.core.timeutil import today
from tests.conftest import PASSWORD


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=["docflow", *args])
        return result

    return invoke


def _count(db, model, *where):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_help_for_every_command(run):
    for args in (("--help",), ("init", "--help"), ("unit", "add", "--help"), ("user", "add", "--help"),
                 ("demo", "--help"), ("backup", "--help"), ("audit", "verify", "--help")):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage:" in result.output


def test_init_is_idempotent(run, db):
    from docflow.core import settings
    from docflow.registry.models import DocType, Register

    result = run("init", "--org-name", "Ủy ban nhân dân tỉnh Đồng Nai", "--org-abbr", "UBND",
                 "--org-code", "000.00.00.H19")
    assert result.exit_code == 0, result.output
    assert "29 document types added" in result.output
    result = run("init")
    assert result.exit_code == 0, result.output
    assert "0 document types added, 4 registers" in result.output

    assert _count(db, DocType) == 29
    assert _count(db, Register) == 4
    assert _count(db, Register, Register.year == today().year) == 4
    codes = set(db.session.scalars(sa.select(DocType.code)))
    assert {"QĐ", "QyĐ", "TTr", "CTr", "CV", "GM"} <= codes
    assert settings.agency() == {"name": "Ủy ban nhân dân tỉnh Đồng Nai", "abbr": "UBND", "code": "000.00.00.H19"}


def test_init_refuses_a_bad_org_code(run, db):
    from docflow.registry.models import DocType

    result = run("init", "--org-name", "X", "--org-abbr", "UBND", "--org-code", "H19")
    assert result.exit_code != 0
    assert "13 characters" in result.output
    assert _count(db, DocType) == 0


def test_unit_add(run, db):
    from docflow.auth.models import Unit

    assert run("unit", "add", "VP", "Văn phòng").exit_code == 0
    result = run("unit", "add", "th", "Phòng Tổng hợp", "--parent", "VP")
    assert result.exit_code == 0, result.output
    assert "Unit TH added" in result.output
    th = db.session.scalar(sa.select(Unit).where(Unit.code == "TH"))
    assert th.parent.code == "VP" and th.name == "Phòng Tổng hợp"

    result = run("unit", "add", "VP", "Again")
    assert result.exit_code != 0
    assert "already used" in result.output
    result = run("unit", "add", "XX", "Orphan", "--parent", "NOPE")
    assert result.exit_code != 0
    assert _count(db, Unit) == 2


def test_user_add(run, db, app):
    from docflow.auth.models import User

    assert run("unit", "add", "VP", "Văn phòng").exit_code == 0
    result = run("user", "add", "vanthu", "--password", PASSWORD, "--role", "clerk", "--role", "archivist",
                 "--unit", "vp", "--full-name", "Trần Thị Thu", "--clearance", "secret")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "vanthu"))
    assert user.roles == ["archivist", "clerk"] and user.unit.code == "VP" and user.clearance == "secret"
    assert user.password_hash and PASSWORD not in user.password_hash
    assert app.test_client().post("/auth/login", data={"username": "vanthu", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("args, message", [
    (("--password", "short", "--role", "clerk", "--unit", "VP"), "12"),
    (("--password", "baduser-Passw0rd-2026", "--role", "clerk", "--unit", "VP"), "username"),
    (("--password", PASSWORD, "--role", "clerk", "--unit", "NOPE"), "unit"),
    (("--password", PASSWORD, "--role", "emperor", "--unit", "VP"), "emperor"),
    (("--role", "clerk", "--unit", "VP"), "--password"),
])
def test_user_add_refuses_bad_input(run, db, args, message):
    from docflow.auth.models import User

    assert run("unit", "add", "VP", "Văn phòng").exit_code == 0
    result = run("user", "add", "baduser", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _count(db, User) == 0


def test_user_add_duplicate(run, db):
    from docflow.auth.models import User

    run("unit", "add", "VP", "Văn phòng")
    assert run("user", "add", "vanthu", "--password", PASSWORD, "--role", "clerk", "--unit", "VP").exit_code == 0
    result = run("user", "add", "vanthu", "--password", PASSWORD, "--role", "leader", "--unit", "VP")
    assert result.exit_code != 0
    assert "already taken" in result.output
    assert _count(db, User) == 1



def test_backup(run, db, app, tmp_path):
    """SQLite: the online backup API; PostgreSQL: pg_dump (custom format, read back by pg_restore)."""
    from docflow.auth.models import User

    run("unit", "add", "VP", "Văn phòng")
    run("user", "add", "vanthu", "--password", PASSWORD, "--role", "clerk", "--unit", "VP")
    run("user", "add", "lanhdao", "--password", PASSWORD, "--role", "leader", "--unit", "VP")
    store = tmp_path / "files"
    (store / "ab").mkdir(parents=True)
    (store / "ab" / "blob").write_bytes(b"attachment bytes")
    db.session.commit()
    assert _count(db, User) == 2
    db.session.commit()

    target = tmp_path / "out" / "backup.tar.gz"
    target.parent.mkdir()
    result = run("backup", str(target))
    assert result.exit_code == 0, result.output
    assert target.exists()
    if db.engine.dialect.name == "postgresql":
        with tarfile.open(target, "r:gz") as tar:
            assert "files/ab/blob" in tar.getnames()
            tar.extract("docflow.pgdump", path=tmp_path / "restore", filter="data")
        listing = subprocess.run(["pg_restore", "--list", str(tmp_path / "restore" / "docflow.pgdump")],
                                 capture_output=True, text=True, check=True).stdout
        assert "TABLE DATA public users" in listing and "TABLE DATA public audit_events" in listing
        data = subprocess.run(["pg_restore", "--data-only", "--table=users", "-f", "-",
                               str(tmp_path / "restore" / "docflow.pgdump")],
                              capture_output=True, text=True, check=True).stdout
        assert "vanthu" in data and "lanhdao" in data
        return
    with tarfile.open(target, "r:gz") as tar:
        names = tar.getnames()
        assert "docflow.db" in names
        assert "files/ab/blob" in names
        assert tar.extractfile("files/ab/blob").read() == b"attachment bytes"
        tar.extract("docflow.db", path=tmp_path / "restore", filter="data")
    con = sqlite3.connect(tmp_path / "restore" / "docflow.db")
    try:
        assert con.execute("SELECT count(*) FROM users").fetchone()[0] == 2
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


def test_remind_notifies_due_and_overdue_once(run, db, app, api, users):
    from datetime import timedelta

    from docflow.core.models import Notification
    from docflow.incoming.models import Assignment

    clerk, leader = api(users["clerk"]), api(users["leader"])
    ids = []
    for n in range(2):
        doc = clerk.post("/incoming", json={"sender_name": "Sở Nội vụ", "number_symbol": f"{n}/SNV",
                                            "issued_date": today().isoformat(), "subject": "Nhắc hạn"}).get_json()
        assert leader.post(f"/incoming/{doc['id']}/assign", json={
            "assignees": [{"user_id": users["specialist"].id, "role": "primary"}]}).status_code == 200
        ids.append(doc["id"])
    late, due = (db.session.scalar(sa.select(Assignment).where(Assignment.document_id == i)) for i in ids)
    late.due_date = today() - timedelta(days=3)
    due.due_date = today()
    db.session.commit()

    result = run("remind")
    assert result.exit_code == 0 and "2 reminders sent." in result.output
    kinds = sorted(db.session.scalars(sa.select(Notification.kind).where(
        Notification.user_id == users["specialist"].id, Notification.kind.in_(("overdue", "due_soon")))))
    assert kinds == ["due_soon", "overdue"]
    assert "0 reminders sent." in run("remind").output  # idempotent


def test_worker_runs_queued_extraction_jobs(run, app, db, api, users, monkeypatch):
    """With REDIS_URL set, an upload's text extraction waits on the queue until a worker runs it."""
    import io

    import redis

    from docflow.registry.models import Attachment
    from tests.fixtures import files as F

    url = "redis://127.0.0.1:6379/15"  # a database of its own, emptied by the test
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
    redis.Redis.from_url(url).flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    import docflow.jobs as jobs

    monkeypatch.setattr(jobs, "_worker_app", None)
    clerk = api(users["clerk"])
    doc = clerk.post("/incoming", json={"sender_name": "Sở Nội vụ", "number_symbol": "5/SNV",
                                        "issued_date": today().isoformat(), "subject": "Có tệp"}).get_json()
    response = clerk.post(f"/incoming/{doc['id']}/attachments", data={"file": (io.BytesIO(F.pdf_bytes()), "qd.pdf")},
                          content_type="multipart/form-data")
    assert response.status_code == 201
    att_id = response.get_json()["id"]
    db.session.rollback()
    assert db.session.get(Attachment, att_id).text_status == "pending"
    db.session.rollback()  # hold no SQLite lock while the worker writes
    result = run("worker", "--burst")
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert F.VN_TEXT in db.session.get(Attachment, att_id).text


def test_seed_adds_gap_free_documents_over_the_years(run, db, app):
    from docflow.core import audit
    from docflow.registry.models import Document, Register

    result = run("seed", "--documents", "2500", "--years", "2")
    assert result.exit_code == 0, result.output
    assert "2500 documents added." in result.output
    assert _count(db, Document) == 2500
    years = dict(db.session.execute(sa.select(Document.year, sa.func.count()).group_by(Document.year)).all())
    assert years == {today().year: 1250, today().year - 1: 1250}
    for register in db.session.scalars(sa.select(Register).where(Register.last_number > 0)):
        rows = db.session.execute(sa.select(Document.number, Document.received_date)
                                  .where(Document.register_id == register.id).order_by(Document.number)).all()
        assert [r.number for r in rows] == list(range(1, register.last_number + 1))
        assert [r.received_date for r in rows] == sorted(r.received_date for r in rows)
        assert all(r.received_date.year == register.year for r in rows)
    assert db.session.scalar(sa.select(sa.func.max(Document.received_date))) <= today()
    assert audit.verify().ok
    assert run("seed", "--documents", "0").exit_code != 0
    if db.engine.dialect.name == "postgresql":
        # the tables it filled are left as autovacuum would leave them: statistics, and the visibility map that
        # index-only scans need (ANALYZE alone sets no page all-visible)
        db.session.rollback()
        pages = dict(db.session.execute(sa.text(
            "SELECT relname, relallvisible FROM pg_class WHERE relname IN ('documents', 'participation_keys')")).all())
        assert pages["documents"] > 0 and pages["participation_keys"] > 0, pages
