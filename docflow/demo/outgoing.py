"""Demo outgoing correspondence: documents in every state, built through the services.

`demo_outgoing(n=120)` needs the demo office (docflow/demo/__init__.py: users, units, organisations) and runs
in the caller's transaction (it flushes, never commits). Drafters are the demo specialists and unit
heads; unit heads approve the first step, the leaders the second; the clerk issues and dispatches.
Each draft carries one or two small generated DOCX versions. States: draft, in review at step 1 and
at step 2, returned (with the approver's comment), rejected, approved (waiting for the clerk), issued
(numbered in date order over the last months; some dispatched by paper, post or e-mail, some
answering incoming documents assigned to their drafter), and cancelled (drafts, and issued documents
that keep their number). Some are confidential (Mật), drafted and handled only by cleared people.
"""

import io
import random
from datetime import timedelta

import click
import sqlalchemy as sa

from docflow.auth.models import User
from docflow.core.calendar import is_working_day
from docflow.core.timeutil import today, utcnow
from docflow.demo.incoming import _stamp
from docflow.extensions import db
from docflow.incoming.models import Assignment
from docflow.outgoing import services
from docflow.outgoing.models import ApprovalAction, DraftVersion
from docflow.registry.models import Document, Organization

SUBJECTS = {
    "CV": ("V/v báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội tháng {m}",
           "V/v đề nghị cung cấp số liệu phục vụ xây dựng kế hoạch năm {y}",
           "V/v tăng cường công tác phòng, chống thiên tai",
           "V/v góp ý dự thảo Quy chế phối hợp quản lý cụm công nghiệp",
           "V/v đôn đốc giải ngân vốn đầu tư công",
           "V/v triển khai công tác chuyển đổi số trong cơ quan nhà nước",
           "V/v trả lời kiến nghị của cử tri",
           "V/v tổ chức các hoạt động văn hóa, thể thao dịp lễ"),
    "QĐ": ("Quyết định thành lập Tổ công tác rà soát thủ tục hành chính",
           "Quyết định phê duyệt Kế hoạch đào tạo, bồi dưỡng cán bộ, công chức năm {y}",
           "Quyết định khen thưởng tập thể, cá nhân có thành tích xuất sắc"),
    "TB": ("Thông báo kết luận của Chủ tịch tại cuộc họp giao ban tháng {m}",
           "Thông báo lịch tiếp công dân định kỳ năm {y}"),
    "BC": ("Báo cáo kết quả thực hiện công tác cải cách hành chính quý",
           "Báo cáo tình hình kinh tế - xã hội tháng {m}"),
    "KH": ("Kế hoạch kiểm tra công tác văn thư, lưu trữ năm {y}",),
    "TTr": ("Tờ trình đề nghị phê duyệt dự toán kinh phí",),
    "GM": ("Giấy mời dự Hội nghị sơ kết công tác tháng {m}",),
}
TYPES = ("CV",) * 6 + ("QĐ", "QĐ", "TB", "BC", "KH", "TTr", "GM")
# (state, weight)
STATES = (("issued", 40), ("draft", 9), ("review1", 9), ("review2", 9), ("returned", 8), ("rejected", 5),
          ("approved", 7), ("cancelled_draft", 4), ("cancelled_issued", 3), ("issued_after_return", 6))
RETURN_COMMENTS = ("Đề nghị bổ sung số liệu so sánh cùng kỳ.", "Sửa lại phần kính gửi và nơi nhận.",
                   "Rút gọn nội dung, tập trung vào các kiến nghị.", "Kiểm tra lại thể thức văn bản.")
REJECT_COMMENTS = ("Nội dung đã được giải quyết tại văn bản khác, không ban hành.",
                   "Chưa đủ căn cứ pháp lý để ban hành.")


def _docx(subject: str, version: int, rng: random.Random) -> bytes:
    import docx  # lazy: python-docx (~60 ms) only when the demo writes its drafts, not for every CLI start

    document = docx.Document()
    document.add_paragraph("ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI")
    document.add_paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM — Độc lập - Tự do - Hạnh phúc")
    document.add_heading(subject, level=1)
    document.add_paragraph(f"Dự thảo lần {version}.")
    for _ in range(rng.randint(2, 4)):
        document.add_paragraph(rng.choice((
            "Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh, đề nghị các cơ quan, đơn vị triển khai thực hiện.",
            "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05/3/2020 của Chính phủ về công tác văn thư.",
            "Trong quá trình thực hiện, nếu có vướng mắc, đề nghị phản ánh về Văn phòng để tổng hợp, báo cáo.",
            "Giao các sở, ban, ngành theo chức năng, nhiệm vụ tổ chức thực hiện.")))
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


