"""The index rows: built from a document, kept in step by the document events, rebuilt by `reindex`.

Text is folded in Python (core.text.fold: NFD, no marks, đ→d, lower case) at index and at query time,
so both backends see the same ASCII-like words; the database's own tokenizer then splits them.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from docflow.core.direct import Direct
from docflow.core.text import fold
from docflow.core.tx import side_by_side
from docflow.extensions import db
from docflow.incoming.models import Assignment
from docflow.outgoing.models import Recipient
from docflow.registry import events
from docflow.registry.models import Attachment, Document, Participant
from docflow.search.models import MIRRORED, SearchIndex

#: private-use code points mark snippet highlights; they and NUL never reach the index
_UNSTORABLE = re.compile("[\x00\ue000\ue001]")


def folded(*parts) -> str:
    return _UNSTORABLE.sub(" ", fold(" ".join(p for p in parts if p)))


#: the words PostgreSQL's vector holds of a folded text (the generated `tsv`: `[^[:alnum:]]+` made spaces, then
#: the 'simple' parser), as its parser splits them: a run of letters and digits is one word, except that digits,
#: `e` and digits open it as a number of their own (`1e10abc`: `1e10`, `abc`)
_PG_WORDS = re.compile(r"[0-9]+e[0-9]+|[^\W_]+")
#: the prefix lengths the GIN index holds as lexemes (query.PG_PREFIXES asks them)
PREFIX_LENGTHS = (2, 3, 4)
#: PostgreSQL leaves out of a vector a word longer than 2,047 bytes (and so its prefixes)
_PG_LONGEST_WORD = 2047


@lru_cache(maxsize=100_000)
def _token_prefixes(token: str) -> frozenset[str]:
    """The prefixes of the words of one whitespace-separated piece of text (no word spans whitespace)."""
    found = set()
    for word in _PG_WORDS.findall(token):
        if len(word.encode()) <= _PG_LONGEST_WORD:
            word = word.lower()
            found.update(f"~{word[:n]}" for n in PREFIX_LENGTHS if len(word) > n)
    return frozenset(found)


def prefix_lexemes(*texts: str | None) -> str:
    """PostgreSQL: the lexemes `~` + the first 2, 3 and 4 letters of each word of the folded texts longer than
    that (`xay dung` -> `~xa ~du ~dun`), as a vector's text (search_index.prefixes, in no order): what migration
    0028's SQL function took from the row's vector (~56 us a row on the server), made where the text is folded
    (~20 us a row: the pieces repeat from letter to letter). `~` is not a letter, so no word and no prefix of
    the text can be one."""
    pieces: set[str] = set()
    for text in texts:
        if text:
            pieces.update(text.split())
    return " ".join(frozenset().union(*map(_token_prefixes, pieces)))


def symbol_norm(symbol: str | None) -> str | None:
    """`15/QĐ-UBND`, ` 15 / qđ-ubnd ` -> `15/QD-UBND`: the exact-look-up key of a number-symbol."""
    key = _UNSTORABLE.sub("", fold(symbol).upper().replace(" ", ""))
    return key[:80] or None


def _dialect() -> str:
    return db.session.get_bind().dialect.name


#: one document's upsert per (dialect, updated columns), built once: the row goes in as parameters, so the
#: statement is compiled once too (building `excluded` and the ON CONFLICT clause per call cost ~0.5 ms)
_ONE_ROW_UPSERTS: dict[tuple[str, tuple[str, ...]], Direct] = {}


def _write_one(row: dict, columns: tuple[str, ...]) -> None:
    key = (_dialect(), columns)
    stmt = _ONE_ROW_UPSERTS.get(key)
    if stmt is None:
        insert = pg_insert if key[0] == "postgresql" else sqlite_insert
        base = insert(SearchIndex.__table__)
        stmt = _ONE_ROW_UPSERTS[key] = Direct(base.on_conflict_do_update(
            index_elements=["document_id"], set_={c: getattr(base.excluded, c) for c in columns}))
    stmt.run(row)


# ---- the filters' tags -------------------------------------------------------------------------------

#: the filters a document's tags answer (query.engine_query asks them of the engine beside the words): name ->
#: the tag's letter. Their values are letters, digits and `_`; a tag is `#` + letter + value without `_`
#: (`#sinreview`), a word no query can name: SQLite indexes the tags in their own column (search_fts.tags) and
#: matches the user's words only in the others; PostgreSQL's tags are lexemes beginning with `#`, which the
#: 'simple' parser never makes of text
TAG_LETTERS = {"year": "y", "direction": "d", "status": "s", "confidentiality": "c", "urgency": "u",
               "doc_type": "t", "register": "r", "month": "m", "person": "p", "unit": "a", "unit_as_unit": "n",
               "symbol": "x"}


def tag(name: str, value) -> str:
    """`tag("status", "in_review")` -> `#sinreview`; a month is a date's `#m202601`."""
    if name == "month":
        value = f"{value.year:04d}{value.month:02d}"
    return f"#{TAG_LETTERS[name]}{str(value).replace('_', '')}"


