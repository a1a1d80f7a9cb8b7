"""A large seed draws its letters in a second process (fork) while this one writes: the rows are those of the
seed drawn in one process, in every table and in the same order; when another registration takes the ids or
numbers a drawn batch expected, the seed draws the rest itself, from the generator's state before that batch."""

import pytest
import sqlalchemy as sa

from docflow.demo import seed
from docflow.registry.models import Document, Register
from docflow.search import indexer

N = 900
#: the seeded tables, children first (to empty them between two seeds)
TABLES = ("participation_keys", "document_participants", "assignments", "attachments", "search_index",
          "stat_documents", "stat_handling", "stat_counts", "stat_unit_counts", "documents")
#: what differs between two seeds of the same letters: the time they were written, the surrogate keys (PostgreSQL's
#: sequences go on)
SKIP = {"created_at", "updated_at", "done_at", "id"}


def _snapshot(db) -> dict:
    """Every seeded table's rows in the order they were written, the document ids counted from the first."""
    first = db.session.scalar(sa.select(sa.func.min(Document.id)))
    out = {}
    for name in TABLES:
        table = db.metadata.tables[name]
        # a document's several rows (participation_keys) by their key too: the heap's order is not the order
        # written once a VACUUM (the seed's own, on PostgreSQL) has freed the rows deleted before
        order = [table.c.id] if "id" in table.c else [table.c.document_id, *table.primary_key.columns]
        columns = [c for c in table.columns if c.name not in SKIP or (name == "documents" and c.name == "id")]
        rows = db.session.execute(sa.select(*columns).order_by(*order)).mappings().all()
        out[name] = [{k: (v - first if k in ("id", "document_id") and name != "stat_counts" else v)
                      for k, v in row.items()} for row in rows]
    out["registers"] = sorted(db.session.execute(sa.select(Register.id, Register.last_number)).all())
    return out


def _empty(db) -> None:
    """The seeded rows deleted, the registers' numbers and (PostgreSQL) the documents' ids from where they were:
    the next seed's letters take the same ids (a letter's file name and completion day follow its id)."""
    first = db.session.scalar(sa.select(sa.func.min(Document.id)))
    for name in TABLES:
        db.session.execute(sa.text(f"DELETE FROM {name}"))  # noqa: S608 - the names above
    db.session.execute(sa.update(Register).values(last_number=0))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('documents', 'id'), :first, false)"),
                           {"first": first})
    db.session.commit()


def _seed(monkeypatch, *, pipelined: bool) -> None:
    monkeypatch.setattr(seed, "PIPELINE_FROM", 1 if pipelined else 10**9)
    assert seed.seed_documents(N, 3, seed=17, attachments=0.3) == N


@pytest.fixture
def small_batches(monkeypatch, users):
    monkeypatch.setattr(seed, "BATCH", 120)  # several batches in each register
    monkeypatch.setattr(seed, "REBUILD_FROM", 1)  # as a large seed: indexes dropped, built again at the end
    return users


def test_the_pipelined_seed_writes_the_rows_of_a_seed_drawn_here(small_batches, db, monkeypatch):
    _seed(monkeypatch, pipelined=False)
    drawn_here = _snapshot(db)
    assert len(drawn_here["documents"]) == N and len(drawn_here["stat_unit_counts"]) > N
    _empty(db)
    _seed(monkeypatch, pipelined=True)
    assert _snapshot(db) == drawn_here


def test_a_batch_whose_numbers_were_taken_is_drawn_again_here(small_batches, db, monkeypatch):
    """The fourth batch finds its numbers taken (as if a clerk had registered a letter): the seed draws it and
    the rest in this process from the generator's state before it; nothing taken, the letters are the same."""
    _seed(monkeypatch, pipelined=False)
    drawn_here = _snapshot(db)
    _empty(db)
    checked, still_next = [], seed._still_next

    def fourth_taken(*args):
        checked.append(args)
        return still_next(*args) and len(checked) != 4

    monkeypatch.setattr(seed, "_still_next", fourth_taken)
    _seed(monkeypatch, pipelined=True)
    assert len(checked) == 4  # the pipeline stopped at the fourth batch
    assert _snapshot(db) == drawn_here


def test_a_letter_registered_during_the_seed_takes_its_own_number_and_id(small_batches, db, monkeypatch):
    """A registration between two batches: the drawn batch's id (SQLite) and number are no longer the next;
    the seed goes on from there itself, numbers gap-free, and every letter indexed."""
    monkeypatch.setattr(seed, "PIPELINE_FROM", 1)
    merged, merge = [], seed._Counts.merge

    def register_one_after_the_second_batch(self, pending):
        merge(self, pending)
        merged.append(1)
        if len(merged) == 2:  # a clerk registers a letter into the same (the first) register
            first = db.session.scalar(sa.select(Document).order_by(Document.id).limit(1))
            number = db.session.execute(sa.update(Register).where(Register.id == first.register_id)
                                        .values(last_number=Register.last_number + 1)
                                        .returning(Register.last_number)).scalar_one()
            db.session.add(Document(direction="incoming", register_id=first.register_id, year=first.year,
                                    number=number, number_symbol="1/TEST", doc_type_id=first.doc_type_id,
                                    subject="Một văn bản đăng ký trong lúc seed", received_date=first.received_date,
                                    status="registered", confidentiality="normal"))
            db.session.commit()

    monkeypatch.setattr(seed._Counts, "merge", register_one_after_the_second_batch)
    assert seed.seed_documents(N, 3, seed=17, attachments=0.3) == N
    assert len(merged) == 2  # the rest drawn here (merge is the pipeline's)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == N + 1
    for register in db.session.scalars(sa.select(Register).where(Register.last_number > 0)):
        numbers = db.session.scalars(sa.select(Document.number).where(Document.register_id == register.id)
                                     .order_by(Document.number)).all()
        assert numbers == list(range(1, register.last_number + 1))
    indexed = db.session.scalar(sa.text("SELECT count(*) FROM search_index"))
    assert indexed == N  # the clerk's letter was not indexed by this test's bare insert
    written = sorted(tuple(r) for r in db.session.execute(sa.text(
        "SELECT document_id, body, attachments_text, symbol_norm, sender_key FROM search_index")))
    indexer.reindex(batch_size=256)
    db.session.execute(sa.text("DELETE FROM search_index WHERE body LIKE '%seed%'"))
    assert sorted(tuple(r) for r in db.session.execute(sa.text(
        "SELECT document_id, body, attachments_text, symbol_norm, sender_key FROM search_index"))) == written


def test_an_error_in_the_drawing_process_is_raised_here(small_batches, db, monkeypatch):
    monkeypatch.setattr(seed, "PIPELINE_FROM", 1)

    def broken(*args, **kwargs):
        raise ValueError("no letters today")

    monkeypatch.setattr(seed, "_draw", broken)
    with pytest.raises(RuntimeError, match="no letters today"):
        seed.seed_documents(N, 3, seed=17)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
