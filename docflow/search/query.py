"""Search queries: parse what the user typed, build the engine's query from the parsed terms (every term
quoted: no input can be an FTS5 or tsquery syntax error), filter, count, facet and page with the
visibility rule inside the SQL.

Query language: words (all must match), "exact phrase", prefix*, -excluded (a word or a "phrase").
A query that looks like a number-symbol (15/QĐ-UBND) also matches it exactly through symbol_norm.

Cost (engineering-notes §1c): the matching rows' filter columns are read once, capped at CAP + 1 rows
(RESTRICTED_CAP + 1 for a viewer who sees only what they take part in); they give the total (exact up to
the cap) and the facets. Relevance ranking (bm25 / ts_rank) runs only when the whole result set is within
RANK_CAP; a larger one is shown newest first (SQLite: the first candidates of the date order, the engine
asked once for its hits in their id range; PostgreSQL: the date index walked, the engine probed per row). A
query holding a phrase is counted up to PHRASE_CAP.
"""

import functools
import html
import itertools
import json
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date

import sqlalchemy as sa
from flask import g, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as SchemaError
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.orm import with_polymorphic

from docflow.archive.models import Dossier, DossierDocument
from docflow.archive.rules import dossier_filter
from docflow.core.enums import CLEARANCES, DIRECTION_LABELS, DIRECTIONS, URGENCIES
from docflow.core.errors import ValidationFailed
from docflow.core.fields import to_date
from docflow.core.text import bad_text_reason, fold, like_escape
from docflow.core.values import MAX_ID
from docflow.extensions import db
from docflow.incoming.models import Assignment
from docflow.outgoing.models import Recipient
from docflow.registry import access
from docflow.registry.access import OFFICE_WIDE_ROLES, visible_filter
from docflow.registry.models import Attachment, DocType, Document, Participant
from docflow.search.indexer import PREFIX_LENGTHS, own_texts, symbol_key, symbol_norm, symbol_tags, tag
from docflow.search.models import SearchIndex

#: the documents' date order, walked for a large result set (migration 0008); within a year, for a search
#: filtered by year (migration 0025)
DATE_INDEX, YEAR_DATE_INDEX = "ix_documents_search_date", "ix_documents_search_year"
#: a date-ordered page of at least WALK_MIN hits walks the date index if it should find the page within
#: WALK_ROWS rows of it (query._walk_date_index)
WALK_MIN, WALK_ROWS = 2_000, 5_000
#: SQLite reads the date order's candidates in batches (`_walked_page`): the first of WALK_PAGES times the page's
#: end (at least WALK_FIRST), the next from the matches' density so far, or WALK_GROWTH times larger
WALK_FIRST, WALK_PAGES, WALK_GROWTH = 40, 2, 4
#: the prefix lengths search_fts indexes (migration 0014: FTS5 `prefix='2 3 4'`); a longer prefix is
#: answered by merging the doclists of the words it starts
FTS5_PREFIXES = (2, 3, 4)
#: rows read to count and facet a result set; beyond it the total says "more than CAP"
CAP = 10_000
#: the same for a viewer who sees only what they (or their unit) take part in: their visible hits are a few
#: among many (a specialist sees ~1 in 10), so counting 10,001 of them reads ~100k hits (~200 ms at 1M);
#: their counts and facets are exact up to RESTRICTED_CAP, then "more than RESTRICTED_CAP"
RESTRICTED_CAP = 1_000
#: the same for a query holding a phrase of two words or more (`"thực hiện chuyển đổi số"`): both engines check
#: the words' positions in every row holding all of them, so counting 10,001 matches of a phrase over common
#: words read ~20-50k candidate rows (SQLite 35-70 ms, PostgreSQL 0.2-2 s at 1M); its counts and facets are
#: exact up to PHRASE_CAP, then "more than PHRASE_CAP" (newest first, as above any cap)
PHRASE_CAP = 1_000
#: a result set is ranked by relevance (bm25 / ts_rank) when at most this many documents match; a larger one is
#: shown newest first (the answer's `sort` says which). Either engine scores every match to rank them (SQLite's
#: bm25() ~6.5 us a row at 1M: `thực hiện` + QĐ + year, 9,920 matches, 64 ms before the first row), and among
#: thousands of letters that all hold the words the newest are what an office looks for first
RANK_CAP = 2_000
#: bm25() of search_fts's columns: the document's own text over its attachments; the tags count for nothing
BM25_WEIGHTS = (2.0, 1.0, 0.0)
#: the newest documents a term's share is read from (`_weighs_nothing`)
COMMON_SAMPLE = 2_000
#: a period (from/to) of at most this many months is asked of the engine as the months' tags
MONTH_TAGS = 36
#: the count's statement also gives the page of a result set it holds whole (`_counted`'s head): the first
#: HEAD_ROWS rows of the date order at most (page x per_page); a deeper page is read by its own statement
HEAD_ROWS = 1_000
#: the dossier facet lists the dossiers holding most of the (first CAP + 1) matching documents
DOSSIER_FACET = 20
MAX_QUERY = 500
MAX_TERMS = 24
SORTS = ("relevance", "date")
STATUS_LABELS = {
    "registered": _l("Registered"), "submitted": _l("Presented"), "assigned": _l("Assigned"),
    "completed": _l("Completed"), "cancelled": _l("Cancelled"), "draft": _l("Draft"), "in_review": _l("In review"),
    "returned": _l("Returned for revision"), "approved": _l("Approved, to issue"), "rejected": _l("Rejected"),
    "issued": _l("Issued"),
}
STATUSES = tuple(STATUS_LABELS)

_PIECE = re.compile(r"[^\W_]+")
_SYMBOL = re.compile(r"^\d+(?:/\d{4})?/[^\s/]*[^\W\d_][^\s]*$")
_MARK_ON, _MARK_OFF = "\ue000", "\ue001"
#: what every symbol tag starts with (indexer.symbol_tags)
SYMBOL_TAG = tag("symbol", "")


class QueryError(ValidationFailed):
    """What the user typed cannot be searched (too long, too many words, only exclusions): a 422."""


# ---- parsing ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    text: str  # folded
    pieces: tuple[str, ...]  # its words, as the tokenizers split them
    kind: str = "word"  # word, phrase, prefix
    negate: bool = False
    #: asked of the engine only to narrow the rows a filter then checks (the sender's words: `_sender_term`);
    #: it weighs nothing in the relevance
    narrows_only: bool = False


@dataclass
class Parsed:
    terms: list[Term] = field(default_factory=list)
    symbol: str | None = None
    #: the filters' tags asked of the engine beside the terms (engine_query): every group must match, by one
    #: of its tags (indexer.tags)
    tags: tuple[tuple[str, ...], ...] = ()

    @property
    def positive(self) -> list[Term]:
        return [t for t in self.terms if not t.negate]

    @property
    def negative(self) -> list[Term]:
        return [t for t in self.terms if t.negate]

    def __bool__(self) -> bool:
        return bool(self.terms or self.symbol)


def _clean(q) -> str:
    if not isinstance(q, str):
        return ""
    if bad_text_reason(q):  # a lone surrogate or control character: searched as the text around it
        q = "".join(ch if bad_text_reason(ch) is None else " " for ch in q)
    return unicodedata.normalize("NFC", q).strip()


def _raw_terms(q: str):
    """(text, kind, negate) in the order typed; an unbalanced quote runs to the end."""
    i, n = 0, len(q)
    while i < n:
        if q[i].isspace():
            i += 1
            continue
        negate = False
        if q[i] == "-" and i + 1 < n and not q[i + 1].isspace():
            negate, i = True, i + 1
        if q[i] == '"':
            end = q.find('"', i + 1)
            end = n if end < 0 else end
            text, i = q[i + 1:end], end + 1
            kind = "phrase"
            if i < n and q[i] == "*":
                kind, i = "prefix", i + 1
            yield text, kind, negate
            continue
        j = i
        while j < n and not q[j].isspace() and q[j] != '"':
            j += 1
        text, i = q[i:j], j
        kind = "word"
        if text.endswith("*"):
            text, kind = text.rstrip("*"), "prefix"
        yield text, kind, negate


def parse(q) -> Parsed:
    q = _clean(q)
    if len(q) > MAX_QUERY:
        raise QueryError({"q": [_("The search text is too long (at most %(n)s characters).", n=MAX_QUERY)]})
    parsed = Parsed()
    bare = q.strip('"').strip()
    if _SYMBOL.match(bare):
        parsed.symbol = symbol_norm(bare)
    seen = set()
    for text, kind, negate in _raw_terms(q):
        folded = fold(text)
        pieces = tuple(_PIECE.findall(folded))
        if not pieces:
            continue
        if kind == "word" and len(pieces) > 1:
            kind = "phrase"  # 15/QĐ-UBND, kinh-te: its words side by side
        term = Term(" ".join(pieces), pieces, kind, negate)
        if term not in seen:
            seen.add(term)
            parsed.terms.append(term)
    if len(parsed.terms) > MAX_TERMS:
        raise QueryError({"q": [_("Too many words to search for (at most %(n)s).", n=MAX_TERMS)]})
    if parsed.terms and not parsed.positive and not parsed.symbol:
        raise QueryError({"q": [_("Add at least one word to look for, not only words to exclude.")]})
    return parsed


# ---- the engines ----------------------------------------------------------------------------------------

