"""The seed counts the statistics as it draws the letters (into a database without documents): what it
writes is what `flask docflow stats rebuild` (counters.rebuild) counts from the rows, cell for cell; into a
database that already has documents it rebuilds them, as before."""

import pytest
import sqlalchemy as sa

from docflow.demo import seed
from docflow.stats import counters
from docflow.stats.models import StatCount, StatDocument, StatHandling, StatUnitCount

N = 700


def _stats(db) -> dict:
    out = {}
    for model in (StatCount, StatUnitCount, StatDocument, StatHandling):
        table = model.__table__
        columns = [c for c in table.columns if c.name != "id"]
        out[table.name] = sorted(tuple(r) for r in db.session.execute(sa.select(*columns)))
    return out


def _rebuilt(db) -> dict:
    counters.rebuild()
    db.session.commit()
    return _stats(db)


def _indexes(db) -> list[tuple]:
    if db.session.get_bind().dialect.name == "postgresql":
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
    return sorted(tuple(r) for r in db.session.execute(sa.text(query)))


@pytest.mark.parametrize("rebuild_from", [1, 10**9], ids=["index_rebuilt", "index_per_row"])
def test_the_seeds_counts_are_a_rebuilds(db, users, monkeypatch, rebuild_from):
    monkeypatch.setattr(seed, "REBUILD_FROM", rebuild_from)
    before = _indexes(db)
    assert seed.seed_documents(N, 4, seed=5, attachments=0.3) == N
    assert _indexes(db) == before  # a large seed's dropped indexes are all built again
    counted = _stats(db)
    assert len(counted["stat_documents"]) > 0.9 * N  # the cancelled letters have none
    assert len(counted["stat_handling"]) > 0.5 * N
    assert {row[2] for row in counted["stat_unit_counts"]} >= {"a", "u", "h", "hu", "hd", "pr", "pd"}
    assert counted == _rebuilt(db)


def test_a_second_seed_rebuilds_the_counts(db, users):
    seed.seed_documents(300, 2, seed=1)
    db.session.execute(sa.delete(StatHandling))  # stale figures: the second seed counts everything again
    db.session.commit()
    seed.seed_documents(300, 2, seed=2)
    counted = _stats(db)
    assert len(counted["stat_handling"]) > 300
    assert counted == _rebuilt(db)
