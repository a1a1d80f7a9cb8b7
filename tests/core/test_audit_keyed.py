"""The keyed audit chain: HMAC-SHA256 under a key kept outside the database, anchors written to a file
and checked by `audit verify --anchor`, and chains begun before the key still verifying."""

import hashlib
import json
import os
import stat

import pytest
import sqlalchemy as sa


def _events(db):
    from docflow.core.models import AuditEvent

    db.session.expire_all()
    return db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()


def _cli(app, *args):
    result = app.test_cli_runner().invoke(args=["docflow", "audit", *args])
    return result.exit_code, result.output + (result.stderr if hasattr(result, "stderr") else "")


def _plain(prev_hash, ev) -> str:
    """The hash docflow wrote before the key existed (and what anyone with the database can compute)."""
    from docflow.core import audit

    return hashlib.sha256((prev_hash + audit._canonical(ev)).encode("utf-8")).hexdigest()


def _rewrite_from(db, seq, *, as_unkeyed=False):
    """What an attacker with database access does: recompute the plain hashes of every event from
    `seq` on, and the head, so that every link matches."""
    from docflow.core.models import AuditEvent, AuditHead

    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()
    prev = events[seq - 2].hash if seq > 1 else "0" * 64
    for ev in events[seq - 1:]:
        if as_unkeyed:
            ev.scheme = "sha256"
        ev.prev_hash = prev
        ev.hash = prev = _plain(prev, ev)
    head = db.session.get(AuditHead, 1)
    head.seq, head.hash = events[-1].seq, prev
    db.session.commit()


@pytest.fixture
def chain(users, db):
    events = _events(db)
    assert len(events) >= 8
    return events


def test_new_events_are_keyed(app, chain):
    import hmac

    from docflow.core import audit

    assert {ev.scheme for ev in chain} == {"hmac-sha256"}
    ev = chain[2]
    expected = hmac.new(b"test-audit-key-not-for-production", (ev.prev_hash + audit._canonical(ev)).encode(),
                        hashlib.sha256).hexdigest()
    assert ev.hash == expected != _plain(ev.prev_hash, ev)
    assert audit.verify().ok


def test_rewritten_event_with_recomputed_plain_hashes_is_detected(app, chain, db):
    from docflow.core import audit

    db.session.execute(sa.text("UPDATE audit_events SET actor_name = 'someone_else' WHERE seq = 3"))
    db.session.commit()
    _rewrite_from(db, 3)
    result = audit.verify()
    assert not result.ok and result.broken_seq == 3, result.message
    code, output = _cli(app, "verify")
    assert code == 1 and "#3" in output


def test_rewriting_as_unkeyed_events_after_keyed_ones_is_detected(app, chain, db):
    from docflow.core import audit

    db.session.execute(sa.text("UPDATE audit_events SET action = 'forged' WHERE seq = 4"))
    db.session.commit()
    _rewrite_from(db, 4, as_unkeyed=True)
    result = audit.verify()
    assert not result.ok and result.broken_seq == 4
    assert "unkeyed" in result.message


def test_a_different_key_does_not_verify(make_app, chain, db):
    from docflow.core import audit

    db.session.commit()  # end this session's transaction: the other app opens its own (SQLite's lock)
    other = make_app(AUDIT_KEY="another-key-another-key-another-key")
    with other.app_context():
        result = audit.verify()
        assert not result.ok and result.broken_seq == 1


def test_anchor_then_deleted_newest_events_fails_verify_with_the_anchor(app, chain, db, tmp_path):
    from docflow.core import audit
    from docflow.core.models import AuditHead

    anchor = tmp_path / "anchor.json"
    code, output = _cli(app, "anchor", str(anchor))
    assert code == 0, output
    data = json.loads(anchor.read_text())
    assert data["seq"] == len(chain) and data["mac"] == chain[-1].hash and data["time"]
    assert stat.S_IMODE(os.stat(anchor).st_mode) == 0o600
    assert _cli(app, "verify", "--anchor", str(anchor))[0] == 0

    # the newest two events go, and the head row is moved back to match
    keep = chain[-3]
    db.session.execute(sa.text("DELETE FROM audit_events WHERE seq > :seq"), {"seq": keep.seq})
    head = db.session.get(AuditHead, 1)
    head.seq, head.hash = keep.seq, keep.hash
    db.session.commit()
    assert audit.verify().ok  # without the anchor nothing shows
    code, output = _cli(app, "verify", "--anchor", str(anchor))
    assert code == 1
    assert "shorter than the anchor" in output and f"#{keep.seq}" in output and f"#{len(chain)}" in output


