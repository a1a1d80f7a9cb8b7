"""The seed's rate: `flask docflow seed --documents N --years 5` into an empty scratch database, timed whole.

    flock /tmp/bench.lock nice -n 5 .venv/bin/python bench/seed.py --documents 100000 [--repeat 2]
    flock /tmp/bench.lock nice -n 5 .venv/bin/python bench/seed.py --documents 100000 --drawn-here
    flock /tmp/bench.lock nice -n 5 .venv/bin/python bench/seed.py --db postgresql --documents 100000

Each run: a new scratch database (SQLite: a file under --dir, copied from a template file brought up to the
latest migration first; PostgreSQL: the database `docflow_seed_bench`, dropped and made again from the
template database `docflow_seed_bench_template`, upgraded first), then the `flask` command
in a process of its own, its wall time measured from outside (start-up included) beside its CPU time
(the children's rusage: with the pipelined seed, the drawing process's CPU counts too) and the load
average. `--drawn-here` sets DOCFLOW_SEED_PIPELINE=0: the letters drawn in the writing process, as before.
"""

import argparse
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PG, flask  # noqa: E402

TEMPLATE = "docflow_seed_bench_template"
SCRATCH = "docflow_seed_bench"


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True, capture_output=True)


def _empty_database(kind: str, directory: Path) -> str:
    """A migrated empty database: the template brought up to the latest migration (untimed), then copied."""
    if kind == "sqlite":
        directory.mkdir(parents=True, exist_ok=True)
        template = directory / "empty.db"
        flask(f"sqlite:///{template}", "db", "upgrade")
        with sqlite3.connect(template) as conn:  # the migration's WAL into the file, to copy the file alone
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        target = directory / "seed.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copy(template, target)
        return f"sqlite:///{target}"
    _psql(f"DROP DATABASE IF EXISTS {SCRATCH}")
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {TEMPLATE}"],
                   capture_output=True)  # once
    flask(PG + TEMPLATE, "db", "upgrade")
    _psql(f"CREATE DATABASE {SCRATCH} TEMPLATE {TEMPLATE}")
    return PG + SCRATCH


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/docflow-seed-bench"),  # noqa: S108
                        help="where the SQLite scratch files go")
    parser.add_argument("--drawn-here", action="store_true", help="no second process (DOCFLOW_SEED_PIPELINE=0)")
    args = parser.parse_args()
    if args.drawn_here:
        os.environ["DOCFLOW_SEED_PIPELINE"] = "0"
    for run in range(args.repeat):
        url = _empty_database(args.db, args.dir)
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        out = flask(url, "docflow", "seed", "--documents", str(args.documents), "--years", str(args.years),
                    check=False)
        if out.returncode:
            sys.exit(f"the seed failed:\n{out.stderr[-3000:]}")
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        printed = next((line for line in out.stdout.splitlines() if " documents/s " in line), "")
        print(f"{args.db} {args.documents:,} run {run + 1}: {wall:.1f} s wall, {args.documents / wall:,.0f} "
              f"documents/s; CPU (all processes) {cpu:.1f} s; load {load:.2f} -> {os.getloadavg()[0]:.2f}"
              f"{' (drawn here)' if args.drawn_here else ''}\n    the command: {printed.strip()}", flush=True)


if __name__ == "__main__":
    main()
