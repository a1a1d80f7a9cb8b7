"""The statistics' data layer (docflow/stats/service.py, counters.py): periods, the counts kept in step by
the document events, handling times in working days, visibility, Directive 10, drill-down refusals."""

import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from docflow.core import settings as office_settings
from docflow.core.errors import ValidationFailed
from docflow.core.models import AuditEvent
from docflow.core.timeutil import today
from docflow.incoming import services as incoming
from docflow.incoming.models import Assignment, IncomingDocument
from docflow.outgoing import services as outgoing
from docflow.registry.models import DocType, Document, Participant
from docflow.stats import counters, service
from docflow.stats.models import StatCount, StatHandling, StatUnitCount
from docflow.stats.service import Period
from tests.fixtures.files import docx_bytes

TODAY = today()


# ---- periods -----------------------------------------------------------------------------------

def test_a_period_knows_its_days_label_and_predecessor(app):
    assert (Period(2024, month=2).start, Period(2024, month=2).end) == (date(2024, 2, 1), date(2024, 2, 29))
    assert (Period(2025, quarter=4).start, Period(2025, quarter=4).end) == (date(2025, 10, 1), date(2025, 12, 31))
    assert (Period(2025).start, Period(2025).end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert Period(2026, month=1).previous() == Period(2025, month=12)
    assert Period(2026, quarter=1).previous() == Period(2025, quarter=4)
    assert Period(2026).previous() == Period(2025)
    assert Period.parse("2026", "", "3") == Period(2026, month=3)
    assert Period.parse(2026, 2) == Period(2026, quarter=2)
    with force_locale("vi"):
        assert Period(2026, month=3).label == "Tháng 3/2026"
        assert Period(2026, quarter=1).label == "Quý I/2026"
        assert Period(2026).label == "Năm 2026"


@pytest.mark.parametrize("args, field", [(("abc",), "year"), (("",), "year"), ((None,), "year"), (("99999",), "year"),
                                         (("2026", "5"), "quarter"), (("2026", None, "13"), "month"),
                                         (("2026", "0"), "quarter"), (("2026", "1", "2"), "month"),
                                         (("2026", None, "x"), "month")])
def test_a_bad_period_is_a_field_error(app, args, field):
    with pytest.raises(ValidationFailed) as refused:
        Period.parse(*args)
    assert field in refused.value.errors


# ---- the counts kept in step by the events -----------------------------------------------------

def _cells() -> dict:
    """The office's cells, and the units' cells keyed ("unit", unit id, via, *cell)."""
    return {**{(c.dim, c.direction, c.ym, c.confidentiality, c.key, c.sub, c.sub2): (c.n, c.electronic)
               for c in StatCount.query.all() if c.n or c.electronic},
            **{("unit", c.unit_id, c.via, c.dim, c.direction, c.ym, c.confidentiality, c.key, c.sub, c.sub2):
               (c.n, c.electronic) for c in StatUnitCount.query.all() if c.n or c.electronic}}


def _handled() -> dict:
    return {h.document_id: (h.completed_on, h.working_days) for h in StatHandling.query.all()}


def assert_in_step(db):
    """The counts the events kept are those a rebuild makes from the documents as they are."""
    db.session.flush()
    kept, handled = _cells(), _handled()
    counters.rebuild()
    db.session.flush()
    assert kept == _cells()
    assert handled == _handled()
    return kept


def _letter(users, n, received, **extra):
    return incoming.register_incoming({"sender_name": "Sở Tài chính", "number_symbol": f"{n}/STC-NS",
                                       "issued_date": (received - timedelta(days=1)).isoformat(),
                                       "received_date": received.isoformat(), "doc_type": "CV",
                                       "subject": f"Văn bản số {n}", **extra}, actor=users["clerk"])


def test_the_document_events_keep_the_counts_in_step(db, users, make_user):
    spec2 = make_user("specialist", unit="VX", username="vx_spec")
    make_user("unit_head", unit="VX", username="vx_head")
    received = TODAY - timedelta(days=3)
    a = _letter(users, 1, received, medium="electronic")
    b = _letter(users, 2, received, confidentiality="confidential")
    c = _letter(users, 3, TODAY)
    cells = assert_in_step(db)
    assert sum(n for k, (n, _e) in cells.items() if k[0] == "a") == 3
    incoming.assign(a, actor=users["leader"], instruction="Xử lý", due_date=(TODAY + timedelta(days=5)).isoformat(),
                    assignees=[{"unit_id": users["unit_head"].unit_id, "role": "primary"},
                               {"user_id": spec2.id, "role": "coordinate"}])
    incoming.assign(b, actor=users["leader"], instruction="Xử lý", assignees=[{"user_id": users["unit_head"].id,
                                                                            "role": "primary"}])
    assert_in_step(db)
    unit_assignment = next(x for x in incoming.assignments_of(a) if x.role == "primary")
    incoming.delegate(unit_assignment, actor=users["unit_head"], user_id=users["specialist"].id)
    assert_in_step(db)
    incoming.complete(a, "Đã xử lý", actor=users["specialist"])
    cells = assert_in_step(db)
    # a: KT takes part as a unit (its specialists see it), VX only through its specialist (its head sees it)
    ym, kt, vx = received.year * 100 + received.month, users["unit_head"].unit_id, spec2.unit_id
    assert cells[("unit", kt, "a", "a", "incoming", ym, "normal", "", "", "")] == (1, 1)
    assert cells[("unit", vx, "p", "a", "incoming", ym, "normal", "", "", "")] == (1, 1)
    assert ("unit", vx, "a", "a", "incoming", ym, "normal", "", "", "") not in cells
    assert ("hd", "incoming", received.year * 100 + received.month, "normal", str(
        db.session.get(StatHandling, a.id).working_days), "", "") in cells
    incoming.update_incoming(c, {"received_date": (TODAY - timedelta(days=1)).isoformat(), "medium": "electronic"},
                             actor=users["clerk"])
    incoming.cancel_incoming(b, "Gửi nhầm", actor=users["clerk"])
    assert_in_step(db)

    draft = outgoing.create_draft({"doc_type": "GM", "subject": "Mời họp", "signer_id": users["leader"].id,
                                   "recipients": [{"name": "Sở Tài chính"}, {"unit_id": users["unit_head"].unit_id}]},
                                  actor=users["specialist"])
    outgoing.add_version(draft, io.BytesIO(docx_bytes(paragraphs=("Mời họp",))), actor=users["specialist"],
                         filename="du-thao.docx")
    outgoing.submit(draft, actor=users["specialist"])
    if draft.current_step == 1:
        outgoing.approve(draft, actor=users["unit_head"])
    outgoing.approve(draft, actor=users["leader"])
    assert_in_step(db)
    before = _cells()
    outgoing.issue(draft, actor=users["clerk"])
    after = assert_in_step(db)
    assert sum(n for k, (n, _e) in after.items() if k[:2] == ("a", "outgoing")) == \
        sum(n for k, (n, _e) in before.items() if k[:2] == ("a", "outgoing")) + 1
    outgoing.dispatch(draft, actor=users["clerk"], channel="email")
    cells = assert_in_step(db)
    assert any(k[0] == "c" and k[4] == "email" for k in cells)
    outgoing.cancel(draft, actor=users["clerk"], reason="Ban hành nhầm")
    cells = assert_in_step(db)
    assert not any(k[:2] == ("a", "outgoing") for k in cells)


def test_a_rolled_back_change_leaves_the_counts_as_they_were(db, users):
    _letter(users, 1, TODAY)
    db.session.commit()
    kept = _cells()
    _letter(users, 2, TODAY)
    assert _cells() != kept
    db.session.rollback()
    assert _cells() == kept


def test_unit_heads_and_specialists_read_their_units_cells_once_counted(db, users, make_user):
    """A unit head's and a specialist's figures are their unit's cells (a change to a cell shows), and
    while migration 0011's "not counted yet" row is there they are counted from the documents; the
    rebuild removes the row. A specialist's letter outside their unit's cells is added from the documents."""
    day = TODAY - timedelta(days=20)
    head, spec = users["unit_head"], users["specialist"]
    other = make_user("specialist", unit="VX", username="vx_spec_cells")
    _handled_letter(db, users, day, day + timedelta(days=5), day + timedelta(days=2))
    _handled_letter(db, users, day, day + timedelta(days=5), None)
    own = _handled_letter(db, users, day, day + timedelta(days=5), None, unit_id=other.unit_id)
    db.session.add(Participant(document_id=own.id, user_id=spec.id, unit_id=spec.unit_id, role="inform"))
    counters.rebuild()
    db.session.commit()
    period = Period(day.year, month=day.month)

    def received(user):
        return service.volume(user, period, "month")["totals"]["incoming"]

    assert (received(head), received(spec), received(other)) == (3, 3, 1)
    db.session.execute(sa.update(StatUnitCount).where(StatUnitCount.unit_id == head.unit_id, StatUnitCount.via == "a",
                                                      StatUnitCount.dim == "a").values(n=StatUnitCount.n + 10))
    # the head: KT's cells (a, and p: the letter VX handles, where KT's specialist is informed); the
    # specialist: KT's "a" cells and that letter counted from the documents
    assert (received(head), received(spec)) == (13, 13)
    db.session.add(StatUnitCount(unit_id=0, via="", dim="", direction="", ym=0, confidentiality=""))
    db.session.flush()
    assert (received(head), received(spec)) == (3, 3)
    assert service.handling(spec, period)["assigned"] == 3
    counters.rebuild()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatUnitCount).where(
        StatUnitCount.unit_id == 0)) == 0
    assert (received(head), received(spec)) == (3, 3)
    # a dossier the archive lends them: its documents join what they see (registry/access.py), counted
    # from the documents beside the cells, each once (the KT letter in it is already in their cells)
    from docflow.archive.models import Dossier, DossierDocument, Loan

    elsewhere = _handled_letter(db, users, day, day + timedelta(days=5), None, unit_id=other.unit_id)
    kt_letter = db.session.scalar(sa.select(Participant.document_id).where(Participant.unit_id == head.unit_id,
                                                                           Participant.role == "primary"))
    dossier = Dossier(year=day.year, code="01", title="Hồ sơ cho mượn")
    db.session.add(dossier)
    db.session.flush()
    db.session.add_all([DossierDocument(dossier_id=dossier.id, document_id=elsewhere.id),
                        DossierDocument(dossier_id=dossier.id, document_id=kt_letter)])
    for borrower in (head, spec):
        db.session.add(Loan(dossier_id=dossier.id, borrower_id=borrower.id, reason="Tra cứu", due_date=TODAY,
                            state="lent"))
    counters.rebuild()
    assert (received(head), received(spec), received(other)) == (4, 4, 2)
    assert service.handling(spec, period)["open"] == 3