def tags(direction, year, status, confidentiality, urgency, doc_type_id, register_id, issued_date,
         received_date) -> str:
    """The document's tags, space-separated: one per filter with a value (the month of its date: its issue
    date, else its arrival date, as query.doc_date())."""
    day = issued_date or received_date
    values = (("year", year), ("direction", direction), ("status", status), ("confidentiality", confidentiality),
              ("urgency", urgency), ("doc_type", doc_type_id), ("register", register_id), ("month", day))
    return " ".join(tag(name, value) for name, value in values if value is not None and value != "")


def participation_tags(pairs: Iterable[tuple[int | None, int | None]]) -> list[str]:
    """Who takes part, from the document's participant rows (user_id, unit_id), as the visibility rule reads
    them (registry/access.py `_takes_part`): `#p<user>` a person, `#a<unit>` the unit through any of its rows
    (a unit head's view, the `unit` filter), `#n<unit>` the unit as a unit (a row without a person: a
    specialist's view). Sorted, each once."""
    found = set()
    for user_id, unit_id in pairs:
        if user_id is not None:
            found.add(tag("person", user_id))
        if unit_id is not None:
            found.add(tag("unit", unit_id))
            if user_id is None:
                found.add(tag("unit_as_unit", unit_id))
    return sorted(found)


#: a number-symbol in (folded) text, as query._SYMBOL recognises a query that is one: digits, an optional
#: /year, then after a `/` a part holding a letter (`15/qd-ubnd`, `4321/2024/snn-ptnt`), not inside a word, up
#: to a space or a mark that never belongs to a symbol (`3/kh-ubnd,` `(3/kh-ubnd)`)
_SYMBOL_IN_TEXT = re.compile(r"(?<![^\W_])\d+(?:/\d{4})?/[^\s/,;()\[\]\"']*[^\W\d_][^\s,;()\[\]\"']*")
_PIECE = re.compile(r"[^\W_]+")
#: the symbol tags of one document: its own number-symbol first, then the ones its text and attachments cite,
#: each at most SYMBOL_TAG_LENGTH characters
SYMBOL_TAGS, SYMBOL_TAG_LENGTH = 64, 60


def symbol_key(folded_symbol: str) -> str:
    """A number-symbol as one word: its letters and digits joined (`15/qd-ubnd` -> `15qdubnd`): what the
    symbol tag holds and what a query that is a number-symbol asks (query._engine_query)."""
    return "".join(_PIECE.findall(folded_symbol))[:SYMBOL_TAG_LENGTH]


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


