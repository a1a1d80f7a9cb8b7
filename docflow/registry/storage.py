"""Content-addressed file store for attachments (engineering-notes §4, 12.3/12.4).

A file lives under STORAGE_DIR as <sha[:2]>/<sha[2:4]>/<sha>, where sha is the SHA-256 of its bytes;
the client's file name is never part of a path. Uploads are spooled to a temporary file inside
STORAGE_DIR/.tmp (same file system, so the final move is an atomic rename), hashed while they are
written, and only moved into place once the caller has accepted them.

Files belong to the database transaction that created them: `track_new_file()` notes them in
`session.info`; when the session's outermost transaction ends without a commit (rollback, or a
session closed uncommitted), the files it created are deleted, unless an Attachment row already
committed by someone else points at the same content. "A failed request leaves no rows or files."
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from docflow.registry.models import Attachment

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_INFO_KEY = "docflow_new_files"


class TooLarge(Exception):
    """The stream is longer than the limit given to `spool()`."""

    def __init__(self, limit: int):
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


def storage_root(app=None) -> Path:
    app = app or current_app
    return Path(app.config["STORAGE_DIR"]).resolve()


def path_for(sha256: str, root: Path | None = None) -> Path:
    """Where the content with this SHA-256 lives (whether or not it exists yet)."""
    if not isinstance(sha256, str) or not _SHA_RE.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    root = root or storage_root()
    return root / sha256[:2] / sha256[2:4] / sha256


@dataclass
class Spooled:
    """An upload written to a temporary file, hashed, not yet in the store."""

    temp_path: Path
    sha256: str
    size: int
    root: Path
    stored_path: Path | None = None
    created: bool = False
    _done: bool = field(default=False, repr=False)

    def open(self):
        return open(self.stored_path or self.temp_path, "rb")

    def discard(self) -> None:
        """Forget the upload (refused): remove the temporary file."""
        if not self._done:
            _unlink(self.temp_path)
            self._done = True

    def commit_to_store(self) -> Path:
        """Move the temporary file to its content address. `created` tells whether this call made
        the file (True) or the same content was already stored (False, the temp file is dropped)."""
        if self._done:
            raise RuntimeError("already stored or discarded")
        final = path_for(self.sha256, self.root)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            _unlink(self.temp_path)
            self.created = False
        else:
            os.chmod(self.temp_path, 0o640)
            os.replace(self.temp_path, final)  # atomic on one file system
            self.created = True
        self.stored_path = final
        self._done = True
        return final

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.discard()
        return False


def spool(stream, *, max_bytes: int | None = None, root: Path | None = None) -> Spooled:
    """Copy a binary stream to a temporary file under STORAGE_DIR/.tmp, hashing it on the way.
    Raises TooLarge (the partial file removed) once more than `max_bytes` have been read."""
    root = root or storage_root()
    tmp_dir = root / ".tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="up-")
    temp_path = Path(name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise TooLarge(max_bytes)
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        _unlink(temp_path)
        raise
    return Spooled(temp_path=temp_path, sha256=digest.hexdigest(), size=size, root=root)


# ---- files follow the transaction ----------------------------------------------------------------

def track_new_file(session: Session, path: Path, sha256: str) -> None:
    """Delete `path` if the session's current transaction does not commit."""
    session.info.setdefault(_INFO_KEY, []).append((str(path), sha256))


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:  # pragma: no cover - a file we cannot remove is logged, never raised
        log.warning("could not remove %s", path, exc_info=True)


def _referenced(session: Session, sha256: str) -> bool:
    """Does a committed Attachment row point at this content? Asked on a fresh connection, since
    the session's own transaction is over."""
    try:
        bind = session.get_bind(mapper=Attachment)
        with bind.connect() as conn:
            found = conn.execute(sa.select(Attachment.id).where(Attachment.sha256 == sha256).limit(1)).first()
            conn.rollback()
        return found is not None
    except Exception:  # pragma: no cover - if we cannot tell, keep the file (an orphan, never a loss)
        log.warning("could not check references to %s; keeping the file", sha256, exc_info=True)
        return True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction may still roll back
    session.info.pop(_INFO_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    pending = session.info.pop(_INFO_KEY, None)
    if not pending:
        return
    # The outermost transaction ended and after_commit did not clear the list: it rolled back
    # (or the session was closed without committing). Remove what it created.
    for path, sha in pending:
        if not _referenced(session, sha):
            _unlink(path)
            log.info("removed %s: its transaction did not commit", path)


# ---- files removed when their transaction commits (an approved disposition, 7/9) -----------------

_REMOVE_KEY = "docflow_files_to_remove"


def remove_after_commit(session: Session, sha256: str) -> None:
    """Remove the stored content `sha256` once the session's transaction commits, unless a live
    attachment (not destroyed) still points at it then; a rollback removes nothing."""
    session.info.setdefault(_REMOVE_KEY, []).append((str(path_for(sha256)), sha256))


def _live_contents(session: Session, shas: set[str]) -> set[str]:
    """Which of these contents a live (not destroyed) attachment still points at, read on a connection
    of its own; all of them when that cannot be told (a file kept is an orphan, never a loss)."""
    try:
        bind = session.get_bind(mapper=Attachment)
        with bind.connect() as conn:
            found = set(conn.execute(sa.select(Attachment.sha256).where(Attachment.sha256.in_(sorted(shas)),
                                                                        Attachment.destroyed_at.is_(None)))
                        .scalars())
            conn.rollback()
        return found
    except Exception:  # pragma: no cover
        log.warning("could not check live references; keeping the files", exc_info=True)
        return set(shas)


@event.listens_for(Session, "after_commit")
def _removals_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return
    committed = session.info.pop(_REMOVE_KEY, None)
    if committed:
        session.info[_REMOVE_KEY + "_committed"] = committed


@event.listens_for(Session, "after_transaction_end")
def _remove_committed(session: Session, transaction) -> None:
    """Once the outermost transaction is over and its connection given back (the check reads on a
    connection of its own): the removals of a committed transaction happen, a rolled back one's are
    forgotten."""
    if transaction.parent is not None:
        return
    session.info.pop(_REMOVE_KEY, None)
    pending = session.info.pop(_REMOVE_KEY + "_committed", None)
    if not pending:
        return
    live = _live_contents(session, {sha for _path, sha in pending})
    for path, sha in pending:
        if sha not in live:
            _unlink(path)
            log.info("removed %s: its attachments were destroyed", path)
