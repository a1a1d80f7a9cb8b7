"""symbol tags: each number-symbol an index row's text holds, as one tag

search_index.tags gains, after the filters' and the participation tags, `#x<key>` for each number-symbol its
body and attachments text hold (docflow.search.indexer.symbol_tags: `15/QĐ-UBND` -> `#x15qdubnd`; the
document's own first, then those it cites, each once, at most 64). A query that is one number-symbol asks
the engine for that tag instead of the phrase of its words (`3 kh ubnd`, three words each in hundreds of
thousands of documents at 1M). Later the document events keep them in step.

The texts are already folded, so the tags are read from them here, in batches (this file's own copy of the
pattern: a migration must not change when the code does; tests/search/test_tags.py compares the two).
SQLite: the triggers are dropped while the tags are written, search_fts is rebuilt and merged into one
segment, the triggers come back. PostgreSQL: the GIN index is dropped, the rows updated (the generated `tsv`
with them), the index built again. At 1M documents: a few minutes on 2 cores, during which writers wait.

Revision ID: 0023_symbol_tags
Revises: 0022_participation_tags
Create Date: 2026-12-02 12:00:00

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023_symbol_tags'
down_revision = '0022_participation_tags'
branch_labels = None
depends_on = None

TRIGGERS = ("search_index_ai", "search_index_ad", "search_index_au")
COLUMNS = ("body", "attachments_text", "tags")
BATCH = 5000
SYMBOL_IN_TEXT = re.compile(r"(?<![^\W_])\d+(?:/\d{4})?/[^\s/,;()\[\]\"']*[^\W\d_][^\s,;()\[\]\"']*")
PIECE = re.compile(r"[^\W_]+")
MOST, LONGEST = 64, 60


def _slashed_words(text: str | None):
    """The runs of text around each `/` up to a space on either side: a symbol never holds a space, so the
    pattern is tried only there (over the whole text it was tried at every character: ~30 us a document,
    a sixth of the seed's time for one)."""
    if not text:
        return
    i = text.find("/")
    while i != -1:
        start = text.rfind(" ", 0, i) + 1
        end = text.find(" ", i)
        end = len(text) if end == -1 else end
        yield text[start:end]
        i = text.find("/", end)


def _key(text: str) -> str:
    return "".join(PIECE.findall(text))[:LONGEST]


def symbol_tags(*texts, own=None) -> list[str]:
    """The row's own symbol_norm's tag, then each symbol its texts hold, each once, at most MOST."""
    found: dict[str, None] = {}
    if own and _key(own.lower()):
        found["#x" + _key(own.lower())] = None
    for text in texts:
        for word in _slashed_words(text):
            for m in SYMBOL_IN_TEXT.finditer(word):
                key = _key(m.group())
                if key:
                    found.setdefault("#x" + key)
                    if len(found) >= MOST:
                        return list(found)
    return list(found)


def _without(tags: str | None) -> list[str]:
    return [t for t in (tags or "").split() if not t.startswith("#x")]


def with_symbol_tags(kept: list[str], body, text, own) -> list[str]:
    return [*kept, *symbol_tags(body, text, own=own)]


def retag(conn, make) -> None:
    """Write every row's tags as make(its tags without symbol tags, body, attachments_text, symbol_norm), in
    batches by id."""
    update = sa.text("UPDATE search_index SET tags = :tags WHERE document_id = :id")
    last = 0
    while True:
        rows = conn.execute(sa.text(
            "SELECT document_id, tags, body, attachments_text, symbol_norm FROM search_index "
            "WHERE document_id > :last ORDER BY document_id LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not rows:
            return
        changed = []
        for doc_id, tags, body, text, own in rows:
            new = " ".join(make(_without(tags), body, text, own))
            if new != (tags or ""):
                changed.append({"id": doc_id, "tags": new})
        if changed:
            conn.execute(update, changed)
        last = rows[-1][0]


def _sqlite_triggers() -> tuple[str, ...]:
    names = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    # column names of this file only
    return (
        f"""CREATE TRIGGER search_index_ai AFTER INSERT ON search_index BEGIN
  INSERT INTO search_fts(rowid, {names}) VALUES (new.document_id, {new});
END""",  # noqa: S608
        f"""CREATE TRIGGER search_index_ad AFTER DELETE ON search_index BEGIN
  INSERT INTO search_fts(search_fts, rowid, {names}) VALUES ('delete', old.document_id, {old});
END""",  # noqa: S608
        f"""CREATE TRIGGER search_index_au AFTER UPDATE ON search_index BEGIN
  INSERT INTO search_fts(search_fts, rowid, {names}) VALUES ('delete', old.document_id, {old});
  INSERT INTO search_fts(rowid, {names}) VALUES (new.document_id, {new});
END""")  # noqa: S608


PG_GIN = "CREATE INDEX ix_search_index_tsv ON search_index USING gin (tsv) WITH (fastupdate = off)"


def _retag(make) -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for name in TRIGGERS:  # the rows are indexed once, by the rebuild below
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        retag(conn, make)
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
        for ddl in _sqlite_triggers():
            op.execute(ddl)
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_index_tsv")
        retag(conn, make)
        op.execute(PG_GIN)


def upgrade():
    _retag(with_symbol_tags)


def downgrade():
    _retag(lambda kept, _body, _text, _own: kept)
