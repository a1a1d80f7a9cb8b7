"""Registration throughput: docflow's POST /api/v1/incoming against a bare endpoint.

Run from the project directory:

    .venv/bin/python bench/register.py [--db sqlite|postgresql|both] [--requests 2000] [--seconds 20]
                                       [--clients 8] [--workers 2] [--rounds 3]

For each database (SQLite: a file in a temporary directory; PostgreSQL: a temporary database on
127.0.0.1:5432, user postgres, trust auth, dropped afterwards) it:

1. builds the docflow schema and reference data with the CLI: `flask db upgrade`,
   `flask docflow init`, `flask docflow unit add`, `flask docflow user add` (a clerk);
2. starts docflow under `gunicorn -w 2 wsgi:app` on a loopback port and gets a bearer token with
   POST /api/v1/auth/tokens; a run registers documents with POST /api/v1/incoming from keep-alive
   client threads (http.client) until --requests are done or --seconds have passed;
3. starts bench/bare_app.py (`gunicorn -w 2 bench.bare_app:app`) beside it on the same database, which
   only draws the number (UPDATE registers ... RETURNING) and inserts the row in one transaction
   (BEGIN IMMEDIATE on SQLite); a run loads it the same way;
4. makes --rounds rounds of one run of each, docflow first, then bare first, ..., so that a change of
   the machine's load between runs weighs on both (the idle server uses no CPU meanwhile);
5. prints requests/s of both per round, each round's ratio and their median (goal of issue 4/9:
   docflow >= 0.4 of bare), the workers' CPU time per request (utime + stime from /proc/<pid>/stat:
   what a request costs, apart from waiting for the CPU or a lock), each gunicorn worker's resident
   memory after the run (VmRSS from /proc/<pid>/status; goal < 200 MB), and checks that the
   register's numbers are still gap-free and unique.

Everything stays on 127.0.0.1; each run is bounded by --requests and --seconds.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORD = "Bench-Passw0rd-2026"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
RATIO_GOAL, RSS_GOAL_MB = 0.40, 200


def _bin(name: str) -> str:
    path = VENV_BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- databases ---------------------------------------------------------------------------------

class Database:
    def __init__(self, kind: str, tmp: Path):
        self.kind = kind
        self.tmp = tmp
        if kind == "sqlite":
            self.url = f"sqlite:///{tmp / 'bench.db'}"
            self.name = None
        else:
            self.name = f"docflow_bench_{os.getpid()}"
            self.url = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.name}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True) as conn:
            conn.execute(sql)

    def create(self) -> None:
        if self.kind == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
            self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.kind == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def numbers(self, year: int) -> tuple[int, int, int, int]:
        """(rows, distinct numbers, max number, counter) of the year's ordinary incoming register."""
        import sqlalchemy as sa

        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                rid, counter = conn.execute(sa.text(
                    "SELECT id, last_number FROM registers WHERE direction = 'incoming' AND year = :y AND "
                    "is_default = :t AND is_confidential = :f"), {"y": year, "t": True, "f": False}).one()
                rows, distinct, top = conn.execute(sa.text(
                    "SELECT count(*), count(DISTINCT number), coalesce(max(number), 0) FROM documents "
                    "WHERE register_id = :r"), {"r": rid}).one()
        finally:
            engine.dispose()
        return rows, distinct, top, counter


def environment(db: Database) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": db.url,
        "BENCH_DATABASE_URL": db.url,
        "FLASK_APP": "wsgi",
        "DOCFLOW_ENV": "development",
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "DOCFLOW_STORAGE_DIR": str(db.tmp / "files"),
        "PYTHONPATH": str(ROOT),
    })
    return env