class _Demo:
    def __init__(self, rng: random.Random):
        self.rng = rng
        names = ("chuyenvien", "chuyenvien2", "truongphong", "truongphongvx", "lanhdao", "phochanh", "vanthu")
        self.u = {u.username: u for u in db.session.scalars(sa.select(User).where(User.username.in_(names)))}
        missing = set(names) - set(self.u)
        if missing:
            raise RuntimeError(f"the demo office is missing users: {', '.join(sorted(missing))}")
        self.orgs = list(db.session.scalars(sa.select(Organization).where(Organization.is_active.is_(True))))
        self.clerk = self.u["vanthu"]
        self.leaders = [self.u["lanhdao"], self.u["phochanh"]]

    def head_of(self, user: User) -> User:
        return self.u["truongphong"] if user.unit_id == self.u["truongphong"].unit_id else self.u["truongphongvx"]

    def recipients(self) -> list[dict]:
        picks = self.rng.sample(self.orgs, k=min(len(self.orgs), self.rng.randint(1, 3))) if self.orgs else []
        out = [{"organization_id": o.id} for o in picks]
        if self.rng.random() < 0.2 or not out:
            out.append({"unit_id": self.rng.choice((self.u["chuyenvien"].unit_id, self.u["chuyenvien2"].unit_id))})
        return out

    def reply_targets(self, drafter: User) -> list[int]:
        """An incoming document assigned to the drafter as primary handler, still open (if any)."""
        taken = sa.select(sa.literal_column("incoming_id")).select_from(sa.table("reply_links"))
        doc_id = db.session.scalar(
            sa.select(Assignment.document_id).join(Document, Document.id == Assignment.document_id)
            .where(Assignment.user_id == drafter.id, Assignment.role == "primary", Assignment.state == "open",
                   Document.status == "assigned", Document.confidentiality == "normal",
                   Assignment.document_id.not_in(taken))
            .order_by(Assignment.id).limit(1))
        return [doc_id] if doc_id else []

    def version(self, doc: Document, drafter: User, number: int) -> None:
        services.add_version(doc, io.BytesIO(_docx(doc.subject, number, self.rng)), actor=drafter,
                             filename=f"du-thao-v{number}.docx", note="Dự thảo" if number == 1 else "Đã chỉnh sửa")

    def approve_step(self, doc: Document, drafter: User) -> None:
        if doc.current_step == 1:
            services.approve(doc, actor=self.head_of(drafter), comment=self.rng.choice((None, "Đồng ý trình.")))
        else:
            leader = next((x for x in self.leaders if x.cleared_for(doc.confidentiality)), self.leaders[0])
            services.approve(doc, actor=leader, comment=self.rng.choice((None, "Đồng ý ban hành.")))

    def run_one(self, state: str, confidential: bool, issued_on, index: int) -> None:
        rng = self.rng
        if confidential:
            drafter = self.u["truongphong"]  # cleared for Mật
        else:
            drafter = rng.choice((self.u["chuyenvien"], self.u["chuyenvien"], self.u["chuyenvien2"],
                                  self.u["truongphong"], self.u["truongphongvx"]))
        doc_type = rng.choice(TYPES)
        subject = rng.choice(SUBJECTS[doc_type]).format(m=rng.randint(1, 12), y=today().year)
        reply_to = self.reply_targets(drafter) if state.startswith("issued") and doc_type == "CV" and \
            rng.random() < 0.5 else []
        signer = next(x for x in self.leaders if x.cleared_for("confidential" if confidential else "normal"))
        doc = services.create_draft({
            "doc_type": doc_type, "subject": subject, "recipients": self.recipients(), "signer_id": signer.id,
            "signing_capacity": rng.choice((None, None, "KT.", "TL.")),
            "urgency": rng.choice(("normal",) * 6 + ("urgent", "very_urgent")),
            "confidentiality": "confidential" if confidential else "normal", "reply_to": reply_to}, actor=drafter)
        self.version(doc, drafter, 1)
        if state in ("draft", "cancelled_draft"):
            if state == "cancelled_draft":
                services.cancel(doc, actor=drafter, reason="Không còn cần thiết ban hành.")
            return
        services.submit(doc, actor=drafter)
        if state == "review1" and doc.current_step == 1:
            return
        if state == "review1":  # a unit head's own draft starts at step 2
            return
        if state == "issued_after_return":
            returner = self.head_of(drafter) if doc.current_step == 1 else self.leaders[0]
            services.return_draft(doc, actor=returner, comment=rng.choice(RETURN_COMMENTS))
            self.version(doc, drafter, 2)
            services.submit(doc, actor=drafter)
        if doc.current_step == 1:
            if state == "returned" and rng.random() < 0.5:
                services.return_draft(doc, actor=self.head_of(drafter), comment=rng.choice(RETURN_COMMENTS))
                return
            if state == "rejected" and rng.random() < 0.5:
                services.reject(doc, actor=self.head_of(drafter), comment=rng.choice(REJECT_COMMENTS))
                return
            self.approve_step(doc, drafter)
        if state == "review2":
            return
        leader = next((x for x in self.leaders if x.cleared_for(doc.confidentiality)), self.leaders[0])
        if state == "returned":
            services.return_draft(doc, actor=leader, comment=rng.choice(RETURN_COMMENTS))
            return
        if state == "rejected":
            services.reject(doc, actor=leader, comment=rng.choice(REJECT_COMMENTS))
            return
        self.approve_step(doc, drafter)
        if state == "approved":
            return
        services.issue(doc, actor=self.clerk, issued_date=issued_on)
        if state == "cancelled_issued":
            services.cancel(doc, actor=self.clerk, reason="Ban hành nhầm, thay thế bằng văn bản khác.")
            return
        if rng.random() < 0.7:
            channel = rng.choice(("paper", "paper", "electronic", "email"))
            recipients = services.recipients_of(doc)
            external = [r.id for r in recipients if r.unit_id is None]
            internal = [r.id for r in recipients if r.unit_id is not None]
            if channel != "paper":
                services.dispatch(doc, actor=self.clerk, channel=channel)
            else:  # by post to the outside only; the office's own units get it in their inbox
                if external:
                    services.dispatch(doc, actor=self.clerk, channel="paper", recipient_ids=external,
                                      envelopes=rng.randint(1, 2))
                if internal:
                    services.dispatch(doc, actor=self.clerk, channel="electronic", recipient_ids=internal)
        self.backdate(doc, issued_on)

    def backdate(self, doc: Document, issued_on) -> None:
        """An issued document's times follow its issue date: drafted a few working days before,
        approved in between, issued that morning, dispatched that afternoon (never in the future)."""
        now = utcnow()
        rng = self.rng
        drafted = issued_on - timedelta(days=rng.randint(2, 7))
        doc.created_at = min(_stamp(drafted, rng.randint(8, 10), rng.randint(0, 59)), now)
        doc.issued_at = min(_stamp(issued_on, rng.randint(9, 10), rng.randint(0, 59)), now)
        actions = db.session.scalars(sa.select(ApprovalAction).where(ApprovalAction.document_id == doc.id)
                                     .order_by(ApprovalAction.id)).all()
        span = (doc.issued_at - doc.created_at) / (len(actions) + 1)
        for k, action in enumerate(actions, start=1):
            action.created_at = doc.created_at + span * k
        # the first version a few minutes after the draft (its file's history line comes between); each
        # later one between the return that asked for it and the submission that followed
        returns = [a.created_at for a in actions if a.action == "return"]
        for version in db.session.scalars(sa.select(DraftVersion).where(DraftVersion.document_id == doc.id)
                                          .order_by(DraftVersion.number)):
            if version.number == 1 or len(returns) < version.number - 1:
                version.created_at = doc.created_at + timedelta(minutes=1 + version.number)
            else:
                version.created_at = returns[version.number - 2] + span / 2
        for r in services.recipients_of(doc):
            if r.dispatched_at is not None:
                r.dispatched_at = min(_stamp(issued_on, rng.randint(14, 16), rng.randint(0, 59)), now)


