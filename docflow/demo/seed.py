"""`flask docflow seed`: bulk synthetic incoming documents for benchmarks (search, statistics,
lists at scale). Numbers stay gap-free: each batch reserves its block of numbers on the register
row and inserts its rows in the same transaction.

The letters look like an office's: Decree 30 subjects ("V/v ...", "Quyết định về việc ...", "Kế hoạch
...") built from parts whose words follow a Zipf-like law, so that searches meet every kind of word:

- `thực hiện` is in the subject of about half the documents (the hard case of a search: a word
  that matches half the office);
- the topics are drawn by rank (1/rank): the first in ~17% of the documents, the last in ~0.15%;
- a third of the documents name a commune or ward (about 100 of them: ~0.3% each), a few a project
  code (`DA-<n>`, ~0.05% each): rare words;
- issuers come from the organisations list (the demo's, added when there is none), number-symbols
  in Decree 30 style (`15/QĐ-UBND`, công văn `4321/SNN-PTNT`);
- 5% confidential (their own register and numbers), spread over the years, in every state; letters
  being handled or done are assigned to a unit (and sometimes a coordinating one), so a specialist
  sees their unit's share only (the demo's units are added when there is none);
- a quarter carry an attachment whose text is already extracted (text_status 'done'). There is no
  file behind it: its sha256 is that of its text, and its download answers "The file is missing
  from storage" (404).

The search index is written in the same transaction as the documents (same folded text as the
indexer's `reindex`). On PostgreSQL a large seed drops the GIN indexes first and builds them again at
the end, as `reindex` does; on SQLite the FTS5 triggers index each row as it is inserted.
"""

import bisect
import hashlib
import itertools
import json
import multiprocessing
import os
import pickle
import random
import time
import traceback
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import lru_cache

import click
import sqlalchemy as sa

from docflow.auth import services as people
from docflow.auth.models import Unit
from docflow.core import audit, calendar
from docflow.core.text import fold
from docflow.core.timeutil import to_local, today, utcnow
from docflow.core.tx import side_by_side
from docflow.demo import ORGANIZATIONS, UNITS
from docflow.extensions import db
from docflow.incoming.models import Assignment
from docflow.office import init_office
from docflow.registry import access, reference
from docflow.registry.models import Attachment, DocType, Document, Organization, Participant, Register
from docflow.search.indexer import (
    FTS5_REBUILD,
    PG_INDEXES,
    SQLITE_TRIGGERS,
    participation_tags,
    prefix_lexemes,
    symbol_tags,
    tags,
)
from docflow.search.models import MIRRORED, SearchIndex
from docflow.stats import counters
from docflow.stats.models import StatCount, StatDocument, StatHandling, StatUnitCount

BATCH = 2000
#: a seed of at least this many documents builds the engine's index once at the end (PostgreSQL: the GIN
#: indexes dropped and built again; SQLite: the FTS5 triggers dropped, then one 'rebuild'), as `reindex`
#: does; a smaller one lets the triggers / the GIN index take each row
REBUILD_FROM = 20_000

#: the common word: in about half the subjects
COMMON = "thực hiện"
VERBS_COMMON = ("triển khai thực hiện", "tổ chức thực hiện", "đôn đốc thực hiện", "hướng dẫn thực hiện",
                "báo cáo kết quả thực hiện", "kiểm tra việc thực hiện", "đẩy mạnh thực hiện", "sơ kết thực hiện")
VERBS_OTHER = ("tăng cường", "góp ý dự thảo quy định về", "phê duyệt phương án", "rà soát", "đề nghị hỗ trợ",
               "trả lời kiến nghị về", "tổng kết công tác", "kiện toàn ban chỉ đạo", "phân bổ kinh phí",
               "tập huấn nghiệp vụ", "tuyên truyền", "khắc phục hạn chế trong")
