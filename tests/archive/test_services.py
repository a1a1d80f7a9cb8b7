"""The archive's services (docflow/archive/services.py): the retention table, the file plan, a dossier's
documents (order, flags on closing, counts), transfer lists, loans and the files a disposition removes
(or keeps, when another live dossier or attachment still needs them). Roles refused with 403, states
with 409, bad fields with 422; every change audited."""

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from docflow.archive import services
from docflow.archive.models import Disposition, Dossier, FilePlan, Loan, RetentionPeriod, Transfer
from docflow.core import audit
from docflow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from docflow.core.models import AuditEvent
from docflow.core.timeutil import today
from docflow.incoming import services as incoming
from docflow.registry import attachments
from docflow.registry.models import Attachment
from tests.archive.conftest import archived_dossier, handled_letter, make_dossier, outgoing_document, stored
from tests.fixtures.files import pdf_bytes


def _actions(db) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_retention_table_seeded_once_and_edited_by_archivist_only(db, people):
    names = [p.name for p in services.retention_periods()]
    assert names == ["Vĩnh viễn", "70 năm", "50 năm", "20 năm", "10 năm", "5 năm"]  # by `init` (office fixture)
    assert services.retention_periods()[0].years is None
    assert services.seed_retention() == 0  # idempotent
    with pytest.raises(PermissionDenied):
        services.save_retention({"name": "3 năm", "years": 3}, actor=people["specialist"])
    with pytest.raises(ValidationFailed) as bad:
        services.save_retention({"name": "", "years": 0}, actor=people["archivist"])
    assert set(bad.value.errors) == {"name", "years"}
    period = services.save_retention({"name": "3 năm", "years": "3", "categories": "Giấy mời\nLịch họp"},
                                     actor=people["archivist"])
    db.session.commit()
    with pytest.raises(Conflict):
        services.save_retention({"name": "3 năm", "years": 3, "version": period.version + 1},
                                actor=people["admin"], period=period)
    services.save_retention({"name": "Ba năm", "years": 3, "is_active": False, "version": period.version},
                            actor=people["admin"], period=period)
    db.session.commit()
    assert "Ba năm" not in [p.name for p in services.retention_periods()]
    assert "Ba năm" in [p.name for p in services.retention_periods(active_only=False)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RetentionPeriod)) == 7
    assert _actions(db).count("retention.save") == 2