# ---- handling times in working days ------------------------------------------------------------

def _at(day: date) -> datetime:
    """10:00 office time of a day, as the naive UTC timestamp completed_at stores."""
    return datetime.combine(day, time(10)).replace(tzinfo=UTC).replace(tzinfo=None) - timedelta(hours=7)


def _handled_letter(db, users, received: date, due: date | None, done: date | None, *, unit_id=None,
                    level="normal"):
    doc = IncomingDocument(doc_type_id=db.session.scalar(sa.select(DocType.id).where(DocType.code == "CV")),
                           subject="Thư", received_date=received, issued_date=received, year=received.year,
                           status="completed" if done else "assigned", due_date=due, confidentiality=level,
                           completed_at=_at(done) if done else None)
    db.session.add(doc)
    db.session.flush()
    unit_id = unit_id or users["unit_head"].unit_id
    db.session.add(Assignment(document_id=doc.id, unit_id=unit_id, role="primary", due_date=due,
                              state="done" if done else "open"))
    db.session.add(Participant(document_id=doc.id, unit_id=unit_id, role="primary"))
    db.session.flush()
    return doc


@pytest.mark.parametrize("rollup", [True, False])
def test_handling_times_skip_weekends_and_the_configured_holidays(db, users, rollup, monkeypatch):
    monkeypatch.setattr(service, "USE_ROLLUP", rollup)
    # Friday 25/4/2025; 30/4, 1/5 and (here) Friday 2/5 are holidays
    office_settings.put("holidays", ["2025-04-30", "2025-05-01", "2025-05-02"])
    fri, mon = date(2025, 4, 25), date(2025, 5, 5)
    a = _handled_letter(db, users, fri, date(2025, 4, 29), mon)  # Mon 28, Tue 29, Mon 5: 3 days, late
    b = _handled_letter(db, users, date(2025, 5, 2), date(2025, 5, 5), mon)  # a holiday to Monday: 1 day, on time
    c = _handled_letter(db, users, mon, None, mon)  # the same day: 0 days, no deadline: on time
    _handled_letter(db, users, date(2025, 4, 28), date(2025, 4, 29), None)  # still open, overdue
    counters.rebuild()
    assert {d: db.session.get(StatHandling, d).working_days for d in (a.id, b.id, c.id)} == {a.id: 3, b.id: 1,
                                                                                          c.id: 0}
    figures = service.handling(users["leader"], Period(2025))
    assert figures == {"assigned": 4, "completed_on_time": 2, "completed_late": 1, "open": 1, "overdue_open": 1,
                       "on_time_rate": 66.7, "avg_days": 1.3, "median_days": 1.0}
    # the holidays change: a rebuild measures again (Friday 2/5 a working day: a takes 4 days, b 1)
    office_settings.put("holidays", ["2025-04-30", "2025-05-01"])
    counters.rebuild()
    assert db.session.get(StatHandling, a.id).working_days == 4
    assert service.handling(users["leader"], Period(2025))["median_days"] == 1.0
    assert service.handling(users["leader"], Period(2025))["avg_days"] == round(5 / 3, 1)


