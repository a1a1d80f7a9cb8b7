"""core/direct.py: statements run on the session's cursor store and read what the ORM stores and reads,
join the session's transaction, and fail as SQLAlchemy's own statements fail."""

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from docflow.core.direct import Direct
from docflow.core.models import AuditEvent


def _event_values(seq, **extra):
    return {"seq": seq, "created_at": datetime(2026, 11, 30, 8, 0, 0), "actor_id": None, "actor_name": "x",
            "action": "test.direct", "object_type": "t", "object_id": "1", "before": None,
            "after": {"chữ": "Đồng Nai", "n": [1, 2]}, "address": None, "prev_hash": "0" * 64, "hash": "h" * 64,
            "scheme": "hmac-sha256", **extra}


INSERT = Direct(sa.insert(AuditEvent.__table__).returning(AuditEvent.__table__.c.id))
SELECT = Direct(sa.select(AuditEvent.__table__.c.created_at, AuditEvent.__table__.c.after,
                          AuditEvent.__table__.c.before).where(AuditEvent.__table__.c.id == sa.bindparam("id")))


def test_values_round_trip_as_the_orm_stores_them(app, db):
    new_id = INSERT.scalar(_event_values(900001))
    db.session.commit()
    event = db.session.get(AuditEvent, new_id)  # read back by the ORM
    assert event.created_at == datetime(2026, 11, 30, 8, 0, 0)
    assert event.after == {"chữ": "Đồng Nai", "n": [1, 2]}
    assert event.before is None
    # and read by Direct itself: the column types' result processors apply (SQLite stores dates as text)
    created_at, after, before = SELECT.one({"id": new_id})
    assert created_at == datetime(2026, 11, 30, 8, 0, 0) and isinstance(created_at, datetime)
    assert after == {"chữ": "Đồng Nai", "n": [1, 2]} and before is None
    assert SELECT.one({"id": -1}) is None and SELECT.scalar({"id": -1}) is None


def test_joins_the_sessions_transaction_and_rolls_back_with_it(app, db):
    new_id = INSERT.scalar(_event_values(900002))
    assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.id == new_id)) == new_id  # same transaction
    db.session.rollback()
    assert db.session.get(AuditEvent, new_id) is None
    # a second transaction gets a connection of its own (the first one's is not reused after its end)
    again = INSERT.scalar(_event_values(900003))
    db.session.commit()
    assert db.session.get(AuditEvent, again) is not None


def test_errors_are_sqlalchemys(app, db):
    INSERT.scalar(_event_values(900004))
    with pytest.raises(sa.exc.IntegrityError):
        INSERT.scalar(_event_values(900004))  # seq is unique
    db.session.rollback()


def test_many_and_the_columns_given(app, db):
    insert = Direct(sa.insert(AuditEvent.__table__))  # no id given: the database numbers the rows
    insert.many([_event_values(900010 + i, object_id=str(i)) for i in range(3)])
    db.session.commit()
    got = db.session.execute(sa.select(AuditEvent.seq, AuditEvent.object_id, AuditEvent.after)
                             .where(AuditEvent.seq >= 900010).order_by(AuditEvent.seq)).all()
    assert [tuple(r) for r in got] == [(900010 + i, str(i), {"chữ": "Đồng Nai", "n": [1, 2]}) for i in range(3)]


def test_the_token_user_is_loaded_as_the_orm_loads_it(app, db, users, token_for, client):
    """The bearer token's user is built from one statement on the cursor: roles, unit, clearance and
    dates as the ORM loads them, and the user stays a persistent object of the session."""
    from docflow.auth.models import User
    from docflow.auth.services import user_for_token

    clerk = users["clerk"]
    clerk.last_login_at = datetime(2026, 11, 2, 7, 30)
    db.session.commit()
    token, clerk_id = token_for(clerk), clerk.id
    db.session.expunge_all()
    with app.test_request_context():
        user = user_for_token(token)
        assert user is not None and sa.inspect(user).persistent
        assert user.username == "clerk1" and user.roles == ["clerk"] and user.clearance == "secret"
        assert user.unit.code == "VP" and user.is_active is True
        assert isinstance(user.created_at, datetime)
        assert user.last_login_at is None or isinstance(user.last_login_at, datetime)
        assert db.session.get(User, user.id) is user
        db.session.flush()
        assert not db.session.new and not db.session.dirty  # nothing to write back
        assert user_for_token(token) is user  # the session's instance is reused
        assert user_for_token(token + "x") is None
    # a deactivated account's token no longer works
    db.session.get(User, clerk_id).is_active_flag = False
    db.session.commit()
    db.session.expunge_all()
    with app.test_request_context():
        assert user_for_token(token) is None


def test_the_token_user_with_several_roles_and_no_unit(app, db, make_user, token_for):
    from docflow.auth.services import user_for_token

    both = make_user("clerk", "leader", username="both1")
    both.unit_id = None  # an account outside every unit (an administrator's, say)
    db.session.commit()
    token = token_for(both)
    db.session.expunge_all()
    with app.test_request_context():
        user = user_for_token(token)
        assert user.roles == ["clerk", "leader"] and user.unit is None and user.has_role("leader")


def test_dates_of_registration_are_stored_as_dates(app, db, users, api):
    from docflow.incoming.models import IncomingDocument

    response = api(users["clerk"]).post("/incoming", json={"sender_name": "Sở Tài chính", "number_symbol": "1/STC-NS",
                                                           "issued_date": "2026-11-02", "subject": "Về ngân sách"})
    assert response.status_code == 201, response.get_json()
    db.session.expunge_all()
    doc = db.session.get(IncomingDocument, response.get_json()["id"])
    assert doc.issued_date == date(2026, 11, 2) and isinstance(doc.created_at, datetime)
