"""A dossier's whole life through the API (issue 7/9's acceptance): plan → open → add documents → close
→ transfer → borrow (request, approve, lend) → return; and expire → propose → approve → destroyed, the
files gone from the store, the attachment rows and the dossier's metadata kept, the audit chain intact."""

from datetime import date, timedelta

from docflow.archive.models import Dossier
from docflow.core import audit
from docflow.core.timeutil import today
from docflow.registry.models import Attachment
from docflow.search import indexer
from tests.archive.conftest import stored
from tests.conftest import login


def _ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    return response.get_json()


def test_plan_open_file_close_transfer_lend_return(db, people, docs, api):
    archivist, leader, reader = api(people["archivist"]), api(people["leader"]), api(people["reader"])
    spec = api(people["specialist"])
    year = today().year
    plan = _ok(archivist.post("/file-plans", json={"year": year}), 201)
    assert (plan["year"], plan["status"], plan["headings"], plan["dossiers"]) == (year, "draft", [], [])
    heading = _ok(archivist.post(f"/file-plans/{year}/headings", json={"title": "Kinh tế", "abbr": "KT",
                                                                      "unit_id": people["specialist"].unit_id}), 201)
    planned = _ok(archivist.post(f"/file-plans/{year}/dossiers",
                                 json={"code": "01.KT", "title": "Hồ sơ ngân sách", "heading_id": heading["id"],
                                       "retention_years": 10, "keeper_id": people["specialist"].id}), 201)
    assert (planned["status"], planned["unit_id"], planned["keeper_id"]) == (
        "planned", people["specialist"].unit_id, people["specialist"].id)
    plan = _ok(leader.post(f"/file-plans/{year}/approve", json={"version": plan["version"]}))
    assert plan["status"] == "approved" and [d["code"] for d in plan["dossiers"]] == ["01.KT"]

    dossier_id = planned["id"]
    assert _ok(spec.post(f"/dossiers/{dossier_id}/open", json={}))["status"] == "open"
    _ok(spec.post(f"/dossiers/{dossier_id}/documents", json={"document_id": docs["letter"].id}), 201)
    body = _ok(archivist.post(f"/dossiers/{dossier_id}/documents", json={"document_id": docs["issued"].id}), 201)
    assert [e["document"]["id"] for e in body["documents"]] == [docs["letter"].id, docs["issued"].id]
    body = _ok(spec.post(f"/dossiers/{dossier_id}/documents/{docs['issued'].id}/move", json={"position": 1}))
    assert [e["position"] for e in body["documents"]] == [1, 2]
    assert body["documents"][0]["document"]["id"] == docs["issued"].id
    body = _ok(spec.post(f"/dossiers/{dossier_id}/close", json={"closing_note": "Đủ hồ sơ"}))
    assert (body["status"], body["end_date"], body["doc_total"], body["page_total"]) == (
        "closed", today().isoformat(), 2, 5)
    assert body["transfer_deadline"] == date(year + 1, 12, 31).isoformat()

    body = _ok(archivist.post(f"/dossiers/{dossier_id}/transfer", json={"box": "H01", "shelf": "K03"}))
    assert (body["status"], body["location_box"], body["location_shelf"]) == ("archived", "H01", "K03")
    transfers = _ok(archivist.get("/transfers"))
    assert [(t["status"], t["dossier_ids"]) for t in transfers["items"]] == [("accepted", [dossier_id])]

    # a reader of another unit finds it in the catalogue, borrows it, and sees what it holds while lent
    assert dossier_id in [d["id"] for d in _ok(reader.get("/dossiers?status=archived"))["items"]]
    due = (today() + timedelta(days=10)).isoformat()
    loan = _ok(reader.post(f"/dossiers/{dossier_id}/loans", json={"reason": "Tra cứu số liệu", "due_date": due}), 201)
    assert (loan["state"], loan["due_date"], loan["overdue"]) == ("requested", due, False)
    assert [item["id"] for item in _ok(leader.get("/loans?state=requested"))["items"]] == [loan["id"]]
    assert _ok(leader.post(f"/loans/{loan['id']}/approve", json={}))["state"] == "approved"
    assert _ok(archivist.post(f"/loans/{loan['id']}/lend"))["state"] == "lent"
    assert _ok(reader.get(f"/dossiers/{dossier_id}"))["doc_total"] == 2
    assert _ok(reader.get(f"/incoming/{docs['letter'].id}"))["id"] == docs["letter"].id
    assert [item["id"] for item in _ok(reader.get("/loans?state=lent"))["items"]] == [loan["id"]]
    assert _ok(archivist.post(f"/loans/{loan['id']}/return"))["state"] == "returned"
    assert reader.get(f"/incoming/{docs['letter'].id}").status_code == 404
    assert _ok(archivist.get("/loans?state=returned"))["total"] == 1
    assert audit.verify().ok


