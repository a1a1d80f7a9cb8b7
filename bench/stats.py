"""Statistics at scale (issue 6/9): every stats API endpoint and every dashboard and statistics page,
measured in-process with the Flask test client on a seeded database, for each role.

Run from the project directory:

    nice .venv/bin/python bench/stats.py [--db sqlite|postgresql|both] [--documents 100000]
                                         [--repeat 15] [--roles leader,clerk,...] [--cache /tmp/docflow-bench]

It builds (or reuses: the list and search benchmarks' databases, under --cache for SQLite; docflow_bench_100k,
docflow_bench_1m ... on 127.0.0.1:5432 as user postgres, or <--pg-stem>100k ...) a database seeded with
`flask docflow seed --documents N --years 5`. A database seeded before the statistics existed has no
completion times and empty counts: its completed letters get the completion times the seed now writes
and `flask docflow stats rebuild` counts it (timed); so does one upgraded to migration 0011 (the unit
cells "not counted yet"). On PostgreSQL the statistics' tables are analyzed before measuring. Users: a
leader, a clerk and an archivist (top secret), and a unit head and a specialist (normal clearance) of the
unit that handles the most letters.
For each role it times /api/v1/stats/volume (month, doc_type, unit, medium, issuer top 10, channel),
/api/v1/stats/handling and /api/v1/stats/directive10 for this year and for last year (a whole year of
documents), the dashboard (/dashboard) and the statistics pages when they are there (/stats/,
/stats/handling, /stats/directive10). Prints p50/p95/p99 in milliseconds; the goal is p95 <= 100 ms.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import common
import sqlalchemy as sa
from common import database_url, flask, seeded

ROOT = common.ROOT
PASSWORD = "Bench-Passw0rd-2026"
ROLES = ("leader", "clerk", "archivist", "unit_head", "specialist")


def _backfill(url: str) -> None:
    """Completion times for the completed letters of a database seeded before the seed wrote them (the
    seed's own rule: 1 to 25 days after arrival, not after today, 09:00 office time), then the counts."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        counted = conn.scalar(sa.text("SELECT count(*) FROM stat_documents"))
        # migration 0011 marks the unit cells "not counted yet" (unit_id 0) in a database holding documents
        units_pending = conn.scalar(sa.text("SELECT count(*) FROM stat_unit_counts WHERE unit_id = 0"))
        if counted and not units_pending:
            engine.dispose()
            _analyze(url)
            return
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(
                "UPDATE documents SET completed_at = least(received_date + ((id * 7919) % 25 + 1), current_date)"
                " + time '02:00' WHERE direction = 'incoming' AND status = 'completed' AND completed_at IS NULL"))
        else:
            conn.execute(sa.text(
                "UPDATE documents SET completed_at = min(date(received_date, '+' || ((id * 7919) % 25 + 1) || "
                "' days'), date('now')) || ' 02:00:00.000000' WHERE direction = 'incoming' AND status = 'completed' "
                "AND completed_at IS NULL"))
    engine.dispose()
    print("counting the statistics (flask docflow stats rebuild) ...", flush=True)
    started = time.perf_counter()
    out = flask(url, "docflow", "stats", "rebuild")
    print(f"  {out.stdout.strip().splitlines()[-1]} in {time.perf_counter() - started:.0f} s (wall, with start-up)",
          flush=True)
    _analyze(url)


def _analyze(url: str) -> None:
    """PostgreSQL: the statistics' tables analyzed (a rebuild run by hand leaves them unanalyzed)."""
    if url.startswith(common.PG):
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("stat_counts", "stat_unit_counts", "stat_documents", "stat_handling",
                          "document_participants"):
                conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
        engine.dispose()


def _busiest_unit(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        code = conn.scalar(sa.text(
            "SELECT u.code FROM document_participants p JOIN units u ON u.id = p.unit_id WHERE p.role = 'primary' "
            "GROUP BY u.code ORDER BY count(*) DESC LIMIT 1"))
    engine.dispose()
    return code or "BENCH"


def prepare(kind: str, n: int, cache: Path, pg_stem: str = "docflow_bench_") -> str:
    url = database_url(kind, n, cache, pg_stem=pg_stem)
    seeded(url, n)
    _backfill(url)
    unit = _busiest_unit(url)
    flask(url, "docflow", "unit", "add", "BENCH", "Đơn vị đo", check=False)
    for role in ROLES:
        flask(url, "docflow", "user", "add", f"bench_stats_{role}", "--password", PASSWORD, "--role", role,
              "--unit", unit if role in ("unit_head", "specialist") else "BENCH",
              "--clearance", "normal" if role in ("unit_head", "specialist") else "top_secret", check=False)
    return url


def _line(samples: list[float]) -> str:
    p50, p95, p99 = common.percentiles(samples)
    return f"p50 {p50:7.1f}  p95 {p95:7.1f}  p99 {p99:7.1f} ms"


def measure(url: str, repeat: int, roles=ROLES) -> None:
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    from docflow import create_app, settle

    app = settle(create_app())  # as wsgi.py serves it
    app.config["WTF_CSRF_ENABLED"] = False
    this_year = date.today().year
    worst = (0.0, "")
    for role in roles:
        client = app.test_client()
        r = client.post("/auth/login", data={"username": f"bench_stats_{role}", "password": PASSWORD})
        assert r.status_code == 302, (role, r.status_code)
        r = client.post("/api/v1/auth/tokens", json={"username": f"bench_stats_{role}", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.get_json()['token']}"}
        paths = []
        for year in (this_year, this_year - 1):
            paths += [f"/api/v1/stats/volume?year={year}&group_by={g}" for g in
                      ("month", "doc_type", "unit", "medium", "channel")]
            paths += [f"/api/v1/stats/volume?year={year}&group_by=issuer&limit=10",
                      f"/api/v1/stats/handling?year={year}", f"/api/v1/stats/directive10?year={year}"]
        paths += ["/dashboard", "/stats/", f"/stats/?year={this_year - 1}", "/stats/handling",
                  f"/stats/handling?year={this_year - 1}", "/stats/directive10"]
        for path in paths:
            times = []
            for i in range(repeat + 2):
                started = time.perf_counter()
                response = client.get(path, headers=headers if path.startswith("/api/") else None)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code in (403, 404):  # a page this role is not offered, or not built yet
                    break
                assert response.status_code == 200, (role, path, response.status_code)
                if i >= 2:  # two warm-ups
                    times.append(elapsed)
            if not times:
                print(f"  {role:10s} {path:52s} ({response.status_code})", flush=True)
                continue
            p95 = common.percentiles(times)[1]
            worst = max(worst, (p95, f"{role} {path}"))
            print(f"  {role:10s} {path:52s} {_line(times)}", flush=True)
    print(f"  worst p95: {worst[0]:.1f} ms ({worst[1]}); goal <= 100 ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "docflow-bench"))
    parser.add_argument("--roles", default=",".join(ROLES), help="the roles to measure (comma-separated)")
    parser.add_argument("--pg-stem", default="docflow_bench_",
                        help="the PostgreSQL database's name before its size (docflow_bench_ -> docflow_bench_100k)")
    parser.add_argument("--measure-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        measure(args.measure_only, args.repeat, args.roles.split(","))
        return
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        url = prepare(kind, args.documents, cache, args.pg_stem)
        print(f"== {kind}, {args.documents} documents ({url})", flush=True)
        # a fresh process per database: the app binds its engine at start
        subprocess.run([sys.executable, __file__, "--measure-only", url, "--repeat", str(args.repeat), "--roles",
                        args.roles], check=False)


if __name__ == "__main__":
    main()
