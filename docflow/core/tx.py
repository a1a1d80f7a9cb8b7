"""Transaction phases of a request on SQLite.

A write request (POST, PATCH, ...) begins its transactions with BEGIN IMMEDIATE, taking the write
lock up front (a deferred transaction that later writes fails at once with "database is locked").
What a request does before it writes and what is left once it has committed only reads:
`reading()` makes the next transactions begin deferred, `writing()` ends such a read transaction so
that the next one takes the write lock, and `reads_only()` marks the phase after the commit. So
the writers' lock is held only while the request changes rows, not while it authenticates or
serialises its answer. On PostgreSQL this changes nothing.
"""

from flask import g, has_request_context

from docflow.extensions import db


def reads_only() -> None:
    if has_request_context():
        g.db_write = False


def reading() -> None:
    """What follows only reads (the bearer token's lookup, a registration's validation) until `writing()`:
    begin deferred, without the write lock."""
    reads_only()


def writing() -> None:
    """The request's writes begin now. On SQLite the read transaction opened since `reading()` ends
    here (nothing was changed in it) and the next one begins with BEGIN IMMEDIATE. What the reads
    loaded stays loaded, as on PostgreSQL, where the same transaction simply goes on (READ COMMITTED).
    Outside a reading phase (a write request's transaction, the CLI, jobs) this changes nothing."""
    if not has_request_context():
        return
    in_reading_phase = g.get("db_write") is False
    g.db_write = True
    if not in_reading_phase:
        return
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    if session.get_bind().dialect.name != "sqlite":
        return
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()  # ends the deferred (read) transaction; the connection goes back to the pool
    finally:
        session.expire_on_commit = expire


def commit_keeping_loaded() -> None:
    """Commit and go on reading: the writers' lock (SQLite) and the row locks (PostgreSQL) are released
    before the answer is serialised, and what the request wrote stays loaded instead of being expired
    and read again (it is what was just committed)."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
    reads_only()
