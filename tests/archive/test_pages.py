"""The archive's pages (/archive/...): the dossier's life through its forms (file from a letter's page,
add, move, take out, close, transfer, borrow), the file plan, the retention table, transfer lists and
disposition; who may do what (403/404), bad input as field errors that leave no rows (never a 500),
and a confidential document filed in a dossier that an uncleared reader never sees nor counts."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from docflow.archive import services
from docflow.archive.models import Disposition, Dossier, DossierDocument, FilePlan, KeepBack, Loan, RetentionPeriod
from docflow.archive.models import Transfer as TransferRow
from docflow.core.timeutil import today
from tests.conftest import csrf_token_from, login
from tests.stats.office_figures import assign, complete, issue, register
from tests.test_no_500 import HUGE, HUGE_QUERY, JUNK_FORM, JUNK_QUERY


def build(db, users):
    """A small archive: three handled letters (a and b handled by the specialist of KT; c confidential,
    handled by KT's head) and the archivist's open dossier of KT holding a and c. Returns ids."""
    services.seed_retention()
    t = today()
    day = t - timedelta(days=20)
    spec, head = users["specialist"], users["unit_head"]
    docs = {}
    for key, symbol, subject, handler, level in (
            ("a", "11/BTC-NS", "Báo cáo ngân sách quý", spec, "normal"),
            ("b", "12/BTC-NS", "=HYPERLINK(\"x\") dự toán", spec, "normal"),
            ("c", "13/CA-PV01", "Bảo vệ bí mật nhà nước", head, "confidential")):
        doc = register(users, day, symbol, subject, confidentiality=level)
        doc.pages = {"a": 3, "b": 2, "c": 5}[key]
        assign(users, doc, t + timedelta(days=5), user=handler)
        complete(users, doc, handler, t, db)
        docs[key] = doc.id
    ten = db.session.scalar(sa.select(RetentionPeriod).where(RetentionPeriod.years == 10))
    dossier = services.create_dossier({"code": "01.KT", "title": "Hồ sơ ngân sách", "year": t.year,
                                       "unit_id": spec.unit_id, "retention_id": ten.id,
                                       "keeper_id": users["archivist"].id, "start_date": day},
                                      actor=users["archivist"])
    services.add_document(dossier, docs["a"], actor=users["archivist"])
    services.add_document(dossier, docs["c"], actor=users["archivist"])
    db.session.commit()
    return {"docs": docs, "dossier": dossier.id, "ten": ten.id,
            "permanent": db.session.scalar(sa.select(RetentionPeriod.id).where(RetentionPeriod.years.is_(None))),
            "five": db.session.scalar(sa.select(RetentionPeriod.id).where(RetentionPeriod.years == 5))}


@pytest.fixture
def archive(db, users):
    return build(db, users)


@pytest.fixture
def as_user(app):
    def do(user):
        client = app.test_client()
        login(client, user.username)
        return client

    return do


def _html(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code, response.get_data(as_text=True)[:1500])
    return response.get_data(as_text=True)


def _post(client, path: str, data: dict, *, page: str | None = None, status: int | None = 302):
    """POST a form with the CSRF token of `page` (default: the path without its action)."""
    html = _html(client, page or path)
    response = client.post(path, data={**data, **_tokens(html, data)})
    if status is not None:
        assert response.status_code == status, (path, response.status_code,
                                                response.get_data(as_text=True)[:3000])
    return response


def _tokens(html: str, data: dict) -> dict:
    token = csrf_token_from(html)
    prefixes = {k.split("-", 1)[0] for k in data if "-" in k}
    return {f"{p}-csrf_token": token for p in prefixes} | {"csrf_token": token}


def _count(db, model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _doc_rows(html: str) -> list[str]:
    table = re.search(r'id="dossier-documents".*?</table>', html, re.S).group(0)
    return re.findall(r'<tr data-id="(\d+)"', table)


# ---- the dossier's life ---------------------------------------------------------------------------

def test_a_dossier_from_opening_to_borrowing_through_its_pages(as_user, users, archive, db):
    arch = as_user(users["archivist"])
    t = today()
    # open a dossier: a bad date and a missing retention are field errors, and nothing is written
    before = _count(db, Dossier)
    response = _post(arch, "/archive/dossiers/new", {
        "dossier-code": "02.KT", "dossier-title": "Hồ sơ thi đua", "dossier-year": str(t.year),
        "dossier-unit_id": str(users["specialist"].unit_id), "dossier-keeper_id": "",
        "dossier-retention_id": "", "dossier-medium": "paper", "dossier-start_date": "31/02/2026"}, status=200)
    page = response.get_data(as_text=True)
    assert "is-invalid" in page and page.count("invalid-feedback d-block") >= 2
    assert _count(db, Dossier) == before
    response = _post(arch, "/archive/dossiers/new", {
        "dossier-code": "02.KT", "dossier-title": "Hồ sơ thi đua", "dossier-year": str(t.year),
        "dossier-unit_id": str(users["specialist"].unit_id), "dossier-keeper_id": "",
        "dossier-retention_id": str(archive["ten"]), "dossier-medium": "paper",
        "dossier-start_date": (t - timedelta(days=30)).strftime("%d/%m/%Y")})
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    # a code taken in the year: a field error, no second row
    response = _post(arch, "/archive/dossiers/new", {
        "dossier-code": "02.KT", "dossier-title": "Trùng", "dossier-year": str(t.year),
        "dossier-retention_id": str(archive["ten"]), "dossier-medium": "paper"}, status=200)
    assert _count(db, Dossier, Dossier.code == "02.KT") == 1

    # file letter b from its own page: the page lists the open dossiers, then the dossier it sits in
    doc_b = archive["docs"]["b"]
    letter = _html(arch, f"/incoming/{doc_b}")
    assert 'id="file-form"' in letter and "Not filed in any dossier yet." in letter
    assert f'value="{new_id}"' in letter
    response = _post(arch, f"/archive/documents/{doc_b}/file", {"file-dossier_id": str(new_id)},
                     page=f"/incoming/{doc_b}")
    assert response.headers["Location"].endswith(f"/incoming/{doc_b}")
    letter = _html(arch, f"/incoming/{doc_b}")
    assert f'href="/archive/dossiers/{new_id}"' in letter and "Not filed in any dossier yet." not in letter
    # filing it twice is refused, said on the letter's page, and writes nothing
    arch.post(f"/archive/documents/{doc_b}/file", data={"file-dossier_id": str(new_id),
                                                          "file-csrf_token": csrf_token_from(letter)})
    assert _count(db, DossierDocument, DossierDocument.document_id == doc_b) == 1
    # a bad dossier id from the letter's page: a message, no row
    response = arch.post(f"/archive/documents/{doc_b}/file", data={"file-dossier_id": "x",
                                                                     "file-csrf_token": csrf_token_from(letter)})
    assert response.status_code == 302 and _count(db, DossierDocument, DossierDocument.dossier_id == new_id) == 1

    # add letter a on the dossier's page, move it first, take b out and put it back
    path = f"/archive/dossiers/{new_id}"
    doc_a = archive["docs"]["a"]
    _post(arch, f"{path}/documents", {"add-document_id": str(doc_a)}, page=path)
    assert _doc_rows(_html(arch, path)) == [str(doc_b), str(doc_a)]
    _post(arch, f"{path}/documents/{doc_a}/move", {"move-position": "1"}, page=path)
    assert _doc_rows(_html(arch, path)) == [str(doc_a), str(doc_b)]
    # "search in this dossier" finds its documents and no other
    found = _html(arch, f"/search/?dossier={new_id}")
    assert f'href="/search/?dossier={new_id}"' in _html(arch, path)
    assert f'/incoming/{doc_a}"' in found and f'/incoming/{doc_b}"' in found
    assert all(f'/incoming/{other}"' not in found for key, other in archive["docs"].items() if key not in "ab")
    response = _post(arch, f"{path}/documents/{doc_a}/move", {"move-position": "zero"}, page=path, status=200)
    assert "Enter a whole number." in response.get_data(as_text=True)
    _post(arch, f"{path}/documents/{doc_b}/remove", {"remove-submit": "1"}, page=path)
    assert _doc_rows(_html(arch, path)) == [str(doc_a)]
    _post(arch, f"{path}/documents", {"add-document_id": str(doc_b)}, page=path)
    _post(arch, f"{path}/documents", {"add-document_id": "99999999999999999999"}, page=path, status=200)
    assert _count(db, DossierDocument, DossierDocument.dossier_id == new_id) == 2

    # the keeper fixes its title; a stale version is a 409, an empty title a field error
    version = db.session.get(Dossier, new_id).version
    edit = {"edit-code": "02.KT", "edit-title": "Hồ sơ thi đua khen thưởng", "edit-retention_id": str(archive["ten"]),
            "edit-medium": "paper", "edit-unit_id": str(users["specialist"].unit_id)}
    _post(arch, f"{path}/edit", {**edit, "edit-version": str(version + 5)}, page=path, status=409)
    response = _post(arch, f"{path}/edit", {**edit, "edit-version": str(version), "edit-title": ""}, page=path,
                     status=200)
    page = response.get_data(as_text=True)
    assert re.search(r'<details open\s+id="edit-details"', page), re.findall(r"<details[^>]*>", page)
    _post(arch, f"{path}/edit", {**edit, "edit-version": str(version)}, page=path)
    db.session.rollback()
    assert db.session.get(Dossier, new_id).title == "Hồ sơ thi đua khen thưởng"

    # close: a stale version is a 409 that changes nothing; a future end date a field error
    version = db.session.get(Dossier, new_id).version
    response = _post(arch, f"{path}/close", {"close-version": str(version - 1), "close-end_date": ""}, page=path,
                     status=409)
    assert "reload" in response.get_data(as_text=True).lower()
    response = _post(arch, f"{path}/close", {"close-version": str(version),
                                             "close-end_date": (t + timedelta(days=3)).isoformat()},
                     page=path, status=200)
    assert "The end date cannot be in the future." in response.get_data(as_text=True)
    assert db.session.get(Dossier, new_id).status == "open"
    _post(arch, f"{path}/close", {"close-version": str(version), "close-end_date": t.strftime("%d/%m/%Y"),
                                  "close-closing_note": "Đủ hồ sơ"}, page=path)
    closed = db.session.get(Dossier, new_id)
    assert (closed.status, closed.doc_total, closed.page_total) == ("closed", 2, 5)

    # the archivist takes it into the archive with its box and shelf
    _post(arch, f"{path}/transfer", {"transfer-box": "H12", "transfer-shelf": "G3"}, page=path)
    db.session.rollback()
    archived = db.session.get(Dossier, new_id)
    assert (archived.status, archived.location_box, archived.location_shelf) == ("archived", "H12", "G3")
    assert "H12" in _html(arch, path)

    # a reader asks to borrow it: a past due date is a field error, no loan; then the request
    reader = as_user(users["specialist"])
    page = _html(reader, path)
    assert 'id="loan-form"' in page
    response = _post(reader, f"{path}/loans", {"loan-reason": "Tra cứu", "loan-due_date": "01/01/2001"},
                     page=path, status=200)
    assert "is-invalid" in response.get_data(as_text=True) and _count(db, Loan) == 0
    _post(reader, f"{path}/loans", {"loan-reason": "Tra cứu số liệu", "loan-due_date": (t + timedelta(days=7)).isoformat()},
          page=path)
    loan_id = db.session.scalar(sa.select(Loan.id))
    # the reader cannot approve their own request, nor lend it
    token = csrf_token_from(_html(reader, "/archive/loans"))
    assert reader.post(f"/archive/loans/{loan_id}/decide", data={f"loan-{loan_id}-csrf_token": token,
                                                                 f"loan-{loan_id}-approve": "1"}).status_code == 403
    assert reader.post(f"/archive/loans/{loan_id}/lend", data={"act-csrf_token": token}).status_code == 403
    # a leader approves, the archivist lends and takes it back
    leader = as_user(users["leader"])
    _post(leader, f"/archive/loans/{loan_id}/decide", {f"loan-{loan_id}-approve": "1"}, page="/archive/loans")
    _post(arch, f"/archive/loans/{loan_id}/lend", {"act-submit": "1"}, page="/archive/loans")
    db.session.rollback()
    assert db.session.get(Loan, loan_id).state == "lent"
    book = _html(arch, "/archive/loans?state=lent")
    assert "Tra cứu số liệu" in book and "Take back" in book
    _post(arch, f"/archive/loans/{loan_id}/return", {"act-submit": "1"}, page="/archive/loans")
    db.session.rollback()
    assert db.session.get(Loan, loan_id).state == "returned"
    # the reader's book shows their own loan; a bad state filter shows everything, never a 500
    assert "Tra cứu số liệu" in _html(reader, "/archive/loans?state=nonsense")


def test_an_uncleared_reader_sees_the_dossier_but_not_its_confidential_document(as_user, users, archive, db):
    path = f"/archive/dossiers/{archive['dossier']}"
    docs = archive["docs"]
    spec = as_user(users["specialist"])
    page = _html(spec, path)
    assert _doc_rows(page) == [str(docs["a"])]
    assert 'data-documents="1" data-pages="3"' in page and "Bảo vệ bí mật" not in page
    index = _html(spec, path + "/index")
    assert "Báo cáo ngân sách quý" in index and "Bảo vệ bí mật" not in index and "1 documents, 3 pages." in index
    cover = _html(spec, path + "/cover")
    assert re.search(r'data-label="Number of documents">1<', cover)
    listing = _html(spec, "/archive/dossiers")
    assert re.search(rf'<tr data-id="{archive["dossier"]}">.*?data-column="documents">1<', listing, re.S)
    # the cleared archivist sees both, in the dossier's order
    arch = as_user(users["archivist"])
    page = _html(arch, path)
    assert _doc_rows(page) == [str(docs["a"]), str(docs["c"])] and 'data-documents="2" data-pages="8"' in page
    assert re.search(rf'<tr data-id="{archive["dossier"]}">.*?data-column="documents">2<',
                     _html(arch, "/archive/dossiers"), re.S)
    # the confidential letter's own page is a 404 for the reader, so its file form is out of reach
    assert spec.get(f"/incoming/{docs['c']}").status_code == 404
    token = csrf_token_from(page)
    assert spec.post(f"/archive/documents/{docs['c']}/file",
                     data={"file-dossier_id": str(archive["dossier"]), "file-csrf_token": token}).status_code == 404


# ---- who may do what -------------------------------------------------------------------------------

def test_wrong_roles_and_bad_ids_are_refused_never_a_500(as_user, client, users, archive, db, make_user):
    path = f"/archive/dossiers/{archive['dossier']}"
    assert client.get("/archive/").status_code == 302  # anonymous: to the login page
    outsider = make_user("specialist", unit="VX", username="vx9")
    other = as_user(outsider)
    assert other.get(path).status_code == 404  # another unit's open dossier is not shown
    assert other.get(path + "/index.xlsx").status_code == 404
    assert other.get("/archive/dispositions").status_code == 403
    token = csrf_token_from(_html(other, "/archive/dossiers"))
    assert other.post(path + "/close", data={"close-csrf_token": token}).status_code == 404
    spec = as_user(users["specialist"])
    token = csrf_token_from(_html(spec, path))
    # the specialist sees their unit's dossier but does not keep it: closing is refused
    assert spec.post(path + "/close", data={"close-csrf_token": token}).status_code == 403
    assert spec.post(path + "/transfer", data={"transfer-csrf_token": token}).status_code == 403
    assert spec.post("/archive/retention", data={"retention-csrf_token": token, "retention-name": "x"}
                     ).status_code == 403
    assert spec.post("/archive/dispositions", data={"disposition-csrf_token": token}).status_code == 403
    assert _count(db, Dossier, Dossier.status == "closed") == 0
    leader = as_user(users["leader"])
    assert leader.get("/archive/dossiers/new").status_code == 403  # a leader does not open dossiers
    for bad in ("/archive/dossiers/0", "/archive/dossiers/99999999999999999999", "/archive/transfers/12345",
                "/archive/plans/99999", "/archive/dossiers/1/nothing", "/archive/transfers/99999999999999999999.xlsx"):
        assert leader.get(bad).status_code == 404, bad
    token = csrf_token_from(_html(leader, "/archive/loans"))
    for bad in ("/archive/loans/777/lend", "/archive/loans/99999999999999999999/return",
                "/archive/keep-backs/5/decide", "/archive/dispositions/9/decide", "/archive/transfers/4/accept"):
        assert leader.post(bad, data={"act-csrf_token": token, "csrf_token": token}).status_code == 404, bad
    arch = as_user(users["archivist"])
    # odd filters are field errors or ignored, never a 500
    page = _html(arch, "/archive/dossiers?year=20x6&status=zzz&unit_id=abc&page=-3&expired=1")
    assert "is-invalid" in page
    _html(arch, "/archive/dossiers?q=%25_%5C&year=1800")
    _html(arch, "/archive/loans?state=%27")


def test_the_file_plan_pages(as_user, users, archive, db):
    y = today().year + 1
    arch = as_user(users["archivist"])
    page = _html(arch, f"/archive/plans/{y}")
    assert 'id="no-plan"' in page and 'id="plan-create-form"' in page
    _post(arch, f"/archive/plans/{y}/create", {"create-submit": "1"}, page=f"/archive/plans/{y}")
    plan = f"/archive/plans/{y}"
    _post(arch, f"{plan}/headings", {"heading-title": "Tổ chức cán bộ", "heading-abbr": "TCCB",
                                     "heading-sort_order": "1"}, page=plan)
    heading_id = db.session.scalar(sa.select(FilePlan).where(FilePlan.year == y)).headings[0].id
    # a bad heading and a missing retention are field errors: no planned dossier
    response = _post(arch, f"{plan}/dossiers", {"dossier-code": "01.TCCB", "dossier-title": "Hồ sơ tuyển dụng",
                                                "dossier-heading_id": "77777", "dossier-retention_id": ""},
                     page=plan, status=200)
    assert response.get_data(as_text=True).count("invalid-feedback d-block") >= 1
    assert _count(db, Dossier, Dossier.year == y) == 0
    _post(arch, f"{plan}/dossiers", {"dossier-code": "01.TCCB", "dossier-title": "Hồ sơ tuyển dụng",
                                     "dossier-heading_id": str(heading_id),
                                     "dossier-retention_id": str(archive["permanent"]),
                                     "dossier-keeper_id": str(users["archivist"].id)}, page=plan)
    page = _html(arch, plan)
    assert "01.TCCB" in page and "Hồ sơ tuyển dụng" in page and "Permanent" in page and "I. Tổ chức cán bộ" in page
    assert 'id="plan-approve-form"' not in page  # the archivist drafts; a leader approves
    leader = as_user(users["leader"])
    token = csrf_token_from(_html(leader, plan))
    assert leader.post(f"{plan}/headings", data={"heading-csrf_token": token, "heading-title": "X"}).status_code == 403
    response = leader.post(f"{plan}/approve", data={"approve-csrf_token": token, "approve-version": "99"})
    assert response.status_code == 409 and db.session.scalar(sa.select(FilePlan.status)) == "draft"
    _post(leader, f"{plan}/approve", {"approve-version": "1"}, page=plan)
    db.session.rollback()
    assert db.session.scalar(sa.select(FilePlan.status).where(FilePlan.year == y)) == "approved"
    # copy it into the year after; copying a year without a plan is a field error
    nxt = f"/archive/plans/{y + 1}"
    response = _post(arch, f"{nxt}/copy", {"copy-from_year": "1999"}, page=nxt, status=200)
    assert "1999" in response.get_data(as_text=True) and _count(db, FilePlan) == 1
    response = _post(arch, f"{nxt}/copy", {"copy-from_year": "abc"}, page=nxt, status=200)
    assert "Enter a whole number." in response.get_data(as_text=True)
    _post(arch, f"{nxt}/copy", {"copy-from_year": str(y)}, page=nxt)
    assert "01.TCCB" in _html(arch, nxt)
    # the planned dossier is opened by its keeper
    planned = db.session.scalar(sa.select(Dossier).where(Dossier.year == y))
    _post(arch, f"/archive/dossiers/{planned.id}/open", {"open-submit": "1"}, page=f"/archive/dossiers/{planned.id}")
    db.session.rollback()
    assert db.session.get(Dossier, planned.id).status == "open"


def test_the_retention_table(as_user, users, archive, db):
    arch = as_user(users["archivist"])
    page = _html(arch, "/archive/retention")
    assert "Vĩnh viễn" in page and 'id="retention-form"' in page
    before = _count(db, RetentionPeriod)
    response = _post(arch, "/archive/retention", {"retention-name": "15 năm", "retention-years": "mười lăm",
                                                  "retention-sort_order": "45"}, status=200)
    assert "Enter a whole number." in response.get_data(as_text=True) and _count(db, RetentionPeriod) == before
    _post(arch, "/archive/retention", {"retention-name": "15 năm", "retention-years": "15",
                                       "retention-categories": "Hồ sơ thi đua", "retention-sort_order": "45",
                                       "retention-is_active": "y"})
    period = db.session.scalar(sa.select(RetentionPeriod).where(RetentionPeriod.name == "15 năm"))
    assert period.years == 15
    # a stale edit is a 409, an unknown row a 404
    response = _post(arch, "/archive/retention", {"retention-period_id": str(period.id), "retention-version": "7",
                                                  "retention-name": "Mười lăm năm", "retention-years": "15"},
                     status=409)
    assert _count(db, RetentionPeriod, RetentionPeriod.name == "Mười lăm năm") == 0
    _post(arch, "/archive/retention", {"retention-period_id": "987654", "retention-name": "x"}, status=404)
    # everyone reads the table; only admin and archivist edit it
    page = _html(as_user(users["specialist"]), "/archive/retention")
    assert "15 năm" in page and 'id="retention-form"' not in page


def test_transfer_lists_keep_backs_and_disposition(as_user, users, archive, db):
    t = today()
    archivist = users["archivist"]
    dossier = db.session.get(Dossier, archive["dossier"])
    services.close_dossier(dossier, {"end_date": t}, actor=archivist)
    short = services.create_dossier({"code": "09.KT", "title": "Giấy mời", "year": t.year, "retention_id":
                                     archive["five"], "unit_id": users["unit_head"].unit_id}, actor=archivist)
    services.close_dossier(short, {"end_date": t}, actor=archivist)
    old = services.create_dossier({"code": "03.KT", "title": "Hồ sơ cũ", "year": 2001, "retention_years": 5,
                                   "start_date": date(2001, 1, 2)}, actor=archivist)
    services.close_dossier(old, {"end_date": date(2001, 12, 1)}, actor=archivist)
    forever = services.create_dossier({"code": "04.KT", "title": "Hồ sơ vĩnh viễn", "year": 2001,
                                       "retention_years": None, "start_date": date(2001, 1, 2)}, actor=archivist)
    services.close_dossier(forever, {"end_date": date(2001, 12, 1)}, actor=archivist)
    db.session.commit()
    ids = {"main": dossier.id, "short": short.id, "old": old.id, "forever": forever.id}

    # the unit's head asks to keep the dossier back; a leader approves it
    head = as_user(users["unit_head"])
    path = f"/archive/dossiers/{ids['main']}"
    response = _post(head, f"{path}/keep-back", {"keep_back-reason": "Còn dùng",
                                                 "keep_back-until": date(t.year + 9, 1, 1).isoformat()},
                     page=path, status=200)
    assert "At most 2 years" in response.get_data(as_text=True) and _count(db, KeepBack) == 0
    _post(head, f"{path}/keep-back", {"keep_back-reason": "Còn dùng",
                                      "keep_back-until": date(t.year + 1, 6, 30).isoformat()}, page=path)
    kb = db.session.scalar(sa.select(KeepBack.id))
    leader = as_user(users["leader"])
    assert "Keep-backs awaiting your decision" in _html(leader, "/archive/")
    _post(leader, f"/archive/keep-backs/{kb}/decide", {f"kb-{kb}-comment": "Đồng ý", f"kb-{kb}-approve": "1"},
          page=path)
    db.session.rollback()
    assert db.session.get(Dossier, ids["main"]).kept_back_until == date(t.year + 1, 6, 30)

    # a transfer list of the closed dossiers kept 5 years or more; the archivist accepts it with box and shelf
    page = _html(head, "/archive/transfers")
    assert f'value="{ids["main"]}"' in page
    response = _post(head, "/archive/transfers", {"transfer-dossier_ids": ["abc"]}, page="/archive/transfers",
                     status=200)
    assert _count(db, TransferRow) == 0
    response = _post(head, "/archive/transfers", {"transfer-note": "Nộp lưu năm nay"}, page="/archive/transfers",
                     status=200)
    assert "Choose at least one dossier." in response.get_data(as_text=True) and _count(db, TransferRow) == 0
    response = _post(head, "/archive/transfers", {"transfer-dossier_ids": [str(ids["main"])]},
                     page="/archive/transfers")
    transfer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    arch = as_user(archivist)
    page = _html(arch, f"/archive/transfers/{transfer_id}")
    assert "MỤC LỤC HỒ SƠ NỘP LƯU" in page and "BIÊN BẢN GIAO NHẬN HỒ SƠ" in page and 'id="accept-form"' in page
    assert 'id="accept-form"' not in _html(head, f"/archive/transfers/{transfer_id}")
    token = csrf_token_from(page)
    response = arch.post(f"/archive/transfers/{transfer_id}/accept",
                         data={"accept-csrf_token": token, "accept-version": "1", f"box-{ids['main']}": "B" * 41})
    assert response.status_code == 200 and db.session.get(Dossier, ids["main"]).status == "closed"
    _post(arch, f"/archive/transfers/{transfer_id}/accept", {"accept-version": "1", f"box-{ids['main']}": "H1",
                                                             f"shelf-{ids['main']}": "K2"},
          page=f"/archive/transfers/{transfer_id}")
    db.session.rollback()
    main = db.session.get(Dossier, ids["main"])
    assert (main.status, main.location_box, main.location_shelf) == ("archived", "H1", "K2")

    # disposition: the expired 5-year dossier is offered, the permanent one never
    page = _html(arch, "/archive/dispositions")
    assert f'value="{ids["old"]}"' in page and f'value="{ids["forever"]}"' not in page
    response = _post(arch, "/archive/dispositions", {"disposition-dossier_ids": [str(ids["forever"])],
                                                     "disposition-reason": "Hết hạn"}, status=200)
    assert "Permanent dossiers are never destroyed" in response.get_data(as_text=True)
    assert _count(db, Disposition) == 0
    _post(arch, "/archive/dispositions", {"disposition-dossier_ids": [str(ids["old"])],
                                          "disposition-reason": "Hết thời hạn bảo quản"})
    disposition = db.session.scalar(sa.select(Disposition.id))
    token = csrf_token_from(_html(arch, "/archive/dispositions"))
    assert arch.post(f"/archive/dispositions/{disposition}/decide",
                     data={f"disp-{disposition}-csrf_token": token, f"disp-{disposition}-approve": "1"}
                     ).status_code == 403
    # refusing needs a reason: a field error, nothing decided
    response = _post(leader, f"/archive/dispositions/{disposition}/decide", {f"disp-{disposition}-refuse": "1"},
                     page="/archive/dispositions", status=200)
    assert db.session.get(Disposition, disposition).state == "proposed"
    _post(leader, f"/archive/dispositions/{disposition}/decide",
          {f"disp-{disposition}-decision": "QĐ số 5/QĐ-UBND", f"disp-{disposition}-confirm": "y",
           f"disp-{disposition}-approve": "1"},
          page="/archive/dispositions")
    db.session.rollback()
    assert db.session.get(Dossier, ids["old"]).status == "destroyed"
    assert "QĐ số 5/QĐ-UBND" in _html(leader, "/archive/dispositions")


def test_approving_a_destruction_needs_the_ticked_confirmation_and_the_decisions_number(as_user, people, db):
    """"Duyệt hủy" destroyed the files in one click: the page's approval now asks for the box "I confirm the
    destruction of the N dossiers" ticked and the destruction decision's number, each a Vietnamese field error
    when missing, with nothing destroyed, audited or removed from the store; the API's `decision` stays
    optional."""
    from docflow.core.models import AuditEvent
    from docflow.registry.models import Attachment
    from tests.archive.conftest import handled_letter, make_dossier, stored

    archivist, leader = people["archivist"], people["leader"]
    old = today().year - 12
    letters = [handled_letter(people, f"3{i}/BTC-NS", f"Văn bản hết hạn {i}") for i in range(2)]
    first = make_dossier(archivist, "09.VP", year=old, years=5, documents=letters[:1], end=date(old, 6, 30))
    second = make_dossier(archivist, "10.VP", year=old, years=5, documents=letters[1:], end=date(old, 6, 30))
    proposal = services.propose_disposition([first.id, second.id], reason="Hết thời hạn bảo quản", actor=archivist)
    db.session.commit()
    pid, dossier_ids = proposal.id, (first.id, second.id)
    files = [letter.attachments[0].sha256 for letter in letters]
    client = as_user(leader)
    with client.session_transaction() as session:
        session["lang"] = "vi"
    page = _html(client, "/archive/dispositions")
    assert "Tôi xác nhận hủy 2 hồ sơ nêu trên: các tệp của hồ sơ bị xóa vĩnh viễn." in page
    assert f'name="disp-{pid}-confirm"' in page and "checked" not in page.split(f'name="disp-{pid}-confirm"')[1][:80]
    events = _count(db, AuditEvent)

    def refused(data, *messages):
        response = _post(client, f"/archive/dispositions/{pid}/decide", {f"disp-{pid}-approve": "1", **data},
                         page="/archive/dispositions", status=200)
        html = response.get_data(as_text=True)
        for message in messages:
            assert message in html
        assert db.session.get(Disposition, pid).state == "proposed"
        assert {db.session.get(Dossier, i).status for i in dossier_ids} == {"closed"}
        assert _count(db, Attachment, Attachment.destroyed_at.is_not(None)) == 0
        assert _count(db, AuditEvent) == events
        assert all(stored(sha) for sha in files)
        return html

    html = refused({}, "Đánh dấu vào ô xác nhận để duyệt hủy.", "Nhập số, ký hiệu của quyết định hủy tài liệu.")
    assert "Tôi xác nhận hủy 2 hồ sơ nêu trên" in html  # the form shown again, labelled with the count
    refused({f"disp-{pid}-decision": "Quyết định số 12/QĐ-UBND"}, "Đánh dấu vào ô xác nhận để duyệt hủy.")
    refused({f"disp-{pid}-confirm": "y", f"disp-{pid}-decision": "  "}, "Nhập số, ký hiệu của quyết định hủy tài liệu.")

    # both given: destroyed, the decision kept
    _post(client, f"/archive/dispositions/{pid}/decide",
          {f"disp-{pid}-confirm": "y", f"disp-{pid}-decision": "Quyết định số 12/QĐ-UBND", f"disp-{pid}-approve": "1"},
          page="/archive/dispositions")
    db.session.rollback()
    assert db.session.get(Disposition, pid).decision == "Quyết định số 12/QĐ-UBND"
    assert {db.session.get(Dossier, i).status for i in dossier_ids} == {"destroyed"}
    assert not any(stored(sha) for sha in files)


def test_refusing_a_destruction_needs_no_confirmation(as_user, people, db):
    from tests.archive.conftest import make_dossier

    archivist = people["archivist"]
    old = today().year - 12
    dossier = make_dossier(archivist, "09.VP", year=old, years=5, end=date(old, 6, 30))
    proposal = services.propose_disposition([dossier.id], reason="Hết thời hạn bảo quản", actor=archivist)
    db.session.commit()
    pid = proposal.id
    _post(as_user(people["leader"]), f"/archive/dispositions/{pid}/decide",
          {f"disp-{pid}-decision": "Còn giá trị tra cứu", f"disp-{pid}-refuse": "1"}, page="/archive/dispositions")
    db.session.rollback()
    assert db.session.get(Disposition, pid).state == "refused"
    assert db.session.get(Dossier, dossier.id).status == "closed"


def test_a_decided_disposition_says_who_decided_and_when(as_user, users, db):
    """A destruction approved (or refused) showed its proposer and the proposal's date only: not who decided
    it, nor when."""
    archivist, leader = users["archivist"], users["leader"]
    old = services.create_dossier({"code": "07.KT", "title": "Hồ sơ cũ", "year": 2001, "retention_years": 5,
                                   "start_date": date(2001, 1, 2)}, actor=archivist)
    services.close_dossier(old, {"end_date": date(2001, 12, 1)}, actor=archivist)
    disposition = services.propose_disposition([old.id], reason="Hết thời hạn bảo quản", actor=archivist)
    services.approve_disposition(disposition, actor=leader, decision="QĐ số 5/QĐ-UBND")
    db.session.commit()
    client = as_user(archivist)
    card = _html(client, "/archive/dispositions")
    card = card[card.index(f'id="disposition-{disposition.id}"'):]
    assert f"Decided by {leader.full_name} on {today().strftime('%d/%m/%Y')}" in card
    with client.session_transaction() as session:
        session["lang"] = "vi"
    card = _html(client, "/archive/dispositions")
    card = card[card.index(f'id="disposition-{disposition.id}"'):]
    assert f"Người quyết định: {leader.full_name}, ngày {today().strftime('%d/%m/%Y')}" in card


def test_the_work_queue_and_an_issued_documents_page(as_user, users, archive, db):
    issued = issue(db, users, "Công văn trả lời Bộ Tài chính", today()).id
    db.session.commit()
    arch = as_user(users["archivist"])
    page = _html(arch, "/archive/")
    assert f'<li class="list-group-item" data-id="{issued}">' in page
    outgoing = _html(arch, f"/outgoing/{issued}")
    assert 'id="document-dossiers"' in outgoing and f'value="{archive["dossier"]}"' in outgoing
    _post(arch, f"/archive/documents/{issued}/file", {"file-dossier_id": str(archive["dossier"])},
          page=f"/outgoing/{issued}")
    assert f'href="/archive/dossiers/{archive["dossier"]}"' in _html(arch, f"/outgoing/{issued}")
    assert f'<li class="list-group-item" data-id="{archive["docs"]["b"]}">' in page  # handled, not filed
    assert f'data-id="{archive["docs"]["a"]}"' not in page  # filed
    assert re.search(r'data-count="open">1<', page)
    assert 'id="nav-archive"' in page
    spec_page = _html(as_user(users["specialist"]), "/archive/")
    assert f'data-id="{archive["docs"]["c"]}"' not in spec_page


@pytest.mark.parametrize("role", ["archivist", "leader"])
def test_junk_on_every_archive_page_with_real_records_is_never_a_500(app, users, archive, db, role):
    """Every archive route, with the ids of real records (a closed dossier on a transfer list, a loan,
    a keep-back and a destruction proposal waiting), junk query strings and junk forms."""

    t = today()
    archivist = users["archivist"]
    dossier = db.session.get(Dossier, archive["dossier"])
    services.close_dossier(dossier, {"end_date": t}, actor=archivist)
    kb = services.request_keep_back(dossier, reason="Còn dùng", until=t + timedelta(days=30), actor=archivist)
    transfer = services.create_transfer([dossier.id], actor=archivist)
    old = services.create_dossier({"code": "03.KT", "title": "Hồ sơ cũ", "year": 2001, "retention_years": 5,
                                   "start_date": date(2001, 1, 2)}, actor=archivist)
    services.close_dossier(old, {"end_date": date(2001, 12, 1)}, actor=archivist)
    services.transfer_dossier(old, actor=archivist, box="A", shelf="B")
    loan = services.request_loan(old, reason="Tra cứu", due_date=t + timedelta(days=3), actor=users["specialist"])
    disposition = services.propose_disposition([old.id], reason="Hết hạn", actor=archivist)
    db.session.commit()
    ids = {"dossier_id": dossier.id, "document_id": archive["docs"]["a"], "transfer_id": transfer.id,
           "loan_id": loan.id, "kb_id": kb.id, "disposition_id": disposition.id, "year": t.year}
    client = app.test_client()
    login(client, users[role].username)
    junk_form = {**JUNK_FORM, **{f"{p}-{k}": v for p in ("close", "add", "move", "loan", "keep_back", "transfer",
                                                          "dossier", "heading", "copy", "retention", "approve",
                                                          "accept", "disposition", "file")
                                 for k, v in JUNK_FORM.items()}}
    failures = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("archive."):
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", str(ids[arg]))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            variants = ([{"query_string": JUNK_QUERY}, {"query_string": HUGE_QUERY}] if method == "GET" else
                        [{"data": junk_form}, {"data": {k: HUGE for k in junk_form}}])
            for variant in variants:
                response = client.open(path, method=method, **variant)
                if response.status_code >= 500:
                    failures.append((method, path, sorted(variant)))
    assert not failures, failures


def test_with_csrf_on_the_inline_forms_carry_their_token_and_a_post_without_it_changes_nothing(make_app, users,
                                                                                                archive, db):
    dossier = db.session.get(Dossier, archive["dossier"])
    services.add_document(dossier, archive["docs"]["b"], actor=users["archivist"])
    db.session.commit()
    docs, path = archive["docs"], f"/archive/dossiers/{archive['dossier']}"
    username = users["archivist"].username
    db.session.rollback()  # another app (engine) writes to the same SQLite file: hold no lock meanwhile
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    assert client.post("/auth/login", data={"username": username, "password": "Test-Passw0rd-2026",
                                            "csrf_token": token}).status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "<script>" not in page and "style=" not in page
    assert client.post(f"{path}/documents/{docs['b']}/move", data={"move-position": "1"}).status_code == 400
    assert client.post(f"{path}/documents/{docs['b']}/remove").status_code == 400
    assert _doc_rows(client.get(path).get_data(as_text=True))[0] == str(docs["a"])
    token = csrf_token_from(page)
    assert client.post(f"{path}/documents/{docs['b']}/move", data={"move-position": "1", "move-csrf_token": token}
                       ).status_code == 302
    assert _doc_rows(client.get(path).get_data(as_text=True))[0] == str(docs["b"])
    assert client.post(f"{path}/documents/{docs['b']}/remove", data={"remove-csrf_token": token}).status_code == 302
    letter = client.get(f"/incoming/{docs['b']}").get_data(as_text=True)
    assert client.post(f"/archive/documents/{docs['b']}/file", data={"file-dossier_id": str(archive["dossier"])}
                       ).status_code == 400
    assert client.post(f"/archive/documents/{docs['b']}/file", data={
        "file-dossier_id": str(archive["dossier"]), "file-csrf_token": csrf_token_from(letter)}).status_code == 302
    assert _count(db, DossierDocument, DossierDocument.dossier_id == archive["dossier"]) == 3
