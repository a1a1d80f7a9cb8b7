"""participation_keys (migration 0019, registry/access.py): kept in step with the participant rows and the
documents by the database, and a restricted user's page by number found from them holds the same rows as
the OFFSET walk of the rule."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from docflow.core.timeutil import today
from docflow.registry.models import ParticipationKey
from docflow.search.indexer import retag


def _register(clerk, received, n, confidentiality="normal"):
    from docflow.incoming import services

    return services.register_incoming({"sender_name": "Sở Tài chính", "number_symbol": f"{n}/STC-NS",
                                       "issued_date": received.isoformat(), "received_date": received.isoformat(),
                                       "subject": f"Văn bản số {n}", "confidentiality": confidentiality}, actor=clerk)


@pytest.fixture
def docs(db, users):
    """17 letters over a few days (several a day), two confidential, most with the specialist's unit KT taking
    part as a unit, a few with the specialist in person (one of them with the unit too), one with unit VP."""
    from docflow.auth.models import Unit
    from docflow.registry import participants

    clerk, specialist = users["clerk"], users["specialist"]
    kt = db.session.scalar(sa.select(Unit).where(Unit.code == "KT"))
    vp = db.session.scalar(sa.select(Unit).where(Unit.code == "VP"))
    start = today() - timedelta(days=5)
    made = [_register(clerk, start + timedelta(days=i % 4), i, "confidential" if i in (3, 8) else "normal")
            for i in range(17)]
    db.session.flush()
    for i, doc in enumerate(made):
        if i % 5 != 4:
            participants.add(doc, "primary", unit_id=kt.id)
        if i % 4 == 1:
            participants.add(doc, "coordinate", user_id=specialist.id, unit_id=kt.id)
        if i == 6:
            participants.add(doc, "inform", unit_id=vp.id)
    retag(doc.id for doc in made)  # the search tags, as the flows' events would write them
    db.session.commit()
    return made


def _keys():
    from docflow.extensions import db

    k = ParticipationKey.__table__
    return sorted(tuple(r) for r in db.session.execute(sa.select(k)))


def _expected_keys():
    """What the triggers should hold: the keys built from every participant row (access.PARTICIPATION_KEYS_FILL),
    in a scratch table of the same shape."""
    from docflow.extensions import db
    from docflow.registry import access

    typed = [sa.column(c.name, c.type) for c in ParticipationKey.__table__.c]
    db.session.execute(sa.text("CREATE TEMPORARY TABLE expected_keys AS SELECT * FROM participation_keys WHERE 0 = 1"))
    db.session.execute(sa.text(access.PARTICIPATION_KEYS_FILL.replace("INSERT INTO participation_keys",
                                                                     "INSERT INTO expected_keys")), {"first": 0})
    rows = sorted(tuple(r) for r in db.session.execute(sa.text("SELECT * FROM expected_keys").columns(*typed)))
    db.session.execute(sa.text("DROP TABLE expected_keys"))
    return rows


def test_the_keys_follow_the_participant_rows_and_the_documents(docs, users):
    from docflow.extensions import db
    from docflow.registry import participants
    from docflow.registry.models import Participant

    keys = _keys()
    assert keys == _expected_keys()
    specialist = users["specialist"]
    kinds = {k[0] for k in keys}
    assert kinds == {"u", "a", "n"}
    # a document of both the unit and the person: once per way of taking part
    assert len([k for k in keys if k[2] == docs[1].id]) == 3
    # the document's keys change with it
    docs[0].received_date = docs[0].received_date - timedelta(days=30)
    docs[2].confidentiality = "secret"
    docs[5].number = 9999
    db.session.commit()
    assert _keys() == _expected_keys()
    assert {k[4] for k in _keys() if k[2] == docs[0].id} == {docs[0].received_date}
    # removed participants take their keys away, unless another row of the same way still holds them
    participants.remove(docs[1], ["coordinate"])  # the person goes; the unit stays ("n", "a")
    participants.remove(docs[5], ["coordinate"])
    db.session.commit()
    keys = _keys()
    assert keys == _expected_keys()
    assert [k[0] for k in keys if k[2] == docs[1].id] == ["a", "n"]
    assert not [k for k in keys if k[2] == docs[5].id and k[0] == "u"]
    # a changed participant row moves its keys
    row = db.session.scalar(sa.select(Participant).where(Participant.document_id == docs[9].id,
                                                         Participant.user_id == specialist.id))
    row.document_id = docs[10].id
    db.session.commit()
    assert _keys() == _expected_keys()
    # a deleted document takes its keys with it
    db.session.execute(sa.delete(Participant).where(Participant.document_id == docs[2].id))
    db.session.delete(docs[2])
    db.session.commit()
    assert _keys() == _expected_keys()
    assert not [k for k in _keys() if k[2] == docs[2].id]
    retag(doc.id for doc in docs if doc is not docs[2])  # the search tags, as the flows' events would
    db.session.commit()


@pytest.mark.parametrize("who", ["specialist", "unit_head"])
@pytest.mark.parametrize("per_page", [1, 2, 3])
def test_a_page_by_number_holds_the_rows_of_the_offset_walk(docs, users, who, per_page, monkeypatch):
    """A restricted user with many participations: page N by number is found from participation_keys (a seek
    after the row before it), from DEEP_OFFSET in the gathered form when a condition was added; every page
    holds the rows of the rule's own statement with OFFSET, in order, and a page past the end is empty."""
    from docflow.extensions import db
    from docflow.incoming import services
    from docflow.registry import access, lists

    monkeypatch.setattr(access, "MANY_PARTICIPATIONS", 1)
    user = users[who]
    used = []
    original = access._position

    class Spy:
        def __init__(self, user, direction):
            self.position = original(user, direction)
            self.count_upto = self.position.count_upto

        def __call__(self, ordering, offset):
            found = self.position(ordering, offset)
            used.append(found)
            return found

    spying = Spy

    monkeypatch.setattr(access, "_position", spying)
    stmt = services.list_incoming(user)
    everything = [r[0] for r in db.session.execute(
        stmt.with_only_columns(sa.literal_column("documents.id")))]  # the rule's rows, the list's order
    assert 5 <= len(everything) < 17
    pages = -(-len(everything) // per_page)
    for n in range(1, pages + 2):
        page = lists.paginate(services.list_incoming(user), lists.INCOMING, page=n, per_page=per_page)
        assert [d.id for d in page.items] == everything[(n - 1) * per_page:n * per_page], n
        assert page.has_next == (n < pages)
    assert len(used) == pages and all(u is not None for u in used)  # every page after the first was sought
    assert access._position(user, "incoming")(lists.INCOMING, len(everything) + 1) == ()
    # with a condition added, the keys do not count that list: from DEEP_OFFSET the gathered form walks
    monkeypatch.setattr(access, "DEEP_OFFSET", 1)
    used.clear()
    done = [d for d in everything if db.session.get(type(docs[0]), d).status == "registered"]
    for n in range(1, -(-len(done) // per_page) + 1):
        page = lists.paginate(services.list_incoming(user, status="registered"), lists.INCOMING, page=n,
                              per_page=per_page)
        assert [d.id for d in page.items] == done[(n - 1) * per_page:n * per_page]
    assert used == []


def test_a_dossier_lent_to_the_user_pages_by_offset(docs, users, monkeypatch):
    """The keys do not hold a lent dossier's documents: a borrower's pages are walked (position says None)."""
    from docflow.extensions import db
    from docflow.registry import access, lists

    monkeypatch.setattr(access, "MANY_PARTICIPATIONS", 1)
    user = users["specialist"]
    position = access._position(user, "incoming")
    assert position(lists.INCOMING, 2) is not None
    assert access._position(user, "incoming").count_upto(5) is not None
    monkeypatch.setattr(access._Position, "_borrows", True)  # as when a loan of the user's is `lent`
    assert access._position(user, "incoming")(lists.INCOMING, 2) is None
    assert access._position(user, "incoming").count_upto(5) is None
    assert access._position(user, "incoming")(lists.OUTGOING, 2) is None
    db.session.rollback()


def test_the_triggers_are_the_migrations():
    """access.PARTICIPATION_KEYS_TRIGGERS (what a large seed creates again) are migration 0019's own."""
    import importlib.util
    from pathlib import Path

    from docflow.registry import access

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "20261201_0019_participation_keys.py"
    spec = importlib.util.spec_from_file_location("migration_0019", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.SQLITE == tuple(access.PARTICIPATION_KEYS_TRIGGERS["sqlite"].values())
    assert migration.POSTGRESQL == tuple(s for ddl in access.PARTICIPATION_KEYS_TRIGGERS["postgresql"].values()
                                         for s in ddl)
    assert migration.FILL.split() == access.PARTICIPATION_KEYS_FILL.replace(
        " AND document_id >= :first", "").replace("WHERE user_id IS NOT NULL\n", "WHERE user_id IS NOT NULL ").split()


@pytest.mark.parametrize("who", ["specialist", "unit_head"])
def test_the_keys_count_what_the_rule_counts(docs, users, who, monkeypatch):
    """A restricted user's bounded count is read from the keys (one range, no walk): the rule's count."""
    from docflow.incoming import services
    from docflow.registry import access, lists

    monkeypatch.setattr(access, "MANY_PARTICIPATIONS", 1)
    user = users[who]
    stmt = services.list_incoming(user)
    n = lists.count_upto(stmt, 100)[0]
    for limit in range(1, n + 2):
        assert access._position(user, "incoming").count_upto(limit) == lists.count_upto(stmt, limit)
    counted = []
    monkeypatch.setattr(lists, "bounded_count", lambda *a, **kw: counted.append(1))
    page = lists.paginate(services.list_incoming(user), lists.INCOMING, per_page=2, count_limit=3)
    assert counted == [] and int(page.total) == 3 and not page.total.exact