def test_whole_chain_rewritten_as_unkeyed_fails_at_the_anchor(app, chain, db, tmp_path):
    from docflow.core import audit

    anchor = tmp_path / "anchor.json"
    assert _cli(app, "anchor", str(anchor))[0] == 0
    db.session.execute(sa.text("UPDATE audit_events SET actor_name = 'x' WHERE seq = 2"))
    db.session.commit()
    _rewrite_from(db, 1, as_unkeyed=True)
    assert audit.verify().ok  # it looks like a chain from before the key...
    code, output = _cli(app, "verify", "--anchor", str(anchor))
    assert code == 1  # ...but the anchored MAC is gone
    assert f"#{len(chain)}" in output and "anchor" in output


def test_unreadable_anchor_is_a_clear_failure(app, chain, tmp_path):
    bad = tmp_path / "anchor.json"
    bad.write_text("not json")
    code, output = _cli(app, "verify", "--anchor", str(bad))
    assert code == 1 and "not an audit anchor" in output


def test_old_unkeyed_events_followed_by_keyed_ones_verify(app, office, db, make_user):
    """A chain written before the upgrade (no scheme column yet: the migration's default marks the rows
    "sha256", hashed as the old code did) goes on with keyed events and verifies."""
    from docflow.core import audit
    from docflow.core.models import AuditEvent

    # wipe the chain the fixtures made and write three events as the old code did
    db.session.execute(sa.text("DELETE FROM audit_events"))
    prev = "0" * 64
    for seq in (1, 2, 3):
        ev = AuditEvent(seq=seq, created_at=audit.utcnow(), actor_id=None, actor_name="old", action=f"old.{seq}",
                        object_type="users", object_id=str(seq), before=None, after={"n": seq, "tên": "Đồng Nai"},
                        address=None, prev_hash=prev)
        h = _plain(prev, ev)
        db.session.execute(sa.text(
            "INSERT INTO audit_events (seq, created_at, actor_name, action, object_type, object_id, after, "
            "prev_hash, hash) VALUES (:seq, :created_at, 'old', :action, 'users', :oid, :after, :prev, :hash)"),
            {"seq": seq, "created_at": ev.created_at, "action": ev.action, "oid": str(seq),
             "after": json.dumps(ev.after, ensure_ascii=False), "prev": prev, "hash": h})
        prev = h
    db.session.execute(sa.text("UPDATE audit_head SET seq = 3, hash = :h WHERE id = 1"), {"h": prev})
    db.session.commit()
    assert [ev.scheme for ev in _events(db)] == ["sha256"] * 3
    result = audit.verify()
    assert result.ok, result.message

    make_user("clerk")  # new events: keyed, chained onto the old ones
    events = _events(db)
    assert [ev.scheme for ev in events[:3]] == ["sha256"] * 3
    assert len(events) > 3 and {ev.scheme for ev in events[3:]} == {"hmac-sha256"}
    assert events[3].prev_hash == prev
    result = audit.verify()
    assert result.ok, result.message
    assert result.unkeyed == 3 and "#1-#3" in result.message
    code, output = _cli(app, "verify")
    assert code == 0, output

    # an old event is still protected by the keyed ones after it
    db.session.execute(sa.text("UPDATE audit_events SET action = 'old.forged' WHERE seq = 2"))
    db.session.commit()
    _rewrite_from(db, 2)
    result = audit.verify()
    assert not result.ok and result.broken_seq == 4


def test_key_file_is_generated_once_and_private(tmp_path):
    from docflow.core import audit

    key = audit._key_file(tmp_path / "instance")
    path = tmp_path / "instance" / "audit_key"
    assert len(key) == 64 and path.read_text() == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert audit._key_file(tmp_path / "instance") == key