def test_file_plan_drafted_approved_copied_and_opened(db, people):
    archivist, leader = people["archivist"], people["leader"]
    year = today().year
    with pytest.raises(PermissionDenied):
        services.create_plan(year, actor=people["specialist"])
    plan = services.create_plan(year, actor=archivist)
    with pytest.raises(Conflict):
        services.create_plan(year, actor=archivist)
    major = services.add_heading(plan, {"title": "Tổ chức cán bộ", "abbr": "TCCB", "sort_order": 1}, actor=archivist)
    minor = services.add_heading(plan, {"title": "Tuyển dụng", "parent_id": major.id, "unit_id": people["specialist"].unit_id},
                                 actor=archivist)
    with pytest.raises(ValidationFailed) as bad:
        services.add_heading(plan, {"title": "X", "parent_id": minor.id}, actor=archivist)  # not a major heading
    assert "parent_id" in bad.value.errors
    planned = services.plan_dossier(plan, {"code": "01.TCCB", "title": "Hồ sơ tuyển dụng", "heading_id": minor.id,
                                           "retention_years": None, "keeper_id": people["specialist"].id},
                                    actor=archivist)
    assert (planned.status, planned.year, planned.unit_id, planned.is_permanent) == (
        "planned", year, people["specialist"].unit_id, True)
    with pytest.raises(ValidationFailed) as bad:
        services.plan_dossier(plan, {"code": "01.TCCB", "title": "Trùng", "retention_years": 5}, actor=archivist)
    assert "code" in bad.value.errors
    db.session.commit()

    with pytest.raises(PermissionDenied):
        services.approve_plan(plan, actor=archivist)
    with pytest.raises(Conflict):
        services.approve_plan(plan, actor=leader, version=plan.version + 1)
    services.approve_plan(plan, actor=leader, version=plan.version)
    assert plan.status == "approved" and plan.approved_by_id == leader.id
    with pytest.raises(Conflict):
        services.add_heading(plan, {"title": "Muộn"}, actor=archivist)
    with pytest.raises(Conflict):
        services.approve_plan(plan, actor=leader)

    copy = services.copy_plan(year, year + 1, actor=archivist)
    assert copy.year == year + 1 and copy.status == "draft"
    assert [(h.title, h.parent is not None) for h in copy.headings] == [("Tổ chức cán bộ", False),
                                                                       ("Tuyển dụng", True)]
    copied = db.session.scalar(sa.select(Dossier).where(Dossier.year == year + 1))
    assert (copied.code, copied.status, copied.plan_id, copied.heading.title) == (
        "01.TCCB", "planned", copy.id, "Tuyển dụng")
    with pytest.raises(ValidationFailed):
        services.copy_plan(year - 5, year + 2, actor=archivist)  # no plan that year

    # the specialist keeps the planned dossier: opens it; the reader of another unit may not
    with pytest.raises(PermissionDenied):
        services.open_dossier(planned, actor=people["reader"])
    services.open_dossier(planned, actor=people["specialist"])
    assert planned.status == "open" and planned.start_date == today()
    with pytest.raises(Conflict):
        services.open_dossier(planned, actor=people["specialist"])
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FilePlan)) == 2
    assert {"plan.create", "plan.add_heading", "plan.approve", "plan.copy", "dossier.create",
            "dossier.open"} <= set(_actions(db))
    assert audit.verify().ok


def test_dossier_documents_ordered_flagged_on_closing_and_counted_per_viewer(db, people, docs):
    archivist, spec = people["archivist"], people["specialist"]
    draft = outgoing_document(people, "Dự thảo chưa ban hành", issue=False, pages=4)
    # the same letter registered twice (number, date and sender alike): a duplicate to take out on closing
    again = incoming.register_incoming({"sender_name": "Bộ Tài chính", "number_symbol": "11/BTC-NS",
                                        "issued_date": docs["letter"].issued_date.isoformat(),
                                        "received_date": today().isoformat(), "subject": "Bản trùng",
                                        "doc_type": "CV", "pages": 1}, actor=people["clerk"], force=True)
    db.session.commit()
    dossier = make_dossier(spec, "05.KT", unit_id=spec.unit_id, years=10)
    assert dossier.keeper_id == spec.id and dossier.status == "open"
    services.add_document(dossier, docs["letter"].id, actor=spec)
    with pytest.raises(NotFound):  # the specialist may not see the confidential letter: as if missing
        services.add_document(dossier, docs["secret"].id, actor=spec)
    with pytest.raises(PermissionDenied):  # not the keeper, not KT's head
        services.add_document(dossier, docs["issued"].id, actor=people["reader"])
    for doc in (docs["secret"], docs["issued"], again):
        services.add_document(dossier, doc.id, actor=archivist)
    with pytest.raises(NotFound):  # a draft is its drafter's until issued: the archivist does not see it
        services.add_document(dossier, draft.id, actor=archivist)
    services.add_document(dossier, draft.id, actor=spec)
    with pytest.raises(Conflict):
        services.add_document(dossier, docs["letter"].id, actor=archivist)
    services.move_document(dossier, docs["issued"].id, 1, actor=archivist)
    order = [e.document_id for e in services.dossier_entries(dossier, archivist)]
    assert order == [docs["issued"].id, docs["letter"].id, docs["secret"].id, again.id]
    assert [e.document_id for e in services.dossier_entries(dossier, spec)] == [docs["issued"].id,
                                                                                docs["letter"].id, draft.id]
    assert services.dossier_counts(dossier, archivist) == {"documents": 4, "pages": 2 + 3 + 2 + 1}
    assert services.dossier_counts(dossier, spec) == {"documents": 3, "pages": 2 + 3 + 4}
    assert services.dossier_counts(dossier, people["reader"]) == {"documents": 0, "pages": 0}
    services.remove_document(dossier, draft.id, actor=spec)
    services.add_document(dossier, draft.id, actor=spec)
    with pytest.raises(NotFound):
        services.remove_document(dossier, docs["secret"].id, actor=spec)
    assert [d.code for d in services.dossiers_of_document(docs["letter"], spec)] == ["05.KT"]
    assert services.dossiers_of_document(docs["letter"], people["reader"]) == []
    db.session.commit()

    with pytest.raises(ValidationFailed) as bad:
        services.close_dossier(dossier, {"end_date": "2001-01-01"}, actor=spec)  # before its start
    assert "end_date" in bad.value.errors
    with pytest.raises(PermissionDenied):
        services.close_dossier(dossier, {}, actor=people["reader"])
    services.close_dossier(dossier, {"closing_note": "Đã loại bản trùng"}, actor=spec)
    assert (dossier.status, dossier.end_date, dossier.doc_total, dossier.page_total) == ("closed", today(), 5, 12)
    flags = {e.document_id: e.flag for e in dossier.entries}
    assert flags == {docs["issued"].id: None, docs["letter"].id: None, docs["secret"].id: None,
                     draft.id: "draft", again.id: "duplicate"}
    with pytest.raises(Conflict):
        services.add_document(dossier, docs["letter"].id, actor=spec)
    with pytest.raises(Conflict):
        services.close_dossier(dossier, {}, actor=spec)
    services.update_dossier(dossier, {"title": "Hồ sơ đã sửa", "version": dossier.version}, actor=spec)
    db.session.commit()
    actions = _actions(db)
    for action in ("dossier.create", "dossier.add_document", "dossier.move_document", "dossier.remove_document",
                   "dossier.close", "dossier.update"):
        assert action in actions
    assert audit.verify().ok


