"""PostgreSQL keeps each index row's `tsv` in the row (migration 0024): storage MAIN, compressed with lz4 when
the row is long. Left to the default, a long row's largest value, the vector of a letter with an attachment's
text, was moved out of line uncompressed into the TOAST table, and every `tsv @@ q` test of such a row (a
count, a recheck, a probe of the date walk) looked up the TOAST index and read its chunks (bench/README.md,
search round 9)."""

import pytest
import sqlalchemy as sa

from docflow.search.indexer import prefix_lexemes
from tests.search.helpers import ids, register

#: an attachment's text of 600 distinct words: a vector of ~10 kB, a row well over PostgreSQL's 2 kB threshold
LONG_TEXT = " ".join(f"muc{i:04d} noi dung" for i in range(600))


def test_a_long_rows_vector_is_kept_in_the_row(app, db, api, users):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's column storage: SQLite's index is FTS5's own tables")
    storage, compression = db.session.execute(sa.text(
        "SELECT attstorage, attcompression FROM pg_attribute "
        "WHERE attrelid = 'search_index'::regclass AND attname = 'tsv'")).one()
    assert (storage, compression) == ("m", "l")
    letter = register(api, users["clerk"], "Báo cáo kèm phụ lục dài")
    # as the extraction job writes an attachment's text (indexer.index_attachments): the row is written anew
    body = db.session.scalar(sa.text("SELECT body FROM search_index WHERE document_id = :id"), {"id": letter["id"]})
    db.session.execute(sa.text("UPDATE search_index SET attachments_text = :text, prefixes = CAST(:prefixes AS tsvector) "
                               "WHERE document_id = :id"),
                       {"text": LONG_TEXT, "prefixes": prefix_lexemes(body, LONG_TEXT), "id": letter["id"]})
    db.session.commit()
    size, kept = db.session.execute(sa.text(
        "SELECT pg_column_size(tsv), pg_column_compression(tsv) FROM search_index WHERE document_id = :id"),
        {"id": letter["id"]}).one()
    assert kept == "lz4" and size < 8000  # compressed in the row (out of line it was stored whole, uncompressed)
    assert ids(api, users["leader"], q="muc0599") == {letter["id"]}
