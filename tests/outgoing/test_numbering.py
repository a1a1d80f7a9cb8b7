"""Outgoing numbers (domain.md §1.2, §1.3; engineering-notes §2): gap-free and unique per register
and year under concurrent issuing, confidential documents in their own sequence, numbers given back
by a rolled-back issue, the year of issue choosing the register, and the Decree 30 symbol forms.

Approved documents are made directly as rows (the ladder is tested through the API elsewhere); the
threads issue them with `services.issue`, each in its own app context (its own session), committing
every issue and retrying when the database is busy."""

import threading
import time
from datetime import date

import pytest
import sqlalchemy as sa

from docflow.core.timeutil import today

THREADS = 8
PER_THREAD = 25


@pytest.fixture
def setup(db, users, office):
    from docflow.outgoing.workflows import ensure_default_workflow

    wf = ensure_default_workflow()
    db.session.commit()
    return {"clerk_id": users["clerk"].id, "drafter_id": users["specialist"].id, "unit_id": office["KT"].id,
            "workflow_id": wf.id}


def _approved(db, setup, count: int, *, doc_type="CV", confidentiality="normal") -> list[int]:
    """`count` approved outgoing documents, made as rows."""
    from docflow.outgoing.models import OutgoingDocument
    from docflow.registry.models import DocType, Participant

    type_id = db.session.scalar(sa.select(DocType.id).where(DocType.code == doc_type))
    docs = [OutgoingDocument(status="approved", doc_type_id=type_id, subject=f"Văn bản {i}",
                     drafter_id=setup["drafter_id"], drafting_unit_id=setup["unit_id"],
                     created_by_id=setup["drafter_id"], workflow_id=setup["workflow_id"],
                     confidentiality=confidentiality, medium="electronic") for i in range(count)]
    db.session.add_all(docs)
    db.session.flush()
    ids = [d.id for d in docs]
    for doc_id in ids:
        db.session.add(Participant(document_id=doc_id, user_id=setup["drafter_id"], role="drafter"))
    db.session.commit()
    return ids


def _register(db, confidential: bool, year: int | None = None):
    from docflow.registry.models import Register

    db.session.expire_all()
    return db.session.scalar(sa.select(Register).where(Register.direction == "outgoing", Register.is_default.is_(True),
                                                      Register.is_confidential.is_(confidential),
                                                      Register.year == (year or today().year)))


def _issued(db, register_id: int) -> list[tuple[int, str]]:
    from docflow.registry.models import Document

    db.session.expire_all()
    return db.session.execute(sa.select(Document.number, Document.number_symbol)
                              .where(Document.register_id == register_id, Document.status == "issued")
                              .order_by(Document.number)).all()


def _issue_concurrently(make_app, clerk_id: int, jobs: list[list[int]]):
    """Each job list issued by its own thread; returns (doc_id, number) handed back, errors, retries."""
    from docflow.auth.models import User
    from docflow.extensions import db
    from docflow.outgoing import services
    from docflow.registry.models import Document

    # the test's own session must not hold a transaction (on SQLite, the write lock) while the threads run
    db.session.commit()
    app = make_app()
    handed: list[tuple[int, int]] = []
    errors: list[str] = []
    retries = [0]
    lock = threading.Lock()
    start = threading.Barrier(len(jobs))

    def worker(doc_ids):
        try:
            with app.app_context():
                start.wait(timeout=60)
                for doc_id in doc_ids:
                    for _attempt in range(200):
                        try:
                            clerk = db.session.get(User, clerk_id)
                            doc = db.session.get(Document, doc_id)
                            services.issue(doc, actor=clerk)
                            got = (doc.id, doc.number)
                            db.session.commit()
                        except sa.exc.OperationalError:  # busy, serialization failure, deadlock: retry
                            db.session.rollback()
                            with lock:
                                retries[0] += 1
                            time.sleep(0.01)
                            continue
                        with lock:
                            handed.append(got)
                        break
                    else:
                        raise AssertionError(f"gave up on document {doc_id}")
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported to the test thread
            with lock:
                errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return handed, errors, retries[0]


