"""The archive's API answers the wrong role 403 at every step (404 where the object is not visible to
the caller), bad fields 422 naming them, a stale version 409, never a 500; a refused request writes
nothing; every endpoint is in the OpenAPI description with its request and response schemas."""

from datetime import date, timedelta

import sqlalchemy as sa

from docflow.archive import services
from docflow.archive.models import Disposition, Dossier, KeepBack, Loan, Transfer
from docflow.core.timeutil import today
from tests.archive.conftest import make_dossier


def _problem(response, status, *fields):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:400])
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    for field in fields:
        assert field in body.get("errors", {}), body
    return body


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_wrong_roles_refused_at_every_step(db, people, docs, api):
    kt = people["unit_head"].unit_id
    call = {name: api(user) for name, user in people.items()}
    year = today().year
    # file plan: the archivist drafts, a leader approves
    _problem(call["specialist"].post("/file-plans", json={"year": year}), 403)
    assert call["archivist"].post("/file-plans", json={"year": year}).status_code == 201
    _problem(call["specialist"].post(f"/file-plans/{year}/headings", json={"title": "X"}), 403)
    _problem(call["archivist"].post(f"/file-plans/{year}/approve", json={}), 403)
    _problem(call["archivist"].get(f"/file-plans/{year - 3}"), 404)
    planned = call["archivist"].post(f"/file-plans/{year}/dossiers", json={
        "code": "09.KT", "title": "Hồ sơ kế hoạch", "unit_id": kt, "retention_years": 10}).get_json()
    _problem(call["reader"].post(f"/dossiers/{planned['id']}/open", json={}), 404)  # another unit's
    _problem(call["leader"].post(f"/dossiers/{planned['id']}/open", json={}), 403)  # sees it, may not open it
    assert call["unit_head"].post(f"/dossiers/{planned['id']}/open", json={}).status_code == 200
    # opening: archivist, clerk, unit head, specialist; not a leader or the admin
    for name in ("leader", "admin"):
        _problem(call[name].post("/dossiers", json={"code": "9.X", "title": "X", "retention_years": 5}), 403)
    dossier = make_dossier(people["archivist"], "01.KT", unit_id=kt, documents=[docs["letter"]])
    short = make_dossier(people["archivist"], "02.KT", unit_id=kt, years=3, end=today())
    db.session.commit()
    base = f"/dossiers/{dossier.id}"
    _problem(call["reader"].get(base), 404)  # another unit's open dossier
    _problem(call["reader"].post(f"{base}/documents", json={"document_id": docs["issued"].id}), 404)
    _problem(call["specialist"].post(f"{base}/documents", json={"document_id": docs["issued"].id}), 403)
    _problem(call["unit_head"].post(f"{base}/documents", json={"document_id": 987654}), 404)
    _problem(call["specialist"].delete(f"{base}/documents/{docs['letter'].id}"), 403)
    _problem(call["specialist"].post(f"{base}/close", json={}), 403)
    _problem(call["leader"].post(f"{base}/close", json={}), 403)
    _problem(call["archivist"].post(f"{base}/transfer", json={}), 409)  # still open
    assert call["unit_head"].post(f"{base}/close", json={}).status_code == 200
    _problem(call["unit_head"].post(f"{base}/transfer", json={}), 403)  # the archivist takes it in
    _problem(call["archivist"].post(f"/dossiers/{short.id}/transfer", json={}), 422, "dossier_ids")
    _problem(call["archivist"].post("/transfers", json={"dossier_ids": [short.id]}), 422, "dossier_ids")
    _problem(call["specialist"].post("/transfers", json={"dossier_ids": [dossier.id]}), 403)
    assert _count(db, Transfer) == 0
    # keep-back: the keeper or the unit's head asks, a leader decides
    until = date(today().year + 1, 6, 30).isoformat()
    _problem(call["specialist"].post(f"{base}/keep-back", json={"reason": "X", "until": until}), 403)
    _problem(call["reader"].post(f"{base}/keep-back", json={"reason": "X", "until": until}), 404)
    kb = call["unit_head"].post(f"{base}/keep-back", json={"reason": "Còn dùng", "until": until})
    assert kb.status_code == 201, kb.get_json()
    assert [k["id"] for k in call["leader"].get("/keep-backs?state=proposed").get_json()["items"]] == [
        kb.get_json()["id"]]
    assert call["reader"].get("/keep-backs").get_json()["total"] == 0
    _problem(call["archivist"].post(f"/keep-backs/{kb.get_json()['id']}/approve", json={}), 403)
    assert call["leader"].post(f"/keep-backs/{kb.get_json()['id']}/refuse", json={"comment": "Nộp lưu"}).status_code == 200
    assert _count(db, KeepBack) == 1
    # loans: only an archived dossier; a leader decides, the archivist lends and takes back
    due = (today() + timedelta(days=5)).isoformat()
    _problem(call["unit_head"].post(f"{base}/loans", json={"reason": "X", "due_date": due}), 409)
    listed = call["unit_head"].post("/transfers", json={"dossier_ids": [dossier.id]})
    assert listed.status_code == 201, listed.get_json()
    _problem(call["unit_head"].post(f"/transfers/{listed.get_json()['id']}/accept", json={}), 403)
    _problem(call["reader"].get(f"/transfers/{listed.get_json()['id']}"), 404)
    # the archivist takes the one-dossier list in through the dossier's own transfer: paper needs its
    # box and shelf
    _problem(call["archivist"].post(f"{base}/transfer", json={"box": "B1"}), 422, f"locations.{dossier.id}.shelf")
    assert call["archivist"].get(f"/transfers/{listed.get_json()['id']}").get_json()["status"] == "proposed"
    assert call["archivist"].post(f"{base}/transfer", json={"box": "B1", "shelf": "K2"}).status_code == 200
    assert call["archivist"].get(f"/transfers/{listed.get_json()['id']}").get_json()["status"] == "accepted"
    loan = call["reader"].post(f"{base}/loans", json={"reason": "Tra cứu", "due_date": due}).get_json()
    _problem(call["archivist"].post(f"/loans/{loan['id']}/approve", json={}), 403)
    _problem(call["cleared_reader"].post(f"/loans/{loan['id']}/approve", json={}), 404)  # not their loan
    _problem(call["archivist"].post(f"/loans/{loan['id']}/lend"), 409)  # not approved yet
    _problem(call["leader"].post(f"/loans/{loan['id']}/refuse", json={}), 422, "comment")
    assert call["leader"].post(f"/loans/{loan['id']}/approve", json={}).status_code == 200
    _problem(call["leader"].post(f"/loans/{loan['id']}/lend"), 403)
    _problem(call["reader"].post(f"/loans/{loan['id']}/lend"), 403)
    assert call["archivist"].post(f"/loans/{loan['id']}/lend").status_code == 200
    _problem(call["reader"].post(f"/loans/{loan['id']}/return"), 403)
    assert call["reader"].get("/loans").get_json()["total"] == 1
    assert call["cleared_reader"].get("/loans").get_json()["total"] == 0
    # disposition: the archivist proposes, a leader decides; others may not even list them
    _problem(call["specialist"].get("/dispositions"), 403)
    _problem(call["leader"].post("/dispositions", json={"dossier_ids": [dossier.id], "reason": "X"}), 403)
    # retention: admin and archivist
    _problem(call["specialist"].post("/retention", json={"name": "3 năm", "years": 3}), 403)
    assert call["archivist"].post("/retention", json={"name": "3 năm", "years": 3}).status_code == 201
    assert call["specialist"].get("/retention").get_json()["total"] == 7