def symbol_tags(*texts: str | None, own: str | None = None) -> list[str]:
    """`#x<key>` for the document's own number-symbol (`own`: its symbol_norm, whatever its shape) and each
    number-symbol the folded texts hold (the index row's body and attachments text), in order, each once, at
    most SYMBOL_TAGS. A query for `3/KH-UBND` is then one short list of the engine instead of the phrase
    `3 kh ubnd`, whose three words are each in hundreds of thousands of documents; every document whose
    symbol_norm is the query's holds the query's tag (the same letters and digits in the same order)."""
    found: dict[str, None] = {}
    if own and symbol_key(own.lower()):
        found[tag("symbol", symbol_key(own.lower()))] = None
    for text in texts:
        for word in _slashed_words(text):
            for m in _SYMBOL_IN_TEXT.finditer(word):
                key = symbol_key(m.group())
                if key:
                    found.setdefault(tag("symbol", key))
                    if len(found) >= SYMBOL_TAGS:
                        return list(found)
    return list(found)


def with_symbol_tags(base: str, body: str | None, attachments: str | None, own: str | None) -> str:
    """The tags of an index row: `base` (document_tags) and the symbol tags of its own symbol_norm (`own`)
    and its texts."""
    return " ".join(filter(None, [base, *symbol_tags(body, attachments, own=own)]))


def participant_pairs(document_id: int) -> list[tuple[int | None, int | None]]:
    """The document's participant rows as (user_id, unit_id), read from the table (autoflushed)."""
    return db.session.execute(sa.select(Participant.user_id, Participant.unit_id).where(
        Participant.document_id == document_id)).all()


def document_tags(doc, pairs: Iterable[tuple[int | None, int | None]] | None = None) -> str:
    """The tags of a Document, or of a row with its columns (reindex's batch): the filters' and who takes
    part (`pairs`, the participant rows; read from the table when not given)."""
    if pairs is None:
        pairs = participant_pairs(doc.id)
    base = tags(doc.direction, doc.year, doc.status, doc.confidentiality, doc.urgency, doc.doc_type_id,
                doc.register_id, doc.issued_date, doc.received_date)
    return " ".join([base, *participation_tags(pairs)]) if base else " ".join(participation_tags(pairs))


# ---- one document (in the sender's transaction) ------------------------------------------------------

def own_texts(doc: Document) -> tuple:
    """The document's own text fields the index holds (beside its recipients, its assignments' directions and
    its attachments' text), as written: the search's snippets read them again (query._original_fragments)."""
    return (doc.number_symbol, doc.subject, doc.sender_name, doc.signer, doc.notes, getattr(doc, "instruction", None),
            getattr(doc, "result", None), doc.cancelled_reason)


def _body(doc: Document, recipients: Iterable[str] = (), instructions: Iterable[str] = ()) -> str:
    return folded(*own_texts(doc), *recipients, *instructions)


def _row(doc: Document, *, new: bool = False, attachments: str | None = None) -> dict:
    """The index row of the document; `new`: just registered, so it has no recipients, assignments,
    participants or attachments yet (not looked up). `attachments`: its attachments' text, else the text the
    row holds (the symbol tags are made of both)."""
    recipients = instructions = pairs = ()
    if not new:
        pairs = None
        recipients = db.session.scalars(sa.select(Recipient.name).where(Recipient.document_id == doc.id)).all()
        instructions = db.session.scalars(sa.select(Assignment.instruction).where(
            Assignment.document_id == doc.id, Assignment.instruction.is_not(None))).all()
        if attachments is None:
            attachments = db.session.scalar(sa.select(SearchIndex.attachments_text).where(
                SearchIndex.document_id == doc.id))
    body, symbol = _body(doc, recipients, instructions), symbol_norm(doc.number_symbol)
    return {"document_id": doc.id, "body": body, "symbol_norm": symbol,
            "sender_key": folded(doc.sender_name)[:250] or None,
            "tags": with_symbol_tags(document_tags(doc, pairs), body, attachments, symbol),
            "prefixes": prefix_lexemes(body, attachments) if _dialect() == "postgresql" else ""}