#: by rank: drawn with weight 1/rank
TOPICS = (
    "cải cách hành chính", "quản lý ngân sách nhà nước", "quản lý đất đai", "đầu tư xây dựng cơ bản",
    "giáo dục và đào tạo", "chăm sóc sức khỏe nhân dân", "chuyển đổi số", "phòng, chống dịch bệnh",
    "công tác văn thư, lưu trữ", "an toàn giao thông", "giải ngân vốn đầu tư công", "bảo vệ môi trường",
    "phòng cháy, chữa cháy", "xây dựng nông thôn mới", "tiếp công dân", "bảo hiểm xã hội, bảo hiểm y tế",
    "phòng, chống thiên tai", "an toàn thực phẩm", "phát triển du lịch", "thu ngân sách",
    "giải phóng mặt bằng", "cấp giấy chứng nhận quyền sử dụng đất", "tuyển sinh đầu cấp", "tiêm chủng mở rộng",
    "phòng, chống tham nhũng", "thi đua, khen thưởng", "quản lý cán bộ, công chức", "đào tạo, bồi dưỡng",
    "quy hoạch sử dụng đất", "cấp phép xây dựng", "quản lý chất thải rắn", "nước sạch nông thôn",
    "giảm nghèo bền vững", "người có công với cách mạng", "bình đẳng giới", "quốc phòng, an ninh",
    "dân số và phát triển", "quản lý thị trường", "khoa học và công nghệ", "doanh nghiệp nhỏ và vừa",
    "hợp tác xã", "xuất khẩu nông sản", "chăn nuôi, thú y", "bảo vệ rừng", "thủy lợi", "điện nông thôn",
    "hạ tầng khu công nghiệp", "nhà ở xã hội", "chỉnh trang đô thị", "trật tự xây dựng", "khai thác khoáng sản",
    "quản lý tài sản công", "mua sắm tập trung", "kiểm soát thủ tục hành chính", "dịch vụ công trực tuyến",
    "chữ ký số", "an toàn thông tin mạng", "cơ sở dữ liệu dân cư", "đề án 06", "lao động, việc làm",
    "giáo dục nghề nghiệp", "trẻ em có hoàn cảnh đặc biệt", "phòng, chống ma túy", "văn hóa cơ sở",
    "thể dục, thể thao", "di tích lịch sử", "lễ hội truyền thống", "báo chí, xuất bản", "tôn giáo, tín ngưỡng",
    "dân tộc thiểu số", "biên giới, hải đảo", "đối ngoại", "hội nhập quốc tế", "thống kê", "kiểm toán",
    "thanh tra chuyên ngành", "khiếu nại, tố cáo", "hòa giải ở cơ sở", "trợ giúp pháp lý", "hộ tịch",
    "lý lịch tư pháp", "đấu giá tài sản", "bồi thường nhà nước", "sốt xuất huyết", "dịch tả lợn châu Phi",
    "cúm gia cầm", "xâm nhập mặn", "sạt lở bờ sông", "ô nhiễm không khí", "rác thải nhựa", "biến đổi khí hậu",
    "năng lượng tái tạo", "điện mặt trời mái nhà", "cao tốc Biên Hòa - Vũng Tàu", "sân bay Long Thành",
    "cảng Phước An", "vành đai 3", "vành đai 4", "kinh tế tập thể", "tín dụng chính sách", "bảo hiểm thất nghiệp",
    "an sinh xã hội", "chợ truyền thống", "thương mại điện tử", "khởi nghiệp sáng tạo", "sở hữu trí tuệ",
    "tiêu chuẩn đo lường chất lượng", "phóng xạ hạt nhân", "khí tượng thủy văn", "đo đạc bản đồ", "địa giới hành chính",
)
_TOPIC_WEIGHTS = tuple(itertools.accumulate(1 / (rank + 1) for rank in range(len(TOPICS))))
#: communes and wards of Đồng Nai: in about a third of the subjects, ~0.3% each
PLACES = (
    "Phú Hữu", "Long Tân", "Phước Thiền", "Hiệp Phước", "Đại Phước", "Vĩnh Thanh", "Phú Đông", "Phú Thạnh",
    "Long Thọ", "Phước Khánh", "Tam An", "An Phước", "Lộc An", "Bình Sơn", "Cẩm Đường", "Bàu Cạn", "Suối Trầu",
    "Long Đức", "Tam Phước", "Hố Nai 3", "Bắc Sơn", "Bình Minh", "Quảng Tiến", "Giang Điền", "An Viễn", "Đồi 61",
    "Cây Gáo", "Thanh Bình", "Sông Trầu", "Sông Thao", "Trung Hòa", "Đông Hòa", "Tây Hòa", "Hưng Thịnh", "Bàu Hàm",
    "Xuân Lập", "Bảo Vinh", "Bàu Trâm", "Hàng Gòn", "Xuân Tân", "Suối Tre", "Bảo Quang", "Bình Lộc", "Xuân Bảo",
    "Nhân Nghĩa", "Sông Ray", "Xuân Đông", "Xuân Tây", "Lâm San", "Sông Nhạn", "Thừa Đức", "Nam Cát Tiên",
    "Phú Lập", "Tà Lài", "Đak Lua", "Thanh Sơn", "Phú Lý", "Mã Đà", "Hiếu Liêm", "Trị An", "Tân An", "Thiện Tân",
    "Bình Hòa", "Tân Bình", "Thạnh Phú", "Bình Lợi", "Tân Hạnh", "Hóa An", "Bửu Long", "Tân Vạn", "Long Bình Tân",
    "An Bình", "Tân Phong", "Trảng Dài", "Hố Nai", "Tân Biên", "Tam Hòa", "Quyết Thắng", "Thống Nhất", "Tân Mai",
    "Gia Kiệm", "Gia Tân", "Bàu Hàm 2", "Quang Trung", "Xuân Thiện", "Lộ 25", "Hưng Lộc", "Xuân Thạnh", "Suối Cát",
    "Xuân Hiệp", "Xuân Phú", "Xuân Định", "Xuân Hưng", "Xuân Hòa", "Xuân Trường", "Xuân Thọ", "Xuân Bắc",
)
SCOPES = ("trên địa bàn tỉnh", "năm {year}", "quý {q} năm {year}", "6 tháng đầu năm {year}", "giai đoạn 2021-2025",
          "giai đoạn 2026-2030", "tại các cơ quan, đơn vị", "trong các trường học", "tại khu công nghiệp",
          "đợt cao điểm cuối năm {year}", "tháng {month}/{year}")
#: (doc type code, weight, subject template); {verb} {topic} {scope} filled in
TEMPLATES = (
    ("CV", 42, "V/v {verb} {topic} {scope}"),
    ("QĐ", 10, "Quyết định về việc {verb} {topic} {scope}"),
    ("KH", 8, "Kế hoạch {verb} {topic} {scope}"),
    ("BC", 10, "Báo cáo tình hình {verb} {topic} {scope}"),
    ("TB", 8, "Thông báo kết luận về {verb} {topic} {scope}"),
    ("GM", 6, "Giấy mời họp bàn {verb} {topic} {scope}"),
    ("TTr", 4, "Tờ trình đề nghị {verb} {topic} {scope}"),
    ("HD", 3, "Hướng dẫn {verb} {topic} {scope}"),
    ("CT", 2, "Chỉ thị về {verb} {topic} {scope}"),
    ("CĐ", 2, "Công điện về {verb} {topic} {scope}"),
    ("NQ", 1, "Nghị quyết về {verb} {topic} {scope}"),
    ("KH", 2, "Về việc {verb} {topic} {scope}"),
    ("CV", 2, "V/v báo cáo {topic} {scope}"),
)
#: the issuer's unit in a công văn's symbol (4321/SNN-PTNT, 123/UBND-KT)
CV_UNITS = ("VP", "KT", "PTNT", "TCKH", "QLĐĐ", "NV", "KGVX", "TH", "NC", "QLXD", "TTr", "HCTC")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô")
MIDDLE = ("Văn", "Thị", "Minh", "Thanh", "Quốc", "Ngọc", "Hữu", "Đức", "Thị Thu", "Hoàng")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hùng", "Hương", "Lan", "Long", "Mai", "Nam", "Phong",
         "Phúc", "Quang", "Sơn", "Tâm", "Thắng", "Thảo", "Trung", "Tuấn", "Việt", "Vinh", "Xuân", "Yến")
INSTRUCTIONS = ("Giao {unit} chủ trì, tham mưu UBND tỉnh xử lý.", "Giao {unit} nghiên cứu, đề xuất.",
                "Chuyển {unit} xử lý theo quy định, báo cáo kết quả.", "{unit} theo dõi, tổng hợp.")
