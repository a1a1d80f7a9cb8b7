"""Backups (`flask docflow backup PATH`) and the file modes of what holds the office's secrets.

A backup holds password hashes and every confidential letter, and so does the SQLite database:
both are created readable by their owner only (0600), and instance/ is 0700.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
from pathlib import Path

from flask import current_app

from docflow.extensions import db

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


class BackupError(Exception):
    """The backup could not be made (the message says why)."""


def restrict(path, mode: int = PRIVATE_FILE) -> None:
    """Take group and other permissions away from an existing file or directory we own."""
    try:
        current = stat.S_IMODE(os.stat(path).st_mode)
        if current & 0o077:
            os.chmod(path, current & mode)
    except FileNotFoundError:
        pass
    except PermissionError:  # not ours (a shared mount): leave it, never fail a start-up for it
        pass


def restrict_sqlite_files(database: str | None) -> None:
    """The SQLite database and its WAL/SHM companions: 0600 (SQLite creates them with the umask)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    for suffix in ("", "-wal", "-shm"):
        restrict(database + suffix)


def _open_private(path: Path):
    """The archive file, created 0600 (and made 0600 if it existed), opened for binary writing."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    return os.fdopen(fd, "wb")


def _sqlite_dump(engine, target: Path) -> None:
    source = sqlite3.connect(engine.url.database)
    dump = sqlite3.connect(target)
    try:
        with dump:
            source.backup(dump)
    finally:
        source.close()
        dump.close()


def _pg_dump(engine, target: Path) -> None:
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed (Debian package postgresql-client).")
    cmd = ["pg_dump", "--format=custom", f"--file={target}", "--no-owner",
           f"--host={url.host or 'localhost'}", f"--port={url.port or 5432}",
           f"--username={url.username or 'postgres'}", url.database]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)  # noqa: S603 - fixed argv, no shell
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")


def write_backup(path) -> Path:
    """A .tar.gz at `path` (mode 0600) with the database (SQLite online backup or pg_dump) and the
    file store under files/."""
    path = Path(path)
    engine = db.engine
    storage = Path(current_app.config["STORAGE_DIR"])
    with tempfile.TemporaryDirectory(prefix="docflow-backup-") as tmp:  # 0700 by construction
        tmp_path = Path(tmp)
        if engine.dialect.name == "sqlite":
            dump = tmp_path / "docflow.db"
            _sqlite_dump(engine, dump)
        else:
            dump = tmp_path / "docflow.pgdump"
            _pg_dump(engine, dump)
        with _open_private(path) as fh, tarfile.open(fileobj=fh, mode="w:gz") as tar:
            tar.add(dump, arcname=dump.name)
            if storage.exists():
                tar.add(storage, arcname="files")
    return path
