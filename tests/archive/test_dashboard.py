"""The archive's counts on the dashboard (docflow/archive/dashboard.py): dossiers by status as the user may
see them, the work queue (unfiled handled documents counted only when visible, open dossiers of an
ended year, transfers near or past their deadline with a fixed clock, never a dossier kept under five
years), loans waiting or overdue, expired dossiers; shown to the archivist and the leader only."""

from datetime import date, timedelta

from docflow.archive import services
from docflow.archive.dashboard import archive_counts
from docflow.core.timeutil import today
from tests.stats.office_figures import assign, complete, register


def _letters(db, users):
    """Four handled letters: a, b (normal, handled by KT's specialist), c, d (confidential, by KT's head)."""
    t = today()
    day = t - timedelta(days=20)
    spec, head = users["specialist"], users["unit_head"]
    docs = {}
    for key, handler, level in (("a", spec, "normal"), ("b", spec, "normal"), ("c", head, "confidential"),
                                ("d", head, "confidential")):
        doc = register(users, day, f"{len(docs) + 21}/BTC-NS", f"Báo cáo ngân sách {key}", confidentiality=level)
        assign(users, doc, t + timedelta(days=5), user=handler)
        complete(users, doc, handler, t, db)
        docs[key] = doc.id
    return docs


def _dossier(archivist, code, year, *, unit_id, years=10, end=None, documents=()):
    start = date(year, 1, 1)
    dossier = services.create_dossier({"code": code, "title": f"Hồ sơ {code}", "year": year, "unit_id": unit_id,
                                       "retention_years": years, "start_date": start}, actor=archivist)
    for doc_id in documents:
        services.add_document(dossier, doc_id, actor=archivist)
    if end is not None:
        services.close_dossier(dossier, {"end_date": end}, actor=archivist)
    return dossier


def test_archive_counts_follow_visibility_and_the_clock(db, users, make_user, client, login_as):
    t = today()
    kt, vx = users["specialist"].unit_id, make_user("specialist", unit="VX").unit_id
    arch, spec, head = users["archivist"], users["specialist"], users["unit_head"]
    docs = _letters(db, users)
    _dossier(arch, "01.KT", t.year, unit_id=kt, documents=(docs["a"], docs["c"]))
    _dossier(arch, "02.KT", t.year - 1, unit_id=kt)  # open, of an ended year
    _dossier(arch, "03.KT", t.year, unit_id=kt, end=date(t.year, 1, 1))  # deadline 31/12 next year
    _dossier(arch, "04.KT", t.year - 1, unit_id=kt, end=date(t.year - 1, 6, 1))  # deadline 31/12 this year
    _dossier(arch, "05.KT", t.year - 1, unit_id=kt, years=3, end=date(t.year - 1, 6, 1))  # never transferred
    old = _dossier(arch, "06.KT", t.year - 6, unit_id=kt, years=5, end=date(t.year - 6, 6, 1))  # expired
    services.transfer_dossier(old, actor=arch, box="H01", shelf="K2")
    _dossier(arch, "01.VX", t.year, unit_id=vx)
    services.request_loan(old, reason="Tra cứu", due_date=t + timedelta(days=10), actor=spec)
    lent = services.request_loan(old, reason="Thanh tra", due_date=t + timedelta(days=10), actor=head)
    services.approve_loan(lent, actor=users["leader"])
    services.lend_loan(lent, actor=arch)
    db.session.commit()

    statuses = {"planned": 0, "open": 3, "closed": 3, "archived": 1, "destroyed": 0}
    now = archive_counts(arch)
    assert now["by_status"] == statuses
    assert (now["unfiled"], now["open_ended"], now["loans_requested"], now["loans_overdue"], now["expired"]) == (
        2, 1, 1, 0, 1)  # b and d: a and c are filed
    # a fixed clock, 1 December next year: 04 (deadline 31/12 this year) is late, 03 (31/12 next year) is
    # exactly 30 days before its deadline; 05 (3 years) is never due; the lent loan is overdue; every open
    # dossier is now of an ended year
    later = archive_counts(arch, today=date(t.year + 1, 12, 1))
    assert (later["transfers_warning"], later["transfers_late"], later["open_ended"], later["loans_overdue"]) == (
        1, 1, 3, 1)
    assert archive_counts(arch, today=date(t.year + 1, 11, 30))["transfers_warning"] == 0  # 31 days before
    bounded = archive_counts(arch, limit=1)["unfiled"]  # the dashboard's cards stop sooner: "1+"
    assert (int(bounded), bounded.exact, str(bounded)) == (1, False, "1+")

    uncleared = make_user("archivist", unit="VP", clearance="normal")  # the confidential d is not counted
    assert archive_counts(uncleared)["unfiled"] == 1
    mine = archive_counts(spec)  # KT's dossiers and the archived one, not VX's; only their own loan
    assert mine["by_status"] == {**statuses, "open": 2}
    assert (mine["unfiled"], mine["loans_requested"], mine["loans_overdue"]) == (1, 1, 0)
    assert archive_counts(spec, today=date(t.year + 1, 12, 1))["loans_overdue"] == 0

    login_as(arch)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="archive-summary"' in html and 'id="archive-status-open"' in html
    assert '<a href="/archive/dossiers?status=closed"' in html and "/archive/loans?state=requested" in html
    client.post("/auth/logout")
    login_as(spec)
    assert 'id="archive-summary"' not in client.get("/dashboard").get_data(as_text=True)
