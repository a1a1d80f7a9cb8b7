"""Demo incoming correspondence: a few hundred documents in every state, through the services.

`demo_incoming(n=300)` needs the demo office (docflow/demo/__init__.py: users, units, organisations) and
runs in the caller's transaction (it flushes, never commits). Documents arrive on working days over
this year and the end of last year, in arrival order; then, by age, they are left registered,
presented to a leader, assigned (to a person or a unit, with coordinators and people informed,
some handed on by the unit head to a specialist, some past their deadline), completed with a result
and often a reply's number, or cancelled. Some are confidential (Mật / Tối mật) and handled only by
people cleared for them. About a third carry a small generated PDF.

The services stamp actions with the current time and refuse deadlines in the past, so after each
step the demo moves the timestamps and deadlines (presented, directed, assigned, noted, completed)
back to the document's own dates. The audit log keeps the real time of the load.
"""

import io
import random
from datetime import UTC, date, datetime, time, timedelta

import click
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from docflow.auth.models import Unit, User
from docflow.core.calendar import add_working_days, is_working_day
from docflow.core.errors import DomainError
from docflow.core.models import Notification
from docflow.core.text import fold
from docflow.core.timeutil import office_tz, today, utcnow
from docflow.extensions import db
from docflow.incoming import services as incoming
from docflow.incoming.models import ProgressNote
from docflow.registry.attachments import add_attachment
from docflow.registry.models import Document, Organization

SUBJECTS = (
    "V/v báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội {period}",
    "V/v triển khai Kế hoạch cải cách hành chính {period}",
    "V/v đề nghị cung cấp số liệu phục vụ xây dựng dự toán ngân sách nhà nước năm {year}",
    "V/v tăng cường công tác phòng, chống thiên tai và tìm kiếm cứu nạn",
    "V/v góp ý dự thảo Nghị định sửa đổi, bổ sung một số điều về quản lý đầu tư công",
    "V/v tổ chức Hội nghị sơ kết công tác chuyển đổi số {period}",
    "V/v hướng dẫn thực hiện chế độ báo cáo thống kê ngành",
    "V/v kiểm tra công tác văn thư, lưu trữ tại các cơ quan, đơn vị",
    "V/v đôn đốc giải ngân vốn đầu tư công {period}",
    "V/v tăng cường công tác bảo đảm trật tự an toàn giao thông dịp cuối năm",
    "V/v triển khai thi hành Luật Đất đai",
    "V/v phối hợp tổ chức kỳ thi tốt nghiệp trung học phổ thông năm {year}",
    "V/v phòng, chống dịch bệnh truyền nhiễm mùa mưa",
    "V/v thẩm định hồ sơ đề nghị công nhận xã đạt chuẩn nông thôn mới nâng cao",
    "V/v giải quyết kiến nghị của cử tri trước kỳ họp Hội đồng nhân dân tỉnh",
    "V/v mời dự Hội nghị tổng kết công tác tiếp công dân, giải quyết khiếu nại, tố cáo",
    "V/v đề nghị cử cán bộ tham gia Đoàn kiểm tra liên ngành",
    "V/v rà soát, cập nhật danh mục thủ tục hành chính thuộc thẩm quyền giải quyết",
    "V/v thực hiện chính sách đối với người có công với cách mạng",
    "V/v báo cáo kết quả thực hiện Chương trình mục tiêu quốc gia giảm nghèo bền vững",
    "V/v điều chỉnh quy hoạch chi tiết khu công nghiệp",
    "V/v hướng dẫn quyết toán kinh phí sự nghiệp năm {year}",
    "V/v xây dựng kế hoạch đào tạo, bồi dưỡng cán bộ, công chức năm {year}",
    "V/v bảo đảm an toàn thông tin mạng cho các hệ thống thông tin của tỉnh",
    "V/v tổ chức các hoạt động văn hóa, thể thao chào mừng ngày lễ lớn",
    "V/v đề nghị hỗ trợ kinh phí khắc phục hậu quả mưa lũ",
    "V/v giải quyết đơn kiến nghị của công dân về bồi thường, hỗ trợ tái định cư",
    "V/v kiểm tra việc chấp hành pháp luật về bảo vệ môi trường tại các cơ sở sản xuất",
    "V/v thực hiện Chỉ thị về tiết kiệm chống lãng phí",
    "V/v cung cấp thông tin phục vụ công tác bảo vệ bí mật nhà nước",
)
#: (doc type code, weight, symbol part when the type carries no abbreviation)
TYPES = (("CV", 55), ("TB", 8), ("QĐ", 8), ("KH", 6), ("GM", 7), ("BC", 5), ("HD", 4), ("TTr", 3), ("CĐ", 2),
         ("CT", 2))
