"""Gap-free, unique arrival numbers per (register, year) (engineering-notes §2, domain.md "sequences").

The concurrency tests register through `services.register_incoming` from several threads, each in its
own app context (Flask-SQLAlchemy scopes sessions to it), committing every registration, and check
what the database holds afterwards."""

import threading
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from docflow.core.timeutil import today

THREADS = 8
PER_THREAD = 50


def _data(tag: str, **extra) -> dict:
    return {"sender_name": "Sở Tài chính tỉnh Đồng Nai", "number_symbol": f"{tag}/STC-NS",
            "issued_date": today(), "doc_type": "CV", "subject": f"Về việc {tag}", **extra}


def _numbers(db, register_id: int) -> list[int]:
    from docflow.registry.models import Document

    db.session.expire_all()
    return db.session.scalars(sa.select(Document.number).where(Document.register_id == register_id)
                              .order_by(Document.number)).all()


def _register_row(db, register_id: int):
    from docflow.registry.models import Register

    db.session.expire_all()
    return db.session.get(Register, register_id)


def _run_threads(make_app, clerk_id: int, jobs: list[list[dict]]) -> tuple[list[tuple[int, int]], list, int]:
    """Run each job list in its own thread and app context. Returns (register_id, number) handed
    back by the service, the unexpected errors, and how many retries a busy database needed."""
    from docflow.auth.models import User
    from docflow.extensions import db
    from docflow.incoming import services

    app = make_app()
    handed: list[tuple[int, int]] = []
    errors: list = []
    retries = [0]
    lock = threading.Lock()
    start = threading.Barrier(len(jobs))

    def worker(items):
        try:
            with app.app_context():
                start.wait(timeout=60)
                clerk = db.session.get(User, clerk_id)
                for data in items:
                    for _attempt in range(100):
                        try:
                            doc = services.register_incoming(dict(data), actor=clerk)
                            got = (doc.register_id, doc.number)
                            db.session.commit()
                        except sa.exc.OperationalError:  # busy / serialization failure / deadlock: retry
                            db.session.rollback()
                            with lock:
                                retries[0] += 1
                            time.sleep(0.01)
                            continue
                        with lock:
                            handed.append(got)
                        break
                    else:
                        raise AssertionError(f"gave up on {data['number_symbol']}")
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported to the test thread
            with lock:
                errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(items,)) for items in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return handed, errors, retries[0]


def _default_register(db, confidential: bool, year: int):
    from docflow.registry import reference

    reg = reference.default_register("incoming", confidential, year)
    db.session.commit()
    return reg


# ---- concurrency -------------------------------------------------------------------------------

def test_parallel_registrations_get_1_to_n_without_gaps_or_duplicates(app, make_app, users, db):
    clerk_id = users["clerk"].id
    register_id = _default_register(db, False, today().year).id
    db.session.remove()  # release this thread's connection while the workers run

    jobs = [[_data(f"T{t}-{i}") for i in range(PER_THREAD)] for t in range(THREADS)]
    handed, errors, _retries = _run_threads(make_app, clerk_id, jobs)
    assert errors == []

    total = THREADS * PER_THREAD
    numbers = _numbers(db, register_id)
    assert numbers == list(range(1, total + 1))
    assert sorted(n for _r, n in handed) == numbers  # what each caller was told is what was stored
    assert {r for r, _n in handed} == {register_id}
    assert _register_row(db, register_id).last_number == total

    from docflow.core import audit

    result = audit.verify()
    assert result.ok, result.message


def test_parallel_registrations_into_two_registers(app, make_app, users, db):
    clerk_id = users["clerk"].id
    normal_id = _default_register(db, False, today().year).id
    secret_id = _default_register(db, True, today().year).id
    db.session.remove()

    per = 30
    jobs = []
    for t in range(6):
        level = "confidential" if t % 2 else "normal"
        jobs.append([_data(f"R{t}-{i}", confidentiality=level) for i in range(per)])
    handed, errors, _retries = _run_threads(make_app, clerk_id, jobs)
    assert errors == []

    assert _numbers(db, normal_id) == list(range(1, 3 * per + 1))
    assert _numbers(db, secret_id) == list(range(1, 3 * per + 1))
    assert _register_row(db, normal_id).last_number == 3 * per
    assert _register_row(db, secret_id).last_number == 3 * per
    assert sorted(handed) == sorted([(normal_id, n) for n in range(1, 3 * per + 1)]
                                    + [(secret_id, n) for n in range(1, 3 * per + 1)])


def test_parallel_first_use_of_last_years_register(app, make_app, users, db):
    """Last year's register does not exist yet; several clerks' late registrations create it at once."""
    from docflow.registry.models import Register

    clerk_id = users["clerk"].id
    last_year = today().year - 1
    db.session.remove()
    received = date(last_year, 12, 31)
    jobs = [[_data(f"Y{t}-{i}", issued_date=received, received_date=received) for i in range(10)]
            for t in range(4)]
    handed, errors, _retries = _run_threads(make_app, clerk_id, jobs)
    assert errors == []
    ids = db.session.scalars(sa.select(Register.id).where(Register.year == last_year,
                                                          Register.direction == "incoming",
                                                          Register.is_confidential.is_(False))).all()
    assert len(ids) == 1
    assert {r for r, _n in handed} == set(ids)
    assert _numbers(db, ids[0]) == list(range(1, 41))
    assert _register_row(db, ids[0]).last_number == 40


# ---- registers and years -----------------------------------------------------------------------

