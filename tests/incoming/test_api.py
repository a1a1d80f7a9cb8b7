"""/api/v1 "Incoming" (api.md): registration, direction, handling, tasks and reminders, end to end
through the HTTP interface, with the permission rules at every step."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from docflow.core.timeutil import today

PROBLEM = "application/problem+json"


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def letter(**over):
    body = {"sender_name": "Sở Kế hoạch và Đầu tư", "number_symbol": "123/SKHĐT-TH",
            "issued_date": (today() - timedelta(days=2)).isoformat(), "doc_type": "CV",
            "subject": "Về việc báo cáo tình hình thực hiện kế hoạch đầu tư công", "signer": "Nguyễn Văn A",
            "pages": 2}
    body.update(over)
    return body


@pytest.fixture
def people(users, make_user):
    """The users fixture plus a second unit (VX) with its head and a specialist, and a VP specialist."""
    return {**users,
            "vx_head": make_user("unit_head", unit="VX", username="headvx"),
            "vx_spec": make_user("specialist", unit="VX", username="specvx"),
            "vp_spec": make_user("specialist", unit="VP", username="specvp")}


@pytest.fixture
def callers(api, people):
    return {name: api(user) for name, user in people.items()}


def _notifications(db, user, kind):
    from docflow.core.models import Notification

    db.session.expire_all()
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id,
                                                            Notification.kind == kind)).all()


def _assignments(db, doc_id):
    from docflow.incoming.models import Assignment

    db.session.expire_all()
    return db.session.scalars(sa.select(Assignment).where(Assignment.document_id == doc_id)
                              .order_by(Assignment.id)).all()


# ---- the whole flow ----------------------------------------------------------------------------

def test_full_flow_with_the_wrong_role_refused_at_each_step(callers, people, office, db):
    c = callers
    # register: clerk only
    problem(c["specialist"].post("/incoming", json=letter()), 403)
    problem(c["leader"].post("/incoming", json=letter()), 403)
    doc = ok(c["clerk"].post("/incoming", json=letter()), 201)
    doc_id = doc["id"]
    assert doc["number"] == 1 and doc["status"] == "registered" and doc["direction"] == "incoming"
    assert doc["register"]["id"] and doc["year"] == today().year and doc["version"] == 1
    assert doc["sender"]["name"] == "Sở Kế hoạch và Đầu tư" and doc["doc_type"] == "CV"
    assert doc["received_date"] == today().isoformat()
    for key in ("attachments", "assignments", "history"):
        assert key in doc
    # nobody handles it yet: a specialist does not even see it
    problem(c["specialist"].get(f"/incoming/{doc_id}"), 404)

    # submit: clerk only
    problem(c["leader"].post(f"/incoming/{doc_id}/submit", json={}), 403)
    doc = ok(c["clerk"].post(f"/incoming/{doc_id}/submit", json={"leader_id": people["leader"].id}))
    assert doc["status"] == "submitted"
    assert len(_notifications(db, people["leader"], "presented")) == 1

    # assign: leader only
    assignees = [{"user_id": people["specialist"].id, "role": "primary"},
                 {"unit_id": office["VX"].id, "role": "coordinate"},
                 {"user_id": people["vp_spec"].id, "role": "inform"}]
    due = (today() + timedelta(days=10)).isoformat()
    body = {"instruction": "Phòng Kinh tế chủ trì, tham mưu báo cáo", "due_date": due, "assignees": assignees}
    problem(c["clerk"].post(f"/incoming/{doc_id}/assign", json=body), 403)
    problem(c["admin"].post(f"/incoming/{doc_id}/assign", json=body), 403)
    doc = ok(c["leader"].post(f"/incoming/{doc_id}/assign", json=body))
    assert doc["status"] == "assigned" and doc["due_date"] == due and doc["version"] == 3
    by_role = {a["role"]: a for a in doc["assignments"]}
    assert by_role["primary"]["user_id"] == people["specialist"].id and by_role["primary"]["unit_id"] is None
    assert by_role["coordinate"]["unit_id"] == office["VX"].id and by_role["coordinate"]["user_id"] is None
    assert by_role["inform"]["user_id"] == people["vp_spec"].id
    assert all(a["state"] == "open" and a["due_date"] == due and a["overdue"] is False
               for a in doc["assignments"])
    assert len(_notifications(db, people["specialist"], "assigned")) == 1
    assert len(_notifications(db, people["vx_head"], "assigned")) == 1  # the unit's head hears of it

    # delegate: only the head of the assigned unit
    unit_assignment = by_role["coordinate"]["id"]
    problem(c["vx_spec"].post(f"/assignments/{unit_assignment}/delegate", json={"user_id": people["vx_spec"].id}),
            403)
    problem(c["unit_head"].post(f"/assignments/{unit_assignment}/delegate",
                                json={"user_id": people["vx_spec"].id}), 403)  # KT's head, not VX's
    problem(c["vx_head"].post(f"/assignments/{unit_assignment}/delegate",
                              json={"user_id": people["specialist"].id}), 422)  # not a person of VX
    for bad_due in ((today() - timedelta(days=1)).isoformat(), (today() + timedelta(days=11)).isoformat()):
        body = problem(c["vx_head"].post(f"/assignments/{unit_assignment}/delegate",
                                         json={"user_id": people["vx_spec"].id, "due_date": bad_due}), 422)
        assert "due_date" in body["errors"]  # not in the past, not later than the unit's own deadline
    child = ok(c["vx_head"].post(f"/assignments/{unit_assignment}/delegate",
                                 json={"user_id": people["vx_spec"].id, "note": "Anh/chị góp ý"}), 201)
    assert child["user_id"] == people["vx_spec"].id and child["role"] == "coordinate" and child["state"] == "open"
    assert child["parent_id"] == unit_assignment and child["due_date"] == due
    # the delegate now sees the document
    ok(c["vx_spec"].get(f"/incoming/{doc_id}"))

    # progress: a primary or coordinating handler, not the informed
    problem(c["vp_spec"].post(f"/incoming/{doc_id}/progress", json={"note": "Tôi xem rồi"}), 403)
    problem(c["leader"].post(f"/incoming/{doc_id}/progress", json={"note": "..."}), 403)
    ok(c["specialist"].post(f"/incoming/{doc_id}/progress", json={"note": "Đang tổng hợp số liệu"}))

    # opinion: a coordinating assignee
    problem(c["specialist"].post(f"/incoming/{doc_id}/opinion", json={"opinion": "..."}), 403)
    doc = ok(c["vx_spec"].post(f"/incoming/{doc_id}/opinion", json={"opinion": "Thống nhất"}))
    states = {a["id"]: a["state"] for a in doc["assignments"]}
    assert states[child["id"]] == "done" and states[unit_assignment] == "done"  # the unit's part is done too

    # read: an informed assignee
    problem(c["specialist"].post(f"/incoming/{doc_id}/read"), 403)
    doc = ok(c["vp_spec"].post(f"/incoming/{doc_id}/read"))
    assert {a["role"]: a["state"] for a in doc["assignments"]}["inform"] == "done"

    # complete: the primary handler only
    problem(c["vx_spec"].post(f"/incoming/{doc_id}/complete", json={"result": "Xong"}), 403)
    problem(c["leader"].post(f"/incoming/{doc_id}/complete", json={"result": "Xong"}), 403)
    problem(c["vp_spec"].post(f"/incoming/{doc_id}/complete", json={"result": "Xong"}), 403)
    doc = ok(c["specialist"].post(f"/incoming/{doc_id}/complete",
                                  json={"result": "Đã báo cáo", "reply_number_symbol": "45/UBND-KT"}))
    assert doc["status"] == "completed" and doc["result"] == "Đã báo cáo"
    assert doc["reply_number_symbol"] == "45/UBND-KT"
    assert {a["role"]: a["state"] for a in doc["assignments"]}["primary"] == "done"
    actions = [h["action"] for h in doc["history"]]
    assert actions == ["incoming.register", "incoming.submit", "incoming.assign", "incoming.delegate",
                       "incoming.progress", "incoming.opinion", "incoming.read", "incoming.complete"]
    assert doc["number"] == 1
    # nothing more to do on it
    problem(c["specialist"].post(f"/incoming/{doc_id}/complete", json={"result": "Lần nữa"}), 403)


def test_two_primaries_and_uncleared_assignees_are_422(callers, people, office, db):
    c = callers
    doc_id = ok(c["clerk"].post("/incoming", json=letter()), 201)["id"]
    two = [{"user_id": people["specialist"].id, "role": "primary"},
           {"user_id": people["vx_spec"].id, "role": "primary"}]
    body = problem(c["leader"].post(f"/incoming/{doc_id}/assign", json={"assignees": two}), 422)
    assert "assignees" in body["errors"]
    none = [{"user_id": people["specialist"].id, "role": "coordinate"}]
    assert "assignees" in problem(c["leader"].post(f"/incoming/{doc_id}/assign", json={"assignees": none}),
                                  422)["errors"]
    twice = [{"user_id": people["specialist"].id, "role": "primary"},
             {"user_id": people["specialist"].id, "role": "inform"}]
    problem(c["leader"].post(f"/incoming/{doc_id}/assign", json={"assignees": twice}), 422)
    past = (today() - timedelta(days=1)).isoformat()
    body = problem(c["leader"].post(f"/incoming/{doc_id}/assign",
                                    json={"due_date": past, "assignees": two[:1]}), 422)
    assert "due_date" in body["errors"]
    assert _assignments(db, doc_id) == []

    secret_id = ok(c["clerk"].post("/incoming", json=letter(number_symbol="9/SKHĐT-M",
                                                            confidentiality="confidential")), 201)["id"]
    body = problem(c["leader"].post(f"/incoming/{secret_id}/assign",
                                    json={"assignees": [{"user_id": people["specialist"].id, "role": "primary"}]}),
                   422)
    assert "assignees.0" in body["errors"]
    # a unit none of whose heads is cleared is refused too (VX's head has normal clearance)
    body = problem(c["leader"].post(f"/incoming/{secret_id}/assign",
                                    json={"assignees": [{"unit_id": office["VX"].id, "role": "primary"}]}), 422)
    assert "assignees.0" in body["errors"]
    # KT's head is cleared for confidential: accepted
    doc = ok(c["leader"].post(f"/incoming/{secret_id}/assign",
                              json={"assignees": [{"user_id": people["unit_head"].id, "role": "primary"}]}))
    assert doc["status"] == "assigned"
    # delegating a confidential document to an uncleared specialist is refused as well
    doc = ok(c["leader"].post(f"/incoming/{secret_id}/assign",
                              json={"assignees": [{"unit_id": office["KT"].id, "role": "primary"}]}))
    unit_a = [a for a in doc["assignments"] if a["state"] == "open"][0]["id"]
    body = problem(c["unit_head"].post(f"/assignments/{unit_a}/delegate",
                                       json={"user_id": people["specialist"].id}), 422)
    assert "user_id" in body["errors"]


# ---- registration rules ------------------------------------------------------------------------

def test_duplicate_is_409_with_existing_id_and_force_registers(callers, db):
    c = callers
    first = ok(c["clerk"].post("/incoming", json=letter()), 201)
    # the same sender, symbol and date, written a little differently
    again = letter(sender_name="sở kế hoạch và  đầu tư", number_symbol="123/SKHĐT - TH", subject="Khác")
    body = problem(c["clerk"].post("/incoming", json=again), 409)
    assert body["existing_id"] == first["id"]
    forced = ok(c["clerk"].post("/incoming", json={**again, "force": True}), 201)
    assert forced["number"] == 2 and forced["id"] != first["id"]
    # another date is another document
    other = ok(c["clerk"].post("/incoming", json=letter(issued_date=(today() - timedelta(days=3)).isoformat())),
               201)
    assert other["number"] == 3


def test_validation_errors_are_per_field_and_take_no_number(callers, db):
    c = callers
    tomorrow = (today() + timedelta(days=1)).isoformat()
    cases = [
        (letter(issued_date=tomorrow), "issued_date"),
        (letter(received_date=tomorrow), "received_date"),
        (letter(issued_date=today().isoformat(), received_date=(today() - timedelta(days=1)).isoformat()),
         "issued_date"),
        (letter(doc_type="XYZ"), "doc_type"),
        (letter(subject=""), "subject"),
        (letter(subject="    "), "subject"),
        (letter(number_symbol=""), "number_symbol"),
        (letter(urgency="sometime"), "urgency"),
        (letter(issued_date="2026-02-30"), "issued_date"),
        (letter(sender_name=None), "sender_name"),
    ]
    for body, field in cases:
        answer = problem(c["clerk"].post("/incoming", json=body), 422)
        assert field in answer["errors"], (field, answer)
        assert all(isinstance(m, str) and m for m in answer["errors"][field])
    # several at once
    answer = problem(c["clerk"].post("/incoming", json=letter(doc_type="XYZ", subject=" ", issued_date=tomorrow)),
                     422)
    assert {"doc_type", "subject", "issued_date"} <= set(answer["errors"])
    # malformed body is 400, never 500
    response = c["clerk"].post("/incoming", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422) and response.mimetype == PROBLEM
    # none of that used a number
    assert ok(c["clerk"].post("/incoming", json=letter()), 201)["number"] == 1


def test_patch_needs_the_current_version_and_never_changes_the_number(callers, db):
    from docflow.registry.models import Document

    c = callers
    doc = ok(c["clerk"].post("/incoming", json=letter()), 201)
    ok(c["clerk"].post("/incoming", json=letter(number_symbol="124/SKHĐT-TH")), 201)
    path = f"/incoming/{doc['id']}"
    problem(c["leader"].patch(path, json={"version": 1, "subject": "Sửa"}), 403)
    changed = ok(c["clerk"].patch(path, json={"version": 1, "subject": "Về việc sửa trích yếu", "pages": 5,
                                              "urgency": "urgent"}))
    assert changed["subject"] == "Về việc sửa trích yếu" and changed["pages"] == 5 and changed["urgency"] == "urgent"
    assert changed["version"] == 2 and changed["number"] == 1
    assert changed["signer"] == "Nguyễn Văn A"  # untouched fields stay
    # a stale version: 409, nothing overwritten
    body = problem(c["clerk"].patch(path, json={"version": 1, "subject": "Ghi đè"}), 409)
    assert body.get("current_version") == 2
    db.session.expire_all()
    row = db.session.get(Document, doc["id"])
    assert row.subject == "Về việc sửa trích yếu" and row.version == 2
    # no version: 422
    problem(c["clerk"].patch(path, json={"subject": "Không có phiên bản"}), 422)
    # the number, register and year cannot be changed
    response = c["clerk"].patch(path, json={"version": 2, "number": 99, "subject": "Đổi số"})
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    again = ok(c["clerk"].get(path))
    assert again["number"] == 1 and again["register"] == doc["register"] and again["year"] == doc["year"]
    # invalid corrections are per-field 422 and change nothing
    body = problem(c["clerk"].patch(path, json={"version": again["version"],
                                                "received_date": (today() + timedelta(days=1)).isoformat()}), 422)
    assert "received_date" in body["errors"]
    body = problem(c["clerk"].patch(path, json={"version": again["version"], "confidentiality": "confidential"}),
                   422)
    assert "confidentiality" in body["errors"]
    assert ok(c["clerk"].get(path))["version"] == again["version"]


def test_cancel_keeps_the_number_and_it_is_never_reused(callers, people, db):
    c = callers
    first = ok(c["clerk"].post("/incoming", json=letter()), 201)
    ok(c["leader"].post(f"/incoming/{first['id']}/assign",
                        json={"assignees": [{"user_id": people["specialist"].id, "role": "primary"}]}))
    problem(c["clerk"].post(f"/incoming/{first['id']}/cancel", json={"reason": ""}), 422)
    problem(c["leader"].post(f"/incoming/{first['id']}/cancel", json={"reason": "Nhầm"}), 403)
    cancelled = ok(c["clerk"].post(f"/incoming/{first['id']}/cancel", json={"reason": "Đăng ký nhầm"}))
    assert cancelled["status"] == "cancelled" and cancelled["number"] == 1
    assert cancelled["cancelled_reason"] == "Đăng ký nhầm"
    assert {a["state"] for a in cancelled["assignments"]} == {"cancelled"}
    problem(c["clerk"].post(f"/incoming/{first['id']}/cancel", json={"reason": "Lần nữa"}), 409)
    problem(c["clerk"].patch(f"/incoming/{first['id']}", json={"version": cancelled["version"], "subject": "x"}),
            409)
    # the specialist's task is gone
    assert ok(c["specialist"].get("/tasks?state=open"))["total"] == 0
    # the same letter can be registered again (the cancelled one is no duplicate) with the next number
    second = ok(c["clerk"].post("/incoming", json=letter()), 201)
    assert second["number"] == 2
    listed = ok(c["clerk"].get("/incoming?status=cancelled"))
    assert [d["number"] for d in listed["items"]] == [1]


# ---- tasks, urging, reminders ------------------------------------------------------------------

def _overdue(db, assignment_id, days=3):
    from docflow.incoming.models import Assignment

    a = db.session.get(Assignment, assignment_id)
    a.due_date = today() - timedelta(days=days)
    db.session.commit()


def test_tasks_by_state_and_urging_an_overdue_assignment(callers, people, office, db):
    c = callers
    ids = []
    for i in range(3):
        doc = ok(c["clerk"].post("/incoming", json=letter(number_symbol=f"{i}/SKHĐT")), 201)
        doc = ok(c["leader"].post(f"/incoming/{doc['id']}/assign",
                                  json={"assignees": [{"user_id": people["specialist"].id, "role": "primary"},
                                                      {"unit_id": office["VX"].id, "role": "coordinate"}]}))
        ids.append((doc["id"], {a["role"]: a["id"] for a in doc["assignments"]}))
    (d0, a0), (d1, a1), (d2, a2) = ids

    spec = c["specialist"]
    open_ = ok(spec.get("/tasks?state=open"))
    assert open_["total"] == 3 and {t["id"] for t in open_["items"]} == {a0["primary"], a1["primary"], a2["primary"]}
    assert all(t["overdue"] is False and t["document_id"] in (d0, d1, d2) for t in open_["items"])
    assert ok(spec.get("/tasks?state=overdue"))["total"] == 0
    assert ok(spec.get("/tasks"))["total"] == 3  # open by default
    # the VX head's inbox holds the unit's assignments
    assert {t["id"] for t in ok(c["vx_head"].get("/tasks?state=open"))["items"]} == {
        a0["coordinate"], a1["coordinate"], a2["coordinate"]}
    problem(spec.get("/tasks?state=whenever"), 422)

    # urging a not-yet-overdue assignment is refused
    problem(c["leader"].post(f"/assignments/{a0['primary']}/urge", json={}), 422)

    _overdue(db, a0["primary"])
    _overdue(db, a1["coordinate"])
    overdue = ok(spec.get("/tasks?state=overdue"))
    assert [t["id"] for t in overdue["items"]] == [a0["primary"]] and overdue["items"][0]["overdue"] is True
    assert ok(c["vx_head"].get("/tasks?state=overdue"))["items"][0]["id"] == a1["coordinate"]
    assert ok(c["clerk"].get("/incoming?overdue=true"))["total"] == 2

    # only a leader urges
    problem(c["clerk"].post(f"/assignments/{a0['primary']}/urge", json={}), 403)
    problem(spec.post(f"/assignments/{a0['primary']}/urge", json={}), 403)
    problem(c["unit_head"].post(f"/assignments/{a0['primary']}/urge", json={}), 403)
    urged = ok(c["leader"].post(f"/assignments/{a0['primary']}/urge", json={"message": "Đề nghị khẩn trương"}))
    assert urged["id"] == a0["primary"] and urged["overdue"] is True
    notes = _notifications(db, people["specialist"], "urged")
    assert len(notes) == 1 and notes[0].assignment_id == a0["primary"] and notes[0].document_id == d0
    assert notes[0].message == "Đề nghị khẩn trương"
    # a unit's overdue assignment: its head is told
    ok(c["leader"].post(f"/assignments/{a1['coordinate']}/urge", json={}))
    assert [n.assignment_id for n in _notifications(db, people["vx_head"], "urged")] == [a1["coordinate"]]
    # an assignment id that does not exist
    problem(c["leader"].post("/assignments/999999/urge", json={}), 404)

    # completing moves it to done
    ok(spec.post(f"/incoming/{d0}/complete", json={"result": "Xong"}))
    done = ok(spec.get("/tasks?state=done"))
    assert [t["id"] for t in done["items"]] == [a0["primary"]] and done["items"][0]["overdue"] is False
    assert ok(spec.get("/tasks?state=overdue"))["total"] == 0
    assert ok(spec.get("/tasks?state=open"))["total"] == 2
    problem(c["leader"].post(f"/assignments/{a0['primary']}/urge", json={}), 409)


def test_deadline_reminders_are_sent_once(callers, people, office, db):
    from docflow.core.models import Notification
    from docflow.incoming import services

    c = callers
    made = []
    for i in range(3):
        doc = ok(c["clerk"].post("/incoming", json=letter(number_symbol=f"R{i}/SKHĐT")), 201)
        doc = ok(c["leader"].post(f"/incoming/{doc['id']}/assign",
                                  json={"assignees": [{"user_id": people["specialist"].id, "role": "primary"},
                                                      {"unit_id": office["VX"].id, "role": "inform"}],
                                        "due_date": (today() + timedelta(days=30)).isoformat()}))
        made.append({a["role"]: a["id"] for a in doc["assignments"]})
    _overdue(db, made[0]["primary"])
    _overdue(db, made[0]["inform"])
    from docflow.incoming.models import Assignment

    a = db.session.get(Assignment, made[1]["primary"])
    a.due_date = today()  # due today: a "due soon" reminder
    db.session.commit()

    def reminders():
        db.session.expire_all()
        return sorted(db.session.execute(sa.select(Notification.user_id, Notification.kind, Notification.assignment_id)
                                         .where(Notification.kind.in_(("due_soon", "overdue")))).all())

    sent = services.send_deadline_reminders()
    db.session.commit()
    assert sent == 3
    expected = sorted([(people["specialist"].id, "overdue", made[0]["primary"]),
                       (people["vx_head"].id, "overdue", made[0]["inform"]),
                       (people["specialist"].id, "due_soon", made[1]["primary"])])
    assert reminders() == expected
    for _ in range(2):
        assert services.send_deadline_reminders() == 0
        db.session.commit()
    assert reminders() == expected
    # the due-today one becomes overdue later: one new reminder of that kind, once
    later = today() + timedelta(days=1)
    assert services.send_deadline_reminders(on=later) >= 1
    db.session.commit()
    assert services.send_deadline_reminders(on=later) == 0


def test_a_concurrent_change_is_not_overwritten(app, callers, people, db):
    """Two corrections start from version 1; the one that commits second is refused, even though the
    row it loaded still said version 1 (the service re-reads the row under its lock)."""
    from docflow.core.errors import Conflict
    from docflow.incoming import services
    from docflow.registry.models import Document

    c = callers
    doc_id = ok(c["clerk"].post("/incoming", json=letter()), 201)["id"]
    clerk_id = people["clerk"].id
    db.session.commit()

    with app.app_context():  # the second request: its own session, loads version 1, not yet committed
        stale = db.session.get(Document, doc_id)
        assert stale.version == 1
        db.session.expunge(stale)
        db.session.rollback()

    ok(c["clerk"].patch(f"/incoming/{doc_id}", json={"version": 1, "subject": "Bản sửa thứ nhất"}))
    db.session.rollback()  # the test's app context outlives the request: end its read transaction

    with app.app_context():
        from docflow.auth.models import User

        clerk = db.session.get(User, clerk_id)
        db.session.add(stale)  # as it was loaded, before the first correction committed
        with pytest.raises(Conflict):
            services.update_incoming(stale, {"subject": "Bản sửa thứ hai"}, actor=clerk, version=1)
        db.session.rollback()
    db.session.expire_all()
    row = db.session.get(Document, doc_id)
    assert row.subject == "Bản sửa thứ nhất" and row.version == 2 and row.pages == 2
