"""Builders for the search tests: documents registered and drafted through the API."""

from contextlib import contextmanager

import sqlalchemy as sa

_n = {"i": 0}


def register(api, clerk, subject, **extra):
    _n["i"] += 1
    body = {"sender_name": "Sở Nội vụ", "number_symbol": f"{_n['i']}/SNV-VP", "issued_date": "2026-01-05",
            "received_date": "2026-01-06", "doc_type": "CV", "subject": subject, **extra}
    response = api(clerk).post("/incoming", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def draft(api, user, subject, **extra):
    body = {"doc_type": "CV", "subject": subject, "recipients": [{"name": "Sở Tài chính"}], **extra}
    response = api(user).post("/outgoing", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def search(api, user, **params):
    response = api(user).get("/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def ids(api, user, **params) -> set[int]:
    return {item["id"] for item in search(api, user, per_page=200, **params)["items"]}


@contextmanager
def statements_said(engine):
    """The SQL statements the engine is sent inside the block, in order (a list filled as they run)."""
    said = []

    def seen(conn, cursor, statement, *args):
        said.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        yield said
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