#: sentences of the synthetic attachments' text (no "thực hiện" in them: the common word stays in about half)
ATTACHMENT_SENTENCES = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015.",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư.",
    "Căn cứ Luật Ngân sách nhà nước ngày 25 tháng 6 năm 2015.",
    "Xét đề nghị của Giám đốc {org} tại Tờ trình số {n}/TTr-{abbr}.",
    "Các sở, ban, ngành, Ủy ban nhân dân các huyện, thành phố có trách nhiệm phối hợp triển khai nội dung về {topic}.",
    "Kinh phí được bố trí từ nguồn ngân sách tỉnh năm {year} và các nguồn hợp pháp khác.",
    "Đề nghị các đơn vị báo cáo kết quả về {topic} trước ngày {day} tháng {month} năm {year}.",
    "Tổng số hồ sơ tiếp nhận trong kỳ là {n}, trong đó {m} hồ sơ giải quyết đúng hạn.",
    "Qua kiểm tra tại {place}, đoàn công tác ghi nhận một số tồn tại, hạn chế cần khắc phục.",
    "Giao {org} theo dõi, đôn đốc và tổng hợp tình hình, báo cáo Ủy ban nhân dân tỉnh.",
    "Quyết định này có hiệu lực kể từ ngày ký.",
    "Chánh Văn phòng Ủy ban nhân dân tỉnh, Thủ trưởng các sở, ban, ngành chịu trách nhiệm thi hành Quyết định này.",
    "Nơi nhận: như trên; Chủ tịch, các Phó Chủ tịch UBND tỉnh; lưu VT.",
    "Dự toán chi năm {year} là {n} triệu đồng, đã giải ngân {m} triệu đồng.",
    "Tiếp tục rà soát, cập nhật dữ liệu lên hệ thống thông tin giải quyết thủ tục hành chính của tỉnh.",
)
#: this year's letters: some still waiting, most being handled or done
STATUSES, STATUS_WEIGHTS = ("registered", "submitted", "assigned", "completed", "cancelled"), (12, 22, 52, 98, 100)
URGENCIES = ("normal",) * 16 + ("urgent",) * 3 + ("very_urgent", "flash")
#: the demo's units, with the share of assigned letters each leads
UNIT_WEIGHTS = {"KT": 10, "VX": 18, "NC": 17, "TH": 20, "HCTC": 15, "TCD": 10, "VP": 10}
#: a completed letter's completion time: 09:00 office time (UTC+7), stored as naive UTC
_NINE_LOCAL = clock(hour=2)
#: the statistics' signature as counters.py writes it (json.dumps with these separators), one encoder
_JSON = json.JSONEncoder(separators=(",", ":"))


class _Random(random.Random):
    """random.Random drawing the same numbers in one call instead of three or four: the seed draws ~25
    numbers a letter, and randint()'s randrange() -> _randbelow() chain cost more than the drawing.
    randint(), choice() and _randbelow() are the standard library's own algorithms (getrandbits of n's bit
    length, again while >= n), choices() of one with cumulative weights its bisect of random() * total, so
    a seed gives the same letters."""

    def _randbelow(self, n: int) -> int:
        k = n.bit_length()
        r = self.getrandbits(k)
        while r >= n:
            r = self.getrandbits(k)
        return r

    def randint(self, a: int, b: int) -> int:
        n = b - a + 1
        k = n.bit_length()
        r = self.getrandbits(k)
        while r >= n:
            r = self.getrandbits(k)
        return a + r

    def choices(self, population, weights=None, *, cum_weights=None, k=1):
        if cum_weights is None or weights is not None or k != 1:
            return super().choices(population, weights, cum_weights=cum_weights, k=k)
        return [population[bisect.bisect(cum_weights, self.random() * (cum_weights[-1] + 0.0), 0,
                                         len(population) - 1)]]

    def choice(self, seq):
        n = len(seq)
        if not n:
            raise IndexError("Cannot choose from an empty sequence")
        k = n.bit_length()
        r = self.getrandbits(k)
        while r >= n:
            r = self.getrandbits(k)
        return seq[r]


@lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    return fold(text)


def _days(rng: random.Random, year: int, count: int) -> list[date]:
    first = date(year, 1, 1)
    last = min(date(year, 12, 31), today())
    span = (last - first).days
    return sorted(first + timedelta(days=rng.randint(0, span)) for _ in range(count))


def _reference_data() -> None:
    if not db.session.scalar(sa.select(DocType.id).limit(1)):
        init_office(None, None, None)
    if not db.session.scalar(sa.select(Organization.id).limit(1)):
        for name, abbr, code in ORGANIZATIONS:
            reference.save_organization({"name": name, "abbr": abbr, "code": code})
    if not db.session.scalar(sa.select(Unit.id).limit(1)):
        for code, name, parent in UNITS:
            people.create_unit({"code": code, "name": name, "parent_code": parent})
    db.session.commit()


