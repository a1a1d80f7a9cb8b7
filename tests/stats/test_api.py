"""GET /api/v1/stats/volume, /stats/handling, /stats/directive10: the service's figures for the token's
user, problem+json refusals."""

from datetime import date, timedelta

import pytest

from docflow.core.timeutil import today
from docflow.incoming import services as incoming
from docflow.stats import counters, service
from docflow.stats.service import Period

TODAY = today()


@pytest.fixture
def letters(db, users):
    day = TODAY - timedelta(days=2)
    docs = []
    for n, level in enumerate(("normal", "normal", "confidential")):
        docs.append(incoming.register_incoming({
            "sender_name": "Sở Nội vụ", "number_symbol": f"{n}/SNV-VP", "issued_date": (day - timedelta(days=1)).isoformat(),
            "received_date": day.isoformat(), "doc_type": "CV", "subject": f"Văn bản {n}", "confidentiality": level,
            "medium": "electronic" if n else "paper"}, actor=users["clerk"]))
    incoming.assign(docs[0], actor=users["leader"], instruction="Xử lý",
                    assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    incoming.complete(docs[0], "Xong", actor=users["specialist"])
    db.session.commit()
    return docs


def test_volume_answers_the_service_figures_for_the_caller(api, users, letters):
    answer = api(users["leader"]).get(f"/stats/volume?year={TODAY.year}&group_by=medium")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["totals"] == {"incoming": 3, "outgoing": 0, "electronic_incoming": 2, "electronic_outgoing": 0}
    assert {g["key"]: g["incoming"] for g in body["groups"]} == {"paper": 1, "electronic": 2}
    assert body == service.volume(users["leader"], Period(TODAY.year), "medium") | {"period": body["period"]}
    # the specialist sees only the letter they handle
    mine = api(users["specialist"]).get("/stats/volume?group_by=month").get_json()
    assert mine["year"] == TODAY.year and mine["totals"]["incoming"] == 1
    assert sum(g["incoming"] for g in mine["groups"]) == 1
    month = api(users["leader"]).get(f"/stats/volume?year={TODAY.year}&month={letters[0].received_date.month}"
                                     "&group_by=doc_type").get_json()
    assert month["period"]["kind"] == "month" and month["totals"]["incoming"] == 3


def test_handling_and_directive10_answer_the_contract(api, users, letters):
    body = api(users["leader"]).get(f"/stats/handling?year={TODAY.year}").get_json()
    assert {k: body[k] for k in ("assigned", "completed_on_time", "completed_late", "overdue_open", "on_time_rate")} \
        == {"assigned": 1, "completed_on_time": 1, "completed_late": 0, "overdue_open": 0, "on_time_rate": 100.0}
    assert body["year"] == TODAY.year
    d10 = api(users["admin"]).get(f"/stats/directive10?year={TODAY.year}").get_json()
    assert {"year", "baseline_year", "baseline_outgoing", "outgoing", "change_pct", "target_pct", "on_track",
            "by_type"} <= set(d10)
    assert (d10["outgoing"], d10["change_pct"], d10["on_track"]) == (0, None, None)


@pytest.mark.parametrize("path, field", [
    ("/stats/volume?year=abc", "year"), ("/stats/volume?year=99999", "year"),
    ("/stats/volume?group_by=colour", "group_by"), ("/stats/volume?month=13", "month"),
    ("/stats/volume?quarter=1&month=2", "month"), ("/stats/volume?group_by=issuer&limit=0", "limit"),
    ("/stats/handling?year=20x6", "year"), ("/stats/handling?quarter=5", "quarter"),
    ("/stats/directive10?year=-1", "year"), ("/stats/directive10?year=1e3", "year")])
def test_a_bad_parameter_is_a_422_problem_naming_it(api, users, path, field):
    answer = api(users["leader"]).get(path)
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert field in answer.get_json()["errors"]


def test_without_a_token_the_figures_are_refused(client, users):
    for path in ("/api/v1/stats/volume", "/api/v1/stats/handling", "/api/v1/stats/directive10"):
        answer = client.get(path)
        assert answer.status_code == 401 and answer.mimetype == "application/problem+json"


def test_counts_rebuilt_from_the_command_line_match(app, db, users, letters):
    runner = app.test_cli_runner()
    before = service.volume(users["leader"], Period(TODAY.year), "unit")
    result = runner.invoke(args=["docflow", "stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "3 documents counted" in result.output
    db.session.expire_all()
    assert service.volume(users["leader"], Period(TODAY.year), "unit") == before
    assert service.handling(users["leader"], Period(date(TODAY.year, 1, 1).year))["assigned"] == 1
    counters.rebuild()