def test_confidential_documents_count_separately_from_one(app, users, db):
    from docflow.incoming import services

    clerk = users["clerk"]
    normal = [services.register_incoming(_data(f"N{i}"), actor=clerk) for i in range(3)]
    db.session.commit()
    secret = [services.register_incoming(_data(f"M{i}", confidentiality="confidential"), actor=clerk)
              for i in range(2)]
    db.session.commit()
    more = services.register_incoming(_data("N3"), actor=clerk)
    db.session.commit()

    assert [d.number for d in normal] == [1, 2, 3]
    assert [d.number for d in secret] == [1, 2]
    assert more.number == 4
    assert secret[0].register_id == secret[1].register_id != normal[0].register_id
    assert secret[0].register.is_confidential and not normal[0].register.is_confidential
    assert more.register_id == normal[0].register_id
    assert normal[0].register.last_number == 4 and secret[0].register.last_number == 2


def test_last_years_letter_goes_to_last_years_register(app, users, db):
    from docflow.incoming import services
    from docflow.registry.models import Register

    clerk = users["clerk"]
    this_year = today().year
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Register)
                             .where(Register.year == this_year - 1)) == 0

    current = services.register_incoming(_data("C1"), actor=clerk)
    db.session.commit()
    received = date(this_year - 1, 12, 30)
    late = services.register_incoming(_data("L1", issued_date=received - timedelta(days=3),
                                            received_date=received), actor=clerk)
    db.session.commit()
    late2 = services.register_incoming(_data("L2", issued_date=received, received_date=received), actor=clerk)
    current2 = services.register_incoming(_data("C2"), actor=clerk)
    db.session.commit()

    assert late.year == this_year - 1 and late.register.year == this_year - 1
    assert late.register.direction == "incoming" and not late.register.is_confidential
    assert (late.number, late2.number) == (1, 2) and late2.register_id == late.register_id
    assert current.year == this_year and (current.number, current2.number) == (1, 2)
    assert current.register_id != late.register_id
    # created on first use, once
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Register)
                             .where(Register.year == this_year - 1, Register.direction == "incoming",
                                    Register.is_confidential.is_(False))) == 1
    assert _register_row(db, late.register_id).last_number == 2


def test_explicit_register_must_match_year_and_secrecy(app, users, db):
    from docflow.core.errors import ValidationFailed
    from docflow.incoming import services

    clerk = users["clerk"]
    normal = _default_register(db, False, today().year)
    secret = _default_register(db, True, today().year)
    last_year = _default_register(db, False, today().year - 1)
    with pytest.raises(ValidationFailed) as exc:
        services.register_incoming(_data("X1", register_id=last_year.id), actor=clerk)
    assert "register_id" in exc.value.errors
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        services.register_incoming(_data("X2", register_id=secret.id), actor=clerk)
    db.session.rollback()
    doc = services.register_incoming(_data("X3", register_id=normal.id), actor=clerk)
    db.session.commit()
    assert doc.register_id == normal.id and doc.number == 1
    assert _register_row(db, secret.id).last_number == 0
    assert _register_row(db, last_year.id).last_number == 0


# ---- failure after the number was drawn --------------------------------------------------------

@pytest.mark.parametrize("target", ["docflow.core.audit.record", "flush"])
def test_failure_after_draw_leaves_no_gap_and_no_row(app, users, db, monkeypatch, target):
    from docflow.incoming import services
    from docflow.registry import numbering
    from docflow.registry.models import Document

    clerk = users["clerk"]
    first = services.register_incoming(_data("F1"), actor=clerk)
    db.session.commit()
    register_id = first.register_id

    drawn = []
    real_draw = numbering.draw_number

    def spy_draw(register):
        number = real_draw(register)
        drawn.append(number)
        return number

    monkeypatch.setattr(services, "draw_number", spy_draw)
    state = {"armed": True}

    class Boom(RuntimeError):
        pass

    if target == "flush":
        real_flush = db.session.flush

        def failing_flush(*args, **kwargs):
            if state["armed"] and drawn:
                state["armed"] = False
                raise Boom("disk full")
            return real_flush(*args, **kwargs)

        monkeypatch.setattr(db.session, "flush", failing_flush)
    else:
        from docflow.core import audit

        real_record = audit.record

        def failing_record(*args, **kwargs):
            if state["armed"]:
                state["armed"] = False
                raise Boom("audit store unavailable")
            return real_record(*args, **kwargs)

        monkeypatch.setattr(audit, "record", failing_record)

    with pytest.raises(Boom):
        services.register_incoming(_data("F2"), actor=clerk)
    db.session.rollback()
    assert drawn == [2]  # the number was taken before the failure

    third = services.register_incoming(_data("F3"), actor=clerk)
    db.session.commit()
    assert third.number == 2  # the failed registration's number, not 3
    assert _numbers(db, register_id) == [1, 2]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)
                             .where(Document.subject == "Về việc F2")) == 0
    assert _register_row(db, register_id).last_number == 2


def test_failed_request_through_the_api_leaves_no_gap(app, api, users, db, monkeypatch):
    from docflow.core import audit

    clerk = api(users["clerk"])
    body = {"sender_name": "Sở Y tế", "number_symbol": "1/SYT", "issued_date": today().isoformat(),
            "subject": "Lần một"}
    assert clerk.post("/incoming", json=body).get_json()["number"] == 1

    real_record = audit.record
    state = {"armed": True}

    def failing_record(action, **kwargs):
        if state["armed"] and action == "incoming.register":
            state["armed"] = False
            raise RuntimeError("boom")
        return real_record(action, **kwargs)

    monkeypatch.setattr(audit, "record", failing_record)
    response = clerk.post("/incoming", json={**body, "number_symbol": "2/SYT", "subject": "Lần hai"})
    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    response = clerk.post("/incoming", json={**body, "number_symbol": "3/SYT", "subject": "Lần ba"})
    assert response.status_code == 201
    assert response.get_json()["number"] == 2