def test_disposition_of_a_permanent_dossier_writes_nothing(db, people, api):
    archivist, leader = api(people["archivist"]), api(people["leader"])
    old = today().year - 20
    expired = make_dossier(people["archivist"], "01.VP", year=old, years=10, end=date(old, 12, 1))
    permanent = make_dossier(people["archivist"], "02.VP", year=old, years=None, end=date(old, 12, 1))
    db.session.commit()
    body = _problem(archivist.post("/dispositions", json={"dossier_ids": [expired.id, permanent.id],
                                                          "reason": "Hết hạn"}), 422, "dossier_ids")
    assert "02.VP" in body["errors"]["dossier_ids"][0]
    _problem(archivist.post("/dispositions", json={"dossier_ids": [permanent.id], "reason": "Hết hạn"}), 422,
             "dossier_ids")
    _problem(archivist.post("/dispositions", json={"dossier_ids": [], "reason": "Hết hạn"}), 422, "dossier_ids")
    _problem(archivist.post("/dispositions", json={"dossier_ids": [expired.id]}), 422, "reason")
    assert _count(db, Disposition) == 0
    proposal = archivist.post("/dispositions", json={"dossier_ids": [expired.id], "reason": "Hết hạn"}).get_json()
    _problem(archivist.post(f"/dispositions/{proposal['id']}/approve", json={}), 403)
    _problem(leader.post(f"/dispositions/{proposal['id']}/refuse", json={}), 422, "decision")
    refused = leader.post(f"/dispositions/{proposal['id']}/refuse", json={"decision": "Còn giá trị"})
    assert refused.status_code == 200 and refused.get_json()["state"] == "refused"
    _problem(leader.post(f"/dispositions/{proposal['id']}/approve", json={}), 409)
    db.session.expire_all()
    assert {d.status for d in db.session.scalars(sa.select(Dossier))} == {"closed"}