def fts5_match(parsed: Parsed) -> str | None:
    """The FTS5 MATCH expression: every term a quoted string of plain words (never FTS5 syntax), matched in
    the document's text and attachments only; the filters' tags (`#y2026`, tokenized `y2026`) in their own
    column."""

    def one(t: Term) -> str:
        return '"' + " ".join(t.pieces) + '"' + ("*" if t.kind == "prefix" else "")

    if not parsed.positive and not parsed.tags:
        return None
    parts = []
    if parsed.positive:
        expr = " AND ".join(one(t) for t in parsed.positive)
        if parsed.negative:
            expr = f"({expr}) NOT ({' OR '.join(one(t) for t in parsed.negative)})"
        parts.append(f"{{body attachments_text}} : ({expr})")
    for group in parsed.tags:
        parts.append("{tags} : (" + " OR ".join(f'"{t}"' for t in group) + ")")
    return " AND ".join(parts)


def _simple(text: str):
    """to_tsquery('simple', text): quoted lexemes (pieces hold only letters and digits), as the text's parser
    made them."""
    return sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), sa.literal(text, sa.Text))


def _pg_lexemes(lexemes, op: str = "&"):
    """The tsquery of lexemes as they are, joined by `op`: no parser would make `~xay` or `#y2026` of text."""
    return sa.cast(sa.literal(f" {op} ".join(f"'{x}'" for x in lexemes), sa.Text), TSQUERY)


def _and(query, term):
    return term if query is None else sa.func.tsquery_and(query, term)


def _pg_term(t: Term):
    if t.kind == "prefix":  # quoted lexemes, the last one a prefix
        return _simple(" <-> ".join(f"'{p}'" for p in t.pieces) + ":*")
    return sa.func.phraseto_tsquery(sa.literal_column("'simple'::regconfig"), sa.literal(" ".join(t.pieces), sa.Text))


#: PostgreSQL: what the GIN index is built over (migrations 0028 and 0029): the row's vector and, for each of its
#: words longer than 2, 3 or 4 letters, those first letters as a lexeme of their own (`~xa ~xay`, the row's
#: `prefixes`, written by the indexer)
INDEXED = sa.func.docflow_prefixed(sa.literal_column("search_index.tsv"), sa.literal_column("search_index.prefixes"))
#: the prefix lengths the index holds as lexemes
PG_PREFIXES = PREFIX_LENGTHS


def _pg_index_term(t: Term):
    """What the GIN index is asked for a positive term: its words without positions (a phrase is the AND of
    its words, as GIN reads it), a prefix of 2 to 4 letters as its lexeme or the word itself (`'~xay' | 'xay'`:
    one list each, where `xay:*` merged the list of every word it starts), a longer one as a prefix still."""
    *words, last = t.pieces
    query = None
    for piece in words + ([] if t.kind == "prefix" else [last]):
        query = _and(query, _simple(f"'{piece}'"))
    if t.kind == "prefix":
        query = _and(query, sa.func.tsquery_or(_pg_lexemes([f"~{last}"]), _simple(f"'{last}'"))
                     if len(last) in PG_PREFIXES else _simple(f"'{last}':*"))
    return query


def _indexed(parsed: Parsed):
    """PostgreSQL: the condition that reads the query's hits through the GIN index. The index is asked the
    positive terms' words (`_pg_index_term`) and the tags; where that is not the query itself (a phrase, an
    excluded term), each row it gives is tested for the query (its own vector, as GIN's recheck did, and
    never the index's expression, which would be computed again for every row)."""
    query = None
    for t in parsed.positive:
        query = _and(query, _pg_index_term(t))
    for group in parsed.tags:
        query = _and(query, _pg_lexemes(group, "|"))
    if not parsed.negative and all(len(t.pieces) == 1 for t in parsed.positive):
        return INDEXED.op("@@")(query)
    return sa.and_(INDEXED.op("@@")(query), sa.func.ts_match_vq(TSV, pg_tsquery(parsed)))


def pg_tsquery(parsed: Parsed):
    if not parsed.positive and not parsed.tags:
        return None
    query = None
    for t in parsed.positive:
        query = _and(query, _pg_term(t))
    for t in parsed.negative:
        query = sa.func.tsquery_and(query, sa.func.tsquery_not(_pg_term(t)))
    for group in parsed.tags:  # lexemes as they are (`'#y2026'`)
        query = _and(query, _pg_lexemes(group, "|"))
    return query


def _sqlite_from_hint(compiler, table, text):
    """SQLAlchemy renders no table hint on SQLite; `with_hint(table, "INDEXED BY ...", "sqlite")` then renders
    `table INDEXED BY ...` (only statements that ask for a SQLite hint: none did before)."""
    return text


SQLiteCompiler.get_from_hint_text = _sqlite_from_hint


def _dialect() -> str:
    return db.session.get_bind().dialect.name


FTS = sa.table("search_fts", sa.column("rowid", sa.Integer))
TSV = sa.literal_column("search_index.tsv")
FTS_ROWID = sa.literal_column("+search_fts.rowid", sa.Integer)


def _fts_match(expression: str):
    return sa.literal_column("search_fts").op("MATCH")(sa.literal(expression, sa.Text))


def _symbol_cond(symbol: str):
    """The number-symbol look-up: the exact key (btree); on PostgreSQL, when no document has exactly that
    key, a symbol quoted in part through pg_trgm (a short symbol's trigrams are in many rows: only as a
    fallback)."""
    cond = SearchIndex.symbol_norm == symbol
    if _dialect() == "postgresql" and len(symbol) >= 3 and db.session.scalar(
            sa.select(sa.literal(1)).where(cond).limit(1)) is None:
        cond = SearchIndex.symbol_norm.like(f"%{like_escape(symbol)}%", escape="\\")
    return cond


FTS_ALL = sa.table("search_fts", sa.column("rowid", sa.Integer)).alias("matched")


def _weighs_nothing(term: Term) -> bool:
    """SQLite: is the term in at least half of the newest COMMON_SAMPLE documents? Then it weighs nothing in
    bm25: FTS5 clamps the IDF of a phrase in half the documents or more, log((N - n + 0.5) / (n + 0.5)), to
    1e-6 (`nhân` is in 533k of 1M documents, through "nhân dân"). bm25 still reads the phrase's whole list to
    count them: ~40 ms at 1M. Read on the newest documents (a rowid range: FTS5 reads only that part of the
    list), once per request; over the whole index when it is smaller than the sample."""
    known = g.setdefault("search_weighs_nothing", {}) if has_app_context() else {}
    if term not in known:
        if "span" not in known:
            # the ids are dense (a document is never deleted): the sample's size from the ends of the primary
            # key, not a count of its wide rows (2,000 of them: ~1.5 ms)
            # (each end its own statement: SQLite reads min() and max() together by scanning every row)
            low = db.session.scalar(sa.select(sa.func.min(SearchIndex.document_id)))
            top = db.session.scalar(sa.select(sa.func.max(SearchIndex.document_id)))
            known["span"] = (max((top or 0) - COMMON_SAMPLE, (low or 1) - 1), top or 0)
        after, top = known["span"]
        holding = db.session.scalar(sa.select(sa.func.count()).select_from(FTS).where(
            _fts_match(fts5_match(Parsed(terms=[term]))), FTS.c.rowid > after))
        known[term] = top > after and 2 * holding >= top - after
    return known[term]


def _asks_symbol_tag(parsed: Parsed) -> bool:
    """The engine query holds the number-symbol's tag (symbol_group): every document whose key is the
    query's is among its hits already."""
    return bool(parsed.symbol) and any(t.startswith(SYMBOL_TAG) for group in parsed.tags for t in group)


def _engine_selects(parsed: Parsed, ranked: bool, known: list[int] | None = None) -> list:
    """One select of (id[, rank]) per way the text can match (the engine's words, the number-symbol); each
    one's ids are unique (FTS5 rowids, search_index's primary key). `known`: the result set's ids, when the
    count read them (`_counted`; SQLite, a ranked page scored apart from its hits: `_scored`)."""
    selects = []
    # the number-symbol's own tag asked: the documents bearing it are among the hits, ranked first (-1e9) by
    # their key; its look-up is a select of its own only where it adds documents (PostgreSQL's pg_trgm
    # fallback when no document bears exactly that symbol). Beside the tag it ran the rule and the join for
    # every document bearing the symbol once more (a specialist's `2/BC-UBND`, 2,627 of them: 17 ms at 1M)
    tagged = _asks_symbol_tag(parsed)
    exact = _symbol_cond(parsed.symbol) if parsed.symbol else None
    if _dialect() == "postgresql":
        tsq = pg_tsquery(parsed)
        if tsq is not None:
            # ranked by the words alone: ts_rank of the query with its tags weighs every hit's tags too (and the
            # sender filter's words are the filter's, not the search's)
            words = pg_tsquery(replace(parsed, tags=(), terms=[t for t in parsed.terms if not t.narrows_only]))
            rank = -sa.func.ts_rank(TSV, words) if words is not None else sa.literal(0.0)
            if tagged:
                rank = sa.case((SearchIndex.symbol_norm == parsed.symbol, -1e9), else_=rank)
            cols = [SearchIndex.document_id.label("id")] + ([rank.label("rank")] if ranked else [])
            # the count's ids (the rule and the filters applied) looked up by key, each row ranked: not the GIN
            # bitmap built again (a specialist's `đất đai` + sender, 276 hits: 29 ms at 1M)
            selects.append(sa.select(*cols).where(
                _indexed(parsed) if known is None else
                SearchIndex.document_id == sa.any_(sa.bindparam("known", known, type_=ARRAY(sa.Integer)))))
    else:
        match = fts5_match(parsed)
        if match is not None:
            # bm25 weighing the document's own text over its attachments. Alone, the bm25() function: it is
            # evaluated only for the rows the filters keep and the sort reads (the hidden rank column with
            # `rank MATCH` scores every hit: `thực hiện` + doc_type + year at 1M, 490k hits for 9,920 rows,
            # 1.25 s of CPU against 0.3 s). Beside the number-symbol's select the hits are grouped, where
            # bm25() cannot be evaluated: the rank column then.
            # Tags alone (a number-symbol's, with the filters'): bm25 weighs the tags' column 0, so every hit
            # would score 0 after its IDF pass had read each tag's whole list: 0 without it.
            alone = not parsed.symbol or tagged
            rank = (sa.literal(0.0) if not parsed.positive
                    else sa.func.bm25(sa.literal_column("search_fts"), *BM25_WEIGHTS) if alone
                    else sa.literal_column("search_fts.rank"))
            if tagged:  # the key's index (symbol_norm, then the rowid) probed for each hit the page sorts
                rank = sa.case((sa.exists().where(SearchIndex.symbol_norm == parsed.symbol,
                                                  SearchIndex.document_id == FTS_ROWID), -1e9), else_=rank)
            # `+rowid`: the join on it can look documents up by id but cannot be handed to FTS5 as a rowid
            # probe, so SQLite reads the hits in one pass (and stops at a LIMIT) instead of starting from a
            # small IN list (a specialist's documents) and running the full-text query once per document
            # (a prefix query expanded each time: seconds), which it otherwise picks without statistics
            cols = [FTS_ROWID.label("id")] + ([rank.label("rank")] if ranked else [])
            conds = [_fts_match(match)] + ([rank.op("MATCH")(sa.literal(f"bm25{BM25_WEIGHTS}", sa.Text))]
                                           if ranked and not alone and parsed.positive else [])
            if ranked and alone and parsed.positive and not tagged:
                conds = _scored(parsed, match, cols, known) or conds
            selects.append(sa.select(*cols).select_from(FTS).where(*conds))
    if _symbol_apart(parsed, exact):
        cols = [SearchIndex.document_id.label("id")] + ([sa.literal(-1e9).label("rank")] if ranked else [])
        selects.append(sa.select(*cols).where(exact))
    return selects


