"""A small office with known figures for the statistics pages' tests (tests/stats/test_pages.py,
test_exports.py, tests/e2e/test_stats.py): incoming letters of this year handled on time, late, still
open and overdue, by two units and three people, one confidential and one cancelled; documents issued
this year and in the baseline year (last year), of several types, paper and electronic.

Dates are fixed inside this year before today (the fixture needs today to be after 1 March of the
year: otherwise it uses last year)."""

import io
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser

import sqlalchemy as sa

from docflow.core.timeutil import today
from tests.fixtures.files import docx_bytes


def year_of_data() -> int:
    t = today()
    return t.year if t >= date(t.year, 7, 1) else t.year - 1


def _at(day: date) -> datetime:
    """Noon of a local day as a naive UTC timestamp (how completed_at is stored)."""
    return datetime.combine(day, time(12, 0)).replace(tzinfo=UTC).replace(tzinfo=None) - timedelta(hours=7)


def register(users, received: date, symbol: str, subject: str, *, sender_id=None, sender="Bộ Tài chính",
             confidentiality="normal", medium="paper", doc_type="CV"):
    from docflow.incoming import services

    return services.register_incoming({"sender_name": sender, "sender_id": sender_id, "number_symbol": symbol,
                                       "issued_date": (received - timedelta(days=2)).isoformat(),
                                       "received_date": received.isoformat(), "subject": subject,
                                       "doc_type": doc_type, "confidentiality": confidentiality,
                                       "medium": medium}, actor=users["clerk"])


def assign(users, doc, due: date, *, user=None, unit_id=None):
    from docflow.incoming import services

    target = {"user_id": user.id} if user is not None else {"unit_id": unit_id}
    services.assign(doc, actor=users["leader"], instruction="Giao xử lý", assignees=[{**target, "role": "primary"}])
    doc.due_date = due  # a deadline in the past cannot be given today: set as it was given then
    for a in services.assignments_of(doc):
        a.due_date = due


def complete(users, doc, handler, on: date, db):
    from docflow.incoming import services

    services.complete(doc, "Đã xử lý xong", actor=handler)
    doc.completed_at = _at(on)
    db.session.flush()


def issue(db, users, subject, issued_on: date, *, doc_type="CV", drafter=None, medium="electronic", channel=None):
    from docflow.outgoing import services

    drafter = drafter or users["specialist"]
    doc = services.create_draft({"doc_type": doc_type, "subject": subject, "signer_id": users["leader"].id,
                                 "recipients": [{"name": "Sở Tài chính tỉnh Đồng Nai"}]},
                                actor=drafter)
    services.add_version(doc, io.BytesIO(docx_bytes(paragraphs=(subject,))), actor=drafter, filename="du-thao.docx")
    services.submit(doc, actor=drafter)
    if doc.current_step == 1:
        services.approve(doc, actor=users["unit_head"])
    services.approve(doc, actor=users["leader"])
    services.issue(doc, actor=users["clerk"], issued_date=issued_on)
    if channel:
        services.dispatch(doc, actor=users["clerk"], channel=channel, dispatched_on=issued_on)
    doc.medium = medium  # drafts are electronic; a paper original is said so here
    db.session.flush()
    return doc