def test_expire_propose_approve_destroys_files_and_keeps_records(db, people, docs, api, client):
    archivist, leader = api(people["archivist"]), api(people["leader"])
    old = today().year - 8
    created = _ok(archivist.post("/dossiers", json={"code": "03.VP", "title": "Giấy mời hội nghị", "year": old,
                                                    "unit_id": None, "retention_years": 5,
                                                    "start_date": f"{old}-01-02"}), 201)
    dossier_id = created["id"]
    for doc in (docs["letter"], docs["issued"]):
        _ok(archivist.post(f"/dossiers/{dossier_id}/documents", json={"document_id": doc.id}), 201)
    _ok(archivist.post(f"/dossiers/{dossier_id}/close", json={"end_date": f"{old}-12-20"}))
    files = [a for doc in (docs["letter"], docs["issued"]) for a in doc.attachments]
    assert files and all(stored(a.sha256) for a in files)
    # the letter's file was read (its text found by the search, as after the extraction job)
    files[0].text, files[0].text_status = "Biên bản kiểm kê kho lương thực dự trữ", "done"
    indexer.index_attachments(docs["letter"])
    db.session.commit()
    assert [i["id"] for i in _ok(leader.get("/search?q=luong+thuc+du+tru"))["items"]] == [docs["letter"].id]
    expired = _ok(archivist.get("/dossiers?expired=1"))["items"]
    assert [d["code"] for d in expired] == ["03.VP"] and expired[0]["retention_ends"] == f"{old + 5}-12-31"

    proposal = _ok(archivist.post("/dispositions", json={"dossier_ids": [dossier_id],
                                                         "reason": "Hết thời hạn bảo quản"}), 201)
    assert (proposal["state"], proposal["dossier_ids"]) == ("proposed", [dossier_id])
    assert _ok(leader.get("/dispositions?state=proposed"))["total"] == 1
    done = _ok(leader.post(f"/dispositions/{proposal['id']}/approve", json={"decision": "QĐ 20/QĐ-UBND"}))
    assert (done["state"], done["decision"]) == ("approved", "QĐ 20/QĐ-UBND")

    db.session.expire_all()
    assert not any(stored(a.sha256) for a in files)  # gone from the store
    for attachment in files:  # the rows, with their metadata, are the record
        row = db.session.get(Attachment, attachment.id)
        assert row.destroyed_at is not None and row.filename and row.sha256 == attachment.sha256
        assert row.text is None  # the content is gone with the file: its text too
    assert _ok(leader.get("/search?q=luong+thuc+du+tru"))["items"] == []  # no longer found by its content
    assert [i["id"] for i in _ok(leader.get("/search?q=bao+cao+ngan+sach+quy"))["items"]] == [docs["letter"].id]
    dossier = db.session.get(Dossier, dossier_id)
    assert (dossier.status, dossier.code, dossier.title, len(dossier.entries)) == (
        "destroyed", "03.VP", "Giấy mời hội nghị", 2)
    body = _ok(archivist.get(f"/dossiers/{dossier_id}"))
    assert body["status"] == "destroyed" and body["destroyed_at"] and body["disposition_id"] == proposal["id"]
    gone = archivist.get(f"/attachments/{files[0].id}")
    assert gone.status_code == 410 and gone.mimetype == "application/problem+json"
    # the page answers with a message, never a 500
    login(client, people["archivist"].username)
    page = client.get(f"/files/attachments/{files[0].id}")
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert "destruction decision" in text or "quyết định hủy" in text
    assert audit.verify().ok
