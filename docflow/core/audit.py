"""The append-only, hash-chained audit log (architecture decision 6).

hash(event) = sha256(prev_hash + canonical JSON of the event). Events are appended under a
lock on the chain's head row, so concurrent writers form one serial chain, and `verify()`
names the first event whose row was altered, removed or re-ordered.
"""

import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from flask import has_request_context, request

from docflow.core.models import AuditEvent, AuditHead
from docflow.core.timeutil import utcnow
from docflow.extensions import db

GENESIS = "0" * 64


def _json_safe(value):
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _canonical(ev: AuditEvent) -> str:
    payload = {
        "seq": ev.seq,
        "created_at": ev.created_at.isoformat(timespec="microseconds"),
        "actor_id": ev.actor_id,
        "actor_name": ev.actor_name,
        "action": ev.action,
        "object_type": ev.object_type,
        "object_id": ev.object_id,
        "before": ev.before,
        "after": ev.after,
        "address": ev.address,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compute_hash(prev_hash: str, ev: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + _canonical(ev)).encode("utf-8")).hexdigest()


def _current_actor():
    if not has_request_context():
        return None
    from flask_login import current_user

    return current_user if getattr(current_user, "is_authenticated", False) else None


def _lock_head() -> AuditHead:
    head = db.session.execute(sa.select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:  # the migration creates it; this covers a database made by other means
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    return head


def record(
    action: str,
    *,
    obj=None,
    object_type: str | None = None,
    object_id=None,
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
    actor_name: str | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (flushes, never commits)."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        if object_id is None:
            db.session.flush()
            object_id = getattr(obj, "id", None) or getattr(obj, "key", None)
    actor = actor if actor is not None else _current_actor()
    head = _lock_head()
    ev = AuditEvent(
        seq=head.seq + 1,
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name or getattr(actor, "username", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=_json_safe(before),
        after=_json_safe(after),
        address=request.remote_addr if has_request_context() else None,
        prev_hash=head.hash,
    )
    ev.hash = compute_hash(head.hash, ev)
    head.seq, head.hash = ev.seq, ev.hash
    db.session.add(ev)
    db.session.flush()
    return ev


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    message: str
    broken_seq: int | None = None
    broken_id: int | None = None


def verify() -> VerifyResult:
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    rows = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000))
    try:  # a server-side cursor on PostgreSQL: closed even when a broken event ends the walk early
        for ev in rows.scalars():
            if ev.seq != expected_seq:
                return VerifyResult(False, checked,
                                    f"event #{ev.seq} (id {ev.id}): event #{expected_seq} before it is missing",
                                    ev.seq, ev.id)
            if ev.prev_hash != prev_hash:
                return VerifyResult(False, checked,
                                    f"event #{ev.seq} (id {ev.id}): its link to the previous event is broken",
                                    ev.seq, ev.id)
            if compute_hash(prev_hash, ev) != ev.hash:
                return VerifyResult(False, checked, f"event #{ev.seq} (id {ev.id}): its contents were altered",
                                    ev.seq, ev.id)
            prev_hash, expected_seq, checked = ev.hash, expected_seq + 1, checked + 1
    finally:
        rows.close()
    head = db.session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != checked or head_hash != prev_hash:
        return VerifyResult(False, checked, f"event #{checked + 1}: the newest events up to #{head_seq} are missing",
                            checked + 1, None)
    return VerifyResult(True, checked, f"{checked} events, chain intact")