def test_bad_input_is_a_422_or_404_and_a_stale_version_a_409(db, people, docs, api):
    archivist = api(people["archivist"])
    _problem(archivist.post("/dossiers", json={}), 422, "code", "title")
    _problem(archivist.post("/dossiers", json={"code": "1", "title": "X"}), 422, "retention_years")
    _problem(archivist.post("/dossiers", json={"code": "1", "title": "X", "retention_years": 0}), 422,
             "retention_years")
    _problem(archivist.post("/dossiers", json={"code": "1", "title": "X", "retention_years": 5, "unit_id": 999,
                                               "keeper_id": "abc", "start_date": "31/02/2026"}), 422,
             "unit_id", "keeper_id", "start_date")
    _problem(archivist.post("/dossiers", json={"code": "1" * 41, "title": "X", "retention_years": 5}), 422, "code")
    created = archivist.post("/dossiers", json={"code": "01.VP", "title": "Hồ sơ", "retention_years": None})
    assert created.status_code == 201 and created.get_json()["permanent"] is True
    dossier = created.get_json()
    assert dossier["keeper_id"] == people["archivist"].id and dossier["unit_id"] == people["archivist"].unit_id
    _problem(archivist.post("/dossiers", json={"code": "01.VP", "title": "Trùng", "retention_years": 5}), 422, "code")
    for query in ("status=lost", "year=abc", "expired=maybe", "unit_id=-1", "page=0"):
        _problem(archivist.get(f"/dossiers?{query}"), 422)
    _problem(archivist.get("/loans?state=lost"), 422)
    _problem(archivist.get("/dossiers/99999999999"), 404)
    base = f"/dossiers/{dossier['id']}"
    _problem(archivist.post(f"{base}/documents", json={"document_id": "x"}), 422, "document_id")
    _problem(archivist.post(f"{base}/documents/{docs['letter'].id}/move", json={"position": 1}), 404)
    _problem(archivist.patch(base, json={"title": "Sửa", "version": dossier["version"] + 1}), 409)
    patched = archivist.patch(base, json={"title": "Sửa", "version": dossier["version"]})
    assert patched.status_code == 200 and patched.get_json()["title"] == "Sửa"
    _problem(archivist.post(f"{base}/close", json={"end_date": "2999-01-01"}), 422, "end_date")
    _problem(archivist.post(f"{base}/close", json={"page_total": -1}), 422, "page_total")
    _problem(archivist.post(f"{base}/loans", json={"reason": "X", "due_date": "2001-01-01"}), 409)
    _problem(archivist.post("/transfers/5/accept", json={}), 404)
    _problem(archivist.post("/file-plans", json={"year": "next"}), 422, "year")
    assert _count(db, Loan) == 0


