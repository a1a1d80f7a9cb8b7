"""core/tx.py on SQLite: a write request reads without the writers' lock, then `writing()` takes it on the
same connection; what the reads loaded stays loaded, and the session's commit or rollback ends the write."""

import sqlite3

import pytest
import sqlalchemy as sa

from docflow.core import tx


def _sqlite_path(db):
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's transaction phases: PostgreSQL has one READ COMMITTED transaction throughout")
    return url.database


def _locked(path) -> bool:
    """Whether another connection is refused the write lock right now."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        other.close()


def test_reads_then_writes_on_one_connection(app, db, users):
    from docflow.auth.models import User

    path, clerk_id = _sqlite_path(db), users["clerk"].id
    db.session.remove()
    with app.test_request_context("/api/v1/incoming", method="POST"):
        tx.reading()
        user = db.session.get(User, clerk_id)  # the read phase: deferred, no lock
        assert db.session().in_transaction() and not _locked(path)
        connection = db.session.connection()
        tx.writing()
        assert _locked(path)  # BEGIN IMMEDIATE: the writers' lock is ours
        assert db.session.connection() is connection  # same connection, same session transaction
        assert "username" in user.__dict__  # still loaded: nothing was expired
        user.full_name = "Tên mới"
        db.session.commit()
        assert not _locked(path)
    db.session.expire_all()
    assert db.session.get(User, clerk_id).full_name == "Tên mới"


def test_a_rollback_after_writing_gives_the_lock_back_and_keeps_nothing(app, db, users):
    from docflow.auth.models import User

    path, clerk_id, count = _sqlite_path(db), users["clerk"].id, len(users)
    db.session.remove()
    with app.test_request_context("/api/v1/incoming", method="POST"):
        tx.reading()
        user = db.session.get(User, clerk_id)
        tx.writing()
        user.full_name = "Không lưu"
        db.session.flush()
        assert _locked(path)
        db.session.rollback()
        assert not _locked(path)
    db.session.expire_all()
    assert db.session.get(User, clerk_id).full_name != "Không lưu"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == count
