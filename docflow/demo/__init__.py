"""The demo office: the agency, units, one user per role, external agencies. Later features add
documents in every state through their own `demo_*` functions, called from here."""

import os
import secrets
import string
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from docflow.auth import services as people
from docflow.auth.models import User
from docflow.core import audit
from docflow.core.models import AuditEvent, AuditHead
from docflow.demo.archive import demo_archive
from docflow.demo.incoming import demo_incoming
from docflow.demo.outgoing import demo_outgoing
from docflow.extensions import db
from docflow.incoming.models import Assignment, ProgressNote
from docflow.office import init_office
from docflow.outgoing.models import ApprovalAction, DraftVersion, Recipient
from docflow.registry import reference
from docflow.registry.models import Document
from docflow.stats import counters

AGENCY = {"name": "Ủy ban nhân dân tỉnh Đồng Nai", "abbr": "UBND", "code": "000.00.00.H19"}

UNITS = (
    # code, name, parent
    ("VP", "Văn phòng Ủy ban nhân dân tỉnh", None),
    ("TH", "Phòng Tổng hợp", "VP"),
    ("HCTC", "Phòng Hành chính - Tổ chức", "VP"),
    ("KT", "Phòng Kinh tế", None),
    ("NC", "Phòng Nội chính", None),
    ("VX", "Phòng Văn hóa - Xã hội", None),
    ("TCD", "Ban Tiếp công dân", None),
)

USERS = (
    # username, full name, roles, unit, clearance
    ("quantri", "Nguyễn Văn Quản", ("admin",), "HCTC", "normal"),
    ("vanthu", "Trần Thị Thu", ("clerk",), "HCTC", "secret"),
    ("lanhdao", "Lê Minh Đức", ("leader",), "VP", "top_secret"),
    ("phochanh", "Phạm Thị Hồng Nhung", ("leader",), "VP", "secret"),
    ("truongphong", "Hoàng Văn Bình", ("unit_head",), "KT", "confidential"),
    ("chuyenvien", "Đỗ Thị Mai", ("specialist",), "KT", "normal"),
    ("chuyenvien2", "Vũ Quốc Huy", ("specialist",), "VX", "normal"),
    ("truongphongvx", "Bùi Thị Lan", ("unit_head",), "VX", "normal"),
    ("luutru", "Ngô Thanh Tâm", ("archivist",), "HCTC", "confidential"),
)

ORGANIZATIONS = (
    ("Văn phòng Chính phủ", "VPCP", "000.00.00.G22"),
    ("Bộ Công an", "BCA", "000.00.00.G01"),
    ("Bộ Công Thương", "BCT", "000.00.00.G02"),
    ("Bộ Giáo dục và Đào tạo", "BGDĐT", "000.00.00.G03"),
    ("Bộ Khoa học và Công nghệ", "BKHCN", "000.00.00.G06"),
    ("Bộ Nội vụ", "BNV", "000.00.00.G09"),
    ("Bộ Quốc phòng", "BQP", "000.00.00.G11"),
    ("Bộ Tài chính", "BTC", "000.00.00.G12"),
    ("Bộ Tư pháp", "BTP", "000.00.00.G15"),
    ("Bộ Y tế", "BYT", "000.00.00.G18"),
    ("Ngân hàng Nhà nước Việt Nam", "NHNN", "000.00.00.G19"),
    ("Hội đồng nhân dân tỉnh Đồng Nai", "HĐND", "000.00.00.K19"),
    ("Sở Nội vụ tỉnh Đồng Nai", "SNV", "000.00.01.H19"),
    ("Sở Tài chính tỉnh Đồng Nai", "STC", "000.00.02.H19"),
    ("Sở Kế hoạch và Đầu tư tỉnh Đồng Nai", "SKHĐT", "000.00.03.H19"),
    ("Sở Tư pháp tỉnh Đồng Nai", "STP", "000.00.04.H19"),
    ("Sở Xây dựng tỉnh Đồng Nai", "SXD", "000.00.05.H19"),
    ("Sở Giao thông vận tải tỉnh Đồng Nai", "SGTVT", "000.00.06.H19"),
    ("Sở Tài nguyên và Môi trường tỉnh Đồng Nai", "STNMT", "000.00.07.H19"),
    ("Sở Nông nghiệp và Phát triển nông thôn tỉnh Đồng Nai", "SNN", "000.00.08.H19"),
    ("Sở Y tế tỉnh Đồng Nai", "SYT", "000.00.09.H19"),
    ("Sở Giáo dục và Đào tạo tỉnh Đồng Nai", "SGDĐT", "000.00.10.H19"),
    ("Sở Văn hóa, Thể thao và Du lịch tỉnh Đồng Nai", "SVHTTDL", "000.00.11.H19"),
    ("Sở Thông tin và Truyền thông tỉnh Đồng Nai", "STTTT", "000.00.12.H19"),
    ("Sở Lao động - Thương binh và Xã hội tỉnh Đồng Nai", "SLĐTBXH", "000.00.13.H19"),
    ("Sở Công Thương tỉnh Đồng Nai", "SCT", "000.00.14.H19"),
    ("Sở Khoa học và Công nghệ tỉnh Đồng Nai", "SKHCN", "000.00.15.H19"),
    ("Thanh tra tỉnh Đồng Nai", "TTr", "000.00.16.H19"),
    ("Công an tỉnh Đồng Nai", "CAT", "000.00.17.H19"),
    ("Ủy ban nhân dân thành phố Biên Hòa", "UBND", "000.00.31.H19"),
    ("Ủy ban nhân dân thành phố Long Khánh", "UBND", "000.00.32.H19"),
    ("Ủy ban nhân dân huyện Nhơn Trạch", "UBND", "000.00.33.H19"),
    ("Ủy ban nhân dân huyện Long Thành", "UBND", "000.00.34.H19"),
    ("Ủy ban nhân dân huyện Trảng Bom", "UBND", "000.00.35.H19"),
    ("Ủy ban nhân dân tỉnh Bình Dương", "UBND", "000.00.00.H13"),
    ("Ủy ban nhân dân tỉnh Bà Rịa - Vũng Tàu", "UBND", "000.00.00.H02"),
    ("Ủy ban nhân dân Thành phố Hồ Chí Minh", "UBND", "000.00.00.H29"),
    ("Ban Quản lý các khu công nghiệp Đồng Nai", "BQLKCN", "000.00.20.H19"),
    ("Bảo hiểm xã hội tỉnh Đồng Nai", "BHXH", None),
    ("Cục Thuế tỉnh Đồng Nai", "CT", None),
)


