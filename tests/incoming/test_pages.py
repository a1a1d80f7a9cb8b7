"""The incoming pages (register, list, detail and its actions, task inbox, notifications, dashboard):
each goes through incoming.services, shows only what the visibility rule allows, refuses the wrong
role with 403, puts a service's field errors on the form without writing anything, and never
answers 500 to bad input."""

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

# A 1×1 PNG: the attachment service accepts files by their content.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6300010000"
    "0500010d0a2db40000000049454e44ae426082")


# ---- helpers ---------------------------------------------------------------------------------

@pytest.fixture
def office_people(users, make_user):
    """The role users, plus a specialist of another unit and an organisation to pick."""
    from docflow.registry import reference

    people = dict(users)
    people["other_specialist"] = make_user("specialist", unit="VX", username="spec_vx")
    people["colleague"] = make_user("specialist", unit="KT", username="spec_kt2")
    reference.save_organization({"name": "Sở Nội vụ", "abbr": "SNV", "code": "000.00.01.H19"})
    reference.save_organization({"name": "Sở Tài chính", "abbr": "STC", "code": "000.00.02.H19"})
    from docflow.extensions import db

    db.session.commit()
    return people


@pytest.fixture
def as_user(client, login_as):
    """Log in (a fresh session each time) with English pages, whatever catalogs exist."""

    def do(user):
        client.post("/auth/logout")
        login_as(user)
        client.post("/auth/lang/en")
        return client

    return do


def _today():
    from docflow.core.timeutil import today

    return today()


