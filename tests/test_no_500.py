"""Bad input never gives a 500: every page and API route, as every role, with junk query strings,
junk forms and junk JSON, on real and on unknown ids."""

import pytest

from docflow.core.timeutil import today
from tests.conftest import PASSWORD

JUNK_QUERY = {"page": "abc", "per_page": "-7", "status": "\x00zz", "year": "20x6", "from": "32/13/2026",
              "to": "2026-02-30", "q": "%_\\'\"", "state": "nope", "overdue": "maybe", "role": "king",
              "unit": "99999999999999999999", "register_id": "-1", "confidential": "\u0111", "verify": "1",
              "action": "%", "last": "abc", "direction": "sideways", "next": "//evil.example"}
HUGE = "99999999999999999999"
HUGE_QUERY = {key: HUGE for key in JUNK_QUERY} | {"from": "01/01/99999", "to": "99999-01-01"}
JUNK_FORM = {"version": "abc", "due_date": "2026-02-30", "issued_date": "31/02/2026", "received_date": "x",
             "leader_id": "99999999999999999999", "user_id": "-3", "unit_id": "abc", "assignees": "x",
             "primary": "user:999999", "coordinate": ["unit:abc", "user:"], "inform": "nonsense",
             "comment": "x" * 5000, "result": "", "note": "\x00", "reason": "", "channel": "pigeon",
             "recipient_ids": ["abc", "99999999999"], "envelopes": "-1", "doc_type": "??", "subject": "",
             "confidentiality": "cosmic", "urgency": "yesterday", "pages": "-1", "copies": "1e9",
             "sender_id": "abc", "sender_name": "x" * 400, "number_symbol": "", "force": "maybe",
             "holidays": "31/02/2026", "days_normal": "abc", "roles": ["emperor"], "clearance": "cosmic",
             "code": "!!", "name": "", "parent_id": "abc", "successor_id": "99999999999", "active": "perhaps",
             "steps-0-kind": "boss", "steps-0-days": "-4", "year": "99999"}
JUNK_JSON = {"version": "abc", "assignees": [{"user_id": "x", "role": "boss"}], "due_date": "2026-02-30",
             "comment": None, "channel": 3, "recipients": "all", "issued_date": "yesterday", "steps": "many",
             "doc_type": ["CV"], "subject": {"a": 1}, "leader_id": 99999999999999999999}


@pytest.fixture
def documents(api, users, db):
    """An assigned incoming document (with an assignment) and a draft in review."""
    clerk, leader = api(users["clerk"]), api(users["leader"])
    doc = clerk.post("/incoming", json={"sender_name": "Sở Nội vụ", "number_symbol": "1/SNV",
                                        "issued_date": today().isoformat(), "subject": "Thử"}).get_json()
    assigned = leader.post(f"/incoming/{doc['id']}/assign", json={
        "assignees": [{"unit_id": users["unit_head"].unit_id, "role": "primary"}]}).get_json()
    draft = api(users["specialist"]).post("/outgoing", json={"doc_type": "CV", "subject": "Dự thảo"}).get_json()
    return {"doc_id": doc["id"], "assignment_id": assigned["assignments"][0]["id"], "draft_id": draft["id"]}


def _paths(app, documents, unknown: bool):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("bootstrap") or \
                rule.rule in ("/auth/logout", "/auth/login", "/api/v1/auth/tokens"):
            continue
        values = {}
        for arg in rule.arguments:
            if unknown:
                values[arg] = 999999
            elif arg == "doc_id":
                values[arg] = documents["draft_id"] if rule.rule.startswith(("/outgoing", "/api/v1/outgoing")) \
                    else documents["doc_id"]
            elif arg == "assignment_id":
                values[arg] = documents["assignment_id"]
            elif arg == "code":
                values[arg] = "xx"
            else:
                values[arg] = 1
        path = rule.rule
        for arg, value in values.items():
            path = path.replace(f"<int:{arg}>", str(value)).replace(f"<{arg}>", str(value))
        yield path, sorted(rule.methods - {"HEAD", "OPTIONS"})


@pytest.mark.parametrize("role", ["admin", "clerk", "leader", "unit_head", "specialist", "archivist"])
def test_no_route_answers_500_to_junk(app, users, documents, token_for, role):
    client = app.test_client()
    assert client.post("/auth/login", data={"username": users[role].username, "password": PASSWORD}
                       ).status_code == 302
    bearer = {"Authorization": f"Bearer {token_for(users[role])}"}
    failures = []
    for unknown in (False, True):
        for path, methods in _paths(app, documents, unknown):
            api = path.startswith("/api/")
            for method in methods:
                kwargs = {"headers": bearer} if api else {}
                if method == "GET":
                    variants = [{"query_string": JUNK_QUERY}, {"query_string": HUGE_QUERY}]
                elif api:
                    variants = [{"json": JUNK_JSON}, {"json": {key: int(HUGE) for key in JUNK_JSON}},
                                {"data": b"{not json", "content_type": "application/json"}]
                else:
                    variants = [{"data": JUNK_FORM}, {"data": {key: HUGE for key in JUNK_FORM}}, {}]
                # an unknown id is refused before the input is read (404): one junk variant is enough there
                for variant in variants[:1] if unknown else variants:
                    response = client.open(path, method=method, **kwargs, **variant)
                    response.close()
                    if response.status_code >= 500:
                        failures.append((method, path, response.status_code, sorted(variant)))
    assert not failures, failures
