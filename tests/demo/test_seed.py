"""`flask docflow seed` at a small size: the seeded letters are searchable (their index rows are what
`reindex` writes), numbers stay gap-free per register and year, and a specialist sees their unit's share."""

import pytest
import sqlalchemy as sa

from docflow.demo import seed
from docflow.registry.models import Attachment, Document, Participant, ParticipationKey, Register
from docflow.search import indexer
from docflow.search.models import SearchIndex
from tests.search.helpers import search

N = 600


@pytest.fixture(params=["per_row", "rebuilt"])
def seeded(request, db, users, monkeypatch):
    """N letters over 3 years; `rebuilt`: the engine's index built once at the end (as a large seed does)."""
    monkeypatch.setattr(seed, "REBUILD_FROM", 1 if request.param == "rebuilt" else 10**9)
    assert seed.seed_documents(N, 3, seed=11, attachments=0.3) == N
    return users


def _index_rows(db) -> list[tuple]:
    t = SearchIndex.__table__
    return [tuple(r) for r in db.session.execute(sa.select(t.c.document_id, t.c.body, t.c.attachments_text,
                                                           t.c.symbol_norm, t.c.sender_key)
                                                 .order_by(t.c.document_id))]


def test_index_rows_are_what_reindex_writes(seeded, db):
    written = _index_rows(db)
    assert len(written) == N
    indexer.reindex(batch_size=128)
    assert _index_rows(db) == written


def test_seeded_words_find_their_documents(seeded, api, db):
    leader = seeded["leader"]  # top_secret: sees every seeded letter
    subjects = {i: s for i, s in db.session.execute(sa.select(Document.id, Document.subject))}
    common = {i for i, s in subjects.items() if "thực hiện" in s}
    assert 0.4 * N < len(common) < 0.6 * N  # the common word: about half the letters
    answer = search(api, leader, q="thực hiện", per_page=1)
    assert answer["total"] == len(common) and answer["total_exact"]
    assert search(api, leader, q="thuc hien", per_page=1)["total"] == len(common)

    place = next(s.split(" tại xã ")[1] for s in subjects.values() if " tại xã " in s)
    having = {i for i, s in subjects.items() if f"xã {place}" in s or f"phường {place}" in s}
    found = {item["id"] for item in search(api, leader, q=f'"{place}"', per_page=200)["items"]}
    assert having <= found  # the place may also be named in an attachment

    doc = db.session.scalar(sa.select(Document).order_by(Document.id.desc()).limit(1))
    assert doc.id in {item["id"] for item in search(api, leader, q=doc.number_symbol, per_page=200)["items"]}
    assert doc.id in {item["id"] for item in search(api, leader, q=doc.subject, per_page=200)["items"]}


def test_attachment_text_is_searchable(seeded, api, db):
    leader = seeded["leader"]
    texts = db.session.execute(sa.select(Attachment.document_id, Attachment.text, Attachment.text_status)).all()
    assert 0.2 * N < len(texts) < 0.4 * N and {t.text_status for t in texts} == {"done"}
    signed = {t.document_id for t in texts if "có hiệu lực kể từ ngày ký" in t.text}
    assert signed
    answer = search(api, leader, q='"có hiệu lực kể từ ngày ký"', per_page=200)
    assert {item["id"] for item in answer["items"]} == signed and answer["total"] == len(signed)


def test_numbers_are_gap_free_per_register_and_year(seeded, db):
    registers = db.session.scalars(sa.select(Register).where(Register.direction == "incoming")).all()
    used = [r for r in registers if r.last_number]
    assert len(used) == 6  # 3 years, ordinary and confidential
    for register in used:
        numbers = db.session.scalars(sa.select(Document.number).where(Document.register_id == register.id)
                                     .order_by(Document.number)).all()
        assert numbers == list(range(1, register.last_number + 1))
        years = set(db.session.scalars(sa.select(Document.year).where(Document.register_id == register.id)))
        assert years == {register.year}
        secret = set(db.session.scalars(sa.select(Document.confidentiality)
                                        .where(Document.register_id == register.id)))
        assert (secret == {"normal"}) != register.is_confidential


def test_a_specialist_sees_only_their_units_share(seeded, api, db):
    specialist = seeded["specialist"]  # unit KT, normal clearance
    share = set(db.session.scalars(
        sa.select(Participant.document_id).join(Document, Document.id == Participant.document_id)
        .where(Participant.unit_id == specialist.unit_id, Participant.user_id.is_(None),
               Document.confidentiality == "normal")))
    assert 0 < len(share) < 0.5 * N  # the test office has three units (the demo office seven: ~10%)
    answer = search(api, specialist, per_page=200)
    assert answer["total"] == len(share)
    assert {item["id"] for item in answer["items"]} == share
    word = search(api, specialist, q="thực hiện", per_page=200)
    assert {item["id"] for item in word["items"]} < share