def test_transfer_list_accepted_by_the_archivist(db, people, docs):
    head, archivist = people["unit_head"], people["archivist"]
    kt = head.unit_id
    a = make_dossier(archivist, "01.KT", unit_id=kt, years=10, documents=[docs["letter"]], end=today())
    b = make_dossier(archivist, "02.KT", unit_id=kt, years=None, end=today(), medium="electronic")
    short = make_dossier(archivist, "03.KT", unit_id=kt, years=3, end=today())
    still_open = make_dossier(archivist, "04.KT", unit_id=kt, years=10)
    db.session.commit()
    with pytest.raises(ValidationFailed) as bad:
        services.create_transfer([a.id, short.id], actor=head)
    assert "dossier_ids" in bad.value.errors and "03.KT" in bad.value.errors["dossier_ids"][0]
    db.session.rollback()
    with pytest.raises(Conflict):
        services.create_transfer([still_open.id], actor=head)
    with pytest.raises(PermissionDenied):
        services.create_transfer([a.id], actor=people["specialist"])  # neither keeper nor head
    with pytest.raises(NotFound):
        services.create_transfer([a.id], actor=people["reader"])  # another unit's dossier: not visible
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 0
    transfer = services.create_transfer([a.id, b.id], actor=head, note="Nộp lưu năm nay")
    db.session.commit()
    assert transfer.unit_id == kt and [d.code for d in transfer.dossiers] == ["01.KT", "02.KT"]
    with pytest.raises(Conflict):
        services.create_transfer([a.id], actor=head)  # on a list already
    assert [t.id for t in db.session.scalars(services.transfers_for(people["reader"]))] == []
    assert [t.id for t in db.session.scalars(services.transfers_for(head))] == [transfer.id]
    with pytest.raises(PermissionDenied):
        services.accept_transfer(transfer, actor=head)
    services.accept_transfer(transfer, actor=archivist, locations={a.id: ("H05", "K1")})
    db.session.commit()
    assert (a.status, a.location_box, a.location_shelf, b.status) == ("archived", "H05", "K1", "archived")
    assert transfer.status == "accepted" and transfer.accepted_by_id == archivist.id
    with pytest.raises(Conflict):
        services.accept_transfer(transfer, actor=archivist)
    with pytest.raises(Conflict):  # archived: read-only
        services.update_dossier(a, {"title": "Sửa"}, actor=archivist)
    # archived: every user sees the catalogue, the transfer too
    assert [t.id for t in db.session.scalars(services.transfers_for(people["reader"]))] == [transfer.id]