def _plan(rng: random.Random, n: int) -> list[tuple[str, bool]]:
    states = [s for s, _w in STATES]
    weights = [w for _s, w in STATES]
    plan = [(rng.choices(states, weights)[0], rng.random() < 0.1) for _ in range(n)]
    # every state at least once, and a confidential issued document
    for i, state in enumerate(states):
        if i < n and state not in {p[0] for p in plan}:
            plan[i] = (state, False)
    if n > len(states) and not any(c and s == "issued" for s, c in plan):
        plan[len(states)] = ("issued", True)
    return plan


def _issue_days(count: int, rng: random.Random) -> list:
    """`count` working days over the last ~100 days (never in the future), in order."""
    now = today()
    days = [now - timedelta(days=k) for k in range(0, 100)]
    days = [d for d in days if is_working_day(d) and d.year == now.year] or [now]
    return sorted(rng.choice(days) for _ in range(count))


def demo_outgoing(n: int = 120, *, seed: int = 31, show_progress: bool = True) -> int:
    """Add about `n` outgoing documents in every state to the demo office; returns how many were
    added (0 when outgoing documents already exist). Flushes; the caller commits."""
    if db.session.scalar(sa.select(Document.id).where(Document.direction == "outgoing").limit(1)):
        return 0
    rng = random.Random(seed)
    demo = _Demo(rng)
    plan = _plan(rng, n)
    # issued documents first and in date order, so that numbers follow the dates
    issuing = [p for p in plan if p[0] in ("issued", "issued_after_return", "cancelled_issued")]
    others = [p for p in plan if p not in issuing]
    days = _issue_days(len(issuing), rng)
    ordered = [(s, c, d) for (s, c), d in zip(issuing, days, strict=True)] + [(s, c, None) for s, c in others]
    made = 0
    with click.progressbar(ordered, label="Văn bản đi mẫu", show_pos=True, hidden=not show_progress) as bar:
        for i, (state, confidential, day) in enumerate(bar):
            demo.run_one(state, confidential, day, i)
            made += 1
            if made % 20 == 0:
                db.session.flush()
    db.session.flush()
    return made


__all__ = ["demo_outgoing"]