DEPARTMENTS = ("VP", "TH", "KT", "NSNN", "TCCB", "KHTC", "PC", "QLDA", "NV", "TTra")
SIGNERS = ("Nguyễn Văn Hùng", "Trần Thị Ngọc Lan", "Lê Quang Vinh", "Phạm Minh Tuấn", "Võ Thị Thu Hà",
           "Huỳnh Văn Phúc", "Đặng Thị Kim Oanh", "Bùi Đức Thắng", "Ngô Thị Thanh Tâm", "Đinh Công Sơn")
INSTRUCTIONS = ("Giao Phòng Kinh tế chủ trì, tham mưu văn bản trả lời.",
                "Đề nghị nghiên cứu, đề xuất trình UBND tỉnh.",
                "Giao chủ trì, phối hợp các đơn vị liên quan triển khai thực hiện.",
                "Đề nghị tổng hợp, báo cáo kết quả trước thời hạn.",
                "Giao tham mưu kế hoạch triển khai; báo cáo lãnh đạo.")
PROGRESS = ("Đã làm việc với các sở, ngành liên quan; đang tổng hợp số liệu.",
            "Đã dự thảo văn bản trả lời, đang xin ý kiến phối hợp.",
            "Đang rà soát hồ sơ, chờ đơn vị phối hợp gửi ý kiến.",
            "Đã trình lãnh đạo phòng dự thảo báo cáo.",
            "Đã tổ chức họp với các đơn vị; đang hoàn thiện dự thảo.")
RESULTS = ("Đã tham mưu UBND tỉnh ban hành văn bản trả lời.",
           "Đã báo cáo kết quả thực hiện theo yêu cầu.",
           "Đã triển khai thực hiện; lưu hồ sơ.",
           "Đã tham dự hội nghị theo giấy mời; báo cáo lãnh đạo kết quả.",
           "Đã tổng hợp, gửi số liệu theo đề nghị.")
OPINIONS = ("Thống nhất với dự thảo của đơn vị chủ trì.", "Đề nghị bổ sung số liệu quý III.",
            "Không có ý kiến khác.")
CANCEL_REASONS = ("Đăng ký trùng với văn bản đã vào sổ.", "Văn bản gửi nhầm cơ quan, đã chuyển trả.",
                  "Nhập sai thông tin, đăng ký lại.")
PRIVATE_SENDERS = ("Công ty TNHH Xây dựng Tân Phát", "Hợp tác xã Nông nghiệp Thống Nhất",
                   "Ông Nguyễn Văn An (thành phố Biên Hòa)", "Bà Trần Thị Bích (huyện Long Thành)")

STATES = ("registered", "submitted", "assigned", "completed", "cancelled")


def _stamp(day: date, hour: int, minute: int = 0) -> datetime:
    """A naive UTC timestamp for a local office time on `day`."""
    local = datetime.combine(day, time(hour, minute), tzinfo=office_tz())
    return local.astimezone(UTC).replace(tzinfo=None)