def _symbol_apart(parsed: Parsed, exact) -> bool:
    """Is the number-symbol's look-up (`exact`, `_symbol_cond`) asked beside the engine's words? Not when the
    engine query holds the symbol's own tag and the look-up is the exact key: its documents are among the
    hits already."""
    return bool(parsed.symbol) and not (_asks_symbol_tag(parsed)
                                        and exact.compare(SearchIndex.symbol_norm == parsed.symbol))


def _scored_terms(parsed: Parsed) -> list[Term] | None:
    """SQLite: the positive terms that weigh in bm25 (`_scored`), or None when every one does (the MATCH is
    scored as it is)."""
    scored = [t for t in parsed.positive if not t.narrows_only and not _weighs_nothing(t)]
    return None if len(scored) == len(parsed.positive) else scored


def _scored(parsed: Parsed, match: str, cols: list, known: list[int] | None = None) -> list | None:
    """SQLite, a ranked select: bm25 over only the phrases that weigh in it, the hits kept by the whole MATCH.

    bm25 counts the documents holding each phrase of its MATCH by reading the phrase's whole list (its IDF),
    also for phrases that cannot change a score: the words in half the documents or more
    (`_weighs_nothing`: ~40 ms for `nhân` at 1M) and the tags (their column weighs 0). Where a word weighs
    nothing, the hits are the whole MATCH's, read without bm25 (no IDF pass) as a set, and bm25 scores them
    through a MATCH of the other words: the same scores (to 1e-6 per word left out). The sender filter's words
    (`Term.narrows_only`) are left out the same way: they are the filter's, not the search's (`"tai nguy"*`
    for "Sở Tài nguyên" also cost its prefix's IDF pass). Where no word weighs the hits are equal (rank 0)
    and shown newest first. None: every word weighs: the MATCH as it is.

    `known`: the hits are the ids the count read (at most RANK_CAP, the rule and the filters applied): the set
    is those ids, not the whole MATCH read again (a specialist's `đất đai` + sender, 276 hits: the MATCH with
    its sender's prefix and viewer's tags cost 15 of the ranked statement's 31 ms at 1M)."""
    scored = _scored_terms(parsed)
    if scored is None:
        # only the tags would be left out: their lists are shorter than a common word's (a unit's 120k, a year's
        # 200k against 500k and more) and a second walk of the words costs more than their IDF pass (a
        # specialist's `đất đai` + sender, the words' hits twice as many without the viewer's tags: 156 -> 192 ms)
        return None
    if not scored:
        cols[1:] = [sa.literal(0.0).label("rank")]
        return [_fts_match(match)]
    # `+rowid IN (a select)`: the set is made once; a plain rowid IN would be handed to FTS5 as one rowid
    # probe each, and bm25's IDF read again for every probe (919 hits: 23 s)
    matched = sa.select(FTS_ALL.c.rowid).where(
        sa.literal_column("matched.search_fts").op("MATCH")(sa.literal(match, sa.Text)))
    if known is not None:
        matched = sa.select(sa.column("value", sa.Integer)).select_from(
            sa.func.json_each(sa.literal(json.dumps(known), sa.Text)))
    return [_fts_match(fts5_match(Parsed(terms=scored))), FTS_ROWID.in_(matched)]


def _matches(parsed: Parsed, ranked: bool, known: list[int] | None = None):
    """A subquery of (id[, rank]) of the documents the text matches; rank: lower is better (`known`: as
    `_engine_selects`).

    One select is used as it is (its ids are unique): no DISTINCT or GROUP BY, which would make the engine
    read every hit before the caller's LIMIT applies; only a union is de-duplicated."""
    selects = _engine_selects(parsed, ranked, known)
    if len(selects) == 1:
        return selects[0].subquery("hits")
    sub = sa.union_all(*selects).subquery("m")
    if ranked:
        return sa.select(sub.c.id, sa.func.min(sub.c.rank).label("rank")).group_by(sub.c.id).subquery("hits")
    return sa.select(sub.c.id).distinct().subquery("hits")


def _match_probe(parsed: Parsed):
    """The text condition asked of one document row (correlated on documents.id): the engine probes that
    document only, so a walk of the date index stops after the page instead of reading every hit."""
    conds = []
    if _dialect() == "postgresql":
        tsq = pg_tsquery(parsed)
        if tsq is not None:
            # OFFSET 0: PostgreSQL cannot flatten the EXISTS into a join, so it probes the rows walked instead
            # of building the GIN bitmap of every hit and sorting them (it guesses a phrase matches a few rows:
            # `"có hiệu lực kể từ ngày ký"`, 108k hits, 0.9-2.2 s)
            conds.append(sa.select(sa.literal(1)).where(SearchIndex.document_id == Document.id, TSV.op("@@")(tsq))
                         .offset(0).exists())
    else:
        match = fts5_match(parsed)
        if match is not None:
            conds.append(sa.exists(sa.select(sa.literal(1)).select_from(FTS).where(
                _fts_match(match), FTS.c.rowid == Document.id)))
    if parsed.symbol:
        conds.append(sa.exists().where(SearchIndex.document_id == Document.id, _symbol_cond(parsed.symbol)))
    return sa.or_(*conds)


# ---- filters --------------------------------------------------------------------------------------------

def doc_date():
    """The document's date: its issue date, or for a letter without one its arrival date."""
    return sa.func.coalesce(Document.issued_date, Document.received_date)


