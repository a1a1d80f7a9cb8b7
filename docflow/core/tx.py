"""Transaction phases of a request on SQLite.

A write request (POST, PATCH, ...) begins its transactions with BEGIN IMMEDIATE, taking the write
lock up front (a deferred transaction that later writes fails at once with "database is locked").
What a request does before it writes and what is left once it has committed only reads:
`reading()` makes the next transactions begin deferred, `writing()` ends such a read transaction so
that the next one takes the write lock, and `reads_only()` marks the phase after the commit. So
the writers' lock is held only while the request changes rows, not while it authenticates or
serialises its answer. On PostgreSQL this changes nothing.
"""

import fcntl
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import sqlalchemy as sa
from flask import g, has_request_context, request

from docflow.core.backup import restrict_sqlite_files
from docflow.extensions import db


def reads_only() -> None:
    if has_request_context():
        g.db_write = False


def reading() -> None:
    """What follows only reads (the bearer token's lookup, a registration's validation) until `writing()`:
    begin deferred, without the write lock."""
    reads_only()


def reads_first(view):
    """Marks an API view that reads before it writes and says so itself (`reading()` ... `writing()`):
    the bearer token's lookup and the view's own reads then share one read transaction, instead of
    the token's read transaction ending before the view begins (see docflow/api/auth.py)."""
    view.reads_first = True
    return view


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
    # The read transaction ends and the write transaction begins on the same connection, under the same
    # session transaction: SQLAlchemy does not track SQLite's own transaction (the begin event below emits
    # BEGIN itself), and the session's commit or rollback ends the write transaction as it would have. A
    # session commit and a new checkout in between cost as much as two of a registration's statements.
    connection = session.connection()
    info, raw = connection.connection.info, connection.connection.driver_connection
    try:
        raw.execute("COMMIT")
        path = info.get("write_turn_path")
        if path:
            _take_write_turn(info, path)
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as error:
        raise sa.exc.DBAPIError.instance("BEGIN IMMEDIATE", None, error, sqlite3.Error,
                                         dialect=connection.dialect) from error


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


# ---- the SQLite engine: pragmas, BEGIN IMMEDIATE for writers, and the writers' turn ------------

#: each connection's page cache, in KiB. SQLite's default (2 MB) holds little of a large office's database: at
#: 1M documents (3.4 GB) a search's 9,920 documents looked up by id cost 123 ms of CPU reading pages through
#: the OS, 54 ms with 64 MB. A pooled connection keeps its cache between requests until another connection
#: writes (WAL).
SQLITE_CACHE_KIB = 65_536
#: the cache while one read passes once over far more pages than that (`passing_over`)
SQLITE_PASS_CACHE_KIB = 8_192


@contextmanager
def passing_over() -> Iterator[None]:
    """SQLite: while the session reads rows once, far more of them than its connection's cache holds (a year's
    XLSX of 200,000 entries), that cache keeps SQLITE_PASS_CACHE_KIB of pages, not SQLITE_CACHE_KIB: the 64 MB
    would fill with pages read once and add themselves to the process (at 1M a year's XLSX peaked at 201 MB,
    143 with 8 MB), then is set back (it fills again as requests need it). PostgreSQL: nothing."""
    conn = db.session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection  # the same connection after the session lets it go
    raw.execute(f"PRAGMA cache_size=-{SQLITE_PASS_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")