def test_concurrent_issuing_is_gap_free_and_unique(db, make_app, setup):
    total = THREADS * PER_THREAD
    ids = _approved(db, setup, total)
    jobs = [ids[i::THREADS] for i in range(THREADS)]
    handed, errors, _retries = _issue_concurrently(make_app, setup["clerk_id"], jobs)
    assert errors == []
    assert len(handed) == total
    reg = _register(db, False)
    rows = _issued(db, reg.id)
    assert [n for n, _s in rows] == list(range(1, total + 1))
    assert reg.last_number == total
    assert [s for _n, s in rows] == [f"{n:02d}/UBND-KT" for n in range(1, total + 1)]
    # every thread got back the number the database holds
    from docflow.registry.models import Document

    stored = dict(db.session.execute(sa.select(Document.id, Document.number).where(Document.id.in_(ids))).all())
    assert dict(handed) == stored
    # nothing went into the confidential register
    assert _register(db, True).last_number == 0


def test_confidential_documents_have_their_own_sequence(db, make_app, setup):
    normal = _approved(db, setup, 40, doc_type="QĐ")
    secret = _approved(db, setup, 40, doc_type="QĐ", confidentiality="confidential")
    mixed = [x for pair in zip(normal, secret, strict=True) for x in pair]
    jobs = [mixed[i::THREADS] for i in range(THREADS)]
    handed, errors, _retries = _issue_concurrently(make_app, setup["clerk_id"], jobs)
    assert errors == []
    assert len(handed) == 80
    ordinary, confidential = _register(db, False), _register(db, True)
    assert ordinary.id != confidential.id
    assert [n for n, _s in _issued(db, ordinary.id)] == list(range(1, 41))
    assert [n for n, _s in _issued(db, confidential.id)] == list(range(1, 41))
    assert ordinary.last_number == confidential.last_number == 40
    from docflow.registry.models import Document

    db.session.expire_all()
    for doc_id in secret:
        assert db.session.get(Document, doc_id).register_id == confidential.id
    assert {s for _n, s in _issued(db, confidential.id)} == {f"{n:02d}/QĐ-UBND" for n in range(1, 41)}


def test_a_rolled_back_issue_gives_its_number_back(db, setup, users):
    from docflow.outgoing import services
    from docflow.registry.models import Document

    first, second = _approved(db, setup, 2)
    clerk = users["clerk"]
    doc = db.session.get(Document, first)
    services.issue(doc, actor=clerk)
    assert doc.number == 1
    db.session.rollback()  # e.g. a failure after the number was taken, before commit
    assert _register(db, False).last_number == 0
    doc = db.session.get(Document, first)
    assert doc.status == "approved" and doc.number is None
    other = db.session.get(Document, second)
    services.issue(other, actor=clerk)
    db.session.commit()
    assert other.number == 1 and other.number_symbol == "01/UBND-KT"


def test_the_year_of_issue_chooses_the_register(db, setup, users):
    from docflow.outgoing import services
    from docflow.registry.models import Document

    (doc_id,) = _approved(db, setup, 1, doc_type="TB")
    last_year = date(today().year - 1, 12, 30)
    doc = services.issue(db.session.get(Document, doc_id), actor=users["clerk"], issued_date=last_year)
    db.session.commit()
    reg = _register(db, False, last_year.year)
    assert reg is not None and doc.register_id == reg.id
    assert doc.year == last_year.year and doc.number == 1 and doc.number_symbol == "01/TB-UBND"
    assert _register(db, False).last_number == 0


@pytest.mark.parametrize(("number", "code", "unit", "expected"), [
    (1, "CV", "KT", "01/UBND-KT"),
    (9, "CV", "VX", "09/UBND-VX"),
    (10, "CV", "KT", "10/UBND-KT"),
    (123, "CV", "KT", "123/UBND-KT"),
    (5, "QĐ", "KT", "05/QĐ-UBND"),
    (15, "TTr", "KT", "15/TTr-UBND"),
    (7, "ThC", "VP", "07/UBND-VP"),
])
def test_symbol_forms(db, office, number, code, unit, expected):
    from docflow.outgoing.services import build_symbol
    from docflow.registry.models import DocType

    doc_type = db.session.scalar(sa.select(DocType).where(DocType.code == code))
    assert build_symbol(number, doc_type, "UBND", unit) == expected