def test_participation_keys_are_the_participant_rows(seeded, db):
    """Per row (the triggers) or filled at the end (a large seed drops the triggers): the keys are those of
    every participant row, and the triggers are back after the seed."""
    from docflow.registry import access
    from docflow.registry.models import Participant

    k = ParticipationKey.__table__
    written = sorted(tuple(r) for r in db.session.execute(sa.select(k)))
    assert len(written) > N / 2
    db.session.execute(sa.delete(k))
    db.session.execute(sa.text(access.PARTICIPATION_KEYS_FILL), {"first": 0})
    assert sorted(tuple(r) for r in db.session.execute(sa.select(k))) == written
    doc = db.session.scalar(sa.select(Document).where(Document.id.not_in(sa.select(Participant.document_id)))
                            .limit(1))
    db.session.add(Participant(document_id=doc.id, unit_id=seeded["specialist"].unit_id, role="inform"))
    db.session.flush()
    assert {r.kind for r in db.session.execute(sa.select(k).where(k.c.document_id == doc.id))} == {"a", "n"}
    db.session.rollback()


def test_the_seeds_random_draws_what_random_draws():
    """seed._Random's shortcuts (randint, choice, choices of one with cumulative weights, _randbelow) draw
    the standard library's numbers: the same seed, the same letters."""
    import itertools
    import random

    weights = list(itertools.accumulate([5, 1, 3, 7, 2]))
    for s in range(20):
        ours, theirs = seed._Random(s), random.Random(s)
        for rng in (ours, theirs):
            rng.out = [(rng.randint(1, 9999), rng.randint(0, 6), rng.randint(5, 5), rng.choice("abcdefg"),
                        rng.choice(range(1, 1000)), rng.choices("abcde", cum_weights=weights)[0],
                        rng.choices("ab", k=3), rng.sample(range(40), 6), rng.random(), rng.paretovariate(0.6))
                       for _ in range(200)]
        assert ours.out == theirs.out