def _form(**overrides) -> dict:
    day = _today()
    data = {"sender_name": "Sở Nội vụ", "number_symbol": "125/SNV-VP", "issued_date": (day - timedelta(days=3)).isoformat(),
            "received_date": day.isoformat(), "doc_type": "CV", "subject": "Về việc cử cán bộ dự tập huấn",
            "signer": "Nguyễn Văn A", "urgency": "normal", "confidentiality": "normal", "pages": "2", "copies": "1",
            "medium": "paper", "due_date": "", "notes": "", "submit": "Save"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _docs(db):
    from docflow.registry.models import Document

    db.session.expire_all()
    return db.session.scalars(sa.select(Document).order_by(Document.id)).all()


def _assignments(db, doc_id):
    from docflow.incoming.models import Assignment

    db.session.expire_all()
    return db.session.scalars(sa.select(Assignment).where(Assignment.document_id == doc_id)
                              .order_by(Assignment.id)).all()


def _register(client, **overrides):
    response = client.post("/incoming/new", data=_form(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _text(response) -> str:
    return response.get_data(as_text=True)


def _registered(client, db, people, **overrides):
    """A document registered by the clerk, and its id."""
    client_ = client
    client_.post("/auth/logout")
    return _register(client_, **overrides)


def _present(as_user, people, doc_id):
    client = as_user(people["clerk"])
    response = client.post(f"/incoming/{doc_id}/present", data={"present-leader_id": str(people["leader"].id)})
    assert response.status_code == 302, _text(response)[:3000]


def _assign(as_user, people, doc_id, primary, coordinators=(), informed=(), due=None):
    client = as_user(people["leader"])
    data = {"assign-instruction": "Phòng Kinh tế chủ trì, tham mưu trả lời.", "assign-primary": primary,
            "assign-coordinators": list(coordinators), "assign-informed": list(informed)}
    if due:
        data["assign-due_date"] = due
    return client.post(f"/incoming/{doc_id}/assign", data=data)


def _new_document(as_user, people, **overrides) -> int:
    client = as_user(people["clerk"])
    return _register(client, **overrides)


def _assigned_to(as_user, people, db, primary, **kw) -> int:
    doc_id = _new_document(as_user, people, **kw)
    _present(as_user, people, doc_id)
    response = _assign(as_user, people, doc_id, primary)
    assert response.status_code == 302, _text(response)[:3000]
    return doc_id


# ---- the whole flow --------------------------------------------------------------------------

def test_full_flow_register_present_assign_progress_complete(office_people, as_user, db, office):
    p = office_people
    client = as_user(p["clerk"])
    page = client.get("/incoming/new")
    assert page.status_code == 200
    html = _text(page)
    assert 'id="sender_name"' in html and "autofocus" in html and 'list="org-options"' in html
    assert f'value="{_today():%d/%m/%Y}"' in html  # the arrival date defaults to today
    assert "js/register.js" in html and "<script>" not in html  # no inline script (CSP)

    response = client.post("/incoming/new", data=_form(), follow_redirects=True)
    assert response.status_code == 200
    doc = _docs(db)[0]
    assert doc.number == 1 and doc.status == "registered"
    assert doc.sender_org is not None and doc.sender_org.abbr == "SNV"  # the typed name is the organisation
    assert re.search(r'id="arrival-number">[^<]*1<', _text(response))

    # present to the leader: the leader gets a notification
    response = client.post(f"/incoming/{doc.id}/present", data={"present-leader_id": str(p["leader"].id)})
    assert response.status_code == 302
    assert _docs(db)[0].status == "submitted"

    # the leader directs: the KT unit leads, a VX specialist coordinates, the archivist is informed
    client = as_user(p["leader"])
    page = _text(client.get(f"/incoming/{doc.id}"))
    assert 'id="assign-form"' in page and 'id="present-form"' not in page
    unit_kt = office["KT"]
    response = _assign(as_user, p, doc.id, f"unit:{unit_kt.id}", coordinators=[f"user:{p['other_specialist'].id}"],
                       informed=[f"user:{p['archivist'].id}"])
    assert response.status_code == 302, _text(response)[:3000]
    rows = _assignments(db, doc.id)
    assert [(a.role, a.unit_id, a.user_id, a.state) for a in rows] == [
        ("primary", unit_kt.id, None, "open"), ("coordinate", None, p["other_specialist"].id, "open"),
        ("inform", None, p["archivist"].id, "open")]
    assert _docs(db)[0].status == "assigned"

    # the unit head hands the unit's lead on to a specialist of the unit
    client = as_user(p["unit_head"])
    page = _text(client.get(f"/incoming/{doc.id}"))
    assert f"/assignments/{rows[0].id}/delegate" in page
    response = client.post(f"/incoming/{doc.id}/assignments/{rows[0].id}/delegate",
                           data={f"delegate-{rows[0].id}-user_id": str(p["specialist"].id),
                                 f"delegate-{rows[0].id}-note": "Đồng chí A xử lý."})
    assert response.status_code == 302, _text(response)[:3000]
    child = _assignments(db, doc.id)[-1]
    assert child.user_id == p["specialist"].id and child.parent_id == rows[0].id

    # the coordinator gives an opinion; the informed person marks it read
    client = as_user(p["other_specialist"])
    page = _text(client.get(f"/incoming/{doc.id}"))
    assert 'id="opinion-form"' in page and 'id="complete-form"' not in page
    assert client.post(f"/incoming/{doc.id}/opinion", data={"opinion-opinion": "Thống nhất."}).status_code == 302
    client = as_user(p["archivist"])
    assert 'id="read-form"' in _text(client.get(f"/incoming/{doc.id}"))
    assert client.post(f"/incoming/{doc.id}/read").status_code == 302

    # the handler notes progress, then completes with the reply's number
    client = as_user(p["specialist"])
    tasks = _text(client.get("/incoming/tasks"))
    assert f"/incoming/{doc.id}" in tasks
    response = client.post(f"/incoming/{doc.id}/progress", data={"progress-note": "Đang dự thảo văn bản trả lời."})
    assert response.status_code == 302
    response = client.post(f"/incoming/{doc.id}/complete",
                           data={"complete-result": "Đã cử 02 cán bộ.", "complete-reply_number_symbol": "45/UBND-KT"},
                           follow_redirects=True)
    assert response.status_code == 200
    doc = _docs(db)[0]
    assert doc.status == "completed" and doc.reply_number_symbol == "45/UBND-KT"
    states = {a.id: a.state for a in _assignments(db, doc.id)}
    assert states[rows[0].id] == "done" and states[child.id] == "done"
    assert all(s == "done" for s in states.values())
    page = _text(response)
    assert "Đang dự thảo văn bản trả lời." in page and "Thống nhất." in page and "45/UBND-KT" in page
    for sentence in ("Registered as incoming document no. 1", "Presented to leader", "Assigned: ", "Handed on to ",
                     "Progress note: Đang dự thảo", "Completed, answered by document no. 45/UBND-KT"):
        assert sentence in page, sentence
    assert 'id="complete-form"' not in page  # nothing left to do


# ---- the wrong role --------------------------------------------------------------------------

def test_specialist_cannot_register(office_people, as_user, db):
    client = as_user(office_people["specialist"])
    assert client.get("/incoming/new").status_code == 403
    assert client.post("/incoming/new", data=_form()).status_code == 403
    assert _docs(db) == []


@pytest.mark.parametrize("who, action, data", [
    ("clerk", "assign", {"assign-primary": "user:{specialist}"}),
    ("specialist", "assign", {"assign-primary": "user:{specialist}"}),
    ("leader", "present", {"present-leader_id": "{leader}"}),
    ("specialist", "cancel", {"cancel-reason": "Nhầm"}),
    ("leader", "progress", {"progress-note": "x"}),
    ("clerk", "complete", {"complete-result": "x"}),
    ("leader", "opinion", {"opinion-opinion": "x"}),
    ("clerk", "read", {}),
])
def test_wrong_role_gets_403_and_nothing_changes(office_people, as_user, db, who, action, data):
    p = office_people
    doc_id = _assigned_to(as_user, p, db, f"user:{p['specialist'].id}")
    before = [(a.id, a.state) for a in _assignments(db, doc_id)]
    version = _docs(db)[0].version
    ids = {"specialist": p["specialist"].id, "leader": p["leader"].id}
    client = as_user(p[who])
    response = client.post(f"/incoming/{doc_id}/{action}", data={k: v.format(**ids) for k, v in data.items()})
    assert response.status_code == 403
    assert [(a.id, a.state) for a in _assignments(db, doc_id)] == before
    assert _docs(db)[0].version == version


def test_wrong_role_for_edit_delegate_urge(office_people, as_user, db, office):
    p = office_people
    doc_id = _assigned_to(as_user, p, db, f"user:{p['specialist'].id}")
    a = _assignments(db, doc_id)[0]
    client = as_user(p["specialist"])
    assert client.get(f"/incoming/{doc_id}/edit").status_code == 403
    assert client.post(f"/incoming/{doc_id}/edit", data=_form(version="1")).status_code == 403
    # a person's assignment cannot be handed on, not even by the head of their unit
    client = as_user(p["unit_head"])
    assert client.post(f"/incoming/{doc_id}/assignments/{a.id}/delegate",
                       data={f"delegate-{a.id}-user_id": str(p["colleague"].id)}).status_code == 403
    client = as_user(p["clerk"])
    assert client.post(f"/incoming/{doc_id}/assignments/{a.id}/urge").status_code == 403
    assert [x.state for x in _assignments(db, doc_id)] == ["open"]


# ---- field errors and conflicts --------------------------------------------------------------

def test_two_primaries_is_a_field_error_and_nothing_is_saved(office_people, as_user, db):
    p = office_people
    doc_id = _new_document(as_user, p)
    _present(as_user, p, doc_id)
    response = _assign(as_user, p, doc_id, [f"user:{p['specialist'].id}", f"user:{p['colleague'].id}"])
    assert response.status_code == 200
    html = _text(response)
    assert re.search(r'id="assign-primary"[^>]*>', html) and "Choose exactly one primary handler." in html
    assert 'class="form-select is-invalid" id="assign-primary"' in html
    assert _assignments(db, doc_id) == []
    assert _docs(db)[0].status == "submitted"
    # none at all is refused the same way
    response = _assign(as_user, p, doc_id, "", coordinators=[f"user:{p['colleague'].id}"])
    assert "Choose exactly one primary handler." in _text(response)
    assert _assignments(db, doc_id) == []


def test_assign_errors_go_to_the_right_field(office_people, as_user, db):
    p = office_people
    doc_id = _new_document(as_user, p)
    past = (_today() - timedelta(days=1)).isoformat()
    response = _assign(as_user, p, doc_id, f"user:{p['specialist'].id}",
                       coordinators=[f"user:{p['specialist'].id}", "user:999999", "bogus", "unit:99999999999999"],
                       due=past)
    assert response.status_code == 200
    html = _text(response)
    assert "The deadline cannot be in the past." in html and "Named twice." in html
    assert "Choose an active user." in html
    assert 'is-invalid" id="assign-coordinators"' in html  # the check-box picker, marked invalid
    assert _assignments(db, doc_id) == []


def test_register_field_errors_and_bad_input_never_500(office_people, as_user, db):
    client = as_user(office_people["clerk"])
    response = client.post("/incoming/new", data=_form(subject="", issued_date="2024-13-45", pages="abc",
                                                       doc_type="XX", urgency="whatever", sender_id="x"))
    assert response.status_code == 200
    html = _text(response)
    for message in ("Enter the subject (trích yếu).", "Enter a real date (dd/mm/yyyy).", "Enter a whole number.",
                    "Unknown document type.", "Unknown value."):
        assert message in html, message
    assert _docs(db) == []
    future = (_today() + timedelta(days=2)).isoformat()
    response = client.post("/incoming/new", data=_form(received_date=future, sender_name=""))
    assert "The date cannot be in the future." in _text(response)
    assert "Enter the issuing organisation." in _text(response)
    assert _docs(db) == []


def test_duplicate_shows_a_warning_with_a_link_and_force_registers_anyway(office_people, as_user, db):
    client = as_user(office_people["clerk"])
    first = _register(client)
    response = client.post("/incoming/new", data=_form(number_symbol="125 / snv-vp"))
    assert response.status_code == 409
    html = _text(response)
    assert 'id="duplicate-warning"' in html and "already registered (arrival number 1)" in html
    assert f'href="/incoming/{first}"' in html
    assert 'name="force"' in html
    assert len(_docs(db)) == 1
    response = client.post("/incoming/new", data=_form(number_symbol="125 / snv-vp", force="y"))
    assert response.status_code == 302
    assert [d.number for d in _docs(db)] == [1, 2]


def test_stale_edit_shows_the_message_and_changes_nothing(office_people, as_user, db):
    client = as_user(office_people["clerk"])
    doc_id = _register(client)
    page = _text(client.get(f"/incoming/{doc_id}/edit"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert 'value="Sở Nội vụ"' in page and f'value="{_today():%d/%m/%Y}"' in page
    # someone else saves first
    response = client.post(f"/incoming/{doc_id}/edit", data=_form(version=version, subject="Bản sửa thứ nhất"))
    assert response.status_code == 302
    # the stale form is refused
    response = client.post(f"/incoming/{doc_id}/edit", data=_form(version=version, subject="Bản sửa cũ"))
    assert response.status_code == 409
    html = _text(response)
    assert 'id="stale-warning"' in html and "Someone else changed" in html
    doc = _docs(db)[0]
    assert doc.subject == "Bản sửa thứ nhất" and doc.version == int(version) + 1
    # a typed name that is no organisation replaces the picked one (no JS needed)
    response = client.post(f"/incoming/{doc_id}/edit", data=_form(version=str(doc.version), sender_id=str(
        doc.sender_org_id), sender_name="Công ty TNHH Hòa Bình"))
    assert response.status_code == 302
    doc = _docs(db)[0]
    assert doc.sender_org_id is None and doc.sender_name == "Công ty TNHH Hòa Bình"


def test_save_and_register_next_shows_the_number(office_people, as_user, db):
    client = as_user(office_people["clerk"])
    response = client.post("/incoming/new", data=_form(submit=None, submit_next="y"))
    assert response.status_code == 302
    assert "/incoming/new?last=" in response.headers["Location"]
    page = _text(client.get(response.headers["Location"]))
    assert re.search(r'id="last-number">Arrival number: 1<', page)
    assert 'value="125/SNV-VP"' not in page  # a fresh form
    response = client.post("/incoming/new", data=_form(number_symbol="7/STC", sender_name="Sở Tài chính",
                                                       submit=None, submit_next="y"), follow_redirects=True)
    assert re.search(r'id="last-number">Arrival number: 2<', _text(response))


def test_cancel_needs_a_reason(office_people, as_user, db):
    client = as_user(office_people["clerk"])
    doc_id = _register(client)
    response = client.post(f"/incoming/{doc_id}/cancel", data={"cancel-reason": "  "})
    assert response.status_code == 200 and "Give the reason for cancelling." in _text(response)
    assert _docs(db)[0].status == "registered"
    assert client.post(f"/incoming/{doc_id}/cancel", data={"cancel-reason": "Gửi nhầm"}).status_code == 302
    assert _docs(db)[0].status == "cancelled"
    response = client.post(f"/incoming/{doc_id}/cancel", data={"cancel-reason": "Lần nữa"})
    assert response.status_code == 409 and "already cancelled" in _text(response)


# ---- the sender picker -----------------------------------------------------------------------

def test_organizations_json_matches_without_accents(office_people, as_user, client):
    assert client.get("/incoming/organizations.json?q=so+noi+vu").status_code == 302  # logged out
    as_user(office_people["clerk"])
    names = [o["name"] for o in client.get("/incoming/organizations.json?q=so+noi+vu").get_json()["items"]]
    assert names == ["Sở Nội vụ"]
    assert [o["name"] for o in client.get("/incoming/organizations.json?q=STC").get_json()["items"]] == ["Sở Tài chính"]
    assert len(client.get("/incoming/organizations.json").get_json()["items"]) == 2
    assert client.get("/incoming/organizations.json?q=%25_").get_json()["items"] == []


def test_unknown_sender_is_kept_as_typed(office_people, as_user, db):
    client = as_user(office_people["clerk"])
    assert client.post("/incoming/new", data=_form(sender_name="Trường Đại học X")).status_code == 200  # asked first
    _register(client, sender_name="Trường Đại học X", sender_choice="free")
    doc = _docs(db)[0]
    assert doc.sender_org_id is None and doc.sender_name == "Trường Đại học X"


# ---- visibility ------------------------------------------------------------------------------

def test_invisible_document_is_404_for_a_specialist_of_another_unit(office_people, as_user, db):
    p = office_people
    doc_id = _assigned_to(as_user, p, db, f"user:{p['specialist'].id}")
    client = as_user(p["other_specialist"])
    assert client.get(f"/incoming/{doc_id}").status_code == 404
    assert client.post(f"/incoming/{doc_id}/progress", data={"progress-note": "x"}).status_code == 404
    assert f"/incoming/{doc_id}" not in _text(client.get("/incoming/"))
    assert client.get("/incoming/999999").status_code == 404
    client = as_user(p["specialist"])
    assert client.get(f"/incoming/{doc_id}").status_code == 200
    assert f"/incoming/{doc_id}" in _text(client.get("/incoming/"))


# ---- the task inbox and urging ---------------------------------------------------------------

def test_task_inbox_lists_only_the_users_items(office_people, as_user, db):
    p = office_people
    mine = _assigned_to(as_user, p, db, f"user:{p['specialist'].id}")
    theirs = _assigned_to(as_user, p, db, f"user:{p['colleague'].id}", number_symbol="9/STC",
                          sender_name="Sở Tài chính")
    # make mine overdue
    a = _assignments(db, mine)[0]
    a.due_date = _today() - timedelta(days=3)
    db.session.commit()

    client = as_user(p["specialist"])
    for state in ("open", "overdue"):
        html = _text(client.get(f"/incoming/tasks?state={state}"))
        assert f'href="/incoming/{mine}"' in html and f'href="/incoming/{theirs}"' not in html, state
    assert f'href="/incoming/{mine}"' not in _text(client.get("/incoming/tasks?state=done"))
    assert client.get("/incoming/tasks?state=nonsense&page=abc").status_code == 200
    dashboard = _text(client.get("/dashboard"))
    assert re.search(r'id="card-overdue".*?class="badge[^"]*count">1<', dashboard, re.S)

    # the leader urges the overdue one; the other cannot be urged
    client = as_user(p["leader"])
    page = _text(client.get(f"/incoming/{mine}"))
    assert f"/assignments/{a.id}/urge" in page
    assert client.post(f"/incoming/{mine}/assignments/{a.id}/urge", data={"urge-message": "Khẩn trương"}).status_code == 302
    b = _assignments(db, theirs)[0]
    response = client.post(f"/incoming/{theirs}/assignments/{b.id}/urge")
    assert response.status_code == 200 and "Only an overdue assignment can be urged." in _text(response)
    assert client.post(f"/incoming/{mine}/assignments/{b.id}/urge").status_code == 404  # not this document's
    client = as_user(p["specialist"])
    assert "Khẩn trương" in _text(client.get("/notifications/"))


# ---- notifications ---------------------------------------------------------------------------

def test_unread_count_in_the_nav_and_marking_read(office_people, as_user, db):
    p = office_people
    doc_id = _new_document(as_user, p)
    client = as_user(p["leader"])
    assert 'id="nav-unread"' not in _text(client.get("/dashboard"))
    _present(as_user, p, doc_id)
    client = as_user(p["leader"])
    dashboard = _text(client.get("/dashboard"))
    assert re.search(r'id="nav-unread">1<', dashboard)
    assert re.search(rf'id="card-presented".*?href="/incoming/{doc_id}"', dashboard, re.S)
    page = _text(client.get("/notifications/"))
    assert f'href="/incoming/{doc_id}"' in page
    assert client.post("/notifications/", data={"id": "x"}).status_code == 404
    assert client.post("/notifications/", data={}).status_code == 302
    assert 'id="nav-unread"' not in _text(client.get("/notifications/"))
    # another user's notifications are not touched
    from docflow.core.models import Notification

    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.read_at.is_(None))) == 0


def test_clerk_dashboard_lists_documents_not_yet_presented(office_people, as_user, db):
    p = office_people
    doc_id = _new_document(as_user, p)
    client = as_user(p["clerk"])
    html = _text(client.get("/dashboard"))
    assert re.search(rf'id="card-not-presented".*?href="/incoming/{doc_id}"', html, re.S)
    assert 'id="card-presented"' not in html


# ---- list and files --------------------------------------------------------------------------

def test_list_filters_and_dates(office_people, as_user, db):
    client = as_user(office_people["clerk"])
    a = _register(client)
    b = _register(client, number_symbol="9/STC", sender_name="Sở Tài chính", subject="Báo cáo tài chính")
    client.post(f"/incoming/{b}/present", data={})
    html = _text(client.get("/incoming/?q=tai+chinh"))
    assert f'href="/incoming/{b}"' in html and f'href="/incoming/{a}"' not in html
    html = _text(client.get("/incoming/?status=registered"))
    assert f'href="/incoming/{a}"' in html and f'href="/incoming/{b}"' not in html
    assert _today().strftime("%d/%m/%Y") in html
    for query in ("?year=abc", "?year=99999999999", "?status=zzz&overdue=1", "?page=-3", f"?year={_today().year}"):
        assert client.get("/incoming/" + query).status_code == 200, query


def test_scanned_file_is_attached_on_registration(office_people, as_user, db):
    client = as_user(office_people["clerk"])
    data = _form()
    data["file"] = (io.BytesIO(PNG), "scan.png")
    response = client.post("/incoming/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, _text(response)[:2000]
    doc = _docs(db)[0]
    assert [a.filename for a in doc.attachments] == ["scan.png"]
    html = _text(client.get(f"/incoming/{doc.id}"))
    assert f'href="/files/attachments/{doc.attachments[0].id}"' in html
    # a file of a refused type is a field error and nothing is registered
    data = _form(number_symbol="2/X")
    data["file"] = (io.BytesIO(b"plain text"), "note.txt")
    response = client.post("/incoming/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 200 and "This file type is not accepted." in _text(response)
    assert len(_docs(db)) == 1


def test_upload_more_files_from_the_detail_page(office_people, as_user, db):
    p = office_people
    doc_id = _assigned_to(as_user, p, db, f"user:{p['specialist'].id}")
    client = as_user(p["leader"])  # sees the document, takes no part in it
    assert f'action="/incoming/{doc_id}/attachments"' not in _text(client.get(f"/incoming/{doc_id}"))
    response = client.post(f"/incoming/{doc_id}/attachments", data={"upload-file": (io.BytesIO(PNG), "a.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    client = as_user(p["specialist"])
    assert f'action="/incoming/{doc_id}/attachments"' in _text(client.get(f"/incoming/{doc_id}"))
    response = client.post(f"/incoming/{doc_id}/attachments", data={}, content_type="multipart/form-data")
    assert response.status_code == 200 and "Choose a file." in _text(response)
    response = client.post(f"/incoming/{doc_id}/attachments", data={"upload-file": (io.BytesIO(PNG), "bao-cao.png")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200 and "bao-cao.png" in _text(response)
    assert [a.filename for a in _docs(db)[0].attachments] == ["bao-cao.png"]


def test_dates_are_typed_and_shown_day_first(office_people, as_user, db):
    """Date fields are text typed as dd/mm/yyyy (the browser's date input shows its own locale's order:
    12/01/2026 is the first of December in an English browser); yyyy-mm-dd is taken too."""
    client = as_user(office_people["clerk"])
    html = _text(client.get("/incoming/new"))
    field = re.search(r'<input[^>]*id="issued_date"[^>]*>', html).group()
    assert 'type="text"' in field and 'placeholder="dd/mm/yyyy"' in field
    day = _today() - timedelta(days=40)
    response = client.post("/incoming/new", data=_form(issued_date=f"{day:%d/%m/%Y}", received_date=f" {day:%d/%m/%Y} "),
                           follow_redirects=True)
    assert response.status_code == 200
    doc = _docs(db)[0]
    assert (doc.issued_date, doc.received_date) == (day, day)
    bad = client.post("/incoming/new", data=_form(issued_date="31/02/2026", number_symbol="7/X"))
    assert bad.status_code == 200 and "Enter a real date (dd/mm/yyyy)." in _text(bad)
    assert 'value="31/02/2026"' in _text(bad)  # shown back as typed, with its message
    assert len(_docs(db)) == 1


def test_an_empty_detail_value_is_a_dash_not_a_collapsed_row(office_people, as_user, db):
    """An empty value (no deadline, no notes, no signer) was an empty <dd>: no height, so the next rows slid
    up against their labels ("Deadline" and "Notes" on top of each other)."""
    client = as_user(office_people["clerk"])
    doc_id = _register(client, due_date="", notes="", signer="")
    html = _text(client.get(f"/incoming/{doc_id}"))
    details = html[html.index('<dl'):html.index("</dl>")]
    assert '<dd class="col-sm-8" id="doc-due">—</dd>' in details
    assert not re.search(r'<dd class="col-sm-8"[^>]*>\s*</dd>', details)