def test_loans_requested_decided_lent_returned_and_overdue(db, people, docs):
    archivist, leader, reader = people["archivist"], people["leader"], people["reader"]
    dossier = archived_dossier(people, "01.VP", [docs["letter"]])
    still_open = make_dossier(archivist, "02.VP", years=10)
    db.session.commit()
    with pytest.raises(Conflict):
        services.request_loan(still_open, reason="Tra cứu", due_date=today() + timedelta(days=5), actor=archivist)
    with pytest.raises(ValidationFailed) as bad:
        services.request_loan(dossier, reason="", due_date=today(), actor=reader)
    assert set(bad.value.errors) == {"reason", "due_date"}
    loan = services.request_loan(dossier, reason="Tra cứu quyết toán", due_date=today() + timedelta(days=7),
                                 actor=reader)
    other = services.request_loan(dossier, reason="Xem lại", due_date=today() + timedelta(days=3),
                                  actor=people["cleared_reader"])
    db.session.commit()
    for step, actor in ((services.approve_loan, archivist), (services.lend_loan, leader)):
        with pytest.raises((PermissionDenied, Conflict)):
            step(loan, actor=actor)
    with pytest.raises(ValidationFailed):
        services.refuse_loan(other, actor=leader, comment="")
    services.refuse_loan(other, actor=leader, comment="Không thuộc phạm vi công việc")
    services.approve_loan(loan, actor=leader)
    with pytest.raises(Conflict):
        services.return_loan(loan, actor=archivist)  # not lent yet
    services.lend_loan(loan, actor=archivist)
    db.session.commit()
    assert (loan.state, loan.lent_by_id, other.state) == ("lent", archivist.id, "refused")
    assert [x.id for x in db.session.scalars(services.loans_for(reader))] == [loan.id]
    assert {x.id for x in db.session.scalars(services.loans_for(archivist))} == {loan.id, other.id}
    assert list(db.session.scalars(services.loans_for(archivist, state="overdue"))) == []
    later = today() + timedelta(days=8)
    assert [x.id for x in db.session.scalars(services.loans_for(leader, state="overdue", today=later))] == [loan.id]
    assert services.is_overdue(loan, later) and not services.is_overdue(loan)
    with pytest.raises(ValidationFailed):
        services.loans_for(archivist, state="lost")
    services.return_loan(loan, actor=archivist)
    db.session.commit()
    assert loan.state == "returned" and loan.returned_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Loan)) == 2
    for action in ("loan.request", "loan.approve", "loan.refuse", "loan.lend", "loan.return"):
        assert action in _actions(db)