#: the columns a document event writes (_row's); its attachments' text is kept
_OWN_COLUMNS = ("body", "symbol_norm", "sender_key", "tags", "prefixes")


def index_document(doc: Document, **_kwargs) -> None:
    """Receiver of the document events: (re)write the document's index row, attachments text kept."""
    if doc is None or getattr(doc, "id", None) is None:
        return
    _write_one({**_row(doc), "attachments_text": ""}, _OWN_COLUMNS)


def index_registered(doc: Document, **_kwargs) -> None:
    """Receiver of document_registered: a letter just registered has no recipients or assignments, so its
    row is built from the document alone (one statement)."""
    if doc is None or getattr(doc, "id", None) is None:
        return
    _write_one({**_row(doc, new=True), "attachments_text": ""}, _OWN_COLUMNS)


def attachments_text(document_id: int) -> str:
    texts = db.session.scalars(sa.select(Attachment.text).where(
        Attachment.document_id == document_id, Attachment.text_status == "done", Attachment.text.is_not(None))
        .order_by(Attachment.id)).all()
    return folded(*texts)


def index_attachments(doc: Document, **_kwargs) -> None:
    """Receiver of attachment_text_ready: the document's attachment text joins its index row."""
    if doc is None or getattr(doc, "id", None) is None:
        return
    text = attachments_text(doc.id)
    _write_one({**_row(doc, attachments=text), "attachments_text": text},
               (*_OWN_COLUMNS, "attachments_text"))


def retag(document_ids: Iterable[int]) -> None:
    """Write these documents' tags again, the rest of their rows kept: for a change made beside the flows
    (a participant row written directly, as the tests do; the flows send a document event instead)."""
    for document_id in document_ids:
        doc = db.session.get(Document, document_id)
        row = db.session.execute(sa.select(SearchIndex.body, SearchIndex.attachments_text, SearchIndex.symbol_norm)
                                 .where(SearchIndex.document_id == document_id)).first()
        if doc is not None and row is not None:
            db.session.execute(sa.update(SearchIndex).where(SearchIndex.document_id == document_id)
                               .values(tags=with_symbol_tags(document_tags(doc), *row)))


INDEXING_EVENTS = (events.document_updated, events.document_drafted,
                   events.document_issued, events.document_dispatched, events.document_cancelled,
                   events.document_presented, events.document_assigned, events.document_completed,
                   events.document_submitted, events.document_returned, events.document_approved,
                   events.document_rejected)


def connect() -> None:
    """Subscribe in the transaction (idempotent: blinker keeps one connection per receiver)."""
    events.document_registered.connect(index_registered, weak=False)
    for signal in INDEXING_EVENTS:
        signal.connect(index_document, weak=False)
    events.attachment_text_ready.connect(index_attachments, weak=False)


# ---- every document (flask docflow reindex) ----------------------------------------------------------

SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS search_index_ai AFTER INSERT ON search_index BEGIN
  INSERT INTO search_fts(rowid, body, attachments_text, tags)
  VALUES (new.document_id, new.body, new.attachments_text, new.tags);
END""",
    """CREATE TRIGGER IF NOT EXISTS search_index_ad AFTER DELETE ON search_index BEGIN
  INSERT INTO search_fts(search_fts, rowid, body, attachments_text, tags)
  VALUES ('delete', old.document_id, old.body, old.attachments_text, old.tags);
END""",
    # only when the text changes (migration 0027): an update of the mirrored columns leaves search_fts alone
    """CREATE TRIGGER IF NOT EXISTS search_index_au AFTER UPDATE OF body, attachments_text, tags ON search_index
BEGIN
  INSERT INTO search_fts(search_fts, rowid, body, attachments_text, tags)
  VALUES ('delete', old.document_id, old.body, old.attachments_text, old.tags);
  INSERT INTO search_fts(rowid, body, attachments_text, tags)
  VALUES (new.document_id, new.body, new.attachments_text, new.tags);
