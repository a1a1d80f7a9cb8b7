"""The statistics' own rows, kept in step by the document events in the document's transaction
(registry/events.py), and rebuilt whole by `rebuild()` (`flask docflow stats rebuild`; the seed).

- **stat_handling**: a completed incoming letter's local completion day and its working days from
  arrival (weekends and holidays skipped: no SQL can count them), measured once when it completes.
- **stat_counts** (with **stat_documents**): the monthly counts the office-wide figures are summed from.
  A document's *signature* (its dates, type, register, medium, sender, confidentiality, status, the units
  and people handling it as primary, its dispatch channels, its measured handling) says everything
  the figures read; `contributions(signature)` says which cells of stat_counts it adds one to. On every
  document event the signature is computed again; when it changed, the old contributions are taken
  back and the new ones added.

The cells (`dim`: key, sub, sub2 — in month `ym` of the arrival for incoming, of the issue for outgoing,
unless said otherwise). Empty key: no value (no unit, no sender in the list, not dispatched).

    a   —                        every counted document (volume totals, Directive 10)
    t   doc type id              g  register id       m  medium      o  sender organisation id (incoming)
    u   unit id (incoming: each unit handling it as primary; outgoing: the drafting unit)
    c   channel (outgoing; one cell per channel it was dispatched by)
    h   handling class           (incoming directed: open, on_time, late, done = completed, not measured)
    hu  unit, class              hp  person, class
    hd  working days             hud unit, days          hpd person, days     (completed and measured)
    ho  due date                 huo unit, due date      hpo person, due date (open, with a due date)
    pr  unit or "*"              (the period report: received)
    pd  unit or "*", class, arrival month "YYYYMM"         — in the month of completion
    pu  unit or "*", due date, completion month or "999912" — due, and not completed by its due date

**stat_unit_counts** holds the same cells once more for every unit taking part in the document (in any
role: the visibility rule's participants, registry/access.py), with `via` "a" when the unit takes part as
a unit (a row of the unit without a person) and "p" when only people of the unit do: the signature's
"v" lists these [unit id, via] pairs. A unit head's figures are their unit's cells (a and p), a
specialist's the cells their unit takes part in as a unit (a), without reading the documents.
"""

import json
from collections import Counter, defaultdict

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from docflow.core import calendar
from docflow.core.direct import Direct
from docflow.core.timeutil import to_local
from docflow.extensions import db
from docflow.incoming.models import IncomingDocument
from docflow.outgoing.models import Recipient
from docflow.registry import events
from docflow.registry.models import Document, Participant
from docflow.stats.models import StatCount, StatDocument, StatHandling, StatUnitCount

BATCH = 5000
CELL = ("dim", "direction", "ym", "confidentiality", "key", "sub", "sub2")
UNIT_CELL = ("unit_id", "via", *CELL)
NOT_COMPLETED = "999912"


# ---- handling times ----------------------------------------------------------------------------

def _measure(received, completed_at, off) -> tuple | None:
    if completed_at is None or received is None:
        return None
    day = to_local(completed_at).date()
    return day, calendar.working_days_between(received, day, off)


def _write_handling(document_id: int, measured) -> None:
    db.session.execute(sa.delete(StatHandling).where(StatHandling.document_id == document_id))
    if measured is not None:
        db.session.execute(sa.insert(StatHandling).values(document_id=document_id, completed_on=measured[0],
                                                          working_days=measured[1]))


# ---- signatures and contributions --------------------------------------------------------------

def _s(value) -> str:
    return "" if value is None else str(value)


def _ym(day: str) -> int:
    return int(day[:4]) * 100 + int(day[5:7])


def taking_part(rows) -> list[list]:
    """[[unit id, via], ...] of the units taking part, from the document's participants' (unit_id,
    user_id) in any role: via "a" when a row names the unit without a person, else "p"."""
    found: dict = {}
    for unit_id, user_id in rows:
        if unit_id is not None:
            found[unit_id] = "a" if user_id is None or found.get(unit_id) == "a" else "p"
    return [[u, found[u]] for u in sorted(found)]


