"""The floor for bench/register.py: a tiny Flask app that only draws an arrival number and inserts
the document row, on the docflow database given in $BENCH_DATABASE_URL (no docflow code).

POST /register (JSON: sender_name, number_symbol, issued_date, subject) runs, in one transaction,
`UPDATE registers SET last_number = last_number + 1 ... RETURNING last_number` and
`INSERT INTO documents ...`, with BEGIN IMMEDIATE on SQLite (as docflow does), and answers 201
with {"id", "number"}. Run: `gunicorn -w 2 bench.bare_app:app` (bench/register.py does).
"""

import os
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import Flask, abort, jsonify, request

URL = os.environ.get("BENCH_DATABASE_URL", "sqlite:///bench.db")
if URL.startswith("postgresql://"):
    URL = "postgresql+psycopg://" + URL[len("postgresql://"):]

engine = sa.create_engine(URL, connect_args={"timeout": 30} if URL.startswith("sqlite") else {},
                          pool_pre_ping=not URL.startswith("sqlite"))

if engine.dialect.name == "sqlite":
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_con, _record):
        dbapi_con.isolation_level = None
        cur = dbapi_con.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

DRAW = sa.text("UPDATE registers SET last_number = last_number + 1 WHERE id = :rid RETURNING last_number")
INSERT = sa.text(
    "INSERT INTO documents (direction, register_id, year, number, number_symbol, doc_type_id, subject, sender_name,"
    " issued_date, received_date, urgency, confidentiality, medium, status, dup_key, version, created_at,"
    " updated_at) VALUES ('incoming', :rid, :year, :number, :symbol, :type_id, :subject, :sender, :issued,"
    " :received, 'normal', 'normal', 'paper', 'registered', :dup, 1, :now, :now) RETURNING id")

_ids: dict = {}


def _reference(year: int) -> tuple[int, int]:
    """(the year's default ordinary incoming register, the id of doc type CV), looked up once."""
    if year not in _ids:
        with engine.connect() as conn:
            rid = conn.execute(sa.text("SELECT id FROM registers WHERE direction = 'incoming' AND year = :y AND "
                                       "is_default = :t AND is_confidential = :f"),
                               {"y": year, "t": True, "f": False}).scalar_one()
            type_id = conn.execute(sa.text("SELECT id FROM doc_types WHERE code = 'CV'")).scalar_one()
            conn.commit()
        _ids[year] = (rid, type_id)
    return _ids[year]


app = Flask(__name__)


@app.post("/register")
def register():
    body = request.get_json(silent=True) or {}
    try:
        symbol = str(body["number_symbol"])[:60]
        subject = str(body["subject"])[:1000]
        issued = date.fromisoformat(body["issued_date"])
    except (KeyError, ValueError, TypeError):
        abort(422)
    received = date.today()
    rid, type_id = _reference(received.year)
    with engine.begin() as conn:
        number = conn.execute(DRAW, {"rid": rid}).scalar_one()
        doc_id = conn.execute(INSERT, {"rid": rid, "year": received.year, "number": number, "symbol": symbol,
                                       "type_id": type_id, "subject": subject,
                                       "sender": body.get("sender_name"), "issued": issued, "received": received,
                                       "dup": f"{symbol}|{issued}", "now": datetime.now(UTC).replace(tzinfo=None)}
                              ).scalar_one()
    return jsonify(id=doc_id, number=number), 201


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
