"""The demo office's archive (issue 7/9), built through the archive's services.

`demo_archive()` needs the demo office and its documents (docflow/demo/__init__.py, incoming.py,
outgoing.py) and runs in the caller's transaction (it flushes, never commits). It adds:

- the retention table (seed_retention, as `flask docflow init` does);
- this year's file plan, approved by the leader: a major heading per top-level unit (the Office's two
  rooms as its sub-headings), planned dossiers under each, coded ordinal + the major heading's
  abbreviation (01.KT); most are opened by their keepers and hold this year's handled documents of their
  unit (a confidential letter among them), some stay planned, and about a fifth of the handled
  documents are left unfiled for the archivist's work queue;
- dossiers of earlier years opened ad hoc: one of last year still open, one closed and due for
  transfer this year, one late, one kept back with the leader's approval, paper dossiers archived in
  the agency archive with their box and shelf (a permanent one among them), last year's conference
  dossier handed over early (with its documents) that one reader has borrowed (lent) and another has
  asked for (requested), an old loan returned, and two expired dossiers, one proposed for destruction.

The services stamp their rows with the current time; afterwards the demo moves the dossiers', plans',
transfers' and loans' times back to the days they describe. The audit log keeps the real time of the load.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from docflow.archive import services
from docflow.archive.models import Dossier, FilePlan, Loan, RetentionPeriod, Transfer
from docflow.auth.models import Unit, User
from docflow.core.text import fold
from docflow.core.timeutil import today
from docflow.extensions import db
from docflow.registry import access
from docflow.registry.models import Document, Participant

#: this year's plan: major headings (unit code, sub-heading unit codes) in order, and for each heading
#: unit its planned dossiers (title with {y}, retention years or None = permanent, keeper, opened?)
HEADINGS = (("VP", ("TH", "HCTC")), ("KT", ()), ("NC", ()), ("VX", ()), ("TCD", ()))
PLANNED = {
    "VP": (("Hồ sơ kế hoạch, báo cáo công tác năm {y} của Ủy ban nhân dân tỉnh", None, "luutru", True),
           ("Hồ sơ hội nghị giao ban hằng tháng năm {y}", 10, "luutru", True),
           ("Tập công văn trao đổi về công tác hành chính năm {y}", 5, "vanthu", True)),
    "TH": (("Hồ sơ báo cáo tình hình kinh tế - xã hội hằng tháng năm {y}", 20, "luutru", True),),
    "HCTC": (("Hồ sơ tuyển dụng, nâng lương công chức năm {y}", 70, "luutru", True),
             ("Hồ sơ kiểm tra công tác văn thư, lưu trữ năm {y}", 20, "vanthu", False)),
    "KT": (("Hồ sơ giải ngân vốn đầu tư công năm {y}", 20, "chuyenvien", True),
           ("Hồ sơ chuyển đổi số trong cơ quan nhà nước năm {y}", 10, "truongphong", True),
           ("Hồ sơ xây dựng dự toán ngân sách năm {y1}", 10, "chuyenvien", False)),
    "NC": (("Hồ sơ giải quyết kiến nghị của cử tri năm {y}", 10, "luutru", True),
           ("Hồ sơ cải cách hành chính năm {y}", 20, "luutru", True)),
    "VX": (("Hồ sơ tổ chức các hoạt động văn hóa, thể thao năm {y}", 10, "chuyenvien2", True),
           ("Hồ sơ phối hợp tổ chức kỳ thi tốt nghiệp trung học phổ thông năm {y}", 10, "truongphongvx", False)),
    "TCD": (("Hồ sơ tiếp công dân định kỳ năm {y}", 10, "luutru", True),),
}
#: a document whose subject (folded) holds these words goes to this year's open dossier of that code first
SUBJECT_DOSSIERS = (("kien nghi cua cu tri", "01.NC"), ("cai cach hanh chinh", "02.NC"),
                    ("thu tuc hanh chinh", "02.NC"), ("tiep cong dan", "01.TCD"), ("khieu nai", "01.TCD"),
                    ("kinh te - xa hoi", "04.VP"), ("dao tao, boi duong", "05.VP"), ("giao ban", "02.VP"),
                    ("chuyen doi so", "02.KT"), ("dau tu cong", "01.KT"), ("van hoa, the thao", "01.VX"),
                    ("ke hoach", "01.VP"), ("bao cao", "01.VP"))
#: the share of this year's handled documents filed (the rest wait in the archivist's work queue)
FILED_SHARE = 0.8
REASON_DESTROY = ("Hồ sơ hết thời hạn bảo quản theo Bảng thời hạn bảo quản; Hội đồng xác định giá trị tài liệu "
                  "đề nghị hủy.")


def _at(day: date, hour: int = 9) -> datetime:
    """A local office hour of `day` as a naive UTC timestamp (how the rows keep times)."""
    return datetime.combine(day, time(hour)).replace(tzinfo=UTC).replace(tzinfo=None) - timedelta(hours=7)


def _doc_day(doc: Document) -> date | None:
    return doc.issued_date if doc.direction == "outgoing" else (doc.received_date or doc.issued_date)


class _Archive:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.today = today()
        self.year = self.today.year
        self.users = {u.username: u for u in db.session.scalars(sa.select(User))}
        self.units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
        self.arch, self.leader = self.users["luutru"], self.users["lanhdao"]
        self.retention = {p.years: p.id for p in db.session.scalars(sa.select(RetentionPeriod))}

    def user(self, name: str) -> User:
        return self.users[name]

    def _retention(self, years) -> dict:
        if years in self.retention:
            return {"retention_id": self.retention[years]}
        return {"retention_years": years}

    # ---- documents ----------------------------------------------------------------------------------

    def handled(self, year: int) -> list[Document]:
        """The year's handled documents (incoming completed, outgoing issued) the archivist may file."""
        handled = sa.or_(sa.and_(Document.direction == "incoming", Document.status == "completed"),
                         sa.and_(Document.direction == "outgoing", Document.status == "issued"))
        docs = db.session.scalars(access.visible_documents(self.arch).where(handled).order_by(Document.id)).all()
        return [d for d in docs if (_doc_day(d) or self.today).year == year]

    def unit_codes(self, docs: list[Document]) -> dict[int, set[str]]:
        """For each document, the codes of the units taking part (a person's unit counts too)."""
        by_id = {u.id: code for code, u in self.units.items()}
        user_units = {u.id: u.unit_id for u in self.users.values()}
        out: dict[int, set[str]] = {d.id: set() for d in docs}
        ids = list(out)
        for start in range(0, len(ids), 500):
            rows = db.session.execute(sa.select(Participant.document_id, Participant.unit_id, Participant.user_id)
                                      .where(Participant.document_id.in_(ids[start:start + 500])))
            for doc_id, unit_id, user_id in rows:
                unit_id = unit_id or user_units.get(user_id)
                if unit_id in by_id:
                    out[doc_id].add(by_id[unit_id])
        return out

    def file(self, dossier: Dossier, docs: list[Document]) -> None:
        for doc in sorted(docs, key=lambda d: (_doc_day(d) or self.today, d.id)):
            services.add_document(dossier, doc.id, actor=self.arch)

    # ---- this year's plan ---------------------------------------------------------------------------------

    def plan(self) -> list[Dossier]:
        plan = services.create_plan(self.year, actor=self.arch)
        opened = []
        for order, (major, subs) in enumerate(HEADINGS, start=1):
            head = services.add_heading(plan, {"title": self.units[major].name, "abbr": major,
                                               "unit_id": self.units[major].id, "sort_order": order * 10},
                                        actor=self.arch)
            ordinal = 0
            for sub_order, code in enumerate((major, *subs)):
                heading = head if code == major else services.add_heading(
                    plan, {"title": self.units[code].name, "abbr": code, "unit_id": self.units[code].id,
                           "parent_id": head.id, "sort_order": sub_order}, actor=self.arch)
                for title, years, keeper, is_open in PLANNED[code]:
                    ordinal += 1
                    dossier = services.plan_dossier(plan, {
                        "code": f"{ordinal:02d}.{major}", "title": title.format(y=self.year, y1=self.year + 1),
                        "heading_id": heading.id, "unit_id": self.units[code].id,
                        "keeper_id": self.user(keeper).id, **self._retention(years)}, actor=self.arch)
                    if is_open:
                        opened.append(dossier)
        services.approve_plan(plan, actor=self.leader)
        plan.created_at = _at(date(self.year, 1, 2), 8)
        plan.approved_at = _at(date(self.year, 1, 5), 15)
        for dossier in opened:
            services.open_dossier(dossier, actor=dossier.keeper)
            dossier.start_date = date(self.year, 1, 5)
            dossier.created_at = _at(date(self.year, 1, 5), 10)
        return opened

    def fill(self, opened: list[Dossier]) -> None:
        """This year's handled documents into the open dossier their subject names (SUBJECT_DOSSIERS), else
        one of the units taking part, else the Office's correspondence dossier; a confidential one surely
        among them."""
        docs = self.handled(self.year)
        units = self.unit_codes(docs)
        by_unit: dict[str, list[Dossier]] = {}
        for dossier in opened:
            code = next(c for c, u in self.units.items() if u.id == dossier.unit_id)
            by_unit.setdefault(code, []).append(dossier)
        by_code = {d.code: d for d in opened}
        fallback = by_code["03.VP"]
        chosen: dict[int, list[Document]] = {}
        secret = next((d for d in docs if d.confidentiality != "normal"), None)
        for doc in docs:
            if doc is not secret and self.rng.random() > FILED_SHARE:
                continue  # left for the work queue
            subject = fold(doc.subject or "")
            named = next((by_code[c] for words, c in SUBJECT_DOSSIERS if words in subject and c in by_code), None)
            fits = [d for code in sorted(units[doc.id]) for d in by_unit.get(code, [])]
            dossier = named or (self.rng.choice(fits) if fits else fallback)
            chosen.setdefault(dossier.id, []).append(doc)
        for dossier in opened:
            self.file(dossier, chosen.get(dossier.id, []))

    # ---- earlier years ---------------------------------------------------------------------------------

    def ad_hoc(self, code: str, title: str, year: int, unit: str, keeper: str, years, *, medium="electronic",
               start: date | None = None) -> Dossier:
        start = start or date(year, 1, 3)
        dossier = services.create_dossier({"code": code, "title": title, "year": year, "unit_id": self.units[unit].id,
                                           "keeper_id": self.user(keeper).id, "medium": medium,
                                           "start_date": start.isoformat(), **self._retention(years)},
                                          actor=self.user(keeper) if keeper != "vanthu" else self.arch)
        dossier.created_at = _at(start, 10)
        return dossier

    def close(self, dossier: Dossier, end: date, *, pages=None, note=None) -> Dossier:
        services.close_dossier(dossier, {"end_date": end.isoformat(), "page_total": pages,
                                         "closing_note": note}, actor=self.arch)
        dossier.closed_at = _at(min(end + timedelta(days=10), self.today), 16)
        return dossier

    def archive(self, dossier: Dossier, box: str | None, shelf: str | None, on: date) -> Transfer:
        transfer = services.transfer_dossier(dossier, actor=self.arch, box=box, shelf=shelf)
        transfer.created_at = transfer.accepted_at = dossier.archived_at = _at(on, 14)
        return transfer

    def earlier(self) -> dict:
        y = self.year
        last_docs = self.handled(y - 1)
        units = self.unit_codes(last_docs)
        kt_docs = [d for d in last_docs if "KT" in units[d.id]]
        vx_docs = [d for d in last_docs if "VX" in units[d.id]]
        # the conference dossier: what neither KT nor VX handled, or (a small demo) every third letter
        rest = [d for d in last_docs if d not in kt_docs and d not in vx_docs] or last_docs[::3]
        made = {}
        # last year's: one still open (the work queue's "ended year, still open"), one closed and due
        # for transfer by 31/12 this year, the conference dossier handed over early and lent
        made["open_ended"] = self.ad_hoc("01.VX", f"Hồ sơ tổ chức các hoạt động văn hóa, thể thao năm {y - 1}",
                                         y - 1, "VX", "chuyenvien2", 10, start=date(y - 1, 10, 1))
        self.file(made["open_ended"], vx_docs)
        made["closed"] = self.ad_hoc("01.KT", f"Hồ sơ giải ngân vốn đầu tư công năm {y - 1}", y - 1, "KT",
                                     "chuyenvien", 20, start=date(y - 1, 10, 1))
        self.file(made["closed"], kt_docs)
        self.close(made["closed"], date(y - 1, 12, 31), note="Hồ sơ đầy đủ, không có bản trùng.")
        made["lent"] = self.ad_hoc("01.VP", f"Hồ sơ hội nghị tổng kết công tác năm {y - 1}", y - 1, "VP", "luutru",
                                   10, start=date(y - 1, 10, 1))
        self.file(made["lent"], rest)
        self.close(made["lent"], date(y - 1, 12, 31), note="Hồ sơ điện tử, đã kiểm tra đủ văn bản.")
        self.archive(made["lent"], None, None, date(y, 2, 10))
        # two years ago: a late transfer, and one kept back by its unit with the leader's approval
        made["late"] = self.ad_hoc("01.NC", f"Hồ sơ giải quyết đơn thư khiếu nại năm {y - 2}", y - 2, "NC", "luutru",
                                   20, medium="paper")
        self.close(made["late"], date(y - 2, 12, 28), pages=86, note="Hồ sơ giấy, đã đánh số tờ.")
        made["kept"] = self.ad_hoc("02.KT", f"Hồ sơ thanh tra dự án khu công nghiệp năm {y - 2}", y - 2, "KT",
                                   "truongphong", 20, medium="paper")
        self.close(made["kept"], date(y - 2, 11, 20), pages=143, note="Hồ sơ giấy, đã đánh số tờ.")
        kb = services.request_keep_back(made["kept"], reason="Phòng còn sử dụng để theo dõi việc thực hiện kết "
                                        "luận thanh tra.", until=date(y + 1, 6, 30), actor=self.user("truongphong"))
        services.decide_keep_back(kb, approve=True, actor=self.leader, comment="Đồng ý giữ lại đến 30/6 năm sau.")
        # the agency archive: paper dossiers of earlier years with their box and shelf
        for code, title, year, unit, years, pages, box, shelf in (
                ("01.VP", "Hồ sơ kế hoạch, báo cáo công tác năm {y} của Ủy ban nhân dân tỉnh", y - 5, "VP", None,
                 212, "Hộp 01", "Kệ A1"),
                ("02.HCTC", "Hồ sơ tuyển dụng công chức năm {y}", y - 4, "HCTC", 70, 318, "Hộp 02", "Kệ A1"),
                ("01.KT", "Hồ sơ xây dựng dự toán ngân sách năm {y}", y - 3, "KT", 10, 97, "Hộp 03", "Kệ A2"),
                ("01.VX", "Hồ sơ tổ chức Hội khỏe Phù Đổng năm {y}", y - 3, "VX", 20, 64, "Hộp 04", "Kệ A2"),
                ("03.VP", "Tập công văn trao đổi về công tác hành chính năm {y}", y - 7, "VP", 5, 180, "Hộp 05",
                 "Kệ B1"),
                ("04.VP", "Tập giấy mời hội nghị năm {y}", y - 8, "VP", 5, 75, "Hộp 06", "Kệ B1")):
            dossier = self.ad_hoc(code, title.format(y=year), year, unit, "luutru", years, medium="paper")
            self.close(dossier, date(year, 12, 30), pages=pages, note="Hồ sơ giấy, đã đánh số tờ.")
            self.archive(dossier, box, shelf, date(year + 1, 9, 15))
            made[f"archived {code} {year}"] = dossier
        made["expired_proposed"] = made[f"archived 03.VP {y - 7}"]
        made["expired"] = made[f"archived 04.VP {y - 8}"]
        return made

    def loans(self, made: dict) -> None:
        lent = made["lent"]
        back = services.request_loan(made[f"archived 01.KT {self.year - 3}"], reason="Tra cứu số liệu dự toán",
                                     due_date=self.today + timedelta(days=7), actor=self.user("truongphongvx"))
        services.approve_loan(back, actor=self.leader)
        services.lend_loan(back, actor=self.arch)
        services.return_loan(back, actor=self.arch)
        loan = services.request_loan(lent, reason="Nghiên cứu xây dựng báo cáo tổng kết",
                                     due_date=self.today + timedelta(days=10), actor=self.user("chuyenvien2"))
        services.approve_loan(loan, actor=self.leader, comment="Đồng ý cho khai thác.")
        services.lend_loan(loan, actor=self.arch)
        services.request_loan(lent, reason="Tham khảo nội dung hội nghị", due_date=self.today + timedelta(days=14),
                              actor=self.user("chuyenvien"))
        # the borrowing book's times: the returned loan a month ago, the others these last days
        times = {back.id: (30, 29, 28, 21), loan.id: (3, 2, 2, None)}
        for row in db.session.scalars(sa.select(Loan)):
            asked, decided, lent_on, returned = times.get(row.id, (1, None, None, None))
            row.requested_at = _at(self.today - timedelta(days=asked), 9)
            if decided is not None:
                row.decided_at = _at(self.today - timedelta(days=decided), 14)
            if lent_on is not None:
                row.lent_at = _at(self.today - timedelta(days=lent_on), 15)
            if returned is not None:
                row.returned_at = _at(self.today - timedelta(days=returned), 10)

    def disposition(self, made: dict) -> None:
        services.propose_disposition([made["expired_proposed"].id], reason=REASON_DESTROY, actor=self.arch)


def demo_archive(*, seed: int = 32) -> int:
    """Add the demo archive (see the module's docstring); returns how many dossiers were made (0 when the
    file plan of this year exists already). Flushes; the caller commits."""
    services.seed_retention()
    if db.session.scalar(sa.select(FilePlan.id).where(FilePlan.year == today().year)):
        return 0
    demo = _Archive(random.Random(seed))
    opened = demo.plan()
    demo.fill(opened)
    made = demo.earlier()
    demo.loans(made)
    demo.disposition(made)
    db.session.flush()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Dossier))


__all__ = ["demo_archive"]
