"""Lists at scale (architecture decision 12): every list page and list API call, the dashboard, a book
page and a year's XLSX, measured in-process with the Flask test client on a seeded database.

Run from the project directory:

    nice .venv/bin/python bench/lists.py [--db sqlite|postgresql|both] [--sizes 100000,1000000]
                                         [--skip-pg-1m] [--repeat 20] [--cache /tmp/docflow-bench]

For each database and size N it builds (or reuses, under --cache for SQLite; database docflow_bench_100k,
docflow_bench_1m ... on 127.0.0.1:5432 as user postgres) a database seeded with
`flask docflow seed --documents N --years 5`, runs `flask db upgrade` (the list indexes), adds one user
per role with `flask docflow user add`, then for each role (leader, clerk, archivist, specialist,
unit_head, in a unit BENCH of their own that takes part in nothing; and a specialist and a unit head of
the seed's unit KT, which takes part in ~1 in 10 letters) times page 1 and page 500 of /incoming/,
/api/v1/incoming?per_page=50, /outgoing/ and /api/v1/outgoing, /dashboard and the task inbox
(/incoming/tasks, its done tab, GET /api/v1/tasks); for the clerk a book
page (/books/incoming and /books/tracking, this month) and, in a subprocess, the XLSX of the whole of
last year (/books/incoming.xlsx?from=&to=) with its peak RSS (resource.getrusage). Prints p50/p95/p99
in milliseconds. Goals: lists p95 <= 50 ms, a book page <= 200 ms, the year's XLSX within 200 MB.
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
from common import database_url, flask, seeded

ROOT = common.ROOT
PASSWORD = "Bench-Passw0rd-2026"
ROLES = ("leader", "clerk", "archivist", "specialist", "unit_head")
#: users of the seed's unit KT (which takes part in ~1 in 10 of the seeded letters: 120k participant rows at
#: 1M), besides the BENCH unit's, who see nothing: (name, role)
KT_USERS = (("kt_specialist", "specialist"), ("kt_unit_head", "unit_head"))


def url_for_db(kind: str, n: int, cache: Path) -> str:
    return database_url(kind, n, cache)


def prepare(kind: str, n: int, cache: Path) -> str:
    url = url_for_db(kind, n, cache)
    seeded(url, n)
    flask(url, "docflow", "unit", "add", "BENCH", "Đơn vị đo", check=False)
    for role in ROLES:
        flask(url, "docflow", "user", "add", f"bench_{role}", "--password", PASSWORD, "--role", role, "--unit",
              "BENCH", "--clearance", "top_secret" if role != "specialist" else "normal", check=False)
    for name, role in KT_USERS:
        flask(url, "docflow", "user", "add", f"bench_{name}", "--password", PASSWORD, "--role", role, "--unit", "KT",
              "--clearance", "normal", check=False)
    return url


def percentiles(samples: list[float]) -> str:
    p50, p95, p99 = common.percentiles(samples)
    return f"p50 {p50:7.1f}  p95 {p95:7.1f}  p99 {p99:7.1f} ms"


def measure(url: str, repeat: int, roles: tuple[str, ...] = (), no_xlsx: bool = False) -> None:
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    from docflow import create_app, settle

    app = settle(create_app())  # as wsgi.py serves it
    app.config["WTF_CSRF_ENABLED"] = False
    today = date.today()
    for role in (*ROLES, *(name for name, _role in KT_USERS)):
        if roles and role not in roles:
            continue
        client = app.test_client()
        r = client.post("/auth/login", data={"username": f"bench_{role}", "password": PASSWORD})
        assert r.status_code == 302, (role, r.status_code)
        r = client.post("/api/v1/auth/tokens", json={"username": f"bench_{role}", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.get_json()['token']}"}
        paths = ["/incoming/", "/incoming/?page=500", "/api/v1/incoming?per_page=50",
                 "/api/v1/incoming?per_page=50&page=500", "/outgoing/", "/outgoing/?page=500",
                 "/api/v1/outgoing?per_page=50", "/api/v1/outgoing?per_page=50&page=500", "/dashboard",
                 "/incoming/tasks", "/incoming/tasks?state=done", "/api/v1/tasks?per_page=50"]
        if role == "clerk":
            paths += ["/books/incoming", "/books/tracking", "/books/incoming?page=50"]
        for path in paths:
            times = []
            for i in range(repeat + 2):
                started = time.perf_counter()
                response = client.get(path, headers=headers if path.startswith("/api/") else None)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (role, path, response.status_code)
                if i >= 2:  # two warm-ups
                    times.append(elapsed)
            print(f"  {role:10s} {path:42s} {percentiles(times)}", flush=True)
    if no_xlsx:
        return
    year = today.year - 1
    code = f"""
import os, resource, sys, time
sys.path.insert(0, {str(ROOT)!r})
from docflow import create_app, settle
app = settle(create_app())  # as wsgi.py serves it
app.config["WTF_CSRF_ENABLED"] = False
c = app.test_client()
assert c.post("/auth/login", data={{"username": "bench_clerk", "password": {PASSWORD!r}}}).status_code == 302
t = time.perf_counter()
r = c.get("/books/incoming.xlsx?from=01/01/{year}&to=31/12/{year}")
size = sum(len(chunk) for chunk in r.response)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(r.status_code, size, round(time.perf_counter() - t, 1), rss)
"""
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "DATABASE_URL": url}, capture_output=True,
                         text=True, cwd=ROOT)
    status, size, seconds, rss = (out.stdout.split() + ["?"] * 4)[:4]
    print(f"  clerk      /books/incoming.xlsx year {year}: status {status}, {size} bytes, {seconds} s, "
          f"peak RSS {rss} MB {out.stderr[-300:] if status != '200' else ''}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--skip-pg-1m", action="store_true", help="skip PostgreSQL at 1M (slow to seed)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--roles", default="", help="only these users (leader, clerk, archivist, specialist, "
                                                    "unit_head, kt_specialist, kt_unit_head); default all")
    parser.add_argument("--no-xlsx", action="store_true", help="skip the year's XLSX")
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "docflow-bench"))
    parser.add_argument("--measure-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        measure(args.measure_only, args.repeat, tuple(filter(None, args.roles.split(","))), args.no_xlsx)
        return
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for n in (int(s) for s in args.sizes.split(",")):
        for kind in kinds:
            if kind == "postgresql" and n >= 1_000_000 and args.skip_pg_1m:
                print(f"== {kind} {n}: skipped (--skip-pg-1m)")
                continue
            url = prepare(kind, n, cache)
            print(f"== {kind}, {n} documents ({url})", flush=True)
            # a fresh process per database: the app binds its engine at start
            subprocess.run([sys.executable, __file__, "--measure-only", url, "--repeat", str(args.repeat), "--roles",
                            args.roles] + (["--no-xlsx"] if args.no_xlsx else []), check=False)


if __name__ == "__main__":
    main()
