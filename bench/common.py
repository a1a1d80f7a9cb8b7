"""What the benchmarks share: the seeded databases they build or reuse, the `flask` command line
they drive, and percentiles."""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"


def size_name(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def database_url(kind: str, n: int, cache: Path, *, sqlite_stem: str = "bench", pg_stem: str = "docflow_bench_") -> str:
    """sqlite: `<cache>/<sqlite_stem>-sqlite-<n>.db`; postgresql: the database `<pg_stem><100k|1m>`.
    The list, search and statistics benchmarks share one seeded database per backend and size (the
    defaults): seeding a million documents takes minutes."""
    if kind == "sqlite":
        return f"sqlite:///{cache}/{sqlite_stem}-sqlite-{n}.db"
    return PG + f"{pg_stem}{size_name(n)}"


def flask(url: str, *args, check=True, capture=True):
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi.py"}
    return subprocess.run([str(VENV_BIN / "flask"), *args], cwd=ROOT, env=env, check=check, text=True,
                          capture_output=capture)


def seeded(url: str, n: int) -> None:
    """Create (PostgreSQL) and upgrade the database, seed it up to `n` documents with
    `flask docflow seed --years 5`, and vacuum and analyze it on PostgreSQL."""
    if url.startswith(PG):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                        f"CREATE DATABASE {url[len(PG):]}"], capture_output=True)
    elif url.startswith("sqlite:///"):  # the cache directory, when a benchmark's prepare() is called alone
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    flask(url, "db", "upgrade")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        have = conn.scalar(sa.text("SELECT count(*) FROM documents"))
    if have < n:
        print(f"seeding {url} with {n - have} documents ...", flush=True)
        started = time.perf_counter()
        out = flask(url, "docflow", "seed", "--documents", str(n - have), "--years", "5")
        rate = [line for line in out.stdout.splitlines() if "documents/s" in line]
        print(f"  seeded in {time.perf_counter() - started:.0f} s (wall, with start-up); {' '.join(rate)}",
              flush=True)
    if engine.dialect.name == "postgresql":
        # the database at rest, as autovacuum leaves it: every table's statistics and visibility map (the
        # users' and the benchmark's own rows too; `flask docflow seed` vacuums the tables it fills)
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99."""
    s = sorted(samples)
    if len(s) == 1:
        return s[0], s[0], s[0]
    q = statistics.quantiles(s, n=100, method="inclusive")
    return q[49], q[94], q[98]
