"""The append-only, keyed hash chain of audit events (architecture decision 6).

hash(event) = HMAC-SHA256(audit key, prev_hash + canonical JSON of the event). The key is kept
outside the database (DOCFLOW_AUDIT_KEY, else instance/audit_key, 0600, generated once), so someone
who can only change rows cannot recompute the chain after rewriting an event. Events written before
the key existed carry scheme "sha256" (plain SHA-256) and still verify, but only before the first
keyed event: an unkeyed event after a keyed one is a forgery. Events are appended under a lock on the
chain's head row, so concurrent writers form one serial chain, and `verify()` names the first event
whose row was altered, removed or re-ordered.

Deleting the newest events together with the head row, or rewriting the whole chain, is caught by
an anchor: `flask docflow audit anchor FILE` writes the head (seq, MAC, time) to a file the office
keeps elsewhere, and `audit verify --anchor FILE` checks the chain still reaches it.
"""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_login import current_user

from docflow.core import keys
from docflow.core.direct import Direct
from docflow.core.models import AuditEvent, AuditHead
from docflow.core.timeutil import iso_utc, utcnow
from docflow.extensions import db

GENESIS = "0" * 64
KEYED = "hmac-sha256"
UNKEYED = "sha256"
KEY_FILE = "audit_key"

log = logging.getLogger(__name__)


def _key_file(directory) -> str:
    """The key kept in `directory`/audit_key (0600), generated on first use (like instance/secret_key)."""
    path = Path(directory) / KEY_FILE
    key, created = keys.read_or_create(path, empty_hint="restore it from the backup of the key or set "
                                                         "DOCFLOW_AUDIT_KEY.")
    if created:
        log.warning("Generated the audit key %s: keep a copy outside the database backups.", path)
    return key


def audit_key() -> bytes:
    """The HMAC key: AUDIT_KEY (DOCFLOW_AUDIT_KEY) or instance/audit_key."""
    app = current_app
    cached = app.extensions.get("docflow_audit_key")
    if cached is None:
        configured = app.config.get("AUDIT_KEY")
        key = str(configured) if configured not in (None, "") else _key_file(app.instance_path)
        cached = app.extensions["docflow_audit_key"] = key.encode("utf-8")
    return cached


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


def compute_hash(prev_hash: str, ev: AuditEvent, scheme: str | None = None) -> str:
    """The event's link: keyed (HMAC-SHA256) or, for events written before the key, plain SHA-256."""
    data = (prev_hash + _canonical(ev)).encode("utf-8")
    scheme = scheme or ev.scheme or KEYED
    if scheme == KEYED:
        return hmac.new(audit_key(), data, hashlib.sha256).hexdigest()
    if scheme == UNKEYED:
        return hashlib.sha256(data).hexdigest()
    raise ValueError(f"unknown audit hash scheme {scheme!r}")


def _current_actor():
    if not has_request_context():
        return None
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
    db.session.flush()  # the caller's pending changes go first, as they always have (cheap when there are none)
    seq, prev_hash = _advance_head()
    ev = AuditEvent(
        seq=seq,
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name or getattr(actor, "username", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=_json_safe(before),
        after=_json_safe(after),
        address=request.remote_addr if has_request_context() else None,
        prev_hash=prev_hash,
        scheme=KEYED,
    )
    ev.hash = compute_hash(prev_hash, ev, KEYED)
    values = {c: getattr(ev, c) for c in _EVENT_COLUMNS}
    ev.id = _INSERT_EVENT.scalar(values)
    _SET_HEAD_HASH.run({"hash": ev.hash})
    _expire_loaded_head()
    return ev  # as written, not in the session (an append-only row: nothing to flush later)


_EVENT_COLUMNS = ("seq", "created_at", "actor_id", "actor_name", "action", "object_type", "object_id", "before",
                  "after", "address", "prev_hash", "hash", "scheme")
_HEAD = AuditHead.__table__
#: the chain's head taken (PostgreSQL: its row lock, held to the commit; SQLite: the writer holds the
#: database) and advanced in one statement; `hash` is still the previous event's MAC
#: (run on the session's cursor: core/direct.py)
_TAKE_HEAD = Direct(sa.update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq + 1)
                    .returning(_HEAD.c.seq, _HEAD.c.hash))
