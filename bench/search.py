"""Search at scale: a fixed mix of queries through GET /api/v1/search (and the search service directly),
as a leader and as a specialist, beside a naive LIKE / ILIKE scan of the same rows, on seeded databases.

Run from the project directory:

    nice -n 10 .venv/bin/python bench/search.py [--db sqlite|postgresql|both] [--sizes 100000,1000000]
                                                [--repeat 3] [--like-repeat 1] [--no-reindex]
                                                [--roles leader,specialist,newcomer] [--progress]
                                                [--cache /tmp/docflow-bench]

For each database and size N it builds, or reuses (SQLite: <cache>/bench-sqlite-N.db; PostgreSQL: the
database docflow_bench_100k / _1m on 127.0.0.1:5432, user postgres, trust auth) a database made
by `flask db upgrade` and `flask docflow seed --documents N --years 5` (the search index is written by
the seed), adds a leader (unit VP, top secret), a specialist (unit KT, normal clearance: they see the
letters assigned to their unit, ~11% of them) and a newcomer (a specialist of a unit that takes part in
nothing: measured with `--roles newcomer`) with `flask docflow user add` (an existing user is kept as it is),
then in a fresh process:

- runs each query of the mix (56 queries in 7 categories: common word, in about half the letters; rare
  word, ~0.1-0.3%; phrase; prefix; number-symbol; filtered; date-sorted) as each user, page 1 of 20
  with its facets, `--repeat` times after one warm-up, through the Flask test client
  (GET /api/v1/search with a bearer token) and through `docflow.search.query.search()` directly;
- runs for the same query, user and filters the naive scan an office without a search engine would:
  `count(*)` and the first page, newest first, of the visible documents whose subject, issuer or
  number-symbol is `LIKE '%word%'` (SQLite) / `ILIKE` (PostgreSQL) for every word, `--like-repeat` times;
- prints p50/p95/p99 in milliseconds per category and overall, and the LIKE scan's over the search's;
- at 1M (unless --no-reindex) times `flask docflow reindex`.

Goals (issue 5/9): search p95 <= 50 ms at 1M documents on both backends, facets and permission filter
included, and >= 100x the LIKE scan; seed >= 5,000 documents/s with the index; reindex 1M <= 5 min.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
from common import database_url, flask, percentiles, seeded

ROOT = common.ROOT
PASSWORD = "Bench-Passw0rd-2026"
#: (username, label, role, unit, clearance). The specialist is KT's (the lists' benchmark makes the same user:
#: KT takes part in ~120k letters at 1M); the newcomer, a specialist who takes part in nothing yet, runs only
#: when asked (`--roles newcomer`): every hit of a common word is read to find none visible
USERS = (("bench_leader", "leader", "leader", "VP", "top_secret"),
         ("bench_kt_specialist", "specialist", "specialist", "KT", "normal"),
         ("bench_newcomer", "newcomer", "specialist", "BENCH", "normal"))
DEFAULT_ROLES = ("leader", "specialist")

# (category, query string parameters); the number-symbols are drawn from the database at run time
MIX: tuple[tuple[str, dict], ...] = (
    ("common", {"q": "thực hiện"}), ("common", {"q": "thuc hien"}), ("common", {"q": "tỉnh"}),
    ("common", {"q": "Đồng Nai"}), ("common", {"q": "năm"}), ("common", {"q": "thực hiện tỉnh"}),
    ("common", {"q": "sở"}), ("common", {"q": "UBND"}),
    ("rare", {"q": "Gáo"}), ("rare", {"q": "Tà Lài"}), ("rare", {"q": "Mã Đà"}), ("rare", {"q": "DA-017"}),
    ("rare", {"q": "Hàng Gòn"}), ("rare", {"q": "hạt nhân"}), ("rare", {"q": "khí tượng thủy văn"}),
    ("rare", {"q": "thực hiện Đak Lua"}),
    ("phrase", {"q": '"thực hiện chuyển đổi số"'}), ("phrase", {"q": '"quản lý đất đai"'}),
    ("phrase", {"q": '"phòng, chống dịch bệnh"'}), ("phrase", {"q": '"ngân sách nhà nước"'}),
    ("phrase", {"q": '"giáo dục và đào tạo"'}), ("phrase", {"q": '"sân bay Long Thành"'}),
    ("phrase", {"q": '"có hiệu lực kể từ ngày ký"'}), ("phrase", {"q": '"xã Phú Hữu"'}),
    ("prefix", {"q": "chuyển đổi*"}), ("prefix", {"q": "ngân*"}), ("prefix", {"q": "giáo*"}),
    ("prefix", {"q": "Biên*"}), ("prefix", {"q": "xây*"}), ("prefix", {"q": "thủy*"}), ("prefix", {"q": "dịch*"}),
    ("prefix", {"q": "khoáng*"}),
    ("filtered", {"q": "thực hiện", "doc_type": "QĐ", "year": "{year}"}),
    ("filtered", {"q": "đất đai", "sender": "Sở Tài nguyên"}),
    ("filtered", {"q": "y tế", "status": "assigned"}),
    ("filtered", {"q": "ngân sách", "from": "{year}-01-01", "to": "{year}-06-30"}),
    ("filtered", {"q": "Đồng Nai", "urgency": "flash"}),
    ("filtered", {"q": "giáo dục", "confidentiality": "confidential"}),
    ("filtered", {"q": "thực hiện", "direction": "incoming", "unit": "{kt}"}),
    ("filtered", {"q": "chuyển đổi số", "year": "{last_year}", "status": "completed"}),
    ("date-sorted", {"q": "thực hiện", "sort": "date"}), ("date-sorted", {"q": "tỉnh", "sort": "date"}),
    ("date-sorted", {"q": "đất đai", "sort": "date"}), ("date-sorted", {"q": "y tế", "sort": "date"}),
    ("date-sorted", {"q": "Gáo", "sort": "date"}), ("date-sorted", {"q": "ngân sách", "sort": "date"}),
    ("date-sorted", {"q": "chuyển đổi số", "sort": "date"}), ("date-sorted", {"q": "", "sort": "date"}),
)
SYMBOLS = 8  # number-symbol queries: 15/QĐ-UBND and 7 drawn from the documents
CATEGORIES = ("common", "rare", "phrase", "prefix", "number-symbol", "filtered", "date-sorted")


def url_for_db(kind: str, n: int, cache: Path) -> str:
    return database_url(kind, n, cache)


def prepare(kind: str, n: int, cache: Path) -> str:
    url = url_for_db(kind, n, cache)
    seeded(url, n)
    for username, _label, role, unit, clearance in USERS:
        flask(url, "docflow", "user", "add", username, "--password", PASSWORD, "--role", role, "--unit", unit,
              "--clearance", clearance, check=False)
    return url


def _fmt(p: tuple[float, float, float]) -> str:
    return f"{p[0]:8.1f} {p[1]:8.1f} {p[2]:8.1f}"


def _mix(app) -> list[tuple[str, dict]]:
    """The mix with its placeholders filled and the number-symbols drawn (the same ones every run)."""
    import sqlalchemy as sa

    from docflow.auth.models import Unit
    from docflow.core.timeutil import today
    from docflow.extensions import db
    from docflow.registry.models import Document

    with app.app_context():
        kt = db.session.scalar(sa.select(Unit.id).where(Unit.code == "KT"))
        top = db.session.scalar(sa.select(sa.func.max(Document.id)))
        rng = random.Random(5)
        symbols = ["15/QĐ-UBND"]
        while len(symbols) < SYMBOLS:
            symbol = db.session.scalar(sa.select(Document.number_symbol).where(Document.id == rng.randint(1, top)))
            if symbol:
                symbols.append(symbol)
    year = today().year
    values = {"year": year, "last_year": year - 1, "kt": kt}
    mix = [(cat, {k: v.format(**values) for k, v in params.items()}) for cat, params in MIX]
    return mix + [("number-symbol", {"q": s}) for s in symbols]


def _naive(user, params: dict):
    """The LIKE / ILIKE scan: count and first page of the visible documents whose subject, issuer or
    number-symbol holds every word (as typed: no folding), with the same filters."""
    import sqlalchemy as sa

    from docflow.extensions import db
    from docflow.registry.access import visible_filter
    from docflow.registry.models import Document
    from docflow.search import query

    args = query.load_args(params)
    words = [w.strip('"*-') for w in (args.get("q") or "").replace('"', " ").split()]
    ilike = db.session.get_bind().dialect.name == "postgresql"
    conds = [visible_filter(user), *query.filters(args)]
    for word in filter(None, words):
        pattern = f"%{word}%"
        conds.append(sa.or_(*[(c.ilike(pattern) if ilike else c.like(pattern))
                              for c in (Document.subject, Document.sender_name, Document.number_symbol)]))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Document).where(*conds))
    page = db.session.scalars(sa.select(Document.id).where(*conds).order_by(
        query.doc_date().desc().nulls_last(), Document.id.desc()).limit(20)).all()
    return total, page


def _print_detail(detail) -> None:
    for role, cat, params, total, exact, t, nt in detail:
        shown = " ".join(f"{k}={v}" for k, v in params.items())
        print(f"    {role:10s} {cat:13s} {shown[:60]:60s} {total:>6}{'' if exact else '+'} {t:8.1f} {nt:9.1f}",
              flush=True)


def measure(url: str, repeat: int, like_repeat: int, roles: tuple[str, ...] = (), progress: bool = False) -> None:
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa

    from docflow import create_app, settle
    from docflow.auth.models import User
    from docflow.extensions import db
    from docflow.search import query

    app = settle(create_app())  # as wsgi.py serves it
    mix = _mix(app)
    print(f"  {len(mix)} queries x {len(roles or DEFAULT_ROLES)} users; API and service {repeat} runs after a warm-up, "
          f"LIKE scan {like_repeat} run(s)", flush=True)
    if progress:
        print("  per query (median ms), as they run: role, category, query, total, API, LIKE scan", flush=True)
    api: dict[str, list[float]] = {}
    service: dict[str, list[float]] = {}
    naive: dict[str, list[float]] = {}
    detail = []
    for username, role, _role, _unit, _clearance in USERS:
        if role not in (roles or DEFAULT_ROLES):
            continue
        client = app.test_client()
        r = client.post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD})
        assert r.status_code == 201, r.get_data(as_text=True)
        headers = {"Authorization": f"Bearer {r.get_json()['token']}"}
        for cat, params in mix:
            times = []
            for i in range(repeat + 1):
                started = time.perf_counter()
                response = client.get("/api/v1/search", query_string={**params, "per_page": 20}, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (params, response.status_code, response.get_data(as_text=True))
                if i:
                    times.append(elapsed)
            answer = response.get_json()
            api.setdefault(cat, []).extend(times)
            api.setdefault("overall", []).extend(times)
            with app.test_request_context():
                user = db.session.scalar(sa.select(User).where(User.username == username))
                args = query.load_args(params)
                stimes = []
                for i in range(repeat + 1):
                    started = time.perf_counter()
                    query.search(user, args)
                    elapsed = (time.perf_counter() - started) * 1000
                    if i:
                        stimes.append(elapsed)
                    db.session.rollback()
                ntimes = []
                for _i in range(like_repeat):
                    started = time.perf_counter()
                    _naive(user, params)
                    ntimes.append((time.perf_counter() - started) * 1000)
                    db.session.rollback()
                db.session.remove()
            service.setdefault(cat, []).extend(stimes)
            service.setdefault("overall", []).extend(stimes)
            naive.setdefault(cat, []).extend(ntimes)
            naive.setdefault("overall", []).extend(ntimes)
            detail.append((role, cat, params, answer["total"], answer["total_exact"], statistics.median(times),
                           statistics.median(ntimes) if ntimes else float("nan")))
            if progress:
                _print_detail(detail[-1:])
    if not progress:
        print("  per query (median ms): role, category, query, total, API, LIKE scan")
        _print_detail(detail)
    print(f"  {'category':13s} {'API p50':>8s} {'p95':>8s} {'p99':>8s}   {'service':>8s} {'p95':>8s} {'p99':>8s}"
          f"   {'LIKE p50':>8s} {'p95':>8s} {'p99':>8s}   LIKE/API p50  p95")
    for cat in (*CATEGORIES, "overall"):
        a, s = percentiles(api[cat]), percentiles(service[cat])
        n = percentiles(naive[cat]) if naive.get(cat) else (float("nan"),) * 3
        print(f"  {cat:13s} {_fmt(a)}   {_fmt(s)}   {_fmt(n)}   {n[0] / a[0]:9.0f}x {n[1] / a[1]:5.0f}x", flush=True)


def time_reindex(url: str) -> None:
    started = time.perf_counter()
    out = flask(url, "docflow", "reindex", check=False)
    elapsed = time.perf_counter() - started
    last = (out.stdout.strip().splitlines() or ["?"])[-1]
    print(f"  flask docflow reindex: {elapsed:.0f} s ({last}){' ' + out.stderr[-500:] if out.returncode else ''}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each query (after one warm-up)")
    parser.add_argument("--like-repeat", type=int, default=1, help="timed runs of each LIKE scan (0: none)")
    parser.add_argument("--roles", default="", help="these users (leader,specialist,newcomer), default the first two")
    parser.add_argument("--progress", action="store_true", help="print each query's line as it is measured")
    parser.add_argument("--no-reindex", action="store_true", help="do not time `flask docflow reindex` at 1M")
    parser.add_argument("--prepare-only", action="store_true", help="build the databases and stop")
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "docflow-bench"))
    parser.add_argument("--measure-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        measure(args.measure_only, args.repeat, args.like_repeat, tuple(filter(None, args.roles.split(","))),
                args.progress)
        return
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for n in (int(s) for s in args.sizes.split(",")):
        for kind in kinds:
            url = prepare(kind, n, cache)
            if args.prepare_only:
                continue
            print(f"== {kind}, {n} documents ({url})", flush=True)
            # a fresh process per database: the app binds its engine at start
            subprocess.run([sys.executable, __file__, "--measure-only", url, "--repeat", str(args.repeat),
                            "--like-repeat", str(args.like_repeat), "--roles", args.roles]
                           + (["--progress"] if args.progress else []), check=False)
            if n >= 1_000_000 and not args.no_reindex:
                time_reindex(url)


if __name__ == "__main__":
    main()
