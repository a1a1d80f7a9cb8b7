"""Transaction phases of a request on SQLite.

A write request (POST, PATCH, ...) begins its transactions with BEGIN IMMEDIATE, taking the write
lock up front (a deferred transaction that later writes fails at once with "database is locked").
Once the request has committed its change, what is left (serialising the answer) only reads:
`reads_only()` lets those transactions begin deferred so they do not queue behind other writers.
On PostgreSQL this changes nothing.
"""

from flask import g, has_request_context


def reads_only() -> None:
    if has_request_context():
        g.db_write = False
