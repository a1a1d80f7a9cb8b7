"""The one visibility rule (registry/access.py) over roles × clearance × assignment, checked through
GET /incoming/{id}, GET /incoming (items and total), GET /tasks, services.list_incoming, attachment
downloads and the incoming register's XLSX export."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from docflow.core.timeutil import today

NORMAL = {"N0", "N_spec", "N_kt", "N_spec2", "N_vx", "N_vxspec"}
CONFIDENTIAL = {"C0", "C_spec_direct", "C_kt"}
SECRET = {"S0", "S_kthead"}
TOP_SECRET = {"T0"}
ALL = NORMAL | CONFIDENTIAL | SECRET | TOP_SECRET

# who sees what: written out by hand from the rule, not computed from it
EXPECTED_DOCS = {
    "admin": NORMAL,  # office-wide, normal clearance
    "clerk": NORMAL | CONFIDENTIAL | SECRET,  # office-wide, secret clearance
    "leader": ALL,  # office-wide, top secret
    "leader_n": NORMAL,  # a leader without clearance
    "archivist": NORMAL | CONFIDENTIAL,
    # KT's head (confidential): what KT or a person of KT takes part in, up to confidential
    "unit_head": {"N_spec", "N_kt", "N_spec2", "C_spec_direct", "C_kt"},
    # a KT specialist (normal): their own, and KT's as a unit; not a colleague's, not above clearance
    "specialist": {"N_spec", "N_kt"},
    "kt_spec2": {"N_spec2", "N_kt"},
    "kt_spec_c": {"N_kt", "C_kt"},
    "vx_head": {"N_vx", "N_vxspec"},
    "vx_spec": {"N_vx", "N_vxspec"},
}

# the caller's inbox: their own assignments, and their unit's when they head it; only visible documents
EXPECTED_TASKS = {
    "admin": set(), "clerk": set(), "leader": set(), "leader_n": set(), "archivist": set(),
    "unit_head": {"N_kt", "C_kt"},  # its own assignment on S_kthead is above its clearance
    "specialist": {"N_spec"},  # the directly-made assignment on C_spec_direct is hidden
    "kt_spec2": {"N_spec2"},
    "kt_spec_c": set(),
    "vx_head": {"N_vx"},
    "vx_spec": {"N_vxspec"},
}


@pytest.fixture
def world(users, make_user, office, db):
    from docflow.incoming import services
    from docflow.incoming.models import Assignment
    from docflow.registry.models import Participant

    people = {**users,
              "leader_n": make_user("leader", unit="VP", clearance="normal", username="leadern"),
              "kt_spec2": make_user("specialist", unit="KT", username="speckt2"),
              "kt_spec_c": make_user("specialist", unit="KT", clearance="confidential", username="specktc"),
              "vx_head": make_user("unit_head", unit="VX", clearance="confidential", username="headvx"),
              "vx_spec": make_user("specialist", unit="VX", username="specvx")}
    top_clerk = make_user("clerk", unit="VP", clearance="top_secret", username="clerktop")
    levels = {**{k: "normal" for k in NORMAL}, **{k: "confidential" for k in CONFIDENTIAL},
              **{k: "secret" for k in SECRET}, **{k: "top_secret" for k in TOP_SECRET}}
    docs = {}
    for i, (label, level) in enumerate(sorted(levels.items())):
        docs[label] = services.register_incoming(
            {"sender_name": "Bộ Nội vụ", "number_symbol": f"{i + 1}/BNV-{label}", "issued_date": today(),
             "subject": f"Văn bản {label}", "confidentiality": level}, actor=top_clerk)
    db.session.flush()

    def assign(label, **assignee):
        services.assign(docs[label], actor=people["leader"], instruction="Xử lý",
                        assignees=[{**assignee, "role": "primary"}])

    assign("N_spec", user_id=people["specialist"].id)
    assign("N_kt", unit_id=office["KT"].id)
    assign("N_spec2", user_id=people["kt_spec2"].id)
    assign("N_vx", unit_id=office["VX"].id)
    assign("N_vxspec", user_id=people["vx_spec"].id)
    assign("C_kt", unit_id=office["KT"].id)
    # the service refuses an uncleared assignee, so these are written directly
    for label, user in (("C_spec_direct", people["specialist"]), ("S_kthead", people["unit_head"])):
        db.session.add(Participant(document_id=docs[label].id, user_id=user.id, unit_id=user.unit_id,
                                   role="primary"))
        db.session.add(Assignment(document_id=docs[label].id, user_id=user.id, role="primary", state="open",
                                  due_date=today() + timedelta(days=5)))
    from docflow.search.indexer import retag

    retag(docs[label].id for label in ("C_spec_direct", "S_kthead"))  # what the flows' events would do
    import io

    from docflow.registry.attachments import add_attachment
    from tests.fixtures import files as F

    for label, doc in docs.items():  # one scan per document, for the download checks
        add_attachment(doc, io.BytesIO(F.png_bytes()), actor=top_clerk, filename=f"{label}.png")
    db.session.commit()
    ids = {label: doc.id for label, doc in docs.items()}
    return people, ids


def _labels(ids, doc_ids):
    by_id = {v: k for k, v in ids.items()}
    return {by_id[i] for i in doc_ids}


def test_visibility_through_the_service(world, db):
    from docflow.incoming import services
    from docflow.registry import access
    from docflow.registry.models import Document

    people, ids = world
    for name, expected in EXPECTED_DOCS.items():
        user = people[name]
        stmt = services.list_incoming(user)
        got = _labels(ids, [d.id for d in db.session.scalars(stmt)])
        assert got == expected, name
        count = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
        assert count == len(expected), name
        for label, doc_id in ids.items():
            assert access.can_view(user, db.session.get(Document, doc_id)) == (label in expected), (name, label)
        # the rule written as a probe of each document (for statements starting from a few) says the same
        probed = db.session.scalars(sa.select(Document.id).where(access.visible_filter(user, probe=True)))
        assert _labels(ids, probed) == expected, name
        tasks = {a.document_id for a in db.session.scalars(services.tasks(user, "open"))}
        assert _labels(ids, tasks) == EXPECTED_TASKS[name], name


def test_visibility_through_the_api(world, api):
    people, ids = world
    for name, expected in EXPECTED_DOCS.items():
        caller = api(people[name])
        listed = caller.get("/incoming?per_page=200")
        assert listed.status_code == 200
        body = listed.get_json()
        assert _labels(ids, [d["id"] for d in body["items"]]) == expected, name
        assert body["total"] == len(expected), name
        # a small page still counts everything visible
        assert caller.get("/incoming?per_page=1").get_json()["total"] == len(expected), name
        for label, doc_id in ids.items():
            response = caller.get(f"/incoming/{doc_id}")
            if label in expected:
                assert response.status_code == 200, (name, label)
                assert response.get_json()["id"] == doc_id
            else:
                assert response.status_code == 404, (name, label, response.status_code)  # never 403
                assert response.mimetype == "application/problem+json"
        tasks = caller.get("/tasks?state=open&per_page=200").get_json()
        assert _labels(ids, [t["document_id"] for t in tasks["items"]]) == EXPECTED_TASKS[name], name
        assert tasks["total"] == len(EXPECTED_TASKS[name]), name


def test_actions_on_an_invisible_document_are_404_not_403(world, api):
    people, ids = world
    spec = api(people["specialist"])
    doc_id = ids["C_spec_direct"]  # they even hold an assignment on it, but are not cleared
    for path, body in (("progress", {"note": "x"}), ("complete", {"result": "x"}), ("opinion", {"opinion": "x"}),
                       ("read", None), ("submit", {}), ("assign", {"assignees": [{"user_id": 1, "role": "primary"}]})):
        response = spec.post(f"/incoming/{doc_id}/{path}", json=body) if body is not None else \
            spec.post(f"/incoming/{doc_id}/{path}")
        assert response.status_code == 404, (path, response.get_data(as_text=True))
    assert spec.patch(f"/incoming/{doc_id}", json={"version": 1, "subject": "x"}).status_code == 404
    assert spec.get(f"/incoming/{ids['N_vx']}").status_code == 404  # another unit's


def test_search_and_filters_do_not_leak(world, api, db):
    from docflow.incoming import services

    people, ids = world
    spec = api(people["specialist"])
    # q over the sender / symbol of a hidden document finds nothing
    body = spec.get("/incoming?q=BNV-C_spec_direct").get_json()
    assert body["total"] == 0 and body["items"] == []
    assert spec.get("/incoming?q=BNV-N_spec").get_json()["total"] == 1
    assert spec.get("/incoming?status=assigned&per_page=200").get_json()["total"] == 2
    # a LIKE wildcard is taken literally
    assert db.session.scalars(services.list_incoming(people["leader"], q="%")).all() == []
    assert len(db.session.scalars(services.list_incoming(people["leader"], q="bnv")).all()) == len(ALL)


def test_inactive_user_sees_nothing(world, db):
    from docflow.incoming import services

    people, _ids = world
    leader = people["leader"]
    leader.is_active_flag = False
    db.session.flush()
    assert db.session.scalars(services.list_incoming(leader)).all() == []
    db.session.rollback()


BOOK_ROLES = {"admin", "clerk", "leader", "leader_n", "archivist"}


def test_no_leak_through_attachment_downloads_or_register_exports(world, api, db):
    """The same matrix through the two other ways out: downloading a document's file, and the
    incoming register's XLSX (ordinary and confidential books)."""
    import io

    import openpyxl

    from docflow.registry.books import XLSX_HEADER_ROW
    from docflow.registry.models import Attachment

    people, ids = world
    files = {label: db.session.scalar(sa.select(Attachment.id).where(Attachment.document_id == doc_id))
             for label, doc_id in ids.items()}
    first_day = today().replace(month=1, day=1).isoformat()
    for name, expected in EXPECTED_DOCS.items():
        caller = api(people[name])
        for label, att_id in files.items():
            response = caller.get(f"/attachments/{att_id}")
            response.close()  # the body is a file of the store
            assert response.status_code == (200 if label in expected else 404), (name, label)
        if name not in BOOK_ROLES:
            assert caller.get("/books/incoming.xlsx").status_code == 403, name
            continue
        for confidential, book in ((False, NORMAL), (True, ALL - NORMAL)):
            response = caller.get("/books/incoming.xlsx", query_string={"from": first_day,
                                                                        "confidential": int(confidential)})
            if confidential and not people[name].cleared_for("confidential"):
                assert response.status_code in (403, 422), name  # no confidential book at all
                continue
            assert response.status_code == 200, (name, confidential)
            sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
            symbols = [row[3] for row in sheet.iter_rows(min_row=XLSX_HEADER_ROW + 1, values_only=True)]
            labels = {symbol.split("-", 1)[1] for symbol in symbols}
            assert labels == expected & book, (name, confidential)


def test_the_rule_is_built_once_per_request_and_follows_the_user(world, db):
    """visible_filter is remembered for the application context (a request) by the user's id, roles,
    clearance, unit and active flag and by its shape: asked again it is the same condition; a user whose
    roles or clearance change within it is given the rule of what they are now."""
    from docflow.incoming import services
    from docflow.registry import access

    people, ids = world
    user = people["specialist"]
    assert access.visible_filter(user) is access.visible_filter(user)
    assert access.visible_filter(user, probe=True) is not access.visible_filter(user)
    assert _labels(ids, [d.id for d in db.session.scalars(services.list_incoming(user))]) == EXPECTED_DOCS["specialist"]
    user.clearance = "top_secret"
    user.set_roles(["leader"])
    db.session.flush()
    assert _labels(ids, [d.id for d in db.session.scalars(services.list_incoming(user))]) == ALL
    db.session.rollback()