def _working_days(start: date, end: date) -> list[date]:
    days, day = [], start
    while day <= end:
        if is_working_day(day, set()):
            days.append(day)
        day += timedelta(days=1)
    return days or [end]


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF (Helvetica, ASCII text) built by hand: small and valid."""
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = ["BT", "/F1 12 Tf", "14 TL", "56 780 Td"]
    for line in lines:
        text.append(f"({esc(line)}) Tj T*")
    text.append("ET")
    stream = "\n".join(text).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


class _Demo:
    def __init__(self, rng: random.Random):
        self.rng = rng
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        missing = [name for name in ("vanthu", "lanhdao", "phochanh", "truongphong", "truongphongvx",
                                     "chuyenvien", "chuyenvien2") if name not in users]
        if missing:
            raise RuntimeError(f"demo_incoming needs the demo office (load_demo) first; missing: {missing}")
        self.u = users
        units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
        self.kt, self.vx = units["KT"], units["VX"]
        self.orgs = list(db.session.scalars(sa.select(Organization).where(Organization.is_active.is_(True))
                                            .order_by(Organization.id)))
        self.counters: dict[str, int] = {}
        self.today = today()
        self.off = set()
        self.add_attachment = add_attachment
        self.attached = 0

    # -- the plan ------------------------------------------------------------------------------

    def arrival_days(self, n: int) -> list[date]:
        this_year = _working_days(date(self.today.year, 1, 1), self.today)
        last_year = _working_days(date(self.today.year - 1, 10, 1), date(self.today.year - 1, 12, 31))
        n_last = max(2, n // 7)
        days = [self.rng.choice(last_year) for _ in range(n_last)]
        days += [self.rng.choice(this_year) for _ in range(n - n_last)]
        # the last few days always receive something (registered / presented documents)
        recent = this_year[-3:]
        for i, day in enumerate(recent):
            if i < len(days):
                days[-1 - i] = day
        return sorted(days)

    def state_for(self, age: int) -> str:
        r = self.rng.random()
        if r < 0.04:
            return "cancelled"
        if age <= 2:
            return self.rng.choice(("registered", "registered", "submitted", "assigned"))
        if age <= 7:
            return self.rng.choices(("registered", "submitted", "assigned", "completed"), (1, 2, 6, 3))[0]
        if age <= 30:
            return self.rng.choices(("submitted", "assigned", "completed"), (1, 5, 10))[0]
        return self.rng.choices(("assigned", "completed"), (1, 24))[0]

    # -- one document --------------------------------------------------------------------------

    def registration(self, received: date, confidentiality: str) -> dict:
        rng = self.rng
        code = rng.choices([t for t, _ in TYPES], [w for _, w in TYPES])[0]
        private = rng.random() < 0.05
        if private:
            sender_id, sender_name, abbr = None, rng.choice(PRIVATE_SENDERS), "CT"
        else:
            org = rng.choice(self.orgs)
            sender_id, sender_name, abbr = org.id, None, org.abbr or "UBND"
        key = f"{sender_name or sender_id}|{code}"
        self.counters[key] = self.counters.get(key, rng.randint(5, 120)) + rng.randint(1, 25)
        number = self.counters[key]
        symbol = f"{number}/{abbr}-{rng.choice(DEPARTMENTS)}" if code == "CV" else f"{number}/{code}-{abbr}"
        if private:
            symbol = f"{number}/ĐKN"
        issued = received - timedelta(days=rng.choice((0, 1, 1, 2, 3, 5, 7)))
        year_period = rng.choice((f"quý {((received.month - 1) // 3) + 1} năm {received.year}",
                                  f"tháng {received.month} năm {received.year}", f"năm {received.year}"))
        subject = rng.choice(SUBJECTS).format(period=year_period, year=received.year + 1)
        if code == "GM":
            subject = "Giấy mời " + subject.replace("V/v mời dự ", "dự ").replace("V/v ", "họp về việc ")
        urgency = rng.choices(("normal", "urgent", "very_urgent", "flash"), (80, 14, 4, 2))[0]
        if code == "CĐ":
            urgency = "flash"
        return {"sender_id": sender_id, "sender_name": sender_name, "number_symbol": symbol,
                "issued_date": issued.isoformat(), "received_date": received.isoformat(), "doc_type": code,
                "subject": subject, "signer": rng.choice(SIGNERS), "urgency": urgency,
                "confidentiality": confidentiality, "pages": rng.randint(1, 12), "copies": rng.choice((1, 1, 2)),
                "medium": rng.choices(("electronic", "paper"), (7, 3))[0],
                "notes": rng.choice((None, None, None, None, "Bản chính kèm theo phụ lục", "Kèm hồ sơ"))}

    def assignees(self, doc: Document, confidential: bool):
        """(assignee list, the primary's actor-resolver): who acts as primary handler afterwards."""
        rng = self.rng
        u = self.u
        if confidential:
            primary = rng.choice(({"unit_id": self.kt.id}, {"user_id": u["truongphong"].id}))
            items = [{**primary, "role": "primary"}]
            if rng.random() < 0.5:
                items.append({"user_id": u["phochanh"].id, "role": "inform"})
            return items
        kind = rng.random()
        if kind < 0.45:
            primary_unit, other_unit = (self.kt, self.vx) if rng.random() < 0.6 else (self.vx, self.kt)
            items = [{"unit_id": primary_unit.id, "role": "primary"}]
            if rng.random() < 0.4:
                items.append({"unit_id": other_unit.id, "role": "coordinate"})
        else:
            person = rng.choice(("chuyenvien", "chuyenvien2", "truongphong", "truongphongvx"))
            items = [{"user_id": u[person].id, "role": "primary"}]
            others = [p for p in ("chuyenvien", "chuyenvien2") if p != person]
            if rng.random() < 0.35:
                items.append({"user_id": u[rng.choice(others)].id, "role": "coordinate"})
        if rng.random() < 0.3:
            items.append({"user_id": u[rng.choice(("phochanh", "truongphongvx"))].id, "role": "inform"})
            if items[-1]["user_id"] in [i.get("user_id") for i in items[:-1]]:
                items.pop()
        return items

    def head_of(self, unit_id: int) -> User:
        return self.u["truongphong"] if unit_id == self.kt.id else self.u["truongphongvx"]

    def specialist_of(self, unit_id: int) -> User:
        return self.u["chuyenvien"] if unit_id == self.kt.id else self.u["chuyenvien2"]

    def run_one(self, received: date, state: str, confidentiality: str, i: int) -> Document:
        rng, u = self.rng, self.u
        clerk = u["vanthu"]
        data = self.registration(received, confidentiality)
        doc = incoming.register_incoming(data, actor=clerk)
        doc.created_at = _stamp(received, rng.randint(7, 10), rng.randint(0, 59))
        self.maybe_attach(doc, clerk)
        if state == "registered":
            return doc
        if state == "cancelled" and rng.random() < 0.6:
            incoming.cancel_incoming(doc, rng.choice(CANCEL_REASONS), actor=clerk)
            return doc
        confidential = confidentiality != "normal"
        leader = u["lanhdao"] if confidentiality in ("secret", "top_secret") or rng.random() < 0.5 else u["phochanh"]
        incoming.present(doc, actor=clerk, leader_id=leader.id)
        presented_day = min(add_working_days(received, rng.choice((0, 0, 1)), self.off), self.today)
        # presented after it was registered (and its scan attached, a minute later in its history)
        doc.presented_at = max(_stamp(presented_day, rng.randint(9, 11), rng.randint(0, 59)),
                               doc.created_at + timedelta(minutes=rng.randint(5, 40)))
        if state == "submitted":
            return doc
        if state == "cancelled":
            incoming.cancel_incoming(doc, rng.choice(CANCEL_REASONS), actor=clerk)
            return doc
        if confidentiality in ("secret", "top_secret"):  # only the leaders are cleared: keep it presented
            return doc
        items = self.assignees(doc, confidential)
        incoming.assign(doc, actor=leader, instruction=rng.choice(INSTRUCTIONS), assignees=items)
        directed_day = min(add_working_days(presented_day, rng.choice((0, 1, 1, 2)), self.off), self.today)
        days = {"normal": 7, "urgent": 2, "very_urgent": 1, "flash": 0}[doc.urgency]
        if rng.random() < 0.2:
            days = rng.choice((10, 15, 20))
        due = add_working_days(directed_day, days, self.off)
        doc.directed_at = _stamp(directed_day, rng.randint(13, 16), rng.randint(0, 59))
        doc.due_date = due
        live = [a for a in incoming.assignments_of(doc) if a.state == "open"]
        for a in live:
            a.due_date = due
            a.created_at = doc.directed_at
        db.session.flush()
        primary = next(a for a in live if a.role == "primary")
        # what follows the direction is timed in the order it is done (its history reads in that order and
        # shows the times the tables show), never past now
        now, cursor = utcnow(), [doc.directed_at]

        def after(low_hours: float, high_hours: float) -> datetime:
            at = cursor[0] + timedelta(hours=rng.uniform(low_hours, high_hours))
            local = at.replace(tzinfo=UTC).astimezone(office_tz())
            if not 7 <= local.hour < 17:  # office hours: the next morning
                day = local.date() + timedelta(days=1) if local.hour >= 17 else local.date()
                at = _stamp(day, 7, 30) + timedelta(minutes=rng.randint(0, 120))
            if at > now:
                at = cursor[0] + max((now - cursor[0]) / 3, timedelta(minutes=1))
            cursor[0] = at.replace(microsecond=0)
            return cursor[0]

        actor = None
        if primary.user_id is not None:
            actor = db.session.get(User, primary.user_id)
        else:
            head = self.head_of(primary.unit_id)
            specialist = self.specialist_of(primary.unit_id)
            if not confidential and rng.random() < 0.7:
                child_due = due if rng.random() < 0.6 else max(directed_day, add_working_days(directed_day, max(
                    days - 2, 0), self.off))
                child = incoming.delegate(primary, actor=head, user_id=specialist.id,
                                          note="Giao đồng chí nghiên cứu, tham mưu xử lý.")
                child.due_date = min(child_due, due)
                child.created_at = after(1, 20)
                actor = specialist
            else:
                actor = head
        u_actor = actor
        # coordinators give their opinion, the informed read it (some of them)
        for a in live:
            finishing = state == "completed"  # completion closes only the primary's own assignment
            if a.role == "coordinate" and (finishing or rng.random() < 0.6):
                who = db.session.get(User, a.user_id) if a.user_id else self.head_of(a.unit_id)
                incoming.give_opinion(doc, rng.choice(OPINIONS), actor=who)
                a.done_at = after(4, 30)
                opinion = db.session.scalar(sa.select(ProgressNote).where(ProgressNote.document_id == doc.id,
                                                                          ProgressNote.kind == "opinion")
                                            .order_by(ProgressNote.id.desc()).limit(1))
                opinion.created_at = a.done_at  # the opinion's own line in the notes, not today
            elif a.role == "inform" and (finishing or rng.random() < 0.7):
                who = db.session.get(User, a.user_id) if a.user_id else self.head_of(a.unit_id)
                incoming.mark_read(doc, actor=who)
                a.done_at = after(1, 10)
        for _k in range(rng.choice((0, 1, 1, 2))):
            note = incoming.add_progress(doc, rng.choice(PROGRESS), actor=u_actor)
            note.created_at = after(20, 60)
        if rng.random() < 0.15:
            self.maybe_attach(doc, u_actor, force=True)
        if state == "cancelled":
            incoming.cancel_incoming(doc, rng.choice(CANCEL_REASONS), actor=clerk)
            return doc
        if state == "completed":
            late = rng.random() < 0.15
            spend = rng.randint(1, days or 1) + (rng.randint(1, 6) if late else 0)
            done_day = min(add_working_days(directed_day, spend, self.off), self.today)
            reply = None
            if rng.random() < 0.55:
                unit_code = "KT" if (u_actor.unit_id == self.kt.id) else "VX"
                reply = f"{rng.randint(100, 9999)}/UBND-{unit_code}"
            incoming.complete(doc, rng.choice(RESULTS), actor=u_actor, reply_number_symbol=reply)
            # after the notes and opinions that came before it
            doc.completed_at = max(_stamp(done_day, rng.randint(8, 17), rng.randint(0, 59)), after(1, 8))
            for a in incoming.assignments_of(doc):
                if a.state == "done" and a.role == "primary":
                    a.done_at = doc.completed_at
        return doc

    def maybe_attach(self, doc: Document, actor: User, force: bool = False) -> None:
        if self.add_attachment is None or (not force and self.rng.random() > 0.3):
            return
        lines = [fold(doc.sender_name or "").upper()[:80], f"So: {fold(doc.number_symbol)}",
                 f"Ngay: {doc.issued_date.strftime('%d/%m/%Y') if doc.issued_date else ''}", "",
                 fold(doc.subject)[:90], fold(doc.subject)[90:180], "",
                 f"(Ban dien tu - tai lieu mau, so den {doc.number}/{doc.year}, {self.attached})"]
        name = "".join(ch if ch.isalnum() else "-" for ch in fold(doc.number_symbol)) + ".pdf"
        storage = FileStorage(stream=io.BytesIO(_pdf(lines)), filename=name, content_type="application/pdf")
        try:
            with db.session.begin_nested():
                self.add_attachment(doc, storage, actor=actor)
            self.attached += 1
        except DomainError:
            pass


def _plan(demo: _Demo, n: int) -> list[tuple[date, str, str]]:
    rng = demo.rng
    days = demo.arrival_days(n)
    plan = []
    for day in days:
        age = (demo.today - day).days
        state = demo.state_for(age)
        r = rng.random()
        confidentiality = "normal"
        if r < 0.07:
            confidentiality = "confidential"
        elif r < 0.09:
            confidentiality = "secret"
        plan.append([day, state, confidentiality])
    # every state at least twice, and confidential ones among the handled ones
    needed = {s: 2 for s in STATES} | {"registered": 4, "submitted": 4}
    for _day, state, _conf in plan:
        needed[state] = needed.get(state, 0) - 1
    for state, missing in needed.items():
        for _ in range(max(missing, 0)):
            candidates = [p for p in plan if sum(q[1] == p[1] for q in plan) > 2]
            if not candidates:
                break
            # the newest documents become registered/presented, older ones handled
            pick = candidates[-1] if state in ("registered", "submitted") else rng.choice(candidates)
            pick[1] = state
    if not any(p[2] == "confidential" and p[1] in ("assigned", "completed") for p in plan):
        handled = [p for p in plan if p[1] in ("assigned", "completed")]
        if handled:
            handled[0][2] = "confidential"
    return [tuple(p) for p in plan]


def demo_incoming(n: int = 300, *, seed: int = 30, show_progress: bool = True) -> int:
    """Add about `n` incoming documents in every state to the demo office; returns how many were
    added (0 when incoming documents already exist). Flushes; the caller commits."""
    if db.session.scalar(sa.select(Document.id).where(Document.direction == "incoming").limit(1)):
        return 0
    demo = _Demo(random.Random(seed))
    plan = _plan(demo, n)
    made = 0
    with click.progressbar(plan, label="Văn bản đến mẫu", show_pos=True, hidden=not show_progress,
                           file=None) as bar:
        for i, (day, state, confidentiality) in enumerate(bar):
            demo.run_one(day, state, confidentiality, i)
            made += 1
            if made % 50 == 0:
                db.session.flush()
    db.session.flush()
    # notifications of finished work are old news: mark them read
    finished = sa.select(Document.id).where(Document.status.in_(("completed", "cancelled")))
    db.session.execute(sa.update(Notification).where(Notification.document_id.in_(finished),
                                                     Notification.read_at.is_(None))
                       .values(read_at=utcnow()).execution_options(synchronize_session=False))
    db.session.flush()
    return made


__all__ = ["demo_incoming"]