def tune_sqlite(engine) -> None:
    """WAL, busy timeout, foreign keys; writes begin with BEGIN IMMEDIATE, each writer taking its turn on
    the kernel file lock `<db>.writers` first (see the module's docstring)."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_con, _record):
        dbapi_con.isolation_level = None  # SQLAlchemy's begin event emits BEGIN itself
        cur = dbapi_con.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cur.close()
        restrict_sqlite_files(database)  # SQLite made the file with the umask: owner only (0600)
        if lock_path:
            _record.info["write_turn_path"] = lock_path  # for writing(), which begins a writer itself

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A deferred transaction that later writes fails at once with "database is locked" whatever
        # the busy timeout, so anything that may write takes the write lock up front: the CLI, jobs,
        # and write requests (until core.tx.reads_only() after their commit). Page views (GET/HEAD)
        # only read and begin deferred, so they never queue behind writers.
        if has_request_context():
            write = g.get("db_write", request.method not in ("GET", "HEAD", "OPTIONS"))
        else:
            write = True
        if write and lock_path:
            _take_write_turn(conn.connection.info, lock_path)
        statement = "BEGIN IMMEDIATE" if write else "BEGIN"
        try:  # on the DBAPI connection: SQLAlchemy's execution path costs ten times SQLite's BEGIN
            conn.connection.driver_connection.execute(statement)
        except sqlite3.Error as error:
            raise sa.exc.DBAPIError.instance(statement, None, error, sqlite3.Error, dialect=conn.dialect) from error

    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_con, record):
        _give_back_write_turn(record.info)

    @sa.event.listens_for(engine, "close")
    def _on_close(_dbapi_con, record):
        _give_back_write_turn(record.info)
        fd = record.info.pop("write_turn_fd", None)
        if fd is not None:
            os.close(fd)

    database = engine.url.database
    lock_path = f"{database}.writers" if database and database != ":memory:" else None


class _TurnTimeout(Exception):
    pass


def _turn_timed_out(_signum, _frame):
    raise _TurnTimeout


def _take_write_turn(info: dict, lock_path: str, timeout: float = 30.0) -> None:
    """Queue writers on an flock before BEGIN IMMEDIATE. SQLite's own busy handler sleeps 1, 2, 5,
    10 ... 100 ms between tries, so a writer waiting behind a 5 ms transaction idles far longer than
    needed; the kernel lock hands over at once (measured: bench/register.py). After `timeout` the
    transaction goes on to BEGIN IMMEDIATE and SQLite's busy timeout decides, as without the lock.
    The main thread (a gunicorn sync worker's, the CLI's) waits in the kernel, bounded by a timer signal;
    other threads poll (polling every 0.5 ms cost ~5% of a registration's CPU under load)."""
    if info.get("write_turn"):
        return
    fd = info.get("write_turn_fd")
    if fd is None:
        fd = info["write_turn_fd"] = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        info["write_turn"] = True
        return
    except BlockingIOError:
        pass
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGALRM) in (
            signal.SIG_DFL, signal.SIG_IGN, None):
        previous = signal.signal(signal.SIGALRM, _turn_timed_out)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            info["write_turn"] = True
        except _TurnTimeout:
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            info["write_turn"] = True
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.0005)


def _give_back_write_turn(info: dict) -> None:
    if info.pop("write_turn", False):
        fcntl.flock(info["write_turn_fd"], fcntl.LOCK_UN)


# ---- statements side by side (PostgreSQL's index builds) -----------------------------------------------

def side_by_side(*groups: list[str], autocommit: bool = False) -> None:
    """PostgreSQL: each group of statements on a connection of its own, the groups at the same time (a server
    process each: the seed builds the search's GIN index, one process's work of ~60 s at 1M, while the b-tree
    indexes are built, and vacuums the largest tables side by side; reindex builds its two indexes so). Each
    connection's maintenance_work_mem is 512 MB unless `autocommit` (VACUUM). Each statement commits on its own
    (its locks held no longer than it runs); a failure ends its group, and the first is raised."""
    db.session.commit()
    engine = db.engine

    def run(statements: list[str]) -> None:
        options = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
        with engine.connect().execution_options(**options) as conn:
            if not autocommit:
                conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
            for statement in statements:
                conn.exec_driver_sql(statement)
                if not autocommit:
                    conn.commit()  # each its own: a failure keeps what was built before it

    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        for done in [pool.submit(run, list(group)) for group in groups]:
            done.result()