def test_completing_a_letter_measures_its_handling_time(db, users):
    received = TODAY - timedelta(days=14)
    doc = _letter(users, 7, received)
    incoming.assign(doc, actor=users["leader"], instruction="Xử lý",
                    assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    incoming.complete(doc, "Xong", actor=users["specialist"])
    from docflow.core import calendar

    handled = db.session.get(StatHandling, doc.id)
    assert handled.completed_on == TODAY
    assert handled.working_days == calendar.working_days_between(received, TODAY)
    assert service.handling(users["specialist"], Period(received.year, month=received.month))["avg_days"] == \
        float(handled.working_days)


# ---- visibility --------------------------------------------------------------------------------

@pytest.mark.parametrize("rollup", [True, False])
def test_each_viewer_counts_only_what_they_may_see(db, users, make_user, rollup, monkeypatch):
    monkeypatch.setattr(service, "USE_ROLLUP", rollup)
    vx_unit = make_user("specialist", unit="VX", username="vx_spec").unit_id
    day = TODAY - timedelta(days=20)
    spec = users["specialist"]
    # the specialist's own letter, the KT unit's letter (not handed on), VX's letter, a confidential
    # letter the specialist handles, and a letter nobody was given yet
    mine = _handled_letter(db, users, day, day + timedelta(days=5), day + timedelta(days=2))
    db.session.add(Participant(document_id=mine.id, user_id=spec.id, unit_id=spec.unit_id, role="primary"))
    _handled_letter(db, users, day, day + timedelta(days=5), None)
    _handled_letter(db, users, day, day + timedelta(days=5), None, unit_id=vx_unit)
    secret = _handled_letter(db, users, day, day + timedelta(days=5), None, level="confidential")
    db.session.add(Participant(document_id=secret.id, user_id=spec.id, unit_id=spec.unit_id, role="primary"))
    _letter(users, 9, day)
    counters.rebuild()
    db.session.commit()
    period = Period(day.year, month=day.month)

    def received(user):
        return service.volume(user, period, "unit")["totals"]["incoming"]

    assert received(users["leader"]) == 5  # top secret clearance: everything
    assert received(users["clerk"]) == 5  # secret
    assert received(users["archivist"]) == 5  # confidential
    assert received(users["admin"]) == 4  # normal clearance: not the confidential letter
    # the KT head (confidential clearance) sees KT's three letters, not VX's nor the unassigned one
    assert received(users["unit_head"]) == 3
    assert service.handling(users["unit_head"], period)["assigned"] == 3
    # the specialist (normal clearance) sees their own letter and the unit's letter, never the confidential one
    # even though they handle it
    assert received(spec) == 2
    assert service.handling(spec, period) == {**service.handling(spec, period), "assigned": 2, "completed_on_time": 1,
                                              "open": 1}
    assert service.handling(spec, period, user_id=spec.id)["assigned"] == 1
    assert [r["key"] for r in service.period_report(spec, period)][-1] == "total"
    assert service.period_report(spec, period)[-1]["received"] == 2
    dashboard = service.dashboard(spec, period)
    assert dashboard["sections"] == ["mine"] and dashboard["mine"]["handling"]["assigned"] == 1
    assert service.dashboard(users["unit_head"], period)["unit"]["handling"]["assigned"] == 3
    leader_dash = service.dashboard(users["leader"], period)
    assert leader_dash["office"]["handling"]["assigned"] == 4
    assert set(service.dashboard(users["archivist"], period)["sections"]) == {"archive"}
    inactive = users["clerk"]
    inactive.is_active_flag = False
    assert received(inactive) == 0


# ---- Directive 10 ------------------------------------------------------------------------------

def _issued(db, doc_type: str, day: date, medium="electronic", level="normal"):
    from docflow.outgoing.models import OutgoingDocument

    doc = OutgoingDocument(doc_type_id=db.session.scalar(sa.select(DocType.id).where(DocType.code == doc_type)),
                           subject="Văn bản đi", status="issued", issued_date=day, year=day.year, medium=medium,
                           confidentiality=level, number=db.session.scalar(sa.select(sa.func.count(Document.id))) + 1)
    db.session.add(doc)
    db.session.flush()
    return doc


@pytest.mark.parametrize("rollup", [True, False])
def test_directive10_with_and_without_a_target_and_a_baseline_of_nothing(db, users, rollup, monkeypatch):
    monkeypatch.setattr(service, "USE_ROLLUP", rollup)
    y = TODAY.year
    for day in (date(y - 1, 3, 1), date(y - 1, 4, 1), date(y - 1, 5, 1), date(y - 1, 6, 1)):
        _issued(db, "CV", day)
    _issued(db, "GM", date(y - 1, 7, 1), medium="paper")
    _issued(db, "CV", date(y, 1, 5))
    _issued(db, "GM", date(y, 1, 6))
    _issued(db, "GM", date(y, 1, 7), medium="paper")
    _issued(db, "BC", date(y - 3, 1, 7))
    counters.rebuild()
    leader = users["leader"]

    unset = service.directive10(leader, y)
    assert (unset["baseline_year"], unset["baseline_outgoing"], unset["change_pct"], unset["target_pct"],
            unset["on_track"]) == (None, None, None, None, None)
    assert unset["outgoing"] == 3 and unset["electronic_share_pct"] == 66.7
    assert [t["outgoing"] for t in unset["trend"]] == [0, 1, 0, 5, 3]

    service.save_directive10_settings(y - 1, None, actor=users["admin"])
    no_target = service.directive10(leader, y)
    assert (no_target["baseline_outgoing"], no_target["change_pct"], no_target["on_track"]) == (5, -40.0, None)
    by_type = {t["label"]: t for t in no_target["by_type"]}
    assert by_type["Giấy mời"]["grew"] and by_type["Giấy mời"]["change_pct"] == 100.0
    assert not by_type["Công văn"]["grew"] and by_type["Công văn"]["change_pct"] == -75.0

    service.save_directive10_settings(str(y - 1), "30", actor=users["admin"])
    assert service.directive10(leader, y)["on_track"] is True  # -40% against a 30% cut
    service.save_directive10_settings(y - 1, 50, actor=users["admin"])
    assert service.directive10(leader, y)["on_track"] is False

    service.save_directive10_settings(2001, 30, actor=users["admin"])  # a year without any document
    zero = service.directive10(leader, y)
    assert (zero["baseline_outgoing"], zero["change_pct"], zero["on_track"]) == (0, None, None)
    assert all(t["baseline"] == 0 and t["change_pct"] is None for t in zero["by_type"])
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "setting.update")) >= 4