class _Maker:
    """Draws one letter's rows."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.orgs = db.session.execute(sa.select(Organization.id, Organization.name, Organization.abbr)
                                       .order_by(Organization.id)).all()
        # the province's own agencies (Sở ..., the districts) write far more often than the ministries
        self.org_weights = list(itertools.accumulate(
            4 if "Đồng Nai" in o.name or o.name.startswith("Ủy ban") else 1 for o in self.orgs))
        types = {t.code: t for t in db.session.execute(sa.select(DocType.id, DocType.code, DocType.in_symbol)
                                                       .where(DocType.is_active.is_(True)))}
        self.templates = [(types[code], text) for code, _w, text in TEMPLATES if code in types]
        self.template_weights = list(itertools.accumulate(w for code, w, _text in TEMPLATES if code in types))
        units = {u.code: u for u in db.session.execute(sa.select(Unit.id, Unit.code, Unit.name))}
        self.units = [units[c] for c in UNIT_WEIGHTS if c in units] or list(units.values())
        self.unit_weights = list(itertools.accumulate(UNIT_WEIGHTS.get(u.code, 10) for u in self.units))
        #: PostgreSQL's index rows hold their words' prefixes (search.indexer.prefix_lexemes); SQLite's do not
        self.prefixes = db.session.get_bind().dialect.name == "postgresql"

    def subject(self, template: str, day: date) -> tuple[str, str]:
        """The subject and its folded text (folded part by part: the parts repeat, the subjects do not)."""
        rng = self.rng
        verb = rng.choice(VERBS_COMMON) if rng.random() < 0.5 else rng.choice(VERBS_OTHER)
        topic = rng.choices(TOPICS, cum_weights=_TOPIC_WEIGHTS)[0]
        scope = rng.choice(SCOPES)
        numbers = {"year": day.year, "q": (day.month - 1) // 3 + 1, "month": day.month}
        text = template.format(verb=verb, topic=topic, scope=scope.format(**numbers))
        key = _fold(template).format(verb=_fold(verb), topic=_fold(topic), scope=_fold(scope).format(**numbers))
        roll = rng.random()
        if roll < 0.33:
            place = f"tại {rng.choice(('xã', 'phường'))} {rng.choice(PLACES)}"
            text, key = f"{text} {place}", f"{key} {_fold(place)}"
        elif roll < 0.36:
            project = f"(dự án DA-{rng.randint(1, 60):03d})"
            text, key = f"{text} {project}", f"{key} {_fold(project)}"
        return text, key

    def symbol(self, doc_type, org) -> tuple[str, str]:
        """The number-symbol and its folded text."""
        rng = self.rng
        number = min(int(rng.paretovariate(0.6)) if rng.random() < 0.7 else rng.randint(1, 9999), 9999)
        abbr = org.abbr or "CQ"
        first, second = (doc_type.code, abbr) if doc_type.in_symbol else (abbr, rng.choice(CV_UNITS))
        return f"{number}/{first}-{second}", f"{number}/{_fold(first)}-{_fold(second)}"

    def attachment_text(self, day: date, org) -> tuple[str, str]:
        """The text and its folded text."""
        rng = self.rng
        texts, keys = [], []
        for sentence in rng.sample(ATTACHMENT_SENTENCES, rng.randint(4, 9)):
            topic, place = rng.choices(TOPICS, cum_weights=_TOPIC_WEIGHTS)[0], rng.choice(PLACES)
            numbers = {"n": rng.randint(1, 999), "m": rng.randint(1, 999), "year": day.year,
                       "day": rng.randint(1, 28), "month": day.month}
            abbr = org.abbr or "CQ"
            texts.append(sentence.format(org=org.name, abbr=abbr, topic=topic, place=place, **numbers))
            keys.append(_fold(sentence).format(org=_fold(org.name), abbr=_fold(abbr), topic=_fold(topic),
                                               place=_fold(place), **numbers))
        return " ".join(texts), " ".join(keys)

    def signer(self) -> tuple[str, str]:
        rng = self.rng
        names = (rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN))
        return " ".join(names), " ".join(_fold(n) for n in names)


#: FTS5's 'hashsize' (its default), and the seed's for its one rebuild
FTS5_HASHSIZE, FTS5_BUILD_HASHSIZE = 1024 * 1024, 256 * 1024 * 1024


def _engine_index(on: bool) -> None:
    """Stop (on=False) or start again, building it whole, the engine's own index over search_index."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        if on:
            conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
            for ddl in PG_INDEXES:
                conn.exec_driver_sql(ddl)
        else:
            conn.exec_driver_sql("DROP INDEX IF EXISTS ix_search_index_tsv")
            conn.exec_driver_sql("DROP INDEX IF EXISTS ix_search_index_symbol_trgm")
    elif on:
        # the rebuild's in-memory buffer (FTS5 'hashsize', 1 MB by default): 256 MB for it alone, so that it
        # writes one segment (up to ~1M letters) instead of a dozen, and 'optimize' has next to nothing to
        # merge (50k letters: rebuild 3.7 -> 2.7-3.0 s, optimize 1.0-1.4 -> 0 s); then the default again
        hashsize = "INSERT INTO search_fts(search_fts, rank) VALUES ('hashsize', ?)"
        conn.exec_driver_sql(hashsize, (FTS5_BUILD_HASHSIZE,))
        try:
            for statement in FTS5_REBUILD:
                conn.exec_driver_sql(statement)
        finally:
            conn.exec_driver_sql(hashsize, (FTS5_HASHSIZE,))
        for ddl in SQLITE_TRIGGERS:
            conn.exec_driver_sql(ddl)
    else:
        for name in ("search_index_ai", "search_index_ad", "search_index_au"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    db.session.commit()


#: the tables a seed writes to; a large seed drops their secondary indexes (not the unique ones, which keep
#: the numbers gap-free and single) and builds them again at the end, each in one sorted pass instead of a
#: B-tree insertion per row and index (documents alone has 13 indexes)
_BULK_TABLES = ("documents", "assignments", "document_participants", "attachments", "search_index",
                "stat_handling", "stat_documents", "participation_keys")


def _drop_secondary_indexes() -> list[str]:
    """Drop the seeded tables' secondary indexes; returns their DDL, to build them again."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        query = sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                        "AND tablename IN :tables AND indexdef NOT LIKE 'CREATE UNIQUE%' "
                        "AND indexname NOT IN ('ix_search_index_tsv', 'ix_search_index_symbol_trgm')")
    else:
        query = sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                        "AND tbl_name IN :tables AND sql NOT LIKE 'CREATE UNIQUE%'")
    found = db.session.execute(query.bindparams(sa.bindparam("tables", expanding=True)),
                               {"tables": list(_BULK_TABLES)}).all()
    quote = conn.dialect.identifier_preparer.quote
    for name, _ddl in found:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {quote(name)}")
    db.session.commit()
    return [ddl for _name, ddl in found]


def _drop_foreign_keys() -> list[tuple[str, str, str]]:
    """PostgreSQL: drop the seeded tables' foreign keys; returns them, (table, name, definition), for
    `_foreign_keys_back`. Each row that COPY writes has each of its keys checked by a query of its own (the
    constraint's trigger, which also locks the row it finds): a fifth of the server's work in a large seed,
    where checking a key over every row at the end is one join."""
    query = sa.text("SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
                    "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE k.contype = 'f' AND n.nspname = current_schema() AND c.relname IN :tables "
                    "ORDER BY c.relname = 'search_index', c.relname, k.conname")
    found = db.session.execute(query.bindparams(sa.bindparam("tables", expanding=True)),
                               {"tables": list(_BULK_TABLES)}).all()
    quote = db.session.connection().dialect.identifier_preparer.quote
    for table, name, _definition in found:
        db.session.execute(sa.text(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}"))
    db.session.commit()
    return [tuple(row) for row in found]


def _foreign_keys_back(keys: list[tuple[str, str, str]]) -> list[str]:
    """Add the dropped keys again NOT VALID (at once: from now on they hold for every row written) and return
    the statements that validate them, each a join over the table's rows, search_index's last (it waits for
    the search's GIN index, built meanwhile). Should a validation fail, its key stays, enforced, not valid."""
    quote = db.session.connection().dialect.identifier_preparer.quote
    for table, name, definition in keys:
        db.session.execute(sa.text(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition} NOT VALID"))
    db.session.commit()
    return [f"ALTER TABLE {quote(table)} VALIDATE CONSTRAINT {quote(name)}" for table, name, _definition in keys]


def _build_indexes(ddls: list[str]) -> None:
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
    for ddl in ddls:
        conn.exec_driver_sql(ddl)
    db.session.commit()


def seed_documents(n: int, years: int = 1, *, seed: int = 2026, attachments: float = 0.25) -> int:
    """Add n incoming documents spread over the last `years` years, indexed for search; commits batch by
    batch. `attachments`: the share of documents with an (extracted) attachment."""
    rng = _Random(seed)
    _reference_data()
    maker = _Maker(rng)
    this_year = today().year
    plan: list[tuple[int, bool, int]] = []  # (year, confidential, how many)
    per_year = [n // years + (1 if i < n % years else 0) for i in range(years)]
    for offset, count in enumerate(per_year):
        secret = count // 20
        plan += [(this_year - offset, False, count - secret), (this_year - offset, True, secret)]
    rebuild = n >= REBUILD_FROM
    if db.session.get_bind().dialect.name == "sqlite":
        # this connection's page cache: 256 MB instead of 2 MB (the default), so that the documents' indexes
        # stay in memory at 1M rows instead of being read back and written out batch after batch
        db.session.connection().exec_driver_sql("PRAGMA cache_size = -262144")
    dropped: list[str] = []
    keys: list[tuple[str, str, str]] = []
    first_id = (db.session.scalar(sa.select(sa.func.max(Document.id))) or 0) + 1
    if rebuild:
        _engine_index(on=False)
        dropped = _drop_secondary_indexes()
        if db.session.get_bind().dialect.name == "postgresql":
            keys = _drop_foreign_keys()
        # the participant rows' keys (registry.models.ParticipationKey) are filled in one statement at the end
        access.participation_keys_triggers(on=False)
        db.session.commit()
    # into a database without documents the statistics are counted as the letters are drawn (what
    # `flask docflow stats rebuild` would count); otherwise they are rebuilt at the end, as before
    counts = None if db.session.scalar(sa.select(Document.id).limit(1)) is not None else _Counts(this_year - years + 1)
    if counts is not None:
        for model in (StatCount, StatUnitCount, StatDocument, StatHandling):
            db.session.execute(sa.delete(model))
        db.session.commit()

    jobs = []  # (register id, year, confidential, how many, the register's last number before the seed)
    for year, confidential, count in plan:
        if count:
            register = reference.default_register("incoming", confidential, year)
            jobs.append((register.id, year, confidential, count, register.last_number))
    db.session.commit()

    made = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        with click.progressbar(length=n, label="Seeding documents", show_pos=True) as bar:
            resume = (0, 0, None)  # where the letters are drawn here: (job, first of its letters, its days)
            ids, dialect_name = None, db.session.get_bind().dialect.name
            if n >= PIPELINE_FROM and _pipeline_possible():
                ids = _reserve_ids(n, first_id)
                made, resume = _pipelined(maker, jobs, ids, attachments, this_year, counts, bar.update)
            if resume is not None:
                reserved = ids[made:] if ids is not None and dialect_name == "postgresql" else None
                made += _drawn_here(maker, jobs, resume, attachments, this_year, counts, bar.update, reserved)
    finally:
        if rebuild:
            db.session.rollback()
            db.session.execute(sa.text(access.PARTICIPATION_KEYS_FILL), {"first": first_id})
            access.participation_keys_triggers(on=True)
            db.session.commit()
            if db.session.get_bind().dialect.name == "postgresql":
                # the search's GIN index over the words (~45 s at 1M) on a connection of its own; the b-trees, the
                # symbols' trigram index (~5 s) and then the keys' checks (search_index's waits for the GIN) on another
                words, *others = PG_INDEXES
                side_by_side([words], dropped + others + _foreign_keys_back(keys))
            else:
                _build_indexes(dropped)
                _engine_index(on=True)
    if counts is not None:
        counts.write_cells()
        db.session.commit()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    audit.record("seed.documents", object_type="documents", after={"documents": made, "years": years},
                 actor_name="flask docflow seed")
    db.session.commit()
    if counts is None:
        with click.progressbar(length=counters.document_count(), label="Counting statistics") as bar:
            counters.rebuild(progress=bar.update)  # what `flask docflow stats rebuild` does
        db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        # the tables just filled as autovacuum leaves them later (docs/deployment.md): the planner's statistics
        # (without them the unit head's dashboard at 1M took 290-360 ms, 70-90 ms with) and the visibility map,
        # without which no index-only scan is one (a specialist's page 500 read 25k participation_keys' rows
        # from the heap: 75 -> 35 ms). VACUUM runs outside a transaction: on a connection of its own
        others = [t for t in (*_BULK_TABLES, "stat_counts", "stat_unit_counts") if t != "search_index"]
        # search_index, the largest with documents, on a connection of its own
        side_by_side(["VACUUM ANALYZE search_index"], [f"VACUUM ANALYZE {table}" for table in others],
                      autocommit=True)
    # this process's CPU time (on SQLite the database's work too): the rate on a machine of one's own
    included = "search index and statistics" if counts is not None else "search index"
    click.echo(f"{made} documents in {elapsed:.1f} s: {made / max(elapsed, 1e-9):,.0f} documents/s "
               f"({included} included; {cpu:.1f} s of this process's CPU: {made / max(cpu, 1e-9):,.0f}/s)")
    return made


def _new_ids(count: int) -> list[int]:
    """Ids for the batch's documents, drawn before the insert so its rows can name them (the batch already
    holds the write lock on SQLite: its UPDATE of the register came first)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return list(db.session.scalars(sa.text(
            "SELECT nextval(pg_get_serial_sequence('documents', 'id')) FROM generate_series(1, :n)"), {"n": count}))
    top = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Document.id), 0)))
    return list(range(top + 1, top + 1 + count))


class _Rows:
    """Prepared rows of one table, inserted at once: the INSERT (SQLite: executemany) or COPY (PostgreSQL)
    built once per dialect, each column's own bind processor applied (the values stored are those
    SQLAlchemy stores: dates as SQLite's text, ...), run on the cursor of the session's transaction.
    Skipped: SQLAlchemy's per-row parameter processing, which cost more than the rows' drawing."""

    def __init__(self, table: sa.Table, columns: tuple[str, ...]):
        self.table, self.columns = table, columns
        self._by_dialect: dict = {}

    def _statement(self, dialect):
        entry = self._by_dialect.get(dialect.name)
        if entry is None:
            # the names are the table's own (metadata), never input
            table = dialect.identifier_preparer.format_table(self.table)
            names = ", ".join(dialect.identifier_preparer.quote(c) for c in self.columns)
            if dialect.name == "postgresql":
                sql = f"COPY {table} ({names}) FROM STDIN"
            else:
                sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(self.columns))})"  # noqa: S608
            processors = [(i, p, {}) for i, c in enumerate(self.columns)
                          if (p := self.table.c[c].type._cached_bind_processor(dialect)) is not None]
            entry = self._by_dialect[dialect.name] = (sql, processors)
        return entry

    def prepare(self, rows: list[tuple], dialect) -> list:
        """The rows as stored: each processed column's value through its bind processor (each distinct value
        once: the batch's timestamp, the days repeat), column by column. Done in the drawing process of a
        pipelined seed."""
        processors = self._statement(dialect)[1]
        if not processors or not rows:
            return rows
        columns = list(zip(*rows, strict=True))
        for i, process, done in processors:
            if len(done) > 50_000:
                done.clear()
            for value in set(columns[i]).difference(done):
                done[value] = None if value is None else process(value)
            columns[i] = list(map(done.__getitem__, columns[i]))
        return list(zip(*columns, strict=True))

    def write(self, rows: list) -> None:
        """Insert prepared rows (`prepare`) on the session's transaction."""
        if not rows:
            return
        connection = db.session.connection()
        dialect = connection.dialect
        sql = self._statement(dialect)[0]
        cursor = connection.connection.cursor()
        try:
            if dialect.name == "postgresql":
                with cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(sql, rows)
        finally:
            cursor.close()

    def insert(self, rows: list[tuple]) -> None:
        if rows:
            self.write(self.prepare(rows, db.session.get_bind().dialect))


_DOCUMENTS = _Rows(Document.__table__, (
    "id", "direction", "register_id", "year", "number", "number_symbol", "doc_type_id", "subject",
    "sender_org_id", "sender_name", "issued_date", "received_date", "signer", "urgency", "confidentiality",
    "pages", "copies", "medium", "status", "dup_key", "version", "instruction", "due_date", "cancelled_reason",
    "created_at", "updated_at", "completed_at"))
_ASSIGNMENTS = _Rows(Assignment.__table__, ("document_id", "unit_id", "user_id", "role", "due_date", "state",
                                            "instruction", "created_at", "done_at", "version"))
_PARTICIPANTS = _Rows(Participant.__table__, ("document_id", "unit_id", "user_id", "role"))
_ATTACHMENTS = _Rows(Attachment.__table__, ("document_id", "filename", "content_type", "size", "sha256", "text",
                                            "text_status", "created_at"))
_INDEX = _Rows(SearchIndex.__table__, ("document_id", "body", "attachments_text", "symbol_norm", "sender_key",
                                        "tags", *MIRRORED, "prefixes"))
_STAT_DOCUMENTS = _Rows(StatDocument.__table__, ("document_id", "signature"))
_STAT_HANDLING = _Rows(StatHandling.__table__, ("document_id", "completed_on", "working_days"))
_STAT_COUNTS = _Rows(StatCount.__table__, (*counters.CELL, "n", "electronic"))
_STAT_UNIT_COUNTS = _Rows(StatUnitCount.__table__, (*counters.UNIT_CELL, "n", "electronic"))


#: `_Counts` adds the cells counted to the office's and the units' every this many batches
TALLY_EVERY = 10


class _Counts:
    """The statistics of the seeded letters, counted as they are drawn: what `counters.rebuild()` reads back
    from the rows (the same signature, handling time and cells), without reading them back. Used when the
    database had no documents before the seed (otherwise the seed rebuilds the statistics, as before)."""

    def __init__(self, first_year: int):
        self.off = calendar.holidays()
        # the cells counted per (units taking part, electronic): one count per letter, and the units' cells
        # (counters.unit_contributions: each cell once per unit taking part) made from them every TALLY_EVERY
        # batches (`_tally`): in a pipelined seed the writing process does it while the next batch is drawn,
        # where it was ~3 s of the end of a 100k seed, after the last batch
        self.counted: dict[tuple, Counter] = {}
        self.batches = 0
        self.cells, self.electronic, self.unit_cells, self.unit_electronic = Counter(), Counter(), Counter(), Counter()
        self.pending: dict[tuple, list] = {}  # the batch's cells, not yet counted
        self.completed_on: dict = {}  # completed_at -> the local day
        # day -> working days from `first` up to it (included), for the days the seed's letters may have
        day = date(first_year, 1, 1) - timedelta(days=1)
        self.working, count = {day: 0}, 0
        while day < today():
            day += timedelta(days=1)
            count += calendar.is_working_day(day, self.off)
            self.working[day] = count
        self.signatures: list[tuple] = []
        self.handling: list[tuple] = []

    def add(self, doc_id: int, status: str, confidentiality: str, medium: str, doc_type_id: int, register_id: int,
            sender_org_id: int, received: date, issued: date, due: date | None, units: list[int],
            completed_at: datetime | None) -> None:
        """`units`: the units taking part, the first as primary (the others coordinate)."""
        handled = None
        if status == "completed" and completed_at is not None:
            handled = self._measure(received, completed_at)
            self.handling.append((doc_id, *handled))
        row = (doc_id, "incoming", status, confidentiality, medium, doc_type_id, register_id, sender_org_id,
               received, issued, due, None)
        sig = counters.signature(row, units[:1], [], [], handled, counters.taking_part([(u, None) for u in units]))
        if sig is None:
            return
        self.signatures.append((doc_id, _JSON.encode(sig)))
        key = (tuple(tuple(part) for part in sig["v"]), sig["e"])
        pending = self.pending.get(key)
        if pending is None:
            pending = self.pending[key] = []
        pending.extend(counters.contributions(sig))

    def _count_pending(self) -> None:
        """The batch's cells counted, one Counter.update per (units taking part, electronic), not per letter."""
        self._add({key: Counter(cells) for key, cells in self.pending.items()})
        self.pending = {}

    def _tally(self) -> None:
        """The cells counted since the last tally, added to the office's and the units' cells
        (counters.unit_contributions: each cell once per unit taking part). Every batch would make the units'
        cells of each batch anew (1M: +15 s of the writing process's CPU); every TALLY_EVERY batches makes
        those of the batches' common cells once."""
        for (parts, electronic), counted in self.counted.items():
            self.cells.update(counted)
            if electronic:
                self.electronic.update(counted)
            for unit_id, via in parts:
                theirs = {(unit_id, via, *cell): n for cell, n in counted.items()}
                self.unit_cells.update(theirs)
                if electronic:
                    self.unit_electronic.update(theirs)
        self.counted, self.batches = {}, 0

    def _measure(self, received: date, completed_at: datetime) -> tuple[date, int]:
        """counters._measure(): the local day of completion and the working days after arrival up to it,
        here as the difference of two running counts (calendar.working_days_between() walks the days)."""
        day = self.completed_on.get(completed_at)
        if day is None:
            day = self.completed_on[completed_at] = to_local(completed_at).date()
        start, end = self.working.get(received), self.working.get(day)
        if start is None or end is None or day < received:
            return day, calendar.working_days_between(received, day, self.off)
        return day, end - start

    def write_rows(self) -> None:
        """The batch's stat_handling and stat_documents rows (in the batch's transaction)."""
        _STAT_HANDLING.insert(self.handling)
        _STAT_DOCUMENTS.insert(self.signatures)
        self.handling, self.signatures = [], []
        self._count_pending()

    def take(self, dialect) -> tuple[list, list, dict]:
        """The batch's rows (prepared for `dialect`) and its cells counted (key -> Counter), handed over by the
        drawing process of a pipelined seed; the writing process `merge`s the cells once the batch is in."""
        handling, signatures = _STAT_HANDLING.prepare(self.handling, dialect), _STAT_DOCUMENTS.prepare(
            self.signatures, dialect)
        pending = {key: Counter(cells) for key, cells in self.pending.items()}
        self.handling, self.signatures, self.pending = [], [], {}
        return handling, signatures, pending

    def merge(self, pending: dict) -> None:
        """A drawn batch's cells (`take`), in the order they were first met: the same cells, in the same
        order, as `_count_pending` of the same letters."""
        self._add(pending)

    def _add(self, pending: dict) -> None:
        """One batch's cells (key -> Counter) counted; every TALLY_EVERY batches, tallied."""
        for key, cells in pending.items():
            counted = self.counted.get(key)
            if counted is None:
                counted = self.counted[key] = Counter()
            counted.update(cells)
        self.batches += 1
        if self.batches >= TALLY_EVERY:
            self._tally()

    def write_cells(self) -> None:
        self._count_pending()
        self._tally()
        for rows, counted, counted_e in ((_STAT_COUNTS, self.cells, self.electronic),
                                         (_STAT_UNIT_COUNTS, self.unit_cells, self.unit_electronic)):
            values = [(*cell, n, counted_e.get(cell, 0)) for cell, n in counted.items()]
            for start in range(0, len(values), 20_000):
                rows.insert(values[start:start + 20_000])


def _draw(maker: _Maker, register_id: int, year: int, confidential: bool, chunk: list[date], attachments: float,
          this_year: int, ids, first_number: int, now: datetime, counts: "_Counts | None") -> tuple[list, ...]:
    """One batch's letters: the rows of documents, assignments, participants, attachments and the index
    (and, with `counts`, their statistics counted), for the documents `ids` numbered from `first_number`."""
    rng = maker.rng
    rows, assignments, participants, files, index = [], [], [], [], []
    confidentiality_choices = ("confidential", "secret")
    until = today()  # once a batch (the office's time zone read each time cost 4% of the drawing)
    for i, received in enumerate(chunk):
        doc_id = ids[i]
        org = rng.choices(maker.orgs, cum_weights=maker.org_weights)[0]
        doc_type, template = rng.choices(maker.templates, cum_weights=maker.template_weights)[0]
        subject, subject_key = maker.subject(template, received)
        issued = received - timedelta(days=rng.randint(0, 6))
        symbol, symbol_key = maker.symbol(doc_type, org)
        sender_key = _fold(org.name)  # incoming.services.dup_key() of these, from the folded parts
        if year < this_year:
            status = "completed" if rng.random() < 0.97 else rng.choice(("assigned", "cancelled"))
        else:
            status = rng.choices(STATUSES, cum_weights=STATUS_WEIGHTS)[0]
        done = status == "completed"
        units = []
        instruction = due = None
        if status in ("assigned", "completed"):
            units = [rng.choices(maker.units, cum_weights=maker.unit_weights)[0]]
            if rng.random() < 0.3:
                other = rng.choices(maker.units, cum_weights=maker.unit_weights)[0]
                if other.id != units[0].id:
                    units.append(other)
            instruction = rng.choice(INSTRUCTIONS).format(unit=units[0].name)
            due = received + timedelta(days=rng.randint(5, 20))
        state, done_at = ("done", now) if done else ("open", None)
        for k, unit in enumerate(units):
            role = "primary" if k == 0 else "coordinate"
            assignments.append((doc_id, unit.id, None, role, due, state, instruction if k == 0 else None, now,
                                done_at, 1))
            participants.append((doc_id, unit.id, None, role))
        signer, signer_key = maker.signer() if rng.random() < 0.8 else (None, "")
        cancelled = "Văn bản đăng ký trùng" if status == "cancelled" else None
        text_key = ""
        if rng.random() < attachments:
            text, text_key = maker.attachment_text(received, org)
            data = text.encode()
            files.append((doc_id, f"van-ban-{doc_id}.pdf", "application/pdf", len(data),
                          hashlib.sha256(data).hexdigest(), text, "done", now))
        urgency = rng.choice(URGENCIES)
        conf = rng.choice(confidentiality_choices) if confidential else "normal"
        pages = rng.randint(1, 12)
        medium = rng.choice(("paper", "electronic"))
        # completed 1 to 25 days after arrival (from the id, not the generator: the rest of the data
        # stays as it was), at 09:00 office time, for the statistics' handling times
        completed_at = (datetime.combine(min(received + timedelta(days=doc_id * 7919 % 25 + 1), until),
                                         _NINE_LOCAL) if done else None)
        rows.append((doc_id, "incoming", register_id, year, first_number + i, symbol, doc_type.id, subject, org.id,
                     org.name, issued, received, signer, urgency, conf, pages, 1, medium, status,
                     f"{sender_key}|{symbol_key}|{issued.isoformat()}"[:400], 1, instruction, due, cancelled,
                     now, now, completed_at))
        # what indexer.reindex() writes for this document (its _batch_rows): the same folded text, in the
        # same order (number-symbol, subject, sender, signer, the direction, the cancellation, the
        # assignments' instructions), folded part by part
        instruction_key = _fold(instruction) if instruction else ""
        body = " ".join(p for p in (symbol_key, subject_key, sender_key, signer_key, instruction_key,
                                    _fold(cancelled) if cancelled else "", instruction_key) if p)
        own_symbol = symbol_key.upper()[:80] or None
        index.append((doc_id, body, text_key, own_symbol, sender_key[:250] or None,
                      " ".join([tags("incoming", year, status, conf, urgency, doc_type.id, register_id, issued,
                                     received), *participation_tags((None, unit.id) for unit in units),
                                *symbol_tags(body, text_key, own=own_symbol)]),
                      # the document's columns the row mirrors (search.models.MIRRORED, in its order), then
                      # (PostgreSQL) its words' prefixes
                      "incoming", doc_type.id, year, first_number + i, status, conf, urgency, register_id, org.id,
                      issued, received, prefix_lexemes(body, text_key) if maker.prefixes else ""))
        if counts is not None:
            counts.add(doc_id, status, conf, medium, doc_type.id, register_id, org.id, received, issued, due,
                       [unit.id for unit in units], completed_at)
    return rows, assignments, participants, files, index


_DRAWN = (_DOCUMENTS, _ASSIGNMENTS, _PARTICIPANTS, _ATTACHMENTS, _INDEX)


def _batch(maker: _Maker, register_id: int, year: int, confidential: bool, chunk: list[date],
           attachments: float, this_year: int, counts: "_Counts | None" = None, ids=None) -> int:
    """One transaction: the register's block of numbers, the documents, their assignments, participants,
    attachments and index rows (and, with `counts`, their statistics' rows). `ids`: the documents' ids when
    already reserved (PostgreSQL's sequence, by a pipelined seed)."""
    last = db.session.execute(sa.update(Register).where(Register.id == register_id)
                              .values(last_number=Register.last_number + len(chunk))
                              .returning(Register.last_number)).scalar_one()
    ids = _new_ids(len(chunk)) if ids is None else ids
    drawn = _draw(maker, register_id, year, confidential, chunk, attachments, this_year, ids,
                  last - len(chunk) + 1, utcnow(), counts)
    for table, rows in zip(_DRAWN, drawn, strict=True):
        table.insert(rows)
    if counts is not None:
        counts.write_rows()
    db.session.commit()
    return len(chunk)


# ---- drawing in a second process ---------------------------------------------------------------------------

#: a seed of at least this many documents draws its letters in a second process (fork) while this one writes
#: the batch before: the drawing (and counting) is about as long as the writing, and they take two cores
PIPELINE_FROM = 20_000


def _pipeline_possible() -> bool:
    """fork is there (not on Windows) and not turned off (DOCFLOW_SEED_PIPELINE=0: bench/seed.py --drawn-here)."""
    return "fork" in multiprocessing.get_all_start_methods() and os.environ.get("DOCFLOW_SEED_PIPELINE") != "0"


def _reserve_ids(n: int, first_id: int):
    """The ids the seed's documents will take. PostgreSQL: drawn from the sequence now (what each batch would
    draw in turn). SQLite: those after the highest id, as each batch takes them; a batch checks it still may."""
    if db.session.get_bind().dialect.name == "postgresql":
        ids = _new_ids(n)
        db.session.commit()
        return range(ids[0], ids[0] + n) if ids[-1] - ids[0] == n - 1 else ids
    return range(first_id, first_id + n)


def _drawings(maker: _Maker, jobs: list[tuple], ids, attachments: float, this_year: int, counts: "_Counts | None",
              dialect):
    """The batches' letters in order, as `_batch` draws them, with the ids and numbers they are expected to
    take, each with the random generator's state before it (to draw it again in the writing process)."""
    offset = 0
    for job, (register_id, year, confidential, count, last_number) in enumerate(jobs):
        days = _days(maker.rng, year, count)
        for start in range(0, count, BATCH):
            state = maker.rng.getstate()
            chunk = days[start:start + BATCH]
            batch_ids = ids[offset:offset + len(chunk)]
            drawn = _draw(maker, register_id, year, confidential, chunk, attachments, this_year, batch_ids,
                          last_number + start + 1, utcnow(), counts)
            tables = [table.prepare(rows, dialect) for table, rows in zip(_DRAWN, drawn, strict=True)]
            stats = counts.take(dialect) if counts is not None else None
            yield job, start, days if start == 0 else None, state, batch_ids[0], len(chunk), tables, stats
            offset += len(chunk)


def _in_second_process(batches):
    """The items of the generator `batches()` made in a forked process (which touches no database) while
    this one takes the items before; the pipe holds about one item, so the drawing stays one batch ahead."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)

    def draw() -> None:
        reader.close()
        try:
            for item in batches():
                writer.send_bytes(pickle.dumps(item, pickle.HIGHEST_PROTOCOL))
            writer.send_bytes(pickle.dumps(None))
        except BaseException:  # noqa: BLE001 - handed to the writing process, which raises it
            writer.send_bytes(pickle.dumps(("error", traceback.format_exc())))
        finally:
            writer.close()

    process = context.Process(target=draw, daemon=True, name="docflow-seed-draw")
    process.start()
    writer.close()
    try:
        while True:
            try:
                item = pickle.loads(reader.recv_bytes())  # noqa: S301 - our own child's, through our own pipe
            except EOFError:
                raise RuntimeError("the seed's drawing process ended without its letters") from None
            if item is None:
                return
            if item[0] == "error":
                raise RuntimeError(f"the seed's drawing process failed:\n{item[1]}")
            yield item
    finally:
        reader.close()
        if process.is_alive():
            process.kill()
        process.join()


def _pipelined(maker: _Maker, jobs: list[tuple], ids, attachments: float, this_year: int, counts: "_Counts | None",
               progress) -> tuple[int, tuple | None]:
    """Write the batches a second process draws. Each batch checks, in its transaction, that its ids and
    numbers are still the next ones (another registration may have taken them meanwhile: then the letters
    from this batch on are drawn here again, from the generator's state before it). Returns the documents
    written and where to go on drawing here (None: all written)."""
    dialect = db.session.get_bind().dialect
    sqlite = dialect.name == "sqlite"
    made, days = 0, None
    source = _in_second_process(lambda: _drawings(maker, jobs, ids, attachments, this_year, counts, dialect))
    try:
        for job, start, job_days, state, first_id, size, tables, stats in source:
            days = job_days if job_days is not None else days
            register_id, _year, _confidential, _count, last_number = jobs[job]
            if not _still_next(register_id, size, last_number + start + 1, first_id if sqlite else None):
                db.session.rollback()
                maker.rng.setstate(state)
                return made, (job, start, days)
            for table, rows in zip(_DRAWN, tables, strict=True):
                table.write(rows)
            if stats is not None:
                _STAT_HANDLING.write(stats[0])
                _STAT_DOCUMENTS.write(stats[1])
            db.session.commit()
            if stats is not None:
                counts.merge(stats[2])
            made += size
            progress(size)
    finally:
        source.close()
    return made, None


def _still_next(register_id: int, size: int, first_number: int, first_id: int | None) -> bool:
    """Take the register's next `size` numbers (the batch's transaction begins, holding SQLite's write lock);
    whether they start at `first_number` and (SQLite) the next document id is still `first_id`."""
    last = db.session.execute(sa.update(Register).where(Register.id == register_id)
                              .values(last_number=Register.last_number + size)
                              .returning(Register.last_number)).scalar_one()
    if last - size + 1 != first_number:
        return False
    return first_id is None or (db.session.scalar(sa.select(sa.func.max(Document.id))) or 0) + 1 == first_id


def _drawn_here(maker: _Maker, jobs: list[tuple], resume: tuple, attachments: float, this_year: int,
                counts: "_Counts | None", progress, reserved=None) -> int:
    """The batches drawn and written in this process, from `resume` (job, first letter, that job's days);
    `reserved`: the ids still reserved for the letters (PostgreSQL, after a pipelined part), taken in order."""
    made = 0
    first_job, first_start, first_days = resume
    for job in range(first_job, len(jobs)):
        register_id, year, confidential, count, _last = jobs[job]
        days = first_days if job == first_job and first_days is not None else _days(maker.rng, year, count)
        for start in range(first_start if job == first_job else 0, count, BATCH):
            chunk = days[start:start + BATCH]
            ids = None if reserved is None else reserved[made:made + len(chunk)]
            made += _batch(maker, register_id, year, confidential, chunk, attachments, this_year, counts, ids)
            progress(len(chunk))
    return made
