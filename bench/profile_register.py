"""In-process cost of one registration: POST /api/v1/incoming through Flask's test client (no HTTP,
no gunicorn), on a scratch database built like bench/register.py builds it.

Run from the project directory:

    .venv/bin/python bench/profile_register.py [--db sqlite|postgresql] [--requests 500]
                                               [--profile] [--sort tottime] [--top 40] [--sql]

It prints the mean wall and CPU time per request, the mean number of SQL statements per request
(--sql lists one request's statements), and with --profile the cProfile table of the timed requests.
"""

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.register import PASSWORD, Database, environment, payload, setup_docflow  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="print the cProfile table")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sql", action="store_true", help="list the SQL statements of one request")
    parser.add_argument("--turn", action="store_true",
                        help="SQLite: also the time each registration holds the writers' turn (core/tx.py), the "
                             "serial part of a registration that bounds the throughput of all workers together")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="docflow-prof-"))
    db = Database(args.db, tmp)
    db.create()
    try:
        env = environment(db)
        setup_docflow(db, env)
        for key in ("DATABASE_URL", "DOCFLOW_ENV", "SECRET_KEY", "DOCFLOW_STORAGE_DIR"):
            os.environ[key] = env[key]
        import logging

        import sqlalchemy as sa

        from docflow import create_app, settle
        from docflow.extensions import db as sqla

        app = settle(create_app())  # as wsgi.py serves it
        logging.getLogger().setLevel(logging.WARNING)
        client = app.test_client()
        response = client.post("/api/v1/auth/tokens", json={"username": "benchclerk", "password": PASSWORD,
                                                            "name": "prof"})
        assert response.status_code == 201, response.get_data(as_text=True)
        headers = {"Authorization": f"Bearer {response.get_json()['token']}", "Content-Type": "application/json"}

        statements: list[str] = []
        with app.app_context():
            engine = sqla.engine

        if engine.dialect.name == "sqlite":
            # every statement SQLite runs, those run on the cursor (docflow/core/direct.py) included
            @sa.event.listens_for(engine, "connect")
            def _trace(dbapi_connection, _record):
                dbapi_connection.set_trace_callback(statements.append)

            engine.dispose()  # the pooled connections are made again, traced
        else:  # PostgreSQL: SQLAlchemy's statements only (core/direct.py's are not counted)
            @sa.event.listens_for(engine, "before_cursor_execute")
            def _count(_conn, _cursor, statement, *_rest):
                statements.append(statement)

        def post(i: int) -> None:
            r = client.post("/api/v1/incoming", data=payload("P", i), headers=headers)
            assert r.status_code == 201, r.get_data(as_text=True)

        for i in range(30):  # warm-up
            post(i)
        if args.sql:
            statements.clear()
            post(10**6)
            for s in statements:
                print("  " + " ".join(s.split())[:160])
            print()
        statements.clear()
        held: list[tuple[float, float]] = []
        if args.turn:
            from docflow.core import tx

            take, give = tx._take_write_turn, tx._give_back_write_turn
            started: list[tuple[float, float]] = []

            def taking(info, path, *a, **k):
                take(info, path, *a, **k)
                started.append((time.perf_counter(), time.thread_time()))

            def giving(info):
                if info.get("write_turn") and started:
                    wall0, cpu0 = started.pop()
                    held.append((time.perf_counter() - wall0, time.thread_time() - cpu0))
                give(info)

            tx._take_write_turn, tx._give_back_write_turn = taking, giving
        profiler = cProfile.Profile() if args.profile else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for i in range(100, 100 + args.requests):
            post(i)
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        n = args.requests
        print(f"{args.db}: {n} registrations in-process: {wall / n * 1000:.2f} ms wall, {cpu / n * 1000:.2f} ms CPU"
              f" per request, {len(statements) / n:.1f} SQL statements per request"
              + (" (under cProfile)" if profiler else ""))
        if held:
            print(f"  the writers' turn held {len(held) / n:.2f} times per request: "
                  f"{sum(w for w, _ in held) / n * 1000:.2f} ms wall, {sum(c for _, c in held) / n * 1000:.2f} ms CPU"
                  " per request")
        if profiler:
            profiler.dump_stats(str(Path(tempfile.gettempdir()) / "profile_register.prof"))
            pstats.Stats(profiler).strip_dirs().sort_stats(args.sort).print_stats(args.top)
        with app.app_context():
            sqla.session.remove()
            sqla.engine.dispose()
    finally:
        db.drop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