def flask_cli(env: dict, *args: str) -> None:
    result = subprocess.run([_bin("flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def setup_docflow(db: Database, env: dict) -> None:
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "docflow", "init", "--org-name", "Ủy ban nhân dân tỉnh Đồng Nai", "--org-abbr", "UBND",
              "--org-code", "000.00.00.H19")
    flask_cli(env, "docflow", "unit", "add", "VP", "Văn phòng")
    flask_cli(env, "docflow", "user", "add", "benchclerk", "--password", PASSWORD, "--role", "clerk", "--unit", "VP",
              "--full-name", "Văn thư benchmark")


# ---- servers -----------------------------------------------------------------------------------

class Server:
    def __init__(self, app: str, env: dict, workers: int, log: Path):
        self.port = free_port()
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [_bin("gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "--timeout", "60", app], cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.proc.returncode}); see {self.log.name}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not start in time")

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid:
                pids.append(int(entry.name))
        return sorted(pids)

    def worker_rss_mb(self) -> list[float]:
        out = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out.append(int(line.split()[1]) / 1024)
            except OSError:
                continue
        return out

    def worker_cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far, from /proc/<pid>/stat."""
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ---- the load ----------------------------------------------------------------------------------

def get_token(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/api/v1/auth/tokens", body=json.dumps({"username": "benchclerk", "password": PASSWORD,
                                                                   "name": "bench"}),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 201:
        raise SystemExit(f"token request failed: {response.status} {body[:300]!r}")
    return json.loads(body)["token"]


def payload(tag: str, i: int) -> bytes:
    return json.dumps({"sender_name": "Bộ Tài chính", "number_symbol": f"{i}/{tag}-BTC",
                       "issued_date": date.today().isoformat(), "doc_type": "CV",
                       "subject": f"V/v báo cáo tình hình thực hiện dự toán ngân sách ({tag} {i})"},
                      ensure_ascii=False).encode("utf-8")


def load(port: int, path: str, headers: dict, *, tag: str, requests: int, seconds: float, clients: int) -> dict:
    """Send POSTs from `clients` threads over keep-alive connections (reconnecting when the server
    closes, as gunicorn's sync workers do) until `requests` are done or `seconds` have passed."""
    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "errors": 0, "codes": {}}
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    hdrs = {"Content-Type": "application/json", **headers}

    def take() -> int | None:
        with lock:
            if state["next"] >= requests or time.monotonic() >= deadline:
                return None
            state["next"] += 1
            return state["next"]

    def worker(k: int) -> None:
        conn = None
        mine = []
        while (i := take()) is not None:
            body = payload(f"{tag}{k}", i)
            t0 = time.perf_counter()
            for attempt in (1, 2):
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    conn.request("POST", path, body=body, headers=hdrs)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                    if response.getheader("Connection", "").lower() == "close" or response.will_close:
                        conn.close()
                        conn = None
                    break
                except (ConnectionError, http.client.HTTPException, OSError):
                    if conn is not None:
                        conn.close()
                    conn = None
                    status = -1
                    if attempt == 2:
                        break
            mine.append(time.perf_counter() - t0)
            with lock:
                if status == 201:
                    state["ok"] += 1
                else:
                    state["errors"] += 1
                    state["codes"][status] = state["codes"].get(status, 0) + 1
        if conn is not None:
            conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0

    return {"ok": state["ok"], "errors": state["errors"], "codes": state["codes"], "seconds": elapsed,
            "rps": state["ok"] / elapsed if elapsed else 0.0, "p50": pct(0.50), "p99": pct(0.99)}


def warm_up(port: int, path: str, headers: dict, tag: str) -> None:
    load(port, path, headers, tag=tag, requests=40, seconds=10, clients=2)


# ---- one database ------------------------------------------------------------------------------

def run(kind: str, args) -> dict:
    """Both servers up side by side on one database; `args.rounds` rounds, each loading docflow and the bare
    app one after the other (the order alternating), so that a change in the machine's load between two runs
    weighs on both: a round's ratio compares runs made a few seconds apart."""
    tmp = Path(tempfile.mkdtemp(prefix=f"docflow-bench-{kind}-"))
    db = Database(kind, tmp)
    db.create()
    env = environment(db)
    result = {"db": kind, "rounds": []}
    try:
        setup_docflow(db, env)
        docflow = Server("wsgi:app", env, args.workers, tmp / "gunicorn-docflow.log")
        bare = None
        try:
            bare = Server("bench.bare_app:app", env, args.workers, tmp / "gunicorn-bare.log")
            headers = {"Authorization": f"Bearer {get_token(docflow.port)}"}
            warm_up(docflow.port, "/api/v1/incoming", headers, "W")
            warm_up(bare.port, "/register", {}, "X")
            for i in range(args.rounds):
                one = {}
                order = (("docflow", docflow, "/api/v1/incoming", headers, "D"), ("bare", bare, "/register", {}, "B"))
                for name, server, path, hdrs, tag in (order if i % 2 == 0 else order[::-1]):
                    cpu = server.worker_cpu_seconds()
                    one[name] = load(server.port, path, hdrs, tag=f"{tag}{i}", requests=args.requests,
                                     seconds=args.seconds, clients=args.clients)
                    one[name]["cpu"] = server.worker_cpu_seconds() - cpu
                result["rounds"].append(one)
            result["docflow_rss"] = docflow.worker_rss_mb()
            result["bare_rss"] = bare.worker_rss_mb()
        finally:
            docflow.stop()
            if bare is not None:
                bare.stop()
        result["numbers"] = db.numbers(date.today().year)
    finally:
        db.drop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            result["tmp"] = str(tmp)
    return result


def report(r: dict) -> bool:
    rows, distinct, top, counter = r["numbers"]
    gap_free = rows == distinct == top == counter
    rss = r["docflow_rss"] + r["bare_rss"]
    print(f"\n== {r['db']} ==")
    ratios, errors = [], 0
    for i, one in enumerate(r["rounds"], 1):
        d, b = one["docflow"], one["bare"]
        ratios.append(d["rps"] / b["rps"] if b["rps"] else 0.0)
        errors += d["errors"] + b["errors"]
        print(f"  round {i}" + (" (bare first)" if i % 2 == 0 else ""))
        for name, x in (("docflow POST /api/v1/incoming", d), ("bare    POST /register", b)):
            codes = f" (errors: {x['codes']})" if x["errors"] else ""
            cpu_ms = x["cpu"] / (x["ok"] + x["errors"]) * 1000 if x["ok"] + x["errors"] else 0.0
            print(f"    {name:<31} {x['rps']:8.1f} req/s  {x['ok']:5d} ok / {x['errors']} errors in "
                  f"{x['seconds']:.1f} s  p50 {x['p50']:.1f} ms  p99 {x['p99']:.1f} ms  worker CPU {cpu_ms:.2f} ms"
                  f"/request{codes}")
        print(f"    ratio docflow/bare: {ratios[-1]:.2f}")
    ratio = statistics.median(ratios)
    verdict = "OK" if ratio >= RATIO_GOAL else "MISSED"
    print(f"  ratio docflow/bare, median of {len(ratios)} rounds: {ratio:.2f} "
          f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)}; goal >= {RATIO_GOAL:.2f}) -> {verdict}")
    print("  worker RSS: docflow " + ", ".join(f"{m:.1f} MB" for m in r["docflow_rss"]) + "; bare "
          + ", ".join(f"{m:.1f} MB" for m in r["bare_rss"]))
    print(f"  max worker RSS: {max(rss):.1f} MB (goal < {RSS_GOAL_MB} MB) -> "
          f"{'OK' if max(rss) < RSS_GOAL_MB else 'MISSED'}")
    print(f"  numbers: {rows} rows, {distinct} distinct, max {top}, counter {counter} -> "
          f"{'gap-free and unique' if gap_free else 'NOT gap-free'}")
    if r.get("tmp"):
        print(f"  kept: {r['tmp']}")
    return ratio >= RATIO_GOAL and max(rss) < RSS_GOAL_MB and gap_free and not errors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=2000, help="requests per run (default 2000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="time limit per run (default 20 s)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of (docflow, bare) runs, the order alternating; the ratio is their median "
                             "(default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, SQLite file)")
    args = parser.parse_args(argv)
    args.requests = max(1, min(args.requests, 20000))
    args.seconds = max(1.0, min(args.seconds, 120.0))
    args.rounds = max(1, min(args.rounds, 9))
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    print(f"docflow registration benchmark: gunicorn -w {args.workers}, {args.clients} keep-alive clients, "
          f"up to {args.requests} requests or {args.seconds:.0f} s per run, {args.rounds} rounds, "
          f"CPUs: {os.cpu_count()}")
    ok = True
    for kind in kinds:
        ok = report(run(kind, args)) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
