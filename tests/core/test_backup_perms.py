"""What holds password hashes and secret letters is readable by its owner only: backup archives and the
SQLite database 0600, instance/ 0700."""

import os
import stat
import tarfile

import pytest
from flask import Flask

from config import TestingConfig


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # the usual umask: without care, files come out -rw-r--r--
    yield
    os.umask(old)


def test_backup_archive_is_0600_and_holds_the_database(app, db, tmp_path, open_umask, users):
    runner = app.test_cli_runner()
    (tmp_path / "files" / "ab").mkdir(parents=True)
    (tmp_path / "files" / "ab" / "blob").write_bytes(b"x")
    db.session.commit()  # SQLite: the dump needs no lock this session holds
    target = tmp_path / "backup.tar.gz"
    result = runner.invoke(args=["docflow", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert _mode(target) == 0o600
    with tarfile.open(target, "r:gz") as tar:
        names = tar.getnames()
    assert "files/ab/blob" in names
    assert ("docflow.db" if db.engine.dialect.name == "sqlite" else "docflow.pgdump") in names

    # an existing world-readable file is made private too
    target.chmod(0o644)
    assert runner.invoke(args=["docflow", "backup", str(target)]).exit_code == 0
    assert _mode(target) == 0o600


def test_backup_logic_lives_in_core(app, db, tmp_path, open_umask):
    from docflow.core.backup import write_backup

    db.session.commit()
    path = write_backup(tmp_path / "b.tar.gz")
    assert _mode(path) == 0o600


def test_sqlite_database_file_is_created_0600(tmp_path, open_umask):
    from docflow import create_app
    from docflow.extensions import db

    database = tmp_path / "fresh" / "docflow.db"
    database.parent.mkdir()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
                     STORAGE_DIR=str(tmp_path / "files"))
    with app.app_context():
        with db.engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            conn.commit()
            assert _mode(database) == 0o600
            for companion in ("-wal", "-shm"):
                if os.path.exists(f"{database}{companion}"):
                    assert _mode(f"{database}{companion}") == 0o600, companion
        db.engine.dispose()


def test_existing_world_readable_database_is_tightened_on_connect(tmp_path, open_umask):
    import sqlite3

    from docflow import create_app
    from docflow.extensions import db

    database = tmp_path / "old.db"
    sqlite3.connect(database).close()
    database.chmod(0o644)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
                     STORAGE_DIR=str(tmp_path / "files"))
    with app.app_context():
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        assert _mode(database) == 0o600
        db.engine.dispose()


def test_instance_directory_is_0700(tmp_path, open_umask):
    from docflow import _finish_config

    for existing in (False, True):
        instance = tmp_path / f"instance-{existing}"
        if existing:
            instance.mkdir(mode=0o755)
            instance.chmod(0o755)
        app = Flask("docflow_probe", instance_path=str(instance))
        app.config.from_object(TestingConfig)
        _finish_config(app)
        assert _mode(instance) == 0o700, existing