END""",
)
#: SQLite: the FTS table built again from search_index, then merged into one b-tree. 'rebuild' leaves a dozen
#: segments (13 at 1M), and a probe of one row looks each word up in every segment: 'optimize' makes such
#: probes ~6x cheaper and takes ~10 s at 1M. Later registrations add segments that FTS5 merges as it goes.
FTS5_REBUILD = ("INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
                "INSERT INTO search_fts(search_fts) VALUES ('optimize')")
PG_INDEXES = (
    # over the vector and its words' first letters (migration 0029: docflow_prefixed)
    "CREATE INDEX IF NOT EXISTS ix_search_index_tsv ON search_index USING gin (docflow_prefixed(tsv, prefixes)) "
    "WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS ix_search_index_symbol_trgm ON search_index USING gin (symbol_norm gin_trgm_ops)",
)


def _batch_rows(first_id: int, last_id: int) -> list[dict]:
    d = Document.__table__
    docs = db.session.execute(sa.select(
        d.c.id, d.c.number_symbol, d.c.subject, d.c.sender_name, d.c.signer, d.c.notes, d.c.instruction,
        d.c.result, d.c.cancelled_reason, d.c.direction, d.c.year, d.c.status, d.c.confidentiality, d.c.urgency,
        d.c.doc_type_id, d.c.register_id, d.c.issued_date, d.c.received_date, d.c.number, d.c.sender_org_id)
        .where(d.c.id.between(first_id, last_id)).order_by(d.c.id)).all()
    if not docs:
        return []
    extra: dict[int, list[str]] = {}
    for doc_id, text in db.session.execute(
            sa.union_all(
                sa.select(Recipient.document_id, Recipient.name).where(
                    Recipient.document_id.between(first_id, last_id)),
                sa.select(Assignment.document_id, Assignment.instruction).where(
                    Assignment.document_id.between(first_id, last_id), Assignment.instruction.is_not(None)))):
        extra.setdefault(doc_id, []).append(text)
    parts: dict[int, list[tuple]] = {}
    for doc_id, user_id, unit_id in db.session.execute(
            sa.select(Participant.document_id, Participant.user_id, Participant.unit_id).where(
                Participant.document_id.between(first_id, last_id))):
        parts.setdefault(doc_id, []).append((user_id, unit_id))
    files: dict[int, list[str]] = {}
    for doc_id, text in db.session.execute(
            sa.select(Attachment.document_id, Attachment.text).where(
                Attachment.document_id.between(first_id, last_id), Attachment.text_status == "done",
                Attachment.text.is_not(None)).order_by(Attachment.id)):
        files.setdefault(doc_id, []).append(text)
    rows = []
    postgresql = _dialect() == "postgresql"
    for r in docs:
        body = folded(r.number_symbol, r.subject, r.sender_name, r.signer, r.notes, r.instruction, r.result,
                      r.cancelled_reason, *extra.get(r.id, ()))
        text, symbol = folded(*files.get(r.id, ())), symbol_norm(r.number_symbol)
        rows.append({"document_id": r.id, "body": body, "attachments_text": text, "symbol_norm": symbol,
                     "sender_key": folded(r.sender_name)[:250] or None,
                     "tags": with_symbol_tags(document_tags(r, parts.get(r.id, ())), body, text, symbol),
                     "prefixes": prefix_lexemes(body, text) if postgresql else "",
                     **{name: getattr(r, name) for name in MIRRORED}})
    return rows


#: reindex's upsert of one row, run for each row of a batch (executemany), per dialect
_REINDEX_UPSERTS: dict[str, Direct] = {}
#: (the mirrored columns too: the rows are the documents' as read, as the triggers would write them)
_REINDEXED = ("body", "attachments_text", "symbol_norm", "sender_key", "tags", "prefixes", *MIRRORED)


def _reindex_upsert() -> Direct:
    dialect = _dialect()
    stmt = _REINDEX_UPSERTS.get(dialect)
    if stmt is None:
        base = (pg_insert if dialect == "postgresql" else sqlite_insert)(SearchIndex.__table__)
        stmt = _REINDEX_UPSERTS[dialect] = Direct(base.on_conflict_do_update(
            index_elements=["document_id"], set_={c: getattr(base.excluded, c) for c in _REINDEXED}))
    return stmt


def reindex(batch_size: int = 5000, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the documents table; commits per batch. Returns the rows written.

    SQLite: the triggers are dropped, the FTS table emptied ('delete-all'), the rows inserted in batches,
    then one FTS5 'rebuild' reads them all, 'optimize' merges them, and the triggers come back (also when
    something fails).
    PostgreSQL: the GIN indexes are dropped and built again once the rows are in (far faster than
    row-by-row GIN updates with fastupdate off)."""
    dialect = _dialect()
    conn = lambda: db.session.connection()  # noqa: E731
    if dialect == "sqlite":
        for name in ("search_index_ai", "search_index_ad", "search_index_au"):
            conn().exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        conn().exec_driver_sql("DELETE FROM search_index")
        conn().exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('delete-all')")
    else:
        conn().exec_driver_sql("DROP INDEX IF EXISTS ix_search_index_tsv")
        conn().exec_driver_sql("DROP INDEX IF EXISTS ix_search_index_symbol_trgm")
        conn().exec_driver_sql("DELETE FROM search_index")
    db.session.commit()
    written = 0
    try:
        low, high = db.session.execute(sa.select(sa.func.min(Document.id), sa.func.max(Document.id))).one()
        spans = [] if low is None else [(first, min(first + batch_size - 1, high))
                                         for first in range(low, high + 1, batch_size)]
        for (first, last), rows in _read_ahead(spans):
            if rows:
                # one statement compiled once, run per row (executemany): a multi-row VALUES of the batch
                # was compiled again for each batch (5,000 rows x 5 parameters), a third of the time
                _reindex_upsert().many(rows)
                written += len(rows)
            db.session.commit()
            if progress:
                progress(last - first + 1)
    finally:
        db.session.rollback()
        if dialect == "sqlite":
            for statement in FTS5_REBUILD:
                conn().exec_driver_sql(statement)
            for ddl in SQLITE_TRIGGERS:
                conn().exec_driver_sql(ddl)
            db.session.commit()
        else:
            # the GIN index over the words and the pg_trgm index over the symbols, each by a server process
            side_by_side(*([ddl] for ddl in PG_INDEXES))
    return written