_SET_HEAD_HASH = Direct(sa.update(_HEAD).where(_HEAD.c.id == 1).values(hash=sa.bindparam("hash")))
_INSERT_EVENT = Direct(sa.insert(AuditEvent.__table__).returning(AuditEvent.__table__.c.id))


def _advance_head() -> tuple[int, str]:
    """Lock the head and move it one event on: (the new event's seq, the previous event's MAC)."""
    row = _TAKE_HEAD.one()
    if row is None:  # the migration creates the head; this covers a database made by other means
        _lock_head()
        row = _TAKE_HEAD.one()
    return row[0], row[1]


def _expire_loaded_head() -> None:
    """The head was changed by statements, not through the session: a head loaded earlier is out of date."""
    head = db.session.identity_map.get(db.session.identity_key(AuditHead, 1))
    if head is not None:
        db.session.expire(head)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    message: str
    broken_seq: int | None = None
    broken_id: int | None = None
    unkeyed: int = 0


def head_anchor() -> dict:
    """The chain's head as an anchor to keep outside the database: {"seq", "mac", "time"}."""
    head = db.session.get(AuditHead, 1)
    seq, mac = (head.seq, head.hash) if head else (0, GENESIS)
    return {"seq": seq, "mac": mac, "time": iso_utc(utcnow())}


def verify(anchor: dict | None = None) -> VerifyResult:
    """Walk the chain from the first event: links, MACs (or the old plain hashes, only before the
    first keyed event), the head row, and, when given, the anchor (a head written out earlier)."""
    prev_hash, expected_seq, checked, unkeyed, keyed_seen = GENESIS, 1, 0, 0, False
    anchor_seq = int(anchor["seq"]) if anchor else None
    anchor_met = anchor_seq == 0
    rows = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000))

    def broken(ev, text):
        return VerifyResult(False, checked, f"event #{ev.seq} (id {ev.id}): {text}", ev.seq, ev.id, unkeyed)

    try:  # a server-side cursor on PostgreSQL: closed even when a broken event ends the walk early
        for ev in rows.scalars():
            if ev.seq != expected_seq:
                return broken(ev, f"event #{expected_seq} before it is missing")
            if ev.prev_hash != prev_hash:
                return broken(ev, "its link to the previous event is broken")
            if ev.scheme == UNKEYED:
                if keyed_seen:
                    return broken(ev, "an unkeyed event after keyed ones (rewritten without the audit key)")
                unkeyed += 1
            elif ev.scheme == KEYED:
                keyed_seen = True
            else:
                return broken(ev, f"unknown hash scheme {ev.scheme!r}")
            if not hmac.compare_digest(compute_hash(prev_hash, ev), ev.hash):
                return broken(ev, "its contents were altered" if ev.scheme == UNKEYED
                              else "its contents were altered (the MAC does not match under the audit key)")
            if anchor_seq is not None and ev.seq == anchor_seq:
                if not hmac.compare_digest(str(anchor.get("mac", "")), ev.hash):
                    return broken(ev, "its MAC differs from the anchor's (the chain was rewritten up to it)")
                anchor_met = True
            prev_hash, expected_seq, checked = ev.hash, expected_seq + 1, checked + 1
    finally:
        rows.close()
    if anchor_seq is not None and not anchor_met:
        return VerifyResult(False, checked, f"the chain is shorter than the anchor: it ends at event #{checked}, "
                            f"the anchor was written at event #{anchor_seq}", checked + 1, None, unkeyed)
    head = db.session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != checked or head_hash != prev_hash:
        return VerifyResult(False, checked, f"event #{checked + 1}: the newest events up to #{head_seq} are missing",
                            checked + 1, None, unkeyed)
    message = f"{checked} events, chain intact"
    if unkeyed:
        message += f" (events #1-#{unkeyed} were written before the audit key and are only hashed)"
    if anchor_seq is not None:
        message += f"; it reaches the anchor at event #{anchor_seq}"
    return VerifyResult(True, checked, message, unkeyed=unkeyed)