class Day(fields.Date):
    """A date as yyyy-mm-dd or as the pages take it, dd/mm/yyyy (core.fields.to_date)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return to_date(value)
        except (ValueError, TypeError):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None


class SearchArgs(Schema):
    """The filters of GET /search and of the results page (names as api.md)."""

    class Meta:
        unknown = "exclude"

    q = fields.Str(load_default="", validate=validate.Length(max=MAX_QUERY))
    direction = fields.Str(validate=validate.OneOf(DIRECTIONS))
    doc_type = fields.Str(validate=validate.Length(max=10))
    sender = fields.Str(validate=validate.Length(max=250))
    from_ = Day(data_key="from")
    to = Day()
    received_from = Day()
    received_to = Day()
    issued_from = Day()
    issued_to = Day()
    urgency = fields.Str(validate=validate.OneOf(URGENCIES))
    confidentiality = fields.Str(validate=validate.OneOf(CLEARANCES))
    status = fields.Str(validate=validate.OneOf(STATUSES))
    unit = fields.Int(validate=validate.Range(min=1, max=MAX_ID))
    register = fields.Int(validate=validate.Range(min=1, max=MAX_ID))
    year = fields.Int(validate=validate.Range(min=1900, max=2999))
    dossier = fields.Int(validate=validate.Range(min=1, max=MAX_ID))
    sort = fields.Str(load_default="relevance", validate=validate.OneOf(SORTS))
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Int(load_default=20, validate=validate.Range(min=1, max=200))

    @validates_schema
    def _periods(self, data, **kwargs):
        for low, high in (("from_", "to"), ("received_from", "received_to"), ("issued_from", "issued_to")):
            if data.get(low) and data.get(high) and data[low] > data[high]:
                raise SchemaError(_("The start date is after the end date."), field_name=high)


def load_args(args) -> dict:
    """The filters from a query string; a 422 (ValidationFailed) naming the bad ones."""
    try:
        return SearchArgs().load({k: v for k, v in args.items() if v not in ("", None)})
    except SchemaError as exc:
        raise ValidationFailed({("from" if k == "from_" else k): v for k, v in exc.messages.items()}) from None


def _between(column, low: date | None, high: date | None) -> list:
    return ([column >= low] if low else []) + ([column <= high] if high else [])


def _sender_term(sender: str) -> Term | None:
    """The words every sender_key `LIKE '%<sender>%'` (folded) must hold, as an engine term: the whole words
    of the pattern side by side, the last one a prefix when the pattern may end inside a word (on SQLite cut
    to an indexed prefix length). Its first
    word may be the end of a longer word, so it is left out unless the pattern starts between words; a
    one-letter prefix (every word with that letter) is not worth asking. None: nothing to ask."""
    folded = fold(sender).strip()
    spans = [(m.start(), m.end()) for m in _PIECE.finditer(folded)]
    if spans and spans[0][0] == 0:
        spans = spans[1:]  # may be the end of a word
    kind = "phrase"
    if spans and spans[-1][1] == len(folded):
        if spans[-1][1] - spans[-1][0] >= 2:
            kind = "prefix"  # may be the start of a word
        else:
            spans = spans[:-1]
    pieces = tuple(folded[a:b] for a, b in spans)
    if not pieces:
        return None
    if kind == "prefix" and _dialect() == "sqlite" and len(pieces[-1]) > max(FTS5_PREFIXES):
        # a longer prefix merges its words' doclists (per row, when the date index is walked); the indexed
        # prefix of it is as necessary, and the LIKE decides
        pieces = (*pieces[:-1], pieces[-1][:max(FTS5_PREFIXES)])
    return Term(" ".join(pieces), pieces, kind if kind == "prefix" or len(pieces) > 1 else "word", narrows_only=True)


def _months(low: date, high: date) -> list[date]:
    months, day = [], low.replace(day=1)
    while day <= high and len(months) <= MONTH_TAGS:
        months.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def filter_tags(args: dict) -> tuple[tuple[str, ...], ...]:
    """The filters' tags (indexer.tags), one group per filter that has them: year, direction, status,
    confidentiality, urgency, type (by its code), register, unit (`#a`: the unit takes part through any of its
    rows, as the filter's IN), and the months of a `from`-`to` period of at most MONTH_TAGS months. Only a
    narrowing: the filters' own conditions still decide (`filters`)."""
    groups = []
    for name in ("year", "direction", "status", "confidentiality", "urgency", "register", "unit"):
        if args.get(name) not in (None, ""):
            groups.append((tag(name, args[name]),))
    if args.get("doc_type"):
        types = db.session.scalars(sa.select(DocType.id).where(DocType.code == args["doc_type"])).all()
        if types:
            groups.append(tuple(tag("doc_type", t) for t in types))
    if args.get("from_") and args.get("to"):
        months = _months(args["from_"], args["to"])
        if len(months) <= MONTH_TAGS:
            groups.append(tuple(tag("month", m) for m in months))
    return tuple(groups)


def viewer_tags(user) -> tuple[tuple[str, ...], ...]:
    """The visibility rule's part that the index's tags can say (indexer.participation_tags): for a restricted
    viewer who borrows no dossier, one group of the documents they take part in: `#p<user>`, and their
    unit's, `#a<unit>` for a unit head (any row of the unit), `#n<unit>` for anyone else (the unit as a
    unit). Exactly registry/access.py's sets, so a specialist's common word is one walk of the word's and
    their participation's doclists instead of every hit proved visible by a probe of its participant rows.
    Only a narrowing, like the filters' tags: the rule itself is still the statement's condition.

    The clearance is not asked (`#cnormal`): it keeps ~95% of the documents, so it narrows nothing, and
    every tag costs the ranked statement a read of its whole doclist (bm25 counts the documents holding each
    phrase of the query: `#cnormal` at 1M, 21 ms; a specialist's 2-hit number-symbol went 18 -> 63 ms)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    if not restricted(user) or access.borrows(user):
        return ()
    mine = [tag("person", user.id)]
    if user.unit_id is not None:
        mine.append(tag("unit" if user.has_role("unit_head") else "unit_as_unit", user.unit_id))
    return (tuple(mine),)


def engine_query(parsed: Parsed, args: dict, user=None) -> Parsed:
    """What the engine is asked: the parsed query, the sender filter's words (`_sender_term`) when the
    filter is text, and the filters' tags (`filter_tags`), once per request.

    The sender's words are in the indexed body, so every document the filter keeps holds them: the engine
    narrows the rows (an AND of two doclists) that the filter's LIKE then checks one by one, instead of a
    LIKE over every row's sender_key (1.5 s at 1M). Without words to search the engine drives the statement
    by the sender's words alone. The tags narrow the hits inside the engine in the same way: `thực hiện` +
    type QĐ + year, 9,920 of the word's 490k hits at 1M, is one walk of the doclists that skip each other,
    where every hit was looked up and tested (0.7-2.8 s). The symbol look-up is left as it is."""
    known = g.setdefault("search_engine_query", {}) if has_app_context() else {}
    key = (tuple(parsed.terms), parsed.symbol, tuple(sorted((k, str(v)) for k, v in args.items())), _who(user))
    if key not in known:
        known[key] = _engine_query(parsed, args, user)
    return known[key]


def symbol_group(parsed: Parsed) -> tuple[tuple[str, ...], ...]:
    """A query that is one number-symbol (`3/KH-UBND`) asks the engine for its symbol tag (indexer.symbol_tags:
    one short list) in place of the phrase of its words (`3 kh ubnd`: each in hundreds of thousands of
    documents at 1M, so FTS5 and the GIN index read long lists to find a few hundred rows). The tag is the
    symbol as written; `3/KH-UBND-VX` is another symbol and no longer a match. () when the query is not one
    symbol in the shape the index recognises in text."""
    if not parsed.symbol or len(parsed.terms) != 1 or parsed.terms[0].negate or parsed.terms[0].kind == "prefix":
        return ()
    found = symbol_tags(parsed.symbol.lower())  # symbol_norm: the folded query, upper case, without spaces
    return ((found[0],),) if len(found) == 1 and found[0] == tag("symbol", symbol_key(parsed.terms[0].text)) else ()


def _engine_query(parsed: Parsed, args: dict, user=None) -> Parsed:
    symbol = symbol_group(parsed)
    terms = [] if symbol else list(parsed.terms)
    sender = (args.get("sender") or "").strip()
    if sender and not (sender.isdigit() and int(sender) <= MAX_ID):
        term = _sender_term(sender)
        if term is not None and all((t.text, t.kind, t.negate) != (term.text, term.kind, False) for t in terms):
            terms.append(term)
    tags = symbol + filter_tags(args) + viewer_tags(user) if symbol or any(not t.negate for t in terms) else ()
    if terms == parsed.terms and not tags:
        return parsed
    return Parsed(terms=terms, symbol=parsed.symbol, tags=tags)


def filters(args: dict, user=None, engine: Parsed | None = None, *, own_row: bool = False) -> list:
    """The filters' conditions on Document. `dossier`: the documents filed in that dossier, a semi-join on
    dossier_documents (its primary key starts with dossier_id); with a `user`, only a dossier whose
    metadata the user may see (archive/rules.dossier_filter), so another dossier's contents are not told.

    `unit`: when the `engine` query holds the unit's tag (`filter_tags`), every hit already is one of the
    unit's documents, so each row the statement reads is proved so by a probe of its own participant rows;
    otherwise the unit's documents are gathered (an IN list: a small unit's few documents drive the
    statement). `own_row`: the statement reads search_index itself (`_index_statement`), whose sender_key
    is then its own column. SQLite builds that list before the first row is read: KT's 120k participant rows at 1M,
    ~60 ms in the count and again in the date walk (`thực hiện` + unit=KT, a specialist: 186 -> 22 ms)."""
    conds = []
    if args.get("direction"):
        conds.append(Document.direction == args["direction"])
    if args.get("doc_type"):
        conds.append(Document.doc_type_id.in_(sa.select(DocType.id).where(DocType.code == args["doc_type"])))
    sender = (args.get("sender") or "").strip()
    if sender.isdigit() and int(sender) <= MAX_ID:
        conds.append(Document.sender_org_id == int(sender))
    elif fold(sender):
        # asked of each row (its search_index row by key): the statement is driven by the engine's hits,
        # narrowed by the sender's words (engine_query), not by a scan of every row's sender_key
        pattern = f"%{like_escape(fold(sender))}%"
        if own_row:  # the statement reads search_index itself (`_index_statement`)
            conds.append(SearchIndex.sender_key.like(pattern, escape="\\"))
        else:
            conds.append(sa.exists().where(SearchIndex.document_id == Document.id,
                                           SearchIndex.sender_key.like(pattern, escape="\\")))
    conds += _between(doc_date(), args.get("from_"), args.get("to"))
    conds += _between(Document.received_date, args.get("received_from"), args.get("received_to"))
    conds += _between(Document.issued_date, args.get("issued_from"), args.get("issued_to"))
    for name in ("urgency", "confidentiality", "status", "year"):
        if args.get(name) is not None:
            conds.append(getattr(Document, name) == args[name])
    if args.get("register"):
        conds.append(Document.register_id == args["register"])
    if args.get("unit"):
        if engine is not None and any(tag("unit", args["unit"]) in group for group in engine.tags):
            # by the index on document_id: the unit's is not usable here (coalesce), which SQLite would
            # otherwise read whole for every row (120k entries: 67 s); fenced (OFFSET 0) as access._probes
            conds.append(sa.select(sa.literal(1)).where(
                Participant.document_id == Document.id,
                sa.func.coalesce(Participant.unit_id, 0) == args["unit"]).offset(0).exists())
        else:
            conds.append(Document.id.in_(sa.select(Participant.document_id)
                                         .where(Participant.unit_id == args["unit"])))
    if args.get("dossier"):
        filed = sa.select(DossierDocument.document_id).where(DossierDocument.dossier_id == args["dossier"])
        if user is not None:
            filed = filed.where(DossierDocument.dossier_id.in_(
                sa.select(Dossier.id).where(Dossier.id == args["dossier"], dossier_filter(user))))
        conds.append(Document.id.in_(filed))
    return conds


# ---- the search ------------------------------------------------------------------------------------------

@dataclass
class Result:
    items: list  # Document instances of the page
    snippets: dict  # id -> HTML
    total: int
    total_exact: bool
    facets: dict
    #: False: more than the cap (CAP, RESTRICTED_CAP for a restricted viewer) match and the facets count the
    #: first cap + 1 of them
    facets_exact: bool
    page: int
    per_page: int
    sort: str  # what the page was actually ordered by
    parsed: Parsed


def restricted(user) -> bool:
    """A viewer who sees only what they (or their unit) take part in, or borrow: not an office-wide role."""
    return user is None or not getattr(user, "is_authenticated", False) or not user.has_role(*OFFICE_WIDE_ROLES)


def cap_for(user, parsed: Parsed | None = None) -> int:
    """The rows counted and faceted before the total says "more than": CAP, or RESTRICTED_CAP for a
    restricted viewer; at most PHRASE_CAP for a query holding a phrase (not a number-symbol's)."""
    cap = RESTRICTED_CAP if restricted(user) else CAP
    if parsed is not None and not parsed.symbol and any(t.kind == "phrase" and len(t.pieces) > 1
                                                        for t in parsed.positive):
        cap = min(cap, PHRASE_CAP)
    return cap


def _visible(user, parsed: Parsed, *, walk: bool = False):
    """The visibility rule in the shape the statement needs. A user who (or whose unit) takes part in many
    documents (access.MANY_PARTICIPATIONS) has each row's own participant rows probed (`probe=True`) rather
    than every document they take part in gathered first: a unit's 120k participant rows at 1M cost ~65 ms
    of CPU on SQLite before the first row is read, made PostgreSQL hash-join a leader's few hits to a scan of
    every document (a number-symbol with one hit: 0.5-1.3 s), and a specialist's empty query sorted by date
    hash the unit's 120k documents (PostgreSQL 1.46 s). A user who takes part in few documents has them
    gathered (a short list), which a probe per hit would not beat: a newcomer's common word probed the
    participant rows of every one of its 500k hits (1.1-1.7 s at 1M). `walk`: the statement starts from a
    few rows of the date order (`_range_walked`): probed."""
    # built once per request and shape (access.visible_filter remembers it): a search asks it of 2-6 statements
    return visible_filter(user, probe=walk or _takes_part_in_many(user))


#: what the rule and the viewer's tags depend on of a user: the key of what a request remembers of them
_who = access.user_key


def _takes_part_in_many(user) -> bool:
    """access.takes_part_in_many (a bounded read of the participant indexes), once per request and user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    known = g.setdefault("search_takes_part_in_many", {}) if has_app_context() else {}
    key = _who(user)  # a unit head counts the unit's rows of every kind: the roles are in the key
    if key not in known:
        known[key] = access.takes_part_in_many(user)
    return known[key]


def _statement(user, parsed: Parsed, args: dict, columns, ranked: bool, known: list[int] | None = None):
    parsed = engine_query(parsed, args, user)
    stmt = sa.select(*columns).select_from(Document)
    hits = None
    if parsed:
        hits = _matches(parsed, ranked, known)
        stmt = stmt.join(hits, hits.c.id == Document.id)
    return stmt.where(_visible(user, parsed), *filters(args, user, parsed)), hits


def _index_statement(user, parsed: Parsed, args: dict):
    """PostgreSQL: the count's and facets' statement (`_counted`) over search_index alone, or None where it
    cannot be (SQLite; no words or number-symbol to ask; a rule or filter reading a column the row does not
    mirror). The row holds the document's rule, filter and facet columns (search/models.py MIRRORED, kept by
    triggers), so the rule and the filters are the same expressions said over it (`access.over_mirror`) and
    each hit of the GIN bitmap is tested where it is read, instead of being joined to its document by key:
    a leader's count of a common word, a prefix or a word in a few percent of the documents
    (bench/README.md, search round 12)."""
    if _dialect() != "postgresql" or not parsed:
        return None
    engine = engine_query(parsed, args, user)
    if not engine:
        return None
    table = SearchIndex.__table__
    conds = [access.over_mirror(c, table) for c in (_visible(user, engine), *filters(args, user, engine,
                                                                                      own_row=True))]
    if any(c is None for c in conds):
        return None
    text = []
    tsq = pg_tsquery(engine)
    dense = False
    if tsq is not None:
        # words in many documents are tested row by row in the table's order until the cap (the function form
        # of `@@`, which no index serves): the GIN bitmap of every hit is built before the first row (`thực
        # hiện`, 490k hits: ~100-300 ms), where the cap's 10,001 hits are in the first ~20k rows
        dense = _dense(user, engine)
        text.append(sa.func.ts_match_vq(TSV, tsq) if dense else _indexed(engine))
    exact = _symbol_cond(engine.symbol) if engine.symbol else None
    if _symbol_apart(engine, exact):
        text.append(exact)
    day = sa.func.coalesce(table.c.issued_date, table.c.received_date)
    stmt = (sa.select(table.c.document_id.label("id"), table.c.doc_type_id, table.c.direction, table.c.year,
                      table.c.status, day.label("day"))
            .where(sa.or_(*text), *conds))
    # in the primary key's order: read along its index, whose pages stay in the shared buffers, where a
    # sequential scan of a table this size reads through a small ring of its own, every page from the
    # operating system's cache each time (`UBND` at 1M: 41-51 -> 33-38 ms)
    return stmt.order_by(table.c.document_id) if tsq is not None and dense else stmt


@dataclass
class Counted:
    """What `_counted` read: the facets' rows (doc_type_id, direction, year, status, n), the dossiers' counts
    {dossier_id: n}, and when asked and the result set is within the cap, the first rows of its date order
    [(id, day)] (`head`) and its ids (`known`); None when not asked or not within the cap."""

    rows: list
    filed: dict
    head: list | None = None
    known: list[int] | None = None


def _counted(user, stmt, cap: int = CAP, head: int = 0, known_upto: int = 0) -> Counted:
    """The count and the facets in one statement, over at most cap + 1 matching rows (a CTE read more than
    once, so materialized once by both engines): rows (0, doc_type_id, direction, year, status, None, n,
    None) grouped by the filter columns, and (1, ..., dossier_id, n, None) for each dossier (one the user
    may see) the capped rows are filed in, through the index (document_id, dossier_id) of
    dossier_documents. `stmt` selects id, doc_type_id, direction, year, status and day (`doc_date`).

    When the capped rows are the whole result set (at most cap), the same statement gives what the page
    needs from them, so that no second statement reads the hits again:

    - `head`: (2, ..., id, None, day) for the first `head` rows in the date order (newest first, the
      undated last, then by id: `ordered`'s), the page of a result set shown by date: a leader's `đất đai`
      + sender at 1M, 2,359 hits, read once (24 ms) instead of twice (+22 ms);
    - `known_upto`: (3, ..., id, None, None) for every row when there are at most that many (the ranked
      page's set: `_scored`)."""
    capped = stmt.limit(cap + 1).cte("capped")
    cols = [capped.c.doc_type_id, capped.c.direction, capped.c.year, capped.c.status]
    blank = [sa.null()] * 4

    def part(n: int):
        return sa.literal_column(str(n), sa.Integer)

    arms = [
        sa.select(part(0).label("part"), *cols, sa.cast(sa.null(), sa.Integer).label("key"),
                  sa.func.count().label("n"), sa.cast(sa.null(), sa.Date).label("day")).group_by(*cols),
        sa.select(part(1), *blank, DossierDocument.dossier_id, sa.func.count(), sa.null())
        .select_from(capped).join(DossierDocument, DossierDocument.document_id == capped.c.id)
        .join(Dossier, Dossier.id == DossierDocument.dossier_id).where(dossier_filter(user))
        .group_by(DossierDocument.dossier_id),
    ]
    size = sa.select(sa.func.count()).select_from(capped).scalar_subquery()
    if head:
        top = (sa.select(capped.c.id, capped.c.day).where(size <= cap)
               .order_by(capped.c.day.desc().nulls_last(), capped.c.id.desc()).limit(head).subquery("head"))
        arms.append(sa.select(part(2), *blank, top.c.id, sa.null(), top.c.day))
    if known_upto:
        arms.append(sa.select(part(3), *blank, capped.c.id, sa.null(), sa.null()).where(size <= known_upto))
    rows = db.session.execute(sa.union_all(*arms)).all()
    counted = Counted([r[1:5] + (r[6],) for r in rows if r[0] == 0], {r[5]: r[6] for r in rows if r[0] == 1})
    found = sum(r[-1] for r in counted.rows)
    if head and found <= cap:
        # in the date order: newest first, the undated last, then the greater id
        counted.head = [i for i, _day in sorted(((r[5], r[7]) for r in rows if r[0] == 2), reverse=True,
                                                key=lambda r: (r[1] is not None, r[1] or date.min, r[0]))]
    if known_upto and found <= known_upto:
        counted.known = [r[5] for r in rows if r[0] == 3]
    return counted


def _dossier_facet(filed: dict) -> list[dict]:
    """The DOSSIER_FACET dossiers holding most of the matching documents: {key: id, label, count}."""
    top = sorted(filed.items(), key=lambda kv: (-kv[1], kv[0]))[:DOSSIER_FACET]
    if not top:
        return []
    dossiers = {d.id: d for d in db.session.scalars(sa.select(Dossier).where(Dossier.id.in_([k for k, _n in top])))}
    return [{"key": k, "label": f"{dossiers[k].code} · {dossiers[k].title}", "count": n}
            for k, n in top if k in dossiers]


def _facets(rows, filed: dict | None = None) -> dict:
    """rows: (doc_type_id, direction, year, status, count); filed: {dossier_id: count}."""
    counts = {"doc_type": {}, "direction": {}, "year": {}, "status": {}}
    for doc_type_id, direction, year, status, n in rows:
        for name, key in (("doc_type", doc_type_id), ("direction", direction), ("year", year), ("status", status)):
            if key is not None:
                counts[name][key] = counts[name].get(key, 0) + n
    types = {}
    if counts["doc_type"]:
        types = {t.id: t for t in db.session.scalars(sa.select(DocType).where(DocType.id.in_(counts["doc_type"])))}

    def listed(name, label, key_of=lambda k: k):
        items = [{"key": key_of(k), "label": str(label(k)), "count": n} for k, n in counts[name].items()]
        return sorted(items, key=lambda f: (-f["count"], str(f["key"])))

    return {
        "doc_type": listed("doc_type", lambda k: types[k].name if k in types else k,
                           lambda k: types[k].code if k in types else str(k)),
        "direction": listed("direction", lambda k: DIRECTION_LABELS.get(k, k)),
        "year": sorted(listed("year", str), key=lambda f: -f["key"]),
        "status": listed("status", lambda k: STATUS_LABELS.get(k, k)),
        "dossier": _dossier_facet(filed or {}),
    }


def ordered(user, parsed: Parsed, args: dict, ranked: bool, large: bool = False):
    """select(Document) of the result set in its display order.

    `large`: more than the cap match (known from the capped count). Then the page is read by walking
    the documents' date index (ix_documents_search_date, newest first) and asking the engine about each
    row (`_match_probe`), stopping after the page: a common word is found within a few rows, whatever the
    size of the result set. A smaller result set is fetched whole and sorted (at most cap rows)."""
    order = [doc_date().desc().nulls_last(), Document.id.desc()]
    if large:
        parsed = engine_query(parsed, args, user)
        # SQLite would rather start from a small IN list (a specialist's documents) and probe the engine for
        # each of them: INDEXED BY makes it walk the date order (ORDER BY satisfied, stopped by the LIMIT)
        text = [_match_probe(parsed)] if parsed else []
        # every flow's own columns with the page (the snippets read them: `_documents`)
        return (sa.select(with_polymorphic(Document, "*")).where(_visible(user, parsed, walk=True),
                                                                 *filters(args, user, parsed), *text)
                .with_hint(Document, f"INDEXED BY {_date_index(args)}", "sqlite").order_by(*order))
    stmt, hits = _statement(user, parsed, args, [Document], ranked)
    if ranked and hits is not None:
        order.insert(0, hits.c.rank.asc())
    return stmt.order_by(*order)


def _date_index(args: dict) -> str:
    """The date order's index a walk reads (SQLite's hint): within the year when the search is filtered by
    year, so that the walk starts at that year's newest document instead of passing over every newer one
    (year=2025 under 2026's 200k documents at 1M: 13.5 -> 1.5 ms a batch)."""
    return YEAR_DATE_INDEX if args.get("year") is not None else DATE_INDEX


def _hit_bounds(engine: Parsed) -> tuple[int, int] | None:
    """SQLite: the smallest and largest id the engine's words (and the filters' tags) match, or None when
    the engine is not asked alone (a number-symbol's look-up beside it) or matches nothing. FTS5 reads
    each end of its doclists (`ORDER BY rowid LIMIT 1`)."""
    match = fts5_match(engine) if engine and not engine.symbol else None
    if match is None:
        return None
    ends = [db.session.scalar(sa.select(FTS.c.rowid).select_from(FTS).where(_fts_match(match))
                              .order_by(order).limit(1)) for order in (FTS.c.rowid.asc(), FTS.c.rowid.desc())]
    return None if ends[0] is None else (ends[0], ends[1])


def _range_walked(user, parsed: Parsed, args: dict, k: int, after: tuple | None = None,
                  bounds: tuple[int, int] | None = None):
    """SQLite: select of (id, day, 1) of those of the next k candidates of the date order that the text matches,
    and a row (id, day, -n) of the last of them and of how many were read (none when there were none). A
    candidate is a document the user may see that the filters keep, read from the date index newest first
    (`_date_index`: its from/to filter is a range of it); `after`: the previous candidates' last
    (day, id), where these follow (a keyset, tested on the index's own entries).

    The same matches, in the same order, as `ordered(..., large=True)` finds over the same candidates. Instead
    of a full-text probe per candidate (FTS5 seeks every segment of every word's doclist for one rowid: 50-200
    us a row at 1M; `"phòng, chống dịch bệnh"` walks ~1,000 rows, 150 ms), FTS5 is asked once for its hits
    between the smallest and the largest id of the candidates (a rowid range: it reads only that part of each
    doclist). Ids follow registration and registration follows the date, so the range is narrow; were it
    not, the range would only be wider (more hits read), never wrong. One statement: the candidates are read
    once (a filter that skips a year of them, year=2025 without an index, pays it once)."""
    engine = engine_query(parsed, args, user)
    date = doc_date()
    conds = []
    if after is not None:  # first: SQLite tests the terms in order, this one on the index entry alone
        last_date, last_id = after
        conds.append(sa.and_(date.is_(None), Document.id < last_id) if last_date is None else
                     sa.or_(date < last_date, sa.and_(date == last_date, Document.id < last_id), date.is_(None)))
    if bounds is not None:  # tested on the index entry too: a candidate outside the hits' ids is not read
        conds.append(Document.id.between(*bounds))
    conds += [_visible(user, engine, walk=True), *filters(args, user, engine)]
    first = (sa.select(Document.id, date.label("day")).where(*conds)
             .with_hint(Document, f"INDEXED BY {_date_index(args)}", "sqlite")
             .order_by(date.desc().nulls_last(), Document.id.desc()).limit(k).cte("firstk"))
    hit = sa.true()
    if engine:
        text = []
        match = fts5_match(engine)
        if match is not None:
            # over all the candidates (not correlated to the candidate the outer select reads)
            low = sa.select(sa.func.min(first.c.id)).correlate(None).scalar_subquery()
            high = sa.select(sa.func.max(first.c.id)).correlate(None).scalar_subquery()
            text.append(first.c.id.in_(sa.select(FTS.c.rowid).select_from(FTS).where(
                _fts_match(match), FTS.c.rowid >= low, FTS.c.rowid <= high)))
        if engine.symbol:
            text.append(sa.exists().where(SearchIndex.document_id == first.c.id, _symbol_cond(engine.symbol)))
        hit = sa.or_(*text)
    # the matches, then one row of the batch itself: its last candidate (the least in the date order) and
    # how many it read, as -n (returning every candidate cost ~1.5 us a row: a phrase's 10,240, 15 ms)
    matches = sa.select(first.c.id, first.c.day, sa.literal(1).label("hit")).where(hit)
    read = sa.select(sa.func.count()).select_from(first).scalar_subquery()
    last = (sa.select(first.c.id, first.c.day, -read)
            .order_by(first.c.day.is_(None).desc(), first.c.day.asc(), first.c.id.asc()).limit(1))
    return sa.union_all(matches, last.subquery().select())


def _walked_page(user, parsed: Parsed, args: dict, offset: int, limit: int, total: int = 0,
                 exact: bool = False) -> list:
    """The page of a large result set, newest first (what `ordered(..., large=True)` gives). SQLite: the date
    order's candidates read k at a time (`_range_walked`), each batch after the last, the first k from twice
    the page's end (WALK_PAGES: a common word is in half the documents), the next from the matches' density so
    far (WALK_GROWTH times more when none matched), until the page's end is reached or there are no more
    candidates; then the page's documents are read. PostgreSQL: the date index walked with a probe per row."""
    if _dialect() != "sqlite":
        return list(db.session.scalars(ordered(user, parsed, args, False, large=True)
                                        .offset(offset).limit(limit)).unique())
    end = offset + limit
    found, after, k = [], None, max(WALK_FIRST, WALK_PAGES * end)
    # a filter the engine answers by its tags (year=2025) keeps hits whose ids are a narrow range: the
    # candidates outside it are passed over on the date index alone (year=2025 under 2026's 200k newer
    # documents: each read and tested, 540 ms at 1M)
    bounds = _hit_bounds(engine_query(parsed, args, user))
    if bounds is not None and total and (exact or not restricted(user)) and 2 * (bounds[1] - bounds[0] + 1) <= (
            db.session.scalar(sa.select(sa.func.max(Document.id))) or 0):
        # hits in at most half the ids: every batch passes over the candidates outside them again, so the
        # first should find the page: at least `total` hits among those ids, where every document is a
        # candidate (an office-wide viewer; or all the hits are counted). A restricted viewer's candidates
        # are the few documents they may see, and their capped count says little of the hits' density
        # (a first batch sized from it read 8,000 of them: 65 -> 430 ms)
        k = max(k, min(WALK_PAGES * end * (bounds[1] - bounds[0] + 1) // total, bounds[1] - bounds[0] + 1))
    while True:
        # on the connection: the ORM's result machinery cost ~1.5 us a row of the thousands of candidates
        rows = db.session.connection().execute(_range_walked(user, parsed, args, k, after, bounds)).all()
        # in the date order: newest first, the undated last
        matched = [doc_id for doc_id, _day, _hit in sorted(
            (r for r in rows if r[2] > 0), key=lambda r: (r[1] is not None, r[1] or date.min, r[0]), reverse=True)]
        last = next((r for r in rows if r[2] <= 0), None)
        found += matched
        if len(found) >= end or last is None or -last[2] < k:
            break
        after = (last[1], last[0])  # (day, id)
        k = k * WALK_GROWTH if not matched else min(k * WALK_GROWTH ** 2, max(k, 3 * (end - len(found)) * k
                                                                                   // (2 * len(matched))))
    return _documents(found[offset:end])


def _documents(ids: list[int]) -> list:
    """The documents of `ids`, in that order, with every flow's own columns (`with_polymorphic`): the snippets
    read an incoming letter's direction and result (indexer.own_texts), which a plain select of Document left
    to one more statement per letter (at 1M on PostgreSQL, ~0.5 ms each for up to a page of letters)."""
    every = with_polymorphic(Document, "*")
    docs = {d.id: d for d in db.session.scalars(sa.select(every).where(every.id.in_(ids))).unique()}
    return [docs[i] for i in ids]


def _page(user, parsed: Parsed, args: dict, ranked: bool, offset: int, limit: int,
          known: list[int] | None = None) -> list:
    """A page of a result set within the cap (what `ordered` gives): the page's ids sorted first, then its
    documents read. Sorting the documents themselves carried every column of every match through the sort
    (9,920 rows at 1M: 250 -> 130 ms of SQLite's CPU). `known`: the result set's ids (`_counted`)."""
    order = [doc_date().desc().nulls_last(), Document.id.desc()]
    stmt, hits = _statement(user, parsed, args, [Document.id], ranked, known)
    if ranked and hits is not None:
        order.insert(0, hits.c.rank.asc())
    return _documents(list(db.session.scalars(stmt.order_by(*order).offset(offset).limit(limit))))


def _walk_date_index(parsed: Parsed, total: int, exact: bool, end: int) -> bool:
    """Walk the date index (probing the engine row by row) rather than fetch every hit and sort them?
    Always above CAP (the sort would read every hit, ~500k for a common word at 1M); from WALK_MIN hits
    when the walk is expected to reach the page's end within WALK_ROWS rows of the index (the rows walked
    are about end x documents / hits: the hits are spread over the dates)."""
    if not exact:
        return True
    if total < WALK_MIN:
        return False
    if _dialect() == "sqlite" and any(t.kind == "prefix" and len(t.pieces[-1]) not in FTS5_PREFIXES
                                      for t in parsed.positive):
        return False  # an unindexed FTS5 prefix probe merges the prefix's words per row: the sort is cheaper
    documents = db.session.scalar(sa.select(sa.func.max(Document.id))) or 0
    if _dialect() == "sqlite":
        # the walk reads up to WALK_GROWTH x end x documents / total rows of the date order (`_walked_page`),
        # the sort every hit: about as costly a row
        return WALK_GROWTH * end * documents <= total * total
    return end * documents <= WALK_ROWS * total


@contextmanager
def _serial_if_symbol(parsed: Parsed, args: dict, user):
    """PostgreSQL: no parallel workers for a query asked as a number-symbol's tag. The planner has no
    statistics for a tag (it guesses ~2,100 rows of any) and starts a worker to scan a list of a few rows:
    ~7 ms of start-up on 2 cores for a 1-hit `8783/QĐ-HĐND` (p50 of the bench's symbols at 1M 49 -> 27 ms).
    Not for other queries: prefixes and filters of many hits were slower without them (p95 456 -> 654 ms)."""
    serial = parsed.symbol and _dialect() == "postgresql" and _asks_symbol_tag(engine_query(parsed, args, user))
    with _planner_settings({"max_parallel_workers_per_gather": "0"} if serial else {}):
        yield


#: PostgreSQL, the count over search_index (`_index_statement`): the words are tested row by row in the table's
#: order, without the GIN bitmap, when the cap's hits are expected within this many rows (the cap + 1 over the
#: words' share among the newest DENSE_SAMPLE rows). At 1M, the leader's count and facets (ms, the GIN bitmap ->
#: row by row): `thực hiện` (50%) 253 -> 38, `ngân sách` (26%) 210 -> 59, `"ngân sách nhà nước"` (19%, counted to
#: 1,001) 112 -> 11, `giáo dục` (13%) 125 -> 110, `xây*` (12%) 125 -> 111; but `chuyển đổi số` (6%) 120 -> 244
DENSE_ROWS = 80_000
#: the same for a query holding a phrase: through the index its rows are the AND of its words, each row's
#: positions then tested, which the row-by-row walk does for every row it reads. The leader's `"thực hiện chuyển
#: đổi số"` (1.3%, counted to 1,001) walked 77k rows: 77 -> 58 ms through the index
PHRASE_DENSE_ROWS = 40_000
DENSE_SAMPLE = 1_000


def _dense(user, engine: Parsed) -> bool:
    """PostgreSQL: are the engine query's words in so many documents that the count's cap of hits is
    within DENSE_ROWS rows of the table's order (PHRASE_DENSE_ROWS for a phrase)? Read on the newest
    DENSE_SAMPLE index rows (a range of the primary key, each row's vector tested: ~1 ms), once per request
    and query. Not for a number-symbol (its look-up), nor beside the tags of a filter or of a restricted
    viewer (their lists are intersected in the bitmap first: the hits left are few)."""
    if engine.tags or engine.symbol or not engine.positive:
        return False
    phrase = any(t.kind == "phrase" and len(t.pieces) > 1 for t in engine.positive)
    return _within(engine, cap_for(user, engine), PHRASE_DENSE_ROWS if phrase else DENSE_ROWS)


def _within(engine: Parsed, cap: int, rows: int) -> bool:
    """PostgreSQL: are the cap's hits of the engine query's words (its tags aside) expected within `rows` rows,
    by their share among the newest DENSE_SAMPLE index rows (a range of the primary key, each row's vector
    tested: ~1 ms)? Asked once per request, query, cap and rows."""
    known = g.setdefault("search_dense", {}) if has_app_context() else {}
    key = (tuple(engine.terms), cap, rows)
    if key not in known:
        top = db.session.scalar(sa.select(sa.func.max(SearchIndex.document_id))) or 0
        sample = sa.select(sa.literal(1)).where(SearchIndex.document_id > top - DENSE_SAMPLE, sa.func.ts_match_vq(
            TSV, pg_tsquery(Parsed(terms=engine.terms)))).subquery()
        held = db.session.scalar(sa.select(sa.func.count()).select_from(sample)) or 0
        read = min(top, DENSE_SAMPLE)
        known[key] = held > 0 and (cap + 1) * read <= rows * held
    return known[key]


@contextmanager
def _planner_settings(settings: dict[str, str]):
    """PostgreSQL: planner settings (names and values of this module, never input) for the statements run
    inside, `SET LOCAL` and reset after them; after a failed statement the transaction is rolled back, and
    the settings with it."""
    for name, value in settings.items():
        db.session.execute(sa.text(f"SET LOCAL {name} = {value}"))
    yield
    for name in settings:
        db.session.execute(sa.text(f"RESET {name}"))


def search(user, args: dict) -> Result:
    parsed = parse(args.get("q"))
    with _serial_if_symbol(parsed, args, user):
        return _search(user, parsed, args)


def _search(user, parsed: Parsed, args: dict) -> Result:
    page, per_page = args.get("page", 1), args.get("per_page", 20)
    offset, end = (page - 1) * per_page, page * per_page
    engine = engine_query(parsed, args, user)
    stmt = _index_statement(user, parsed, args)
    if stmt is None:  # the hits joined to their documents (SQLite; a condition the index row cannot say)
        stmt, _hits = _statement(user, parsed, args, [Document.id, Document.doc_type_id, Document.direction,
                                                       Document.year, Document.status, doc_date().label("day")],
                                 ranked=False)
    cap = cap_for(user, parsed)
    may_rank = bool(parsed) and args.get("sort", "relevance") == "relevance"
    # a ranked page is given the count's ids as its set: SQLite where it is scored apart from its hits
    # (`_scored`), PostgreSQL always (its rows looked up by key and ranked: `_engine_selects`)
    known_upto = (RANK_CAP if may_rank and not engine.symbol and engine.positive
                  and (_dialect() == "postgresql" or _scored_terms(engine)) else 0)
    counted = _counted(user, stmt, cap, head=end if end <= HEAD_ROWS else 0, known_upto=known_upto)
    found = sum(row[-1] for row in counted.rows)
    exact = found <= cap
    total = min(found, cap)
    ranked = may_rank and exact and total <= RANK_CAP
    items = []
    if offset < total:
        if not ranked and counted.head is not None:
            items = _documents(counted.head[offset:end])  # the whole result set was read: its page with it
        elif not ranked and (not exact if not engine else _walk_date_index(engine, total, exact, end)):
            items = _walked_page(user, parsed, args, offset, per_page, total, exact)
        else:
            items = _page(user, parsed, args, ranked, offset, per_page, counted.known if ranked else None)
    return Result(items=items, snippets=snippets(parsed, items), total=total, total_exact=exact,
                  facets=_facets(counted.rows, counted.filed), facets_exact=exact, page=page, per_page=per_page,
                  sort="relevance" if ranked else "date", parsed=parsed)


# ---- snippets -----------------------------------------------------------------------------------------

#: each character's fold (`_fold_char`), kept as met: a page's subjects hold a few hundred distinct characters
_FOLDED_CHARS: dict[str, str] = {}


def _fold_char(ch: str) -> str:
    """fold(ch) of one character, a space for white space or for what folds to nothing (a lone mark)."""
    folded = _FOLDED_CHARS.get(ch)
    if folded is None:
        folded = " " if ch.isspace() else (fold(ch) or " ")
        if len(_FOLDED_CHARS) < 65_536:
            _FOLDED_CHARS[ch] = folded
    return folded


def _folded_with_map(text: str) -> tuple[str, list[int] | range]:
    """fold(text) character by character (white space kept), and for each folded character the index
    of the original character it came from. Folding each character anew cost a page of 20 subjects
    ~20 ms; each character's fold is remembered."""
    known = _FOLDED_CHARS.get
    parts = [known(ch) or _fold_char(ch) for ch in text]
    folded = "".join(parts)
    if len(folded) == len(text):  # every character one character (Vietnamese): the index is the position
        return folded, range(len(text))
    where = [i for i, part in enumerate(parts) for _c in part]
    return folded, where


def highlight(text: str | None, parsed: Parsed) -> str | None:
    """The original text, HTML-escaped, its words that match a positive term in <mark>; None when none does."""
    if not text or not parsed.positive:
        return None
    words = {p for t in parsed.positive if t.kind != "prefix" for p in t.pieces}
    prefixes = tuple(p for t in parsed.positive if t.kind == "prefix" for p in t.pieces)
    folded, where = _folded_with_map(text)
    spans = []
    for m in _PIECE.finditer(folded):
        w = m.group()
        if w in words or (prefixes and w.startswith(prefixes)):
            spans.append((where[m.start()], where[m.end() - 1] + 1))
    if not spans:
        return None
    out, last = [], 0
    for start, end in spans:
        if start < last:
            continue
        out.append(html.escape(text[last:start]))
        out.append("<mark>" + html.escape(text[start:end]) + "</mark>")
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


#: characters of each attachment's text read for a fragment (extract.MAX_TEXT_CHARS: up to 2M): a match further
#: in is shown from the index instead (`_engine_fragments`)
SNIPPET_SCAN = 200_000
#: a fragment of the original text: about 3 x SNIPPET_CONTEXT characters, chosen among windows starting near
#: each of the first SNIPPET_MATCHES matches (`_fragment`)
SNIPPET_CONTEXT = 70
SNIPPET_MATCHES = 60
_WORD_CHAR = r"[^\W_]"


@functools.cache
def _letter_classes() -> dict[str, str]:
    """For each ASCII letter and digit, a regular expression class of every precomposed letter (both cases)
    that `fold` makes it: `a` -> [AaÀàÁá...ẶặẦầ...], `d` -> [DdĐđÐð]."""
    found: dict[str, set[str]] = {}
    for code in (*range(0x30, 0x7B), *range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        ch = chr(code)
        folded_ch = fold(ch)
        if len(folded_ch) == 1 and folded_ch.isascii() and folded_ch.isalnum():
            found.setdefault(folded_ch, set()).add(ch)
    return {k: "[" + "".join(sorted(v)) + "]" for k, v in found.items()}


def _original_pattern(parsed: Parsed) -> re.Pattern | None:
    """A pattern finding the query's words (`highlight`'s: a prefix's pieces as prefixes) in original, NFC text,
    accents and case ignored: what the index's folding would match, read where it was written."""
    classes = _letter_classes()
    words = set()
    for t in parsed.positive:
        for piece in t.pieces:
            body = "".join(classes.get(c, re.escape(c)) for c in piece)
            words.add(body + (_WORD_CHAR + "*" if t.kind == "prefix" else ""))
    if not words:
        return None
    alternatives = "|".join(sorted(words, key=len, reverse=True))
    return re.compile(f"(?<!{_WORD_CHAR})(?:{alternatives})(?!{_WORD_CHAR})")


def _fragment(text: str, pattern: re.Pattern) -> tuple[str, int] | None:
    """The words around the pattern's matches in `text` (white space made single spaces, "…" where cut),
    HTML-escaped with every match in <mark>, and how many distinct words it marks; None without a match.
    The window is the one, among those starting near each of the first SNIPPET_MATCHES matches, that holds
    the most distinct words (`chuyển đổi*`: not the first `đối với` of the text but where `chuyển đổi số` is),
    the first on a tie."""
    matches = list(itertools.islice(pattern.finditer(text), SNIPPET_MATCHES))
    if not matches:
        return None
    span = 2 * SNIPPET_CONTEXT
    keys = [fold(m.group()) for m in matches]
    best, best_words = matches[0], 0
    for i, m in enumerate(matches):
        words, j = set(), i
        while j < len(matches) and matches[j].end() <= m.start() + span:
            words.add(keys[j])
            j += 1
        if len(words) > best_words:
            best, best_words = m, len(words)
    start = max(0, best.start() - SNIPPET_CONTEXT // 2)
    end = min(len(text), max(best.end(), best.start() + span) + SNIPPET_CONTEXT // 2)
    window = text[start:end]
    head, tail = best.start() - start, best.end() - start  # the chosen match within the window
    if start > 0:  # from the first whole word
        cut = min((i for i in (window.find(c, 0, head) for c in " \n\t") if i >= 0), default=-1)
        window, tail = (window[cut + 1:], tail - cut - 1) if cut >= 0 else (window, tail)
    if end < len(text):  # to the last whole word
        cut = max(window.rfind(c, tail) for c in " \n\t")
        window = window[:cut] if cut >= tail else window
    window = " ".join(window.split())
    out, last, marked = [], 0, set()
    for m in pattern.finditer(window):
        out += [html.escape(window[last:m.start()]), "<mark>", html.escape(m.group()), "</mark>"]
        last = m.end()
        marked.add(fold(m.group()))
    out.append(html.escape(window[last:]))
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else ""), len(marked)


@functools.cache
def _texts_statement():
    """The rest of what the indexer reads of the documents `ids` (indexer._row, attachments_text), in its
    order: recipients, assignments' directions, attachments' text. Built once (~1 ms of SQLAlchemy a page)."""
    ids = sa.bindparam("ids", expanding=True)
    texts = sa.union_all(
        sa.select(Recipient.document_id, sa.literal(1).label("part"), Recipient.id, Recipient.name)
        .where(Recipient.document_id.in_(ids)),
        sa.select(Assignment.document_id, sa.literal(2), Assignment.id, Assignment.instruction)
        .where(Assignment.document_id.in_(ids), Assignment.instruction.is_not(None)),
        sa.select(Attachment.document_id, sa.literal(3), Attachment.id,
                  sa.func.substr(Attachment.text, 1, SNIPPET_SCAN))
        .where(Attachment.document_id.in_(ids), Attachment.text_status == "done", Attachment.text.is_not(None)),
    ).subquery()
    return sa.select(texts).order_by(*list(texts.c)[:3])


def _original_fragments(parsed: Parsed, docs: list) -> dict[int, str]:
    """For documents whose subject holds none of the words: a fragment of the original text they matched in,
    with its accents (the index holds folded text: `…giao tham muu ke hoach…` where the letter says `…giao
    tham mưu kế hoạch…`). The document's own fields (indexer.own_texts), its recipients, its assignments'
    directions and its attachments' extracted text (the indexer's: done, the first SNIPPET_SCAN characters of
    each), read in one statement for the page; the
    text marking the most distinct words, the first on a tie. Words found only beyond the scan are left to
    `_engine_fragments`."""
    pattern = _original_pattern(parsed) if docs else None
    if pattern is None:
        return {}
    sources = {d.id: list(own_texts(d)) for d in docs}
    for doc_id, _part, _id, text in db.session.execute(_texts_statement(), {"ids": list(sources)}):
        sources[doc_id].append(text)
    out = {}
    for doc_id, texts in sources.items():
        best = None
        for text in texts:
            found = _fragment(text, pattern) if text else None
            if found is not None and (best is None or found[1] > best[1]):
                best = found
        if best is not None:
            out[doc_id] = best[0]
    return out


def _engine_fragments(parsed: Parsed, ids: list[int]) -> dict[int, str]:
    """Fragments of the indexed (folded) text around the matches, for documents whose subject holds none
    of the words (they matched in the sender, notes, direction or an attachment). Only for the page."""
    if not ids or not parsed.positive:
        return {}
    if _dialect() == "postgresql":
        tsq = pg_tsquery(parsed)
        options = f"StartSel={_MARK_ON}, StopSel={_MARK_OFF}, MaxFragments=2, MaxWords=18, MinWords=6"
        rows = db.session.execute(sa.select(SearchIndex.document_id, sa.func.ts_headline(
            sa.literal_column("'simple'::regconfig"), SearchIndex.body + " … " + SearchIndex.attachments_text, tsq,
            sa.literal(options, sa.Text))).where(SearchIndex.document_id.in_(ids)))
    else:
        rows = db.session.execute(
            sa.select(FTS.c.rowid, sa.func.snippet(sa.literal_column("search_fts"), -1, _MARK_ON, _MARK_OFF, "…", 16))
            .select_from(FTS).where(_fts_match(fts5_match(parsed)), FTS.c.rowid.in_(ids)))
    out = {}
    for doc_id, fragment in rows:
        if fragment and _MARK_ON in fragment:
            out[doc_id] = html.escape(fragment).replace(_MARK_ON, "<mark>").replace(_MARK_OFF, "</mark>")
    return out


def snippets(parsed: Parsed, docs) -> dict[int, str]:
    """Each document's subject with the words in <mark>; else, where the words matched elsewhere, a fragment
    of the original text around them (`_original_fragments`), or of the indexed, folded text when they are
    not in what that reads (`_engine_fragments`). A document that bears the number-symbol searched for is shown by it
    (its number_symbol beside the subject): no fragment is looked for (FTS5 probes each of its words' lists
    per document: ~0.5 ms a row at 1M)."""
    out, rest = {}, []
    for doc in docs:
        marked = highlight(doc.subject, parsed)
        if marked:
            out[doc.id] = marked
        elif not (parsed.symbol and symbol_norm(doc.number_symbol) == parsed.symbol):
            rest.append(doc)
    out.update(_original_fragments(parsed, rest))
    out.update(_engine_fragments(parsed, [d.id for d in rest if d.id not in out]))
    for doc in docs:
        out.setdefault(doc.id, html.escape(doc.subject or ""))
    return out