def signature(row, units: list, people: list, channels: list, handled, parts: list | None = None) -> dict | None:
    """What a document adds to the figures (None: nothing — a cancelled letter, a document not issued).
    `row`: (id, direction, status, confidentiality, medium, doc_type_id, register_id, sender_org_id,
    received_date, issued_date, due_date, drafting_unit_id); `handled`: (completed_on, working_days) or None;
    `parts`: taking_part() of its participants."""
    (_id, direction, status, conf, medium, doc_type_id, register_id, sender_org_id, received, issued, due,
     drafting_unit_id) = row
    base = {"c": conf, "e": int(medium == "electronic"), "t": _s(doc_type_id), "g": _s(register_id), "m": medium,
            "v": parts or []}
    if direction == "outgoing":
        if status != "issued" or issued is None:
            return None
        return {**base, "d": "outgoing", "r": issued.isoformat(), "u": [_s(drafting_unit_id)],
                "ch": sorted({_s(c) for c in channels}) or [""]}
    if status == "cancelled" or received is None:
        return None
    sig = {**base, "d": "incoming", "r": received.isoformat(), "o": _s(sender_org_id), "s": status,
           "u": sorted({_s(u) for u in units}) or [""], "p": sorted({str(p) for p in people if p is not None}),
           "due": due.isoformat() if due else None, "done": None, "days": None}
    if status == "completed" and handled is not None:
        sig["done"], sig["days"] = handled[0].isoformat(), int(handled[1])
    return sig


def contributions(sig: dict | None) -> list[tuple]:
    """The cells (dim, direction, ym, confidentiality, key, sub, sub2) the document adds one to."""
    if sig is None:
        return []
    d, c, ym = sig["d"], sig["c"], _ym(sig["r"])
    out = [("a", d, ym, c, "", "", ""), ("t", d, ym, c, sig["t"], "", ""), ("g", d, ym, c, sig["g"], "", ""),
           ("m", d, ym, c, sig["m"], "", "")]
    out += [("u", d, ym, c, u, "", "") for u in sig["u"]]
    if d == "outgoing":
        out += [("c", d, ym, c, ch, "", "") for ch in sig["ch"]]
        return out
    out.append(("o", d, ym, c, sig["o"], "", ""))
    status, due, done, days = sig["s"], sig["due"], sig["done"], sig["days"]
    units, people = sig["u"], sig["p"]
    if status in ("assigned", "completed"):
        if status == "assigned":
            cls = "open"
        elif done is None:
            cls = "done"
        else:
            cls = "on_time" if due is None or done <= due else "late"
        out.append(("h", d, ym, c, cls, "", ""))
        out += [("hu", d, ym, c, u, cls, "") for u in units]
        out += [("hp", d, ym, c, p, cls, "") for p in people]
        if days is not None:
            out.append(("hd", d, ym, c, str(days), "", ""))
            out += [("hud", d, ym, c, u, str(days), "") for u in units]
            out += [("hpd", d, ym, c, p, str(days), "") for p in people]
        if cls == "open" and due is not None:
            out.append(("ho", d, ym, c, due, "", ""))
            out += [("huo", d, ym, c, u, due, "") for u in units]
            out += [("hpo", d, ym, c, p, due, "") for p in people]
    arrival = str(ym)
    for u in [*units, "*"]:
        out.append(("pr", d, ym, c, u, "", ""))
        if done is not None:
            cls = "on_time" if due is None or done <= due else "late"
            out.append(("pd", d, _ym(done), c, u, cls, arrival))
        if due is not None and (done is None or done > due):
            out.append(("pu", d, ym, c, u, due, str(_ym(done)) if done else NOT_COMPLETED))
    return out


def unit_contributions(sig: dict | None, cells: list[tuple] | None = None) -> list[tuple]:
    """The cells (unit id, via, *cell) of stat_unit_counts the document adds one to: its cells once for
    every unit taking part (`cells`: contributions(sig), when already computed)."""
    if sig is None or not sig.get("v"):
        return []
    cells = contributions(sig) if cells is None else cells
    return [(unit_id, via, *cell) for unit_id, via in sig["v"] for cell in cells]


# ---- reading documents in batches --------------------------------------------------------------

def _rows(ids_condition):
    return db.session.execute(sa.select(
        Document.id, Document.direction, Document.status, Document.confidentiality, Document.medium,
        Document.doc_type_id, Document.register_id, Document.sender_org_id, Document.received_date,
        Document.issued_date, Document.due_date, Document.__table__.c.drafting_unit_id).where(ids_condition)
        .order_by(Document.id)).all()