def build(db, users, make_user):
    """The office's documents (ids by name) and the people. Specialist `spec1` (unit KT) handles a, b
    (on time, late) and sees nothing else of the others' work but the unit letter u; `kt2` (KT) handles
    g; `vx` (unit VX) handles d and the confidential f; unit VX has c (overdue)."""
    from docflow.registry import reference
    from docflow.stats import counters

    y = year_of_data()
    kt2 = make_user("specialist", unit="KT", username="kt2", full_name="Trần Thị Hai")
    vx = make_user("specialist", unit="VX", clearance="confidential", username="vx1", full_name="Lê Văn Ba")
    make_user("unit_head", unit="VX", clearance="confidential", username="headvx", full_name="Phạm Văn Bốn")
    spec = users["specialist"]
    btc = reference.save_organization({"name": "Bộ Tài chính", "abbr": "BTC"})
    snv = reference.save_organization({"name": "Sở Nội vụ", "abbr": "SNV"})
    docs = {}
    docs["a"] = register(users, date(y, 1, 10), "1/BTC-NS", "Báo cáo ngân sách", sender_id=btc.id, medium="electronic")
    assign(users, docs["a"], date(y, 1, 20), user=spec)
    docs["b"] = register(users, date(y, 2, 5), "2/BTC-NS", "Quyết toán quý IV", sender_id=btc.id)
    assign(users, docs["b"], date(y, 2, 10), user=spec)
    docs["c"] = register(users, date(y, 3, 3), "3/SNV-TCCB", "Tuyển dụng viên chức", sender_id=snv.id,
                         doc_type="TB")
    assign(users, docs["c"], date(y, 3, 10), unit_id=vx.unit_id)
    docs["d"] = register(users, date(y, 3, 4), "4/SNV-TCCB", "Thi đua khen thưởng", sender_id=snv.id,
                         medium="electronic")
    assign(users, docs["d"], today() + timedelta(days=60), user=vx)
    docs["e"] = register(users, date(y, 4, 1), "5/UBND-VP", "Lịch công tác tháng 4", sender="Huyện Long Thành")
    docs["f"] = register(users, date(y, 5, 5), "6/CA-PV01", "Bảo vệ bí mật nhà nước", sender="Công an tỉnh",
                         confidentiality="confidential")
    assign(users, docs["f"], date(y, 5, 20), user=vx)
    docs["g"] = register(users, date(y, 6, 1), "7/BTC-NS", "Dự toán năm sau", sender_id=btc.id)
    assign(users, docs["g"], today() + timedelta(days=30), user=kt2)
    docs["u"] = register(users, date(y, 6, 2), "8/SNV-VP", "Cải cách hành chính", sender_id=snv.id)
    assign(users, docs["u"], today() + timedelta(days=30), unit_id=spec.unit_id)
    docs["x"] = register(users, date(y, 6, 3), "9/SNV-VP", "Gửi nhầm", sender_id=snv.id)
    from docflow.incoming import services as incoming

    incoming.cancel_incoming(docs["x"], "Gửi nhầm địa chỉ", actor=users["clerk"])
    complete(users, docs["a"], spec, date(y, 1, 15), db)
    complete(users, docs["b"], spec, date(y, 2, 20), db)
    complete(users, docs["f"], vx, date(y, 5, 25), db)
    docs["o1"] = issue(db, users, "Công văn trả lời Bộ Tài chính", date(y, 2, 1), channel="electronic")
    docs["o2"] = issue(db, users, "Giấy mời họp giao ban", date(y, 3, 2), doc_type="GM", medium="paper",
                       channel="paper")
    docs["o3"] = issue(db, users, "Giấy mời hội nghị", date(y, 4, 2), doc_type="GM")
    docs["o4"] = issue(db, users, "Báo cáo năm trước", date(y - 1, 5, 2), doc_type="BC")
    docs["o5"] = issue(db, users, "Công văn năm trước", date(y - 1, 6, 2))
    db.session.commit()
    counters.rebuild()  # the completion days set above
    db.session.commit()
    ids = {name: doc.id for name, doc in docs.items()}
    return {"year": y, "ids": ids, "kt2": kt2, "vx": vx}


def visible_ids(db, user, direction=None) -> set[int]:
    from docflow.registry.access import visible_documents

    stmt = visible_documents(user, direction).with_only_columns(sa.literal_column("documents.id"))
    return set(db.session.scalars(stmt))


# ---- reading the pages ---------------------------------------------------------------------------

class _Tables(HTMLParser):
    """The statistics tables of a page (`<table data-table=...>`): per table, its rows as (label, {column:
    data-value}), and every drill-down link with the figure it shows."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list] = {}
        self.links: list[tuple[str, str]] = []
        self._table = None
        self._row = None
        self._label = None
        self._cell = None
        self._href = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("data-table"):
            self._table = a["data-table"]
            self.tables[self._table] = []
        elif self._table and tag == "tr":
            self._row = {}
            self._label = None
        elif self._table and self._row is not None and tag == "th" and a.get("scope") == "row":
            self._label = ""
            self._text = []
        elif self._table and self._row is not None and tag == "td" and "data-column" in a:
            self._row[a["data-column"]] = a["data-value"]
        elif self._label is not None and self._row is not None and "label" not in self._row:
            self._row["label"] = "".join(self._text).strip()  # the label is the text before any badge
        if tag == "a" and a.get("href", "").startswith("/stats/documents?"):
            self._href = a["href"]
            self._text = []

    def handle_data(self, data):
        self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None
        elif tag == "th" and self._label is not None and self._row is not None and "label" not in self._row:
            self._row["label"] = "".join(self._text).strip()
        elif tag == "tr" and self._table and self._row is not None:
            if self._row.get("label") is not None or len(self._row) > 0:
                if any(k != "label" for k in self._row):
                    self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def read_page(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


def drill_ids(client, href: str) -> list[int]:
    """Every document id a drill-down lists, across its pages."""
    import re

    ids, page = [], 1
    while True:
        html = client.get(href + f"&page={page}").get_data(as_text=True)
        found = [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]
        ids += found
        if 'rel="next"' not in html and f"page={page + 1}" not in html:
            return ids
        page += 1