def test_work_queue_lists_unfiled_documents_open_dossiers_and_transfers_due(db, people, docs, api):
    archivist = people["archivist"]
    last_year = today().year - 1
    make_dossier(archivist, "01.VP", year=last_year, documents=[docs["letter"]])  # still open after its year
    due = make_dossier(archivist, "02.VP", year=last_year - 1, end=date(last_year - 1, 3, 1))
    db.session.commit()
    body = api(archivist).get("/archive/queue").get_json()
    assert {d["id"] for d in body["unfiled"]} == {docs["secret"].id, docs["issued"].id}
    assert body["unfiled_total"] == 2
    assert [d["code"] for d in body["open_ended"]] == ["01.VP"]
    assert [(t["dossier"]["code"], t["state"], t["deadline"]) for t in body["transfers"]] == [
        ("02.VP", "late", date(last_year, 12, 31).isoformat())]
    spec = api(people["specialist"]).get("/archive/queue").get_json()
    assert [d["id"] for d in spec["unfiled"]] == [docs["issued"].id]  # the letter is filed; the secret unseen
    assert spec["open_ended"] == [] and spec["transfers"] == []
    assert services.transfer_state(due) == "late"


def test_every_archive_endpoint_is_described_with_its_schemas(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    wanted = {
        "/api/v1/dossiers": {"get", "post"}, "/api/v1/dossiers/{dossier_id}": {"get", "patch"},
        "/api/v1/dossiers/{dossier_id}/open": {"post"}, "/api/v1/dossiers/{dossier_id}/documents": {"post"},
        "/api/v1/dossiers/{dossier_id}/documents/{document_id}": {"delete"},
        "/api/v1/dossiers/{dossier_id}/documents/{document_id}/move": {"post"},
        "/api/v1/dossiers/{dossier_id}/close": {"post"}, "/api/v1/dossiers/{dossier_id}/transfer": {"post"},
        "/api/v1/dossiers/{dossier_id}/keep-back": {"post"}, "/api/v1/keep-backs": {"get"},
        "/api/v1/keep-backs/{keep_back_id}/approve": {"post"},
        "/api/v1/keep-backs/{keep_back_id}/refuse": {"post"}, "/api/v1/dossiers/{dossier_id}/loans": {"post"},
        "/api/v1/loans": {"get"}, "/api/v1/loans/{loan_id}": {"get"}, "/api/v1/loans/{loan_id}/approve": {"post"},
        "/api/v1/loans/{loan_id}/refuse": {"post"}, "/api/v1/loans/{loan_id}/lend": {"post"},
        "/api/v1/loans/{loan_id}/return": {"post"}, "/api/v1/transfers": {"get", "post"},
        "/api/v1/transfers/{transfer_id}": {"get"}, "/api/v1/transfers/{transfer_id}/accept": {"post"},
        "/api/v1/dispositions": {"get", "post"}, "/api/v1/dispositions/{disposition_id}": {"get"},
        "/api/v1/dispositions/{disposition_id}/approve": {"post"},
        "/api/v1/dispositions/{disposition_id}/refuse": {"post"}, "/api/v1/retention": {"get", "post"},
        "/api/v1/retention/{period_id}": {"patch"}, "/api/v1/file-plans": {"post"},
        "/api/v1/file-plans/{year}": {"get"}, "/api/v1/file-plans/{year}/headings": {"post"},
        "/api/v1/file-plans/{year}/dossiers": {"post"}, "/api/v1/file-plans/{year}/approve": {"post"},
        "/api/v1/file-plans/{year}/copy": {"post"}, "/api/v1/archive/queue": {"get"},
    }
    without_body = {("/api/v1/loans/{loan_id}/lend", "post"), ("/api/v1/loans/{loan_id}/return", "post")}
    for path, methods in wanted.items():
        assert path in paths, path
        for method in methods:
            operation = paths[path][method]
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok and "schema" in operation["responses"][ok[0]]["content"]["application/json"], (path, method)
            if method in ("post", "patch") and (path, method) not in without_body:
                assert "schema" in operation["requestBody"]["content"]["application/json"], (path, method)
