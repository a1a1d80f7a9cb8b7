"""The embedded database's connections (core.tx.tune_sqlite): WAL, foreign keys, and a page cache sized for a
large office. An engine of its own on a file, so the test runs whatever the suite's database is."""

import sqlalchemy as sa

from docflow.core import tx


def test_each_sqlite_connection_is_tuned(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'office.db'}")
    tx.tune_sqlite(engine)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -tx.SQLITE_CACHE_KIB
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()
    assert tx.SQLITE_CACHE_KIB >= 32_768  # a 1M-document search's lookups need tens of MB