def _read_ahead(spans: list[tuple[int, int]]) -> Iterator[tuple[tuple[int, int], list[dict]]]:
    """Each span of ids with its index rows. PostgreSQL: the next span's rows are read and folded by a thread
    of its own (its own app context, session and connection) while the caller writes these: the folding is
    Python's work and the upsert the server's, so they overlap (at 1M each was about half of reindex's time).
    At most one batch is read ahead; a failure in either is raised here, after the thread has stopped.
    SQLite: read here, batch after batch (its writes are this process's own work: a thread gained nothing)."""
    if _dialect() != "postgresql":
        for span in spans:
            yield span, _batch_rows(*span)
        return
    if not spans:
        return
    app = current_app._get_current_object()

    def read(span: tuple[int, int]) -> list[dict]:
        with app.app_context():
            try:
                return _batch_rows(*span)
            finally:
                db.session.rollback()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="docflow-reindex-read") as pool:
        ahead = pool.submit(read, spans[0])
        for i, span in enumerate(spans):
            rows = ahead.result()
            if i + 1 < len(spans):
                ahead = pool.submit(read, spans[i + 1])
            yield span, rows


def document_id_span() -> int:
    """max(id) - min(id) + 1: the progress bar's length."""
    low, high = db.session.execute(sa.select(sa.func.min(Document.id), sa.func.max(Document.id))).one()
    return 0 if low is None else high - low + 1
