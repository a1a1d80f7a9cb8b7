"""The hash-chained audit log: what is recorded, `verify()` and `flask docflow audit verify`."""

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD


def _admin_actions(api, users, office):
    """A few administrative actions through the API; returns the number of events they made."""
    caller = api(users["admin"])
    assert caller.post("/units", json={"code": "TH", "name": "Phòng Tổng hợp"}).status_code == 201
    response = caller.post("/users", json={"username": "moi1", "password": "Quite-Long-Passw0rd",
                                           "full_name": "Người Mới", "roles": ["clerk"], "unit_id": office["VX"].id})
    assert response.status_code == 201
    user_id = response.get_json()["id"]
    assert caller.patch(f"/users/{user_id}", json={"version": 1, "full_name": "Người Mới Hơn"}).status_code == 200
    assert caller.post("/organizations", json={"name": "Sở Tư pháp", "code": "000.00.04.H19"}).status_code == 201


def _events(db):
    from docflow.core.models import AuditEvent

    db.session.expire_all()
    return db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()


def _verify_cli(app):
    result = app.test_cli_runner().invoke(args=["docflow", "audit", "verify"])
    return result.exit_code, result.output + (result.stderr if hasattr(result, "stderr") else "")


@pytest.fixture
def chain(api, users, office, db):
    _admin_actions(api, users, office)
    events = _events(db)
    assert len(events) >= 10
    return events


def test_events_record_who_what_and_before_after(chain, users, db):
    by_action = {}
    for ev in chain:
        by_action.setdefault(ev.action, []).append(ev)
    assert {"setting.update", "unit.create", "user.create", "user.update", "login.success", "token.create",
            "organization.save"} <= set(by_action)
    update = by_action["user.update"][-1]
    assert update.actor_id == users["admin"].id and update.actor_name == "admin1"
    assert update.object_type == "users"
    assert update.before["full_name"] == "Người Mới" and update.after["full_name"] == "Người Mới Hơn"
    assert update.address == "127.0.0.1"
    created = [e for e in by_action["user.create"] if e.after["username"] == "moi1"]
    assert created and "password" not in str(created[0].after).lower()
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(chain, chain[1:], strict=False))


def test_intact_chain_verifies(app, chain, db):
    from docflow.core import audit

    result = audit.verify()
    assert result.ok, result.message
    assert result.checked == len(chain)
    code, output = _verify_cli(app)
    assert code == 0, output
    assert "OK" in output and f"{len(chain)} events" in output


def test_empty_chain_verifies(app):
    from docflow.core import audit

    assert audit.verify().ok
    assert _verify_cli(app)[0] == 0


def test_altered_event_is_named(app, chain, db):
    from docflow.core import audit

    db.session.execute(sa.text("UPDATE audit_events SET action = 'user.nothing' WHERE seq = 2"))
    db.session.commit()
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == 2
    assert "#2" in result.message
    code, output = _verify_cli(app)
    assert code == 1
    assert "#2" in output and "BROKEN" in output


def test_altered_payload_is_detected(app, chain, db):
    from docflow.core import audit

    seq = next(e.seq for e in chain if e.action == "user.update")
    db.session.execute(sa.text("UPDATE audit_events SET actor_name = 'someone_else' WHERE seq = :seq"), {"seq": seq})
    db.session.commit()
    result = audit.verify()
    assert not result.ok and result.broken_seq == seq
    assert _verify_cli(app)[0] == 1


def test_rehashed_event_breaks_the_next_link(app, chain, db):
    """Recomputing the altered event's own hash does not help: the next event's link breaks."""
    from docflow.core import audit
    from docflow.core.models import AuditEvent

    ev = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.seq == 3))
    ev.action = "forged"
    ev.hash = audit.compute_hash(ev.prev_hash, ev)
    db.session.commit()
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == 4
    assert "#4" in result.message


def test_deleted_middle_event_is_named(app, chain, db):
    from docflow.core import audit

    db.session.execute(sa.text("DELETE FROM audit_events WHERE seq = 3"))
    db.session.commit()
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == 4
    assert "#4" in result.message and "#3" in result.message
    code, output = _verify_cli(app)
    assert code == 1
    assert "#4" in output


def test_deleted_newest_event_is_detected(app, chain, db):
    from docflow.core import audit

    last = chain[-1].seq
    db.session.execute(sa.text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": last})
    db.session.commit()
    result = audit.verify()
    assert not result.ok
    assert f"#{last}" in result.message
    code, output = _verify_cli(app)
    assert code == 1
    assert f"#{last}" in output


def test_deleted_first_event_is_detected(app, chain, db):
    from docflow.core import audit

    db.session.execute(sa.text("DELETE FROM audit_events WHERE seq = 1"))
    db.session.commit()
    result = audit.verify()
    assert not result.ok and result.broken_seq == 2


def test_chain_continues_after_failed_requests(client, api, users, office, db):
    """A request that fails rolls its events back; the chain stays gap-free and valid."""
    from docflow.core import audit

    caller = api(users["admin"])
    assert caller.post("/units", json={"code": "bad code", "name": "X"}).status_code == 422
    client.post("/auth/login", data={"username": "admin1", "password": "wrong-password"})  # audited failure
    assert caller.post("/units", json={"code": "OK1", "name": "Y"}).status_code == 201
    assert client.post("/api/v1/auth/tokens", json={"username": "admin1", "password": PASSWORD}).status_code == 201
    events = _events(db)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert "unit.create" in [e.action for e in events]
    assert audit.verify().ok
