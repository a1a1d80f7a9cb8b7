"""The embedded database's connections: WAL, foreign keys, and a page cache sized for a large office."""

import pytest

from docflow.core import tx


def test_each_sqlite_connection_is_tuned(app, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's pragmas: PostgreSQL has its own server settings (docs/deployment.md)")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -tx.SQLITE_CACHE_KIB
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert tx.SQLITE_CACHE_KIB >= 32_768  # a 1M-document search's lookups need tens of MB