def test_postgresql_gets_the_planners_statistics_of_what_was_seeded(db, users):
    """On PostgreSQL the seed analyzes the tables it filled: the planner has no statistics for them until
    autovacuum runs. SQLite is not analyzed (its statements are written for plans without statistics)."""
    tables = ("documents", "assignments", "document_participants", "search_index", "stat_counts")
    if db.engine.dialect.name == "postgresql":
        before = db.session.execute(sa.text("SELECT clock_timestamp()")).scalar()
        db.session.commit()
    assert seed.seed_documents(50, 1, seed=3) == 50
    if db.engine.dialect.name != "postgresql":
        assert db.session.execute(sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar() == 0
        return
    analyzed = dict(db.session.execute(sa.text(
        "SELECT relname, last_analyze FROM pg_stat_user_tables WHERE relname IN :names")
        .bindparams(sa.bindparam("names", expanding=True)), {"names": list(tables)}).all())
    assert sorted(analyzed) == sorted(tables)
    assert all(when is not None and when >= before for when in analyzed.values()), analyzed


def test_a_large_seed_builds_the_full_text_index_in_one_segment(db, users, monkeypatch):
    """SQLite: the seed's one 'rebuild' has a large in-memory buffer (one segment, nothing left for 'optimize'
    to merge), and the later registrations' buffer is the default again."""
    if db.engine.dialect.name != "sqlite":
        return
    monkeypatch.setattr(seed, "REBUILD_FROM", 1)
    monkeypatch.setattr(seed, "FTS5_HASHSIZE", 64)  # a tiny buffer: a rebuild with it writes several segments
    assert seed.seed_documents(N, 2, seed=5, attachments=0.5) == N
    try:
        hashsize = db.session.execute(sa.text("SELECT v FROM search_fts_config WHERE k = 'hashsize'")).scalar()
        assert hashsize == 64  # the default is back (here the tiny one)
        db.session.execute(sa.text("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')"))
        assert db.session.execute(sa.text("SELECT count(DISTINCT segid) FROM search_fts_idx")).scalar() == 1
        db.session.execute(sa.text(indexer.FTS5_REBUILD[0]))  # with the default buffer (64 bytes)
        assert db.session.execute(sa.text("SELECT count(DISTINCT segid) FROM search_fts_idx")).scalar() > 1
    finally:
        db.session.rollback()
        db.session.execute(sa.text("INSERT INTO search_fts(search_fts, rank) VALUES ('hashsize', 1048576)"))
        db.session.commit()


def test_a_large_seed_leaves_every_index_and_key_as_the_migrations_made_them(db, users, monkeypatch):
    """PostgreSQL: a large seed drops the seeded tables' indexes and foreign keys and makes them again at its
    end, the search's indexes (its GIN over the words and their first letters, migration 0029) beside the others
    on connections of their own (core.tx.side_by_side): afterwards every index and key is there, defined as
    before, and the keys hold (a document's delete cascades to its rows; a row naming no document is refused)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's index builds and foreign keys: SQLite's seed builds its indexes in its own "
                    "connection and keeps its keys")
    tables = {"tables": list(seed._BULK_TABLES)}
    indexes = sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                      "AND tablename IN :tables").bindparams(sa.bindparam("tables", expanding=True))
    keys = sa.text("SELECT k.conname, c.relname, pg_get_constraintdef(k.oid), k.convalidated FROM pg_constraint k "
                   "JOIN pg_class c ON c.oid = k.conrelid WHERE k.contype = 'f' AND c.relname IN :tables"
                   ).bindparams(sa.bindparam("tables", expanding=True))

    def made() -> tuple[dict, set]:
        return dict(db.session.execute(indexes, tables).all()), set(db.session.execute(keys, tables).all())

    before = made()
    assert "docflow_prefixed(tsv, prefixes)" in before[0]["ix_search_index_tsv"]
    assert ("fk_search_index_document_id_documents", "search_index",
            "FOREIGN KEY (document_id) REFERENCES documents(id) ON DELETE CASCADE", True) in before[1]
    dropped = []
    real_drop = seed._drop_foreign_keys
    monkeypatch.setattr(seed, "_drop_foreign_keys", lambda: dropped.extend(real_drop()) or dropped)
    monkeypatch.setattr(seed, "REBUILD_FROM", 1)
    assert seed.seed_documents(N, 2, seed=5, attachments=0.5) == N
    assert dropped and dropped[-1][0] == "search_index"  # the seed did drop them
    assert made() == before

    doc_id = db.session.scalar(sa.select(sa.func.max(Document.id)))
    with pytest.raises(sa.exc.IntegrityError):  # the key is enforced again
        with db.session.begin_nested():
            db.session.execute(sa.text("UPDATE search_index SET document_id = :gone WHERE document_id = :id"),
                               {"gone": doc_id + 1000, "id": doc_id})
    db.session.rollback()
    db.session.execute(sa.delete(Document).where(Document.id == doc_id))
    assert db.session.scalar(sa.text("SELECT count(*) FROM search_index WHERE document_id = :id"),
                             {"id": doc_id}) == 0
    db.session.rollback()


def test_a_key_that_no_longer_holds_after_a_large_seed_stays_enforced(db, users, monkeypatch):
    """PostgreSQL: the seed adds its dropped keys back NOT VALID before it validates them, so a row written
    meanwhile that breaks one (here a statistics row naming no document) fails the seed loudly, and the key is
    still there, enforced for every new row, only not validated, until the row is mended; the indexes built
    before the failed check stay built."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's foreign keys: SQLite's seed keeps its keys")
    indexes = sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()")
    before = dict(db.session.execute(indexes).all())
    real_back = seed._foreign_keys_back

    def orphan_then_back(keys):
        # the keys are away: a row naming no document goes in
        db.session.execute(sa.text("INSERT INTO stat_documents (document_id, signature) VALUES (-7, '{}')"))
        db.session.commit()
        return real_back(keys)

    monkeypatch.setattr(seed, "_foreign_keys_back", orphan_then_back)
    monkeypatch.setattr(seed, "REBUILD_FROM", 1)
    with pytest.raises(sa.exc.IntegrityError, match="fk_stat_documents_document_id_documents"):
        seed.seed_documents(N, 2, seed=5, attachments=0.5)
    db.session.rollback()
    assert dict(db.session.execute(indexes).all()) == before
    state = sa.text("SELECT convalidated FROM pg_constraint WHERE conname = 'fk_stat_documents_document_id_documents'")
    assert db.session.scalar(state) is False
    with pytest.raises(sa.exc.IntegrityError):  # enforced all the same
        with db.session.begin_nested():
            db.session.execute(sa.text("UPDATE stat_documents SET document_id = -8 WHERE document_id = "
                                       "(SELECT max(document_id) FROM stat_documents)"))
    db.session.rollback()
    db.session.execute(sa.text("DELETE FROM stat_documents WHERE document_id = -7"))
    waiting = db.session.execute(sa.text(  # this one, and those the failure left unchecked after it
        "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f' AND NOT convalidated")).all()
    assert ("stat_documents", "fk_stat_documents_document_id_documents") in waiting
    for table, name in waiting:
        db.session.execute(sa.text(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}"))
    db.session.commit()
    assert db.session.scalar(state) is True
