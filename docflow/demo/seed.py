"""`flask docflow seed`: bulk synthetic incoming documents for benchmarks (search, statistics,
lists at scale). Numbers stay gap-free: each batch reserves its block of numbers on the register
row and inserts its rows in the same transaction."""

import random
from datetime import date, timedelta

import click
import sqlalchemy as sa

from docflow.core import audit
from docflow.core.timeutil import today, utcnow
from docflow.extensions import db
from docflow.incoming.services import dup_key
from docflow.registry import reference
from docflow.registry.models import DocType, Document, Organization, Register

BATCH = 2000

ACTIONS = ("V/v triển khai", "V/v hướng dẫn", "V/v đề nghị báo cáo", "V/v tăng cường", "V/v góp ý dự thảo",
           "V/v kiểm tra", "V/v phối hợp thực hiện", "V/v tổ chức", "V/v đôn đốc thực hiện", "V/v trả lời kiến nghị về")
TOPICS = ("công tác văn thư, lưu trữ", "cải cách hành chính", "phòng, chống thiên tai", "chuyển đổi số",
          "quản lý đất đai", "an toàn giao thông", "phòng cháy, chữa cháy", "giải ngân vốn đầu tư công",
          "bảo vệ môi trường", "thực hành tiết kiệm, chống lãng phí", "tiếp công dân", "xây dựng nông thôn mới",
          "bảo hiểm xã hội", "phát triển du lịch", "an toàn thực phẩm", "phòng, chống dịch bệnh")
PLACES = ("trên địa bàn tỉnh", "năm {year}", "quý {q} năm {year}", "tại các cơ quan, đơn vị", "giai đoạn 2026-2030",
          "đợt cao điểm cuối năm", "trong các trường học", "tại khu công nghiệp")
URGENCIES = ("normal",) * 16 + ("urgent",) * 3 + ("very_urgent", "flash")


def _subject(rng: random.Random, day: date) -> str:
    place = rng.choice(PLACES).format(year=day.year, q=(day.month - 1) // 3 + 1)
    return f"{rng.choice(ACTIONS)} {rng.choice(TOPICS)} {place}"


def _days(rng: random.Random, year: int, count: int) -> list[date]:
    first = date(year, 1, 1)
    last = min(date(year, 12, 31), today())
    span = (last - first).days
    return sorted(first + timedelta(days=rng.randint(0, span)) for _ in range(count))


def seed_documents(n: int, years: int = 1, *, seed: int = 2026) -> int:
    """Add n incoming documents spread over the last `years` years; commits batch by batch."""
    rng = random.Random(seed)
    if not db.session.scalar(sa.select(DocType.id).limit(1)):
        from docflow.office import init_office

        init_office(None, None, None)
    if not db.session.scalar(sa.select(Organization.id).limit(1)):
        from docflow.demo import ORGANIZATIONS

        for name, abbr, code in ORGANIZATIONS:
            reference.save_organization({"name": name, "abbr": abbr, "code": code})
    db.session.commit()
    orgs = db.session.execute(sa.select(Organization.id, Organization.name, Organization.abbr)).all()
    types = db.session.execute(sa.select(DocType.id, DocType.code, DocType.in_symbol)
                               .where(DocType.is_active.is_(True))).all()
    this_year = today().year
    plan: list[tuple[int, bool, int]] = []  # (year, confidential, how many)
    per_year = [n // years + (1 if i < n % years else 0) for i in range(years)]
    for offset, count in enumerate(per_year):
        secret = count // 20
        plan += [(this_year - offset, False, count - secret), (this_year - offset, True, secret)]

    made = 0
    with click.progressbar(length=n, label="Seeding documents", show_pos=True) as bar:
        for year, confidential, count in plan:
            if not count:
                continue
            days = _days(rng, year, count)
            register = reference.default_register("incoming", confidential, year)
            db.session.commit()
            for start in range(0, count, BATCH):
                chunk = days[start:start + BATCH]
                last = db.session.execute(sa.update(Register).where(Register.id == register.id)
                                          .values(last_number=Register.last_number + len(chunk))
                                          .returning(Register.last_number)).scalar_one()
                first_number = last - len(chunk) + 1
                now = utcnow()
                rows = []
                for i, received in enumerate(chunk):
                    org = rng.choice(orgs)
                    doc_type = rng.choice(types)
                    issued = received - timedelta(days=rng.randint(0, 6))
                    symbol = (f"{rng.randint(1, 999)}/{doc_type.code}-{org.abbr or 'CQ'}" if doc_type.in_symbol
                              else f"{rng.randint(1, 999)}/{org.abbr or 'CQ'}-VP")
                    status = "completed" if year < this_year or rng.random() < 0.6 else rng.choice(
                        ("registered", "submitted", "assigned"))
                    rows.append({
                        "direction": "incoming", "register_id": register.id, "year": year,
                        "number": first_number + i, "number_symbol": symbol, "doc_type_id": doc_type.id,
                        "subject": _subject(rng, received), "sender_org_id": org.id, "sender_name": org.name,
                        "issued_date": issued, "received_date": received, "signer": None,
                        "urgency": rng.choice(URGENCIES),
                        "confidentiality": rng.choice(("confidential", "secret")) if confidential else "normal",
                        "pages": rng.randint(1, 12), "copies": 1, "medium": rng.choice(("paper", "electronic")),
                        "status": status, "dup_key": dup_key(org.name, symbol, issued), "version": 1,
                        "created_at": now, "updated_at": now,
                    })
                db.session.execute(sa.insert(Document), rows)
                db.session.commit()
                made += len(rows)
                bar.update(len(rows))
    audit.record("seed.documents", object_type="documents", after={"documents": made, "years": years},
                 actor_name="flask docflow seed")
    db.session.commit()
    return made