def _password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "Demo-" + "".join(secrets.choice(alphabet) for _ in range(12))


def load_demo(credentials_path: Path) -> bool:
    """Create the demo office unless it is there; write the logins to credentials_path."""
    if db.session.scalar(sa.select(User.id).where(User.username == "vanthu")):
        return False
    init_office(AGENCY["name"], AGENCY["abbr"], AGENCY["code"])
    units = {}
    for code, name, parent in UNITS:
        units[code] = people.create_unit({"code": code, "name": name, "parent_code": parent})
    logins = []
    for username, full_name, roles, unit, clearance in USERS:
        password = _password()
        people.create_user({"username": username, "password": password, "full_name": full_name,
                            "roles": list(roles), "unit_code": unit, "clearance": clearance,
                            "email": f"{username}@dongnai.gov.vn"})
        logins.append((username, password, ", ".join(roles), unit))
    for name, abbr, code in ORGANIZATIONS:
        reference.save_organization({"name": name, "abbr": abbr, "code": code})
    db.session.flush()

    demo_incoming()
    demo_outgoing(120)
    demo_archive()
    align_history()
    counters.rebuild()  # the statistics count the backdated documents as they now are
    credentials_path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["Demo logins (username / password / roles / unit):"]
    lines += [f"  {u:<14} {p:<20} {r:<12} {unit}" for u, p, r, unit in logins]
    fd = os.open(credentials_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return True


#: the document field whose time an audit event of that action shows (the demo backdates documents)
_EVENT_TIMES = {"incoming.register": "created_at", "incoming.submit": "presented_at",
                "incoming.present": "presented_at", "incoming.assign": "directed_at",
                "incoming.complete": "completed_at", "outgoing.draft": "created_at", "outgoing.issue": "issued_at"}
_APPROVAL_EVENTS = ("outgoing.submit", "outgoing.resubmit", "outgoing.approve", "outgoing.return", "outgoing.reject")


def align_history() -> int:
    """Give each document's audit events the times its fields show (the demo backdates documents
    after the services wrote the events with the real time), and the deadlines its assignments show
    (an assignment's or a hand-on's event said the deadline the service computed from today, the table the
    backdated one), then re-link the chain from the first changed event with the audit module's own
    compute_hash, so `audit verify` still passes. Each approval event takes the time of the next approval
    action of its own kind, a version event its version's time; an event with no field of its own follows
    the event before it (its real time when that is within the minute after, else a minute later), so a
    document's history reads in order. Returns how many changed."""
    db.session.flush()
    docs = {str(d.id): d for d in db.session.scalars(sa.select(Document))}
    approvals: dict[int, list] = {}
    for a in db.session.scalars(sa.select(ApprovalAction).order_by(ApprovalAction.id)):
        approvals.setdefault(a.document_id, []).append((a.action, a.created_at))
    versions = {(v.document_id, v.number): v.created_at for v in db.session.scalars(sa.select(DraftVersion))}
    dispatches: dict[int, list] = {}
    for r in db.session.scalars(sa.select(Recipient).where(Recipient.dispatched_at.is_not(None))):
        dispatches.setdefault(r.document_id, []).append(r.dispatched_at)
    handed_on: dict[tuple, list] = {}  # (parent assignment, username) -> the hand-ons' deadlines
    for parent_id, username, due in db.session.execute(
            sa.select(Assignment.parent_id, User.username, Assignment.due_date)
            .join(User, User.id == Assignment.user_id).where(Assignment.parent_id.is_not(None))
            .order_by(Assignment.id)):
        handed_on.setdefault((parent_id, username), []).append(due)
    # an incoming letter's handling, each kind in the order it was done: notes, opinions, hand-ons, reads
    handling: dict[tuple, list] = {}
    for note in db.session.scalars(sa.select(ProgressNote).order_by(ProgressNote.id)):
        handling.setdefault((note.document_id, f"incoming.{note.kind}"), []).append(note.created_at)
    for a in db.session.scalars(sa.select(Assignment).order_by(Assignment.id)):
        if a.parent_id is not None:
            handling.setdefault((a.document_id, "incoming.delegate"), []).append(a.created_at)
        if a.role == "inform" and a.state == "done" and a.done_at is not None:
            handling.setdefault((a.document_id, "incoming.read"), []).append(a.done_at)
    for key in [k for k in handling if k[1] == "incoming.read"]:
        handling[key].sort()
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type == "documents")
                                .order_by(AuditEvent.seq)).all()
    last: dict[str, object] = {}
    queues: dict[str, dict] = {}
    first_changed = None
    for ev in events:
        doc = docs.get(ev.object_id or "")
        if doc is None:
            continue
        queue = queues.setdefault(ev.object_id, {"approvals": list(approvals.get(doc.id, [])),
                                                 "dispatches": sorted(set(dispatches.get(doc.id, [])))})
        after = ev.after if isinstance(ev.after, dict) else {}
        when = getattr(doc, _EVENT_TIMES[ev.action], None) if ev.action in _EVENT_TIMES else None
        if ev.action in _APPROVAL_EVENTS:
            kind = ev.action.split(".", 1)[1]
            match = next((i for i, (action, _at) in enumerate(queue["approvals"]) if action == kind), None)
            if match is not None:
                when = queue["approvals"].pop(match)[1]
        elif ev.action == "outgoing.version":
            when = versions.get((doc.id, after.get("version")))
        elif ev.action == "outgoing.dispatch" and queue["dispatches"]:
            when = queue["dispatches"].pop(0)
        elif handling.get((doc.id, ev.action)):
            when = handling[(doc.id, ev.action)].pop(0)
        if when is None:
            previous = last.get(ev.object_id)
            if previous is None:
                when = ev.created_at
            elif previous <= ev.created_at <= previous + timedelta(minutes=1):
                when = ev.created_at
            else:
                when = previous + timedelta(minutes=1)
        last[ev.object_id] = when
        changed = False
        if when != ev.created_at:
            ev.created_at = when
            changed = True
        due = None
        if ev.action == "incoming.assign" and after.get("due_date") and doc.due_date is not None:
            due = doc.due_date.isoformat()
        elif ev.action == "incoming.delegate" and after.get("due_date"):
            dues = handed_on.get((after.get("assignment"), after.get("to")))
            if dues:
                child_due = dues.pop(0)
                due = child_due.isoformat() if child_due else None
        if due is not None and due != after.get("due_date"):
            ev.after = {**after, "due_date": due}
            changed = True
        if changed:
            first_changed = ev.seq if first_changed is None else min(first_changed, ev.seq)
    if first_changed is None:
        return 0
    changed = 0
    previous = db.session.scalar(sa.select(AuditEvent.hash).where(AuditEvent.seq == first_changed - 1)) or audit.GENESIS
    for ev in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.seq >= first_changed)
                                 .order_by(AuditEvent.seq)):
        ev.prev_hash = previous
        ev.hash = audit.compute_hash(previous, ev, ev.scheme)
        previous = ev.hash
        changed += 1
    head = db.session.get(AuditHead, 1)
    head.hash = previous
    db.session.flush()
    return changed