def _signatures(rows) -> dict[int, dict | None]:
    ids = [r[0] for r in rows]
    if not ids:
        return {}
    units: dict = defaultdict(list)
    people: dict = defaultdict(list)
    parts: dict = defaultdict(list)
    for doc_id, unit_id, user_id, role in db.session.execute(
            sa.select(Participant.document_id, Participant.unit_id, Participant.user_id, Participant.role)
            .where(Participant.document_id.in_(ids))):
        parts[doc_id].append((unit_id, user_id))
        if role != "primary":
            continue
        units[doc_id].append(unit_id)
        if user_id is not None:
            people[doc_id].append(user_id)
    channels: dict = defaultdict(list)
    for doc_id, channel in db.session.execute(
            sa.select(Recipient.document_id, Recipient.channel)
            .where(Recipient.document_id.in_(ids), Recipient.channel.is_not(None))):
        channels[doc_id].append(channel)
    handled = {doc_id: (day, days) for doc_id, day, days in db.session.execute(
        sa.select(StatHandling.document_id, StatHandling.completed_on, StatHandling.working_days)
        .where(StatHandling.document_id.in_(ids)))}
    return {r[0]: signature(r, units.get(r[0], []), people.get(r[0], []), channels.get(r[0], []),
                            handled.get(r[0]), taking_part(parts.get(r[0], ()))) for r in rows}


# ---- writing the cells -------------------------------------------------------------------------

_UPSERTS: dict = {}


def _upsert_statement(dialect: str, model=StatCount, columns=CELL) -> Direct:
    """The cells' UPSERT, built once per dialect and table (building it cost more than running it), on the
    table (the ORM's bulk-insert path cost more than the statement) and run on the session's cursor."""
    stmt = _UPSERTS.get((dialect, model))
    if stmt is None:
        table = model.__table__
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        stmt = _UPSERTS[(dialect, model)] = Direct(insert.on_conflict_do_update(index_elements=list(columns), set_={
            "n": table.c.n + insert.excluded.n, "electronic": table.c.electronic + insert.excluded.electronic}))
    return stmt


def _upsert(deltas: dict[tuple, tuple[int, int]]) -> None:
    """Add (n, electronic) to each cell, creating the missing ones (a cell of 7 values is stat_counts',
    one of 9 stat_unit_counts')."""
    dialect = db.session.get_bind().dialect.name
    for model, columns in ((StatCount, CELL), (StatUnitCount, UNIT_CELL)):
        values = [{**dict(zip(columns, cell, strict=True)), "n": n, "electronic": e}
                  for cell, (n, e) in deltas.items() if (n or e) and len(cell) == len(columns)]
        if not values:
            continue
        stmt = _upsert_statement(dialect, model, columns)
        for start in range(0, len(values), BATCH):
            stmt.many(values[start:start + BATCH])


def _deltas(old: dict | None, new: dict | None, deltas: dict) -> None:
    for sig, sign in ((old, -1), (new, 1)):
        if sig is None:
            continue
        e = sig["e"]
        cells = contributions(sig)
        for cell in (*cells, *unit_contributions(sig, cells)):
            n0, e0 = deltas.get(cell, (0, 0))
            deltas[cell] = (n0 + sign, e0 + sign * e)


def refresh(document_id: int, *, new_document: bool = False) -> None:
    """Compute the document's signature again and move its counts when it changed (Core statements:
    no unit of work; `new_document`: it was just registered, it has no stored signature)."""
    db.session.flush()
    rows = _rows(Document.id == document_id)
    new = _signatures(rows).get(document_id) if rows else None
    table = StatDocument.__table__
    stored = None if new_document else db.session.scalar(
        sa.select(table.c.signature).where(table.c.document_id == document_id))
    old = json.loads(stored) if stored is not None else None
    if old == new:
        return
    deltas: dict = {}
    _deltas(old, new, deltas)
    _upsert(deltas)
    text = None if new is None else json.dumps(new, separators=(",", ":"))
    if stored is not None:
        where = table.c.document_id == document_id
        db.session.execute(sa.delete(table).where(where) if text is None else
                           sa.update(table).where(where).values(signature=text))
    elif text is not None:
        db.session.execute(sa.insert(table).values(document_id=document_id, signature=text))


# ---- the events --------------------------------------------------------------------------------

def on_event(doc, **kwargs) -> None:
    refresh(doc.id)


_INSERT_SIGNATURE = Direct(sa.insert(StatDocument.__table__))