def test_disposition_removes_only_files_nothing_else_needs(db, people, docs):
    archivist, leader = people["archivist"], people["leader"]
    old = today().year - 12
    twin_bytes = pdf_bytes(lines=("Bản sao giống hệt",))
    own = handled_letter(people, "21/BTC-NS", "Chỉ trong hồ sơ hết hạn")
    shared = handled_letter(people, "22/BTC-NS", "Cũng trong hồ sơ còn giữ")
    twin = handled_letter(people, "23/BTC-NS", "Cùng nội dung với văn bản khác", content=twin_bytes)
    elsewhere = handled_letter(people, "24/BTC-NS", "Bản khác cùng tệp", with_file=False)
    attachments.add_attachment(elsewhere, io.BytesIO(twin_bytes), actor=people["clerk"], filename="ban-sao.pdf")
    expired = make_dossier(archivist, "09.VP", year=old, years=5, documents=[own, shared, twin],
                           end=date(old, 6, 30))
    make_dossier(archivist, "10.VP", years=10, documents=[shared])
    permanent = make_dossier(archivist, "11.VP", year=old, years=None, end=date(old, 6, 30))
    young = make_dossier(archivist, "12.VP", years=5, end=today())
    db.session.commit()
    files = {doc: doc.attachments[0] for doc in (own, shared, twin)}
    assert all(stored(a.sha256) for a in files.values())
    assert [d.code for d in db.session.scalars(services.expired_dossiers())] == ["09.VP"]

    events_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    for ids in ([expired.id, permanent.id], [young.id], [expired.id, young.id]):
        with pytest.raises(ValidationFailed) as bad:
            services.propose_disposition(ids, reason="Hết thời hạn bảo quản", actor=archivist)
        assert "dossier_ids" in bad.value.errors
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Disposition)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events_before
    with pytest.raises(PermissionDenied):
        services.propose_disposition([expired.id], reason="Hết hạn", actor=leader)
    proposal = services.propose_disposition([expired.id], reason="Hết thời hạn bảo quản", actor=archivist)
    db.session.commit()
    assert list(db.session.scalars(services.expired_dossiers())) == []  # proposed already
    with pytest.raises(PermissionDenied):
        services.approve_disposition(proposal, actor=archivist)

    # a failed transaction removes nothing
    services.approve_disposition(proposal, actor=leader, decision="QĐ 15/QĐ-UBND")
    db.session.rollback()
    assert all(stored(a.sha256) for a in files.values())
    assert expired.status == "closed"

    services.approve_disposition(proposal, actor=leader, decision="QĐ 15/QĐ-UBND")
    db.session.commit()
    assert (expired.status, expired.disposition_id, proposal.state) == ("destroyed", proposal.id, "approved")
    assert not stored(files[own].sha256) and files[own].destroyed_at is not None
    assert stored(files[shared].sha256) and files[shared].destroyed_at is None  # still in 10.VP
    assert stored(files[twin].sha256) and files[twin].destroyed_at is not None  # the same bytes live on
    assert db.session.get(Attachment, files[own].id).filename == "van-ban.pdf"  # the record is kept
    assert len(expired.entries) == 3
    with pytest.raises(Conflict):
        services.refuse_disposition(proposal, actor=leader, decision="Muộn")
    assert audit.verify().ok
    assert {"disposition.propose", "disposition.approve", "dossier.destroy", "attachment.destroy"} <= set(
        _actions(db))


def test_the_dossier_list_text_filter_folds_accents(db, people):
    """"ke hoach", "KẾ HOẠCH" and "Kế hoạch" find the same dossiers; "dat dai" finds "đất đai"; a code is
    found by its letters whatever their case; LIKE's wildcards match themselves."""
    archivist = people["archivist"]
    plan = make_dossier(archivist, "01.KH")
    plan.title = "Kế hoạch cải cách hành chính năm nay"
    land = make_dossier(archivist, "02.ĐĐ")
    land.title = "Hồ sơ giao đất đai cho hộ gia đình"
    other = make_dossier(archivist, "03.TC")
    other.title = "Báo cáo tài chính 100%"
    db.session.commit()

    def found(q):
        return {d.code for d in db.session.scalars(services.dossiers_for(archivist, q=q))}

    assert found("ke hoach") == found("KẾ HOẠCH") == found("Kế hoạch") == {"01.KH"}
    assert found("dat dai") == found("ĐẤT ĐAI") == {"02.ĐĐ"}
    assert found("02.dd") == found("02.ĐĐ") == {"02.ĐĐ"}
    assert found("100%") == {"03.TC"} and found("%") == {"03.TC"} and found("_") == set()
    assert found("hanh chinh nam") == {"01.KH"}  # several words, in order, as typed