@pytest.mark.parametrize("baseline, target, field", [("abc", None, "baseline_year"), ("1800", None, "baseline_year"),
                                                     (None, "150", "target_pct"), (None, "-1", "target_pct"),
                                                     (None, "nan", "target_pct"), (None, "ba mươi", "target_pct")])
def test_directive10_settings_are_checked(db, users, baseline, target, field):
    with pytest.raises(ValidationFailed) as refused:
        service.save_directive10_settings(baseline, target, actor=users["admin"])
    assert field in refused.value.errors
    assert service.directive10_settings() == {"baseline_year": None, "target_pct": None}


def test_unknown_groups_figures_and_filters_are_field_errors(db, users):
    period = Period(TODAY.year)
    for call, field in ((lambda: service.volume(users["leader"], period, "colour"), "group_by"),
                        (lambda: service.handling_by(users["leader"], period, "weather"), "by"),
                        (lambda: service.drilldown(users["leader"], "everything", period), "figure"),
                        (lambda: service.drilldown(users["leader"], "incoming", period, colour=1), "colour")):
        with pytest.raises(ValidationFailed) as refused:
            call()
        assert field in refused.value.errors


def test_issuers_beyond_the_top_n_are_one_group(db, users):
    from docflow.registry import reference

    orgs = [reference.save_organization({"name": f"Sở {i}", "abbr": f"S{i}"}) for i in range(4)]
    for i, org in enumerate(orgs):
        for k in range(i + 1):
            _letter(users, f"{i}{k}", TODAY, sender_id=org.id, sender_name=org.name)
    db.session.flush()
    groups = service.volume(users["leader"], Period(TODAY.year), "issuer", limit=2)["groups"]
    assert [(g["key"], g["incoming"]) for g in groups] == [(orgs[3].id, 4), (orgs[2].id, 3), ("other", 3)]