def on_registered(doc, **kwargs) -> None:
    """A letter just registered: its signature comes from the document as written, since it has no one
    handling it, no dispatch, no measured handling and no stored signature yet; two statements and no
    reads, in the registration's transaction (a registration is the office's most frequent write)."""
    row = (doc.id, doc.direction, doc.status, doc.confidentiality, doc.medium, doc.doc_type_id, doc.register_id,
           doc.sender_org_id, doc.received_date, doc.issued_date, doc.due_date, getattr(doc, "drafting_unit_id", None))
    sig = signature(row, [], [], [], None, [])
    if sig is None:
        return
    deltas: dict = {}
    _deltas(None, sig, deltas)
    _upsert(deltas)
    _INSERT_SIGNATURE.run({"document_id": doc.id, "signature": json.dumps(sig, separators=(",", ":"))})


def on_completed(doc, **kwargs) -> None:
    if doc.direction == "incoming":
        _write_handling(doc.id, _measure(doc.received_date, getattr(doc, "completed_at", None),
                                         calendar.holidays()))
    refresh(doc.id)


def on_updated(doc, changes=None, **kwargs) -> None:
    """A corrected arrival date changes the handling time of a completed letter."""
    if doc.direction == "incoming" and doc.status == "completed" and (changes is None or "received_date" in changes):
        _write_handling(doc.id, _measure(doc.received_date, getattr(doc, "completed_at", None),
                                         calendar.holidays()))
    refresh(doc.id)


#: the events after which a document's signature may have changed (attachments change nothing counted)
REFRESHING = (events.document_presented, events.document_assigned,
              events.document_drafted, events.document_submitted, events.document_approved,
              events.document_returned, events.document_rejected, events.document_issued,
              events.document_dispatched, events.document_cancelled)


def connect() -> None:
    events.document_registered.connect(on_registered, weak=False)
    for signal in REFRESHING:
        signal.connect(on_event, weak=False)
    events.document_completed.connect(on_completed, weak=False)
    events.document_updated.connect(on_updated, weak=False)


# ---- rebuilding --------------------------------------------------------------------------------

def document_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Document.id))) or 0


def rebuild(progress=None, batch: int = BATCH) -> int:
    """Measure every completed letter and count every document again; `progress(n)` after each batch.
    Returns the number of documents read. The caller commits."""
    off = calendar.holidays()
    for table in (StatCount, StatUnitCount, StatDocument, StatHandling):
        db.session.execute(sa.delete(table))
    cells: Counter = Counter()
    electronic: Counter = Counter()
    unit_cells: Counter = Counter()
    unit_electronic: Counter = Counter()
    done, last = 0, 0
    while True:
        ids = db.session.scalars(sa.select(Document.id).where(Document.id > last).order_by(Document.id)
                                 .limit(batch)).all()
        if not ids:
            break
        last = ids[-1]
        measured = []
        for doc_id, received, at in db.session.execute(
                sa.select(Document.id, Document.received_date, IncomingDocument.completed_at)
                .where(Document.id.in_(ids), Document.direction == "incoming", Document.status == "completed")):
            m = _measure(received, at, off)
            if m is not None:
                measured.append({"document_id": doc_id, "completed_on": m[0], "working_days": m[1]})
        if measured:
            db.session.execute(sa.insert(StatHandling), measured)
        sigs = _signatures(_rows(Document.id.in_(ids)))
        stored = []
        for doc_id, sig in sigs.items():
            if sig is None:
                continue
            stored.append({"document_id": doc_id, "signature": json.dumps(sig, separators=(",", ":"))})
            mine = contributions(sig)
            cells.update(mine)
            theirs = unit_contributions(sig, mine)
            unit_cells.update(theirs)
            if sig["e"]:
                electronic.update(mine)
                unit_electronic.update(theirs)
        if stored:
            db.session.execute(sa.insert(StatDocument), stored)
        done += len(ids)
        if progress:
            progress(len(ids))
    for model, columns, counted, counted_e in ((StatCount, CELL, cells, electronic),
                                               (StatUnitCount, UNIT_CELL, unit_cells, unit_electronic)):
        values = [{**dict(zip(columns, cell, strict=True)), "n": n, "electronic": counted_e.get(cell, 0)}
                  for cell, n in counted.items()]
        for start in range(0, len(values), BATCH):
            db.session.execute(sa.insert(model), values[start:start + BATCH])
    return done
