"""Colleagues' records through the API: a picker's fields for everyone, the whole record for admins;
hidden things answer exactly as missing ones do."""

from datetime import timedelta

import pytest

from docflow.core.timeutil import today

PICKER = {"id", "username", "full_name", "roles", "unit"}


@pytest.fixture
def mailed(make_user, db):
    from docflow.auth import services

    user = make_user("leader", unit="VP", username="lanhdao2", clearance="top_secret")
    services.update_user(user, {"email": "bi.mat@donghai.gov.vn"})
    db.session.commit()
    return user


@pytest.mark.parametrize("role", ["specialist", "clerk", "leader", "unit_head", "archivist"])
def test_non_admins_get_only_what_a_picker_needs(api, users, mailed, role):
    caller = api(users[role])
    body = caller.get("/users?per_page=200").get_json()
    assert body["total"] == len(users) + 1
    for item in body["items"]:
        assert set(item) == PICKER, item
    one = caller.get(f"/users/{mailed.id}")
    assert one.status_code == 200
    assert set(one.get_json()) == PICKER
    assert one.get_json()["username"] == "lanhdao2" and one.get_json()["unit"]["code"] == "VP"
    text = one.get_data(as_text=True) + caller.get("/users").get_data(as_text=True)
    assert "bi.mat@" not in text and "top_secret" not in text


def test_non_admins_cannot_probe_e_mail_addresses(api, users, mailed):
    caller = api(users["specialist"])
    assert caller.get("/users?q=bi.mat").get_json()["total"] == 0
    assert caller.get("/users?q=donghai").get_json()["total"] == 0
    assert caller.get("/users?q=lanhdao2").get_json()["total"] == 1
    assert caller.get("/users?q=nguoi dung lanhdao2").get_json()["total"] == 1
    assert api(users["admin"]).get("/users?q=bi.mat").get_json()["total"] == 1


def test_admins_keep_the_whole_record(api, users, mailed):
    caller = api(users["admin"])
    items = {u["username"]: u for u in caller.get("/users?per_page=200").get_json()["items"]}
    assert items["lanhdao2"]["email"] == "bi.mat@donghai.gov.vn"
    assert items["lanhdao2"]["clearance"] == "top_secret" and items["lanhdao2"]["active"] is True
    one = caller.get(f"/users/{mailed.id}").get_json()
    assert one["email"] == "bi.mat@donghai.gov.vn" and one["clearance"] == "top_secret" and one["version"] >= 1
    me = api(users["specialist"]).get("/me").get_json()  # one's own record stays whole
    assert me["clearance"] == "normal" and "email" in me


def test_hidden_assignment_answers_as_a_missing_one(api, users, make_user, db):
    outsider = make_user("specialist", unit="VX", username="specvx")
    clerk, leader = api(users["clerk"]), api(users["leader"])
    letter = {"sender_name": "Sở Tài chính", "number_symbol": "77/STC-NS", "doc_type": "CV",
              "issued_date": (today() - timedelta(days=1)).isoformat(), "subject": "Về việc dự toán"}
    doc_id = clerk.post("/incoming", json=letter).get_json()["id"]
    assert clerk.post(f"/incoming/{doc_id}/submit", json={"leader_id": users["leader"].id}).status_code == 200
    body = {"instruction": "Phòng Kinh tế xử lý", "due_date": (today() + timedelta(days=5)).isoformat(),
            "assignees": [{"user_id": users["specialist"].id, "role": "primary"}]}
    doc = leader.post(f"/incoming/{doc_id}/assign", json=body).get_json()
    assignment_id = doc["assignments"][0]["id"]

    caller = api(outsider)
    for action, payload in (("urge", {"message": "Nhanh lên"}), ("delegate", {"user_id": outsider.id})):
        hidden = caller.post(f"/assignments/{assignment_id}/{action}", json=payload)
        missing = caller.post(f"/assignments/2147483000/{action}", json=payload)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.get_json() == missing.get_json()
