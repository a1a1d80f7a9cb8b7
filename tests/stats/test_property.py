"""Property: for random sets of documents and assignments, every figure of volume, electronic_share,
handling, handling_by, period_report and directive10 equals a recount in Python over the documents the
viewer may see (access.can_view per document), for every role, counted from the monthly counts and
from the documents alike; and each drill-down lists exactly the documents its figure counts.

The documents are written straight into the tables (random dates, states, handlers, deadlines and
completions, across weekends and configured holidays), then `counters.rebuild()` counts them, as
`flask docflow stats rebuild` does. The recount knows nothing of the service: it reads the generated
plan (what each document is) and asks the visibility rule one document at a time.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from statistics import median

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from docflow.core import settings as office_settings
from docflow.core.timeutil import today
from docflow.incoming.models import Assignment, IncomingDocument
from docflow.outgoing.models import OutgoingDocument, Recipient
from docflow.registry import access
from docflow.registry.models import DocType, Document, Organization, Participant, Register
from docflow.stats import counters, service
from docflow.stats.models import StatCount, StatDocument, StatHandling

TODAY = today()
YEAR = TODAY.year
FIRST_DAY = date(YEAR - 1, 1, 1)
SPAN = (TODAY - FIRST_DAY).days
LEVELS = ("normal", "confidential", "secret", "top_secret")
INCOMING_STATES = ("registered", "submitted", "assigned", "assigned", "completed", "completed", "completed",
                   "cancelled")
OUTGOING_STATES = ("draft", "in_review", "approved", "issued", "issued", "cancelled_issued", "cancelled_draft",
                   "returned")
#: who handles a letter as primary: nobody, a unit, a person, or a unit that handed it to a person
HANDLERS = ("none", "unit:KT", "unit:VX", "person:spec_kt", "person:spec_vx", "delegated:KT:spec_kt",
            "person:head_vx")

incoming_letter = st.fixed_dictionaries({
    "direction": st.just("incoming"),
    "day": st.integers(0, SPAN),
    "type": st.integers(0, 2),
    "medium": st.sampled_from(("paper", "electronic")),
    "level": st.sampled_from(LEVELS),
    "org": st.sampled_from((None, 0, 1)),
    "status": st.sampled_from(INCOMING_STATES),
    "handler": st.sampled_from(HANDLERS),
    "coordinator": st.sampled_from((None, "VX", "spec_kt")),
    "due_after": st.one_of(st.none(), st.integers(0, 20), st.integers(0, 20)),
    # completed around the deadline (the day before, on it, after), or any day within a month
    "done_shift": st.one_of(st.sampled_from((-1, 0, 0, 1)), st.integers(-10, 25)),
    "measured": st.sampled_from((True, True, True, False)),  # False: completed, its time not measured
    "register": st.integers(0, 1),
})
outgoing_document = st.fixed_dictionaries({
    "direction": st.just("outgoing"),
    "day": st.integers(0, SPAN),
    "type": st.integers(0, 2),
    "medium": st.sampled_from(("paper", "electronic")),
    "level": st.sampled_from(LEVELS),
    "status": st.sampled_from(OUTGOING_STATES),
    "drafter": st.sampled_from(("spec_kt", "spec_vx", "head_vx")),
    "channels": st.sets(st.sampled_from(("paper", "electronic", "email")), max_size=2),
    "internal": st.sampled_from((None, "KT", "VX")),
    # an approver takes part without a unit: outside every unit's counts, counted from the documents
    "approver": st.sampled_from((None, None, "head_vx", "spec_kt")),
    "register": st.integers(0, 1),
})
holiday_offsets = st.sets(st.integers(0, SPAN), max_size=25)
d10_settings = st.fixed_dictionaries({
    "baseline": st.sampled_from((None, YEAR - 1, 2001)),  # 2001: a baseline year without any document
    "target": st.sampled_from((None, 0.0, 10.0, 30.0)),
})


@pytest.fixture
def people(make_user):
    return {
        "admin": make_user("admin", unit="VP", username="padmin"),
        "clerk": make_user("clerk", unit="VP", clearance="secret", username="pclerk"),
        "leader": make_user("leader", unit="VP", clearance="top_secret", username="pleader"),
        "leader_normal": make_user("leader", unit="VP", username="pleader2"),
        "archivist": make_user("archivist", unit="VP", clearance="confidential", username="parch"),
        "head_kt": make_user("unit_head", unit="KT", clearance="confidential", username="phead_kt"),
        "head_vx": make_user("unit_head", unit="VX", username="phead_vx"),
        "spec_kt": make_user("specialist", unit="KT", username="pspec_kt"),
        "spec_vx": make_user("specialist", unit="VX", clearance="secret", username="pspec_vx"),
    }


def _local_noon_utc(day: date) -> datetime:
    return datetime.combine(day, time(10, 0)).replace(tzinfo=UTC).replace(tzinfo=None) - timedelta(hours=7)


def _working_days(start: date, end: date, off: set[date]) -> int:
    """Working days after start up to end, counted day by day (the brute force's own count)."""
    return sum(1 for i in range(1, (end - start).days + 1)
               if (start + timedelta(days=i)).weekday() < 5 and start + timedelta(days=i) not in off)


def _wipe(db) -> None:
    for model in (StatCount, StatDocument, StatHandling, Recipient, Assignment, Participant, Document):
        db.session.execute(sa.delete(model))
    db.session.flush()


def _build(db, office, people, plans, holidays) -> list[dict]:
    """Write the planned documents; return, per document, what the recount needs to know."""
    types = db.session.scalars(sa.select(DocType.id).order_by(DocType.id).limit(3)).all()
    orgs = []
    for i in range(2):
        org = db.session.scalar(sa.select(Organization).where(Organization.code == f"000.00.00.P0{i}"))
        if org is None:
            org = Organization(name=f"Cơ quan {i}", code=f"000.00.00.P0{i}", search_key=f"co quan {i}")
            db.session.add(org)
            db.session.flush()
        orgs.append(org.id)
    registers = {d: db.session.scalars(sa.select(Register.id).where(Register.direction == d)
                                       .order_by(Register.id)).all() for d in ("incoming", "outgoing")}
    units = {code: unit.id for code, unit in office.items()}
    facts = []
    for index, plan in enumerate(plans):
        day = FIRST_DAY + timedelta(days=plan["day"])
        register_id = registers[plan["direction"]][plan["register"] % len(registers[plan["direction"]])]
        common = {"doc_type_id": types[plan["type"]], "subject": "Văn bản thử", "medium": plan["medium"],
                  "confidentiality": plan["level"], "register_id": register_id, "year": day.year}
        if plan["direction"] == "incoming":
            fact = _incoming(db, plan, day, common, orgs, units, people, holidays)
        else:
            fact = _outgoing(db, plan, day, common, units, people, index + 1)
        facts.append(fact)
    db.session.flush()
    return facts


def _incoming(db, plan, day, common, orgs, units, people, holidays) -> dict:
    status = plan["status"]
    directed = status in ("assigned", "completed") or (status == "cancelled" and plan["handler"] != "none")
    handler = plan["handler"] if directed else "none"
    if status in ("assigned", "completed") and handler == "none":
        handler = "unit:KT"
    due = day + timedelta(days=plan["due_after"]) if plan["due_after"] is not None else None
    done = (day + timedelta(days=max(0, (plan["due_after"] or 5) + plan["done_shift"]))
            if status == "completed" else None)
    doc = IncomingDocument(**common, received_date=day, issued_date=day, status=status,
                           sender_org_id=orgs[plan["org"]] if plan["org"] is not None else None,
                           sender_name="Cơ quan", due_date=due,
                           completed_at=_local_noon_utc(done) if done and plan["measured"] else None)
    db.session.add(doc)
    db.session.flush()
    primary_units, primary_people = set(), set()
    kind, *rest = handler.split(":")
    if kind == "unit":
        db.session.add(Assignment(document_id=doc.id, unit_id=units[rest[0]], role="primary", due_date=due,
                                  state="done" if done else "open"))
        db.session.add(Participant(document_id=doc.id, unit_id=units[rest[0]], role="primary"))
        primary_units.add(units[rest[0]])
    elif kind == "person":
        person = people[rest[0]]
        db.session.add(Assignment(document_id=doc.id, user_id=person.id, role="primary", due_date=due,
                                  state="done" if done else "open"))
        db.session.add(Participant(document_id=doc.id, user_id=person.id, unit_id=person.unit_id, role="primary"))
        primary_units.add(person.unit_id)
        primary_people.add(person.id)
    elif kind == "delegated":
        person = people[rest[1]]
        db.session.add(Participant(document_id=doc.id, unit_id=units[rest[0]], role="primary"))
        db.session.add(Participant(document_id=doc.id, user_id=person.id, unit_id=person.unit_id, role="primary"))
        primary_units.update({units[rest[0]], person.unit_id})
        primary_people.add(person.id)
    if plan["coordinator"] == "VX":
        db.session.add(Participant(document_id=doc.id, unit_id=units["VX"], role="coordinate"))
    elif plan["coordinator"]:
        person = people[plan["coordinator"]]
        db.session.add(Participant(document_id=doc.id, user_id=person.id, unit_id=person.unit_id, role="inform"))
    measured = done is not None and plan["measured"]
    return {"id": doc.id, "direction": "incoming", "day": day, "type": common["doc_type_id"],
            "medium": plan["medium"], "level": plan["level"], "register": common["register_id"],
            "org": doc.sender_org_id, "status": status, "units": primary_units or {None},
            "people": primary_people, "due": due, "done": done if measured else None,
            "days": _working_days(day, done, holidays) if measured else None}


def _outgoing(db, plan, day, common, units, people, number: int) -> dict:
    status = plan["status"]
    drafter = people[plan["drafter"]]
    issued = status in ("issued", "cancelled_issued")
    doc = OutgoingDocument(**common, status="cancelled" if status.startswith("cancelled") else status,
                           drafter_id=drafter.id, drafting_unit_id=drafter.unit_id,
                           issued_date=day if issued else None,
                           number=number if issued else None)
    db.session.add(doc)
    db.session.flush()
    db.session.add(Participant(document_id=doc.id, user_id=drafter.id, unit_id=drafter.unit_id, role="drafter"))
    channels = set()
    for i, channel in enumerate(sorted(plan["channels"]) if issued else ()):
        db.session.add(Recipient(document_id=doc.id, name=f"Nơi nhận {i}", channel=channel,
                                 dispatched_at=_local_noon_utc(day)))
        channels.add(channel)
    db.session.add(Recipient(document_id=doc.id, name="Chưa gửi"))
    if plan["internal"] and issued:
        db.session.add(Participant(document_id=doc.id, unit_id=units[plan["internal"]], role="recipient"))
    if plan.get("approver"):
        db.session.add(Participant(document_id=doc.id, user_id=people[plan["approver"]].id, role="approver"))
    return {"id": doc.id, "direction": "outgoing", "day": day, "type": common["doc_type_id"],
            "medium": plan["medium"], "level": plan["level"], "register": common["register_id"],
            "status": "issued" if status == "issued" else status, "units": {drafter.unit_id},
            "channels": channels or {None}}


# ---- the recount -------------------------------------------------------------------------------

def _in(day, period) -> bool:
    return day is not None and period.start <= day <= period.end


def _incoming_counted(facts, period):
    return [f for f in facts if f["direction"] == "incoming" and f["status"] != "cancelled" and _in(f["day"], period)]


def _outgoing_counted(facts, period):
    return [f for f in facts if f["direction"] == "outgoing" and f["status"] == "issued" and _in(f["day"], period)]


def _key(f, group_by):
    """The group keys of a document (a document may fall in several: two units, two channels)."""
    if group_by == "month":
        return [f["day"].month]
    if group_by == "quarter":
        return [(f["day"].month + 2) // 3]
    if group_by == "doc_type":
        return [f["type"]]
    if group_by == "register":
        return [f["register"]]
    if group_by == "medium":
        return [f["medium"]]
    if group_by == "issuer":
        return [f["org"]] if f["direction"] == "incoming" else []
    if group_by == "unit":
        return sorted(f["units"], key=str)
    return sorted(f["channels"], key=str) if f["direction"] == "outgoing" else []


def expected_volume(facts, period, group_by) -> dict:
    inc, out = _incoming_counted(facts, period), _outgoing_counted(facts, period)
    groups = defaultdict(lambda: [0, 0])
    for i, docs in enumerate((inc, out)):
        for f in docs:
            for k in _key(f, group_by):
                groups[k][i] += 1
    if group_by == "month":
        keys = range(period.start.month, period.end.month + 1)
    elif group_by == "quarter":
        keys = sorted({(m + 2) // 3 for m in range(period.start.month, period.end.month + 1)})
    else:
        keys = [k for k in groups if groups[k] != [0, 0]]
    return {"groups": {k: tuple(groups[k]) for k in keys},
            "totals": {"incoming": len(inc), "outgoing": len(out),
                       "electronic_incoming": sum(f["medium"] == "electronic" for f in inc),
                       "electronic_outgoing": sum(f["medium"] == "electronic" for f in out)}}


def expected_handling(letters) -> dict:
    directed = [f for f in letters if f["status"] in ("assigned", "completed")]
    measured = [f for f in directed if f["status"] == "completed" and f["done"] is not None]
    on_time = [f for f in measured if f["due"] is None or f["done"] <= f["due"]]
    late = [f for f in measured if f not in on_time]
    opened = [f for f in directed if f["status"] == "assigned"]
    days = [f["days"] for f in measured]
    return {"assigned": len(directed), "completed_on_time": len(on_time), "completed_late": len(late),
            "open": len(opened), "overdue_open": sum(1 for f in opened if f["due"] is not None and f["due"] < TODAY),
            "on_time_rate": round(100.0 * len(on_time) / len(measured), 1) if measured else None,
            "avg_days": round(sum(days) / len(days), 1) if days else None,
            "median_days": float(median(days)) if days else None}


def expected_period_row(letters, period) -> dict:
    start, end = period.start, period.end
    as_of = min(end, TODAY)
    row = dict.fromkeys(service.PERIOD_FIELDS, 0)
    for f in letters:
        done = f["done"] if f["status"] == "completed" else None
        if f["day"] > end:
            continue
        if f["day"] < start and not (done is not None and done < start):
            row["carried_over"] += 1
        if f["day"] >= start:
            row["received"] += 1
        if done is not None and start <= done <= end:
            row["completed"] += 1
            row["completed_on_time" if f["due"] is None or done <= f["due"] else "completed_late"] += 1
        if done is None or done > end:
            row["in_progress"] += 1
            if f["due"] is not None and f["due"] < as_of:
                row["overdue"] += 1
    return row


def expected_period_report(facts, period) -> dict:
    letters = [f for f in facts if f["direction"] == "incoming" and f["status"] != "cancelled"]
    by_unit = defaultdict(list)
    for f in letters:
        for u in f["units"]:
            by_unit[u].append(f)
    rows = {u: expected_period_row(docs, period) for u, docs in by_unit.items()}
    rows = {u: r for u, r in rows.items() if any(r.values())}
    rows["total"] = expected_period_row(letters, period)
    return rows


def expected_directive10(facts, year, conf) -> dict:
    issued = [f for f in facts if f["direction"] == "outgoing" and f["status"] == "issued"]
    per_year = defaultdict(int)
    per_type = defaultdict(int)
    for f in issued:
        per_year[f["day"].year] += 1
        per_type[(f["day"].year, f["type"])] += 1
    baseline_year, target = conf["baseline"], conf["target"]
    now = per_year[year]
    base = per_year[baseline_year] if baseline_year else None
    change = round(100.0 * (now - base) / base, 1) if base else None
    types = {t for (y, t) in per_type if y in (year, baseline_year)}
    by_type = {}
    for t in types:
        b = per_type[(baseline_year, t)] if baseline_year else None
        n = per_type[(year, t)]
        by_type[t] = (b, n, round(100.0 * (n - b) / b, 1) if b else None, b is not None and n > b)
    this_year = [f for f in issued if f["day"].year == year]
    electronic = sum(f["medium"] == "electronic" for f in this_year)
    return {"outgoing": now, "baseline_outgoing": base, "baseline_year": baseline_year, "change_pct": change,
            "target_pct": target, "on_track": None if target is None or change is None else change <= -target,
            "by_type": by_type, "trend": [(y, per_year[y]) for y in range(year - 4, year + 1)],
            "electronic_share_pct": round(100.0 * electronic / len(this_year), 1) if this_year else None}


def drill_expected(facts, figure, period) -> set[int]:
    if figure == "incoming":
        return {f["id"] for f in _incoming_counted(facts, period)}
    if figure == "outgoing":
        return {f["id"] for f in _outgoing_counted(facts, period)}
    if figure in ("assigned", "completed_on_time", "completed_late", "open", "overdue_open"):
        out = set()
        for f in _incoming_counted(facts, period):
            one = expected_handling([f])
            if one[figure]:
                out.add(f["id"])
        return out
    letters = [f for f in facts if f["direction"] == "incoming" and f["status"] != "cancelled"]
    return {f["id"] for f in letters if expected_period_row([f], period)[figure]}


# ---- the property ------------------------------------------------------------------------------

def _periods(month, quarter):
    return [service.Period(YEAR), service.Period(YEAR - 1, quarter=quarter),
            service.Period(YEAR if month <= TODAY.month else YEAR - 1, month=month)]


def _check_viewer(viewer, facts, periods, conf):
    for period in periods:
        for group_by in service.GROUPS:
            got = service.volume(viewer, period, group_by)
            want = expected_volume(facts, period, group_by)
            assert {g["key"]: (g["incoming"], g["outgoing"]) for g in got["groups"]} == want["groups"], \
                (viewer.username, period, group_by)
            assert got["totals"] == want["totals"], (viewer.username, period)
        letters = _incoming_counted(facts, period)
        assert service.handling(viewer, period) == expected_handling(letters), (viewer.username, period)
        by_unit = defaultdict(list)
        by_person = defaultdict(list)
        for f in letters:
            for u in f["units"]:
                by_unit[u].append(f)
            for p in f["people"]:
                by_person[p].append(f)
        for unit_id, docs in by_unit.items():
            if unit_id is not None:
                assert service.handling(viewer, period, unit_id=unit_id) == expected_handling(docs)
        for user_id, docs in by_person.items():
            assert service.handling(viewer, period, user_id=user_id) == expected_handling(docs)
        for by, groups in (("unit", by_unit), ("person", by_person)):
            got = {r.pop("key"): r for r in service.handling_by(viewer, period, by) if r.pop("label")}
            want = {k: expected_handling(docs) for k, docs in groups.items()}
            assert got == {k: v for k, v in want.items() if v["assigned"]}, (viewer.username, period, by)
        report = service.period_report(viewer, period)
        assert report[-1]["key"] == "total"
        got = {r["key"]: {f: r[f] for f in service.PERIOD_FIELDS} for r in report}
        assert got == expected_period_report(facts, period), (viewer.username, period)
    for year in (YEAR, YEAR - 1):
        got = service.directive10(viewer, year)
        want = expected_directive10(facts, year, conf)
        assert {k: got[k] for k in ("outgoing", "baseline_outgoing", "baseline_year", "change_pct", "target_pct",
                                    "on_track", "electronic_share_pct")} == \
            {k: want[k] for k in ("outgoing", "baseline_outgoing", "baseline_year", "change_pct", "target_pct",
                                  "on_track", "electronic_share_pct")}, (viewer.username, year)
        assert {t["key"]: (t["baseline"], t["outgoing"], t["change_pct"], t["grew"]) for t in got["by_type"]} == \
            want["by_type"]
        assert [(t["year"], t["outgoing"]) for t in got["trend"]] == want["trend"]
    shares = service.electronic_share(viewer, 2, until_year=YEAR)
    for row in shares:
        totals = expected_volume(facts, service.Period(row["year"]), "medium")["totals"]
        assert {k: row[k] for k in totals} == totals
        both = totals["incoming"] + totals["outgoing"]
        electronic = totals["electronic_incoming"] + totals["electronic_outgoing"]
        assert row["share_pct"] == (round(100.0 * electronic / both, 1) if both else None)


def _check_drilldown(db, viewer, facts, period):
    for figure in service.FIGURES:
        got = set(db.session.scalars(service.drilldown(viewer, figure, period).with_only_columns(Document.id)))
        assert got == drill_expected(facts, figure, period), (viewer.username, figure, period)
    unit_ids = {u for f in facts for u in f["units"]}
    for unit_id in unit_ids:
        got = set(db.session.scalars(service.drilldown(viewer, "incoming", period, unit_id=unit_id)
                                     .with_only_columns(Document.id)))
        want = {f["id"] for f in _incoming_counted(facts, period) if unit_id in f["units"]}
        assert got == want, (viewer.username, "unit", unit_id)
    for channel in ("paper", "electronic", "email", None):
        got = set(db.session.scalars(service.drilldown(viewer, "outgoing", period, channel=channel)
                                     .with_only_columns(Document.id)))
        assert got == {f["id"] for f in _outgoing_counted(facts, period) if channel in f["channels"]}


def _letter(**fields) -> dict:
    return {"direction": "incoming", "day": SPAN - 60, "type": 0, "medium": "paper", "level": "normal", "org": None,
            "status": "completed", "handler": "unit:KT", "coordinator": None, "due_after": 5, "done_shift": 0,
            "measured": True, "register": 0, **fields}


def _document(**fields) -> dict:
    return {"direction": "outgoing", "day": SPAN - 60, "type": 0, "medium": "electronic", "level": "normal",
            "status": "issued", "drafter": "spec_kt", "channels": {"paper", "email"}, "internal": "VX", "register": 0,
            "approver": None, **fields}


#: the edges, always tried: completed on its deadline, the day after, the day before; open and overdue,
#: open and due today; completed without a measured time; a Friday-to-Monday handling over holidays; the
#: four clearance levels; a letter handed on by its unit to a person; documents issued, cancelled after
#: issue, drafts; a letter received last year and completed this year (carried over); documents a unit
#: head and a specialist approved outside their unit (counted from the documents beside their unit's cells)
EDGES = [
    _letter(), _letter(done_shift=1), _letter(done_shift=-1, level="confidential"),
    _letter(status="assigned", day=SPAN - 10, due_after=2), _letter(status="assigned", day=SPAN - 3, due_after=3),
    _letter(measured=False, level="secret"), _letter(handler="delegated:KT:spec_kt", level="top_secret"),
    _letter(handler="person:spec_vx", done_shift=9, medium="electronic", org=0),
    _letter(day=SPAN - 400, due_after=20, done_shift=60, handler="person:head_vx"),
    _letter(status="registered", due_after=1, day=SPAN - 30), _letter(status="cancelled"),
    _document(), _document(status="cancelled_issued"), _document(status="draft", drafter="spec_vx"),
    _document(level="secret", channels=set(), day=SPAN - 400), _document(day=SPAN - 200, type=1),
    _document(drafter="spec_kt", internal=None, approver="head_vx", day=SPAN - 30),
    _document(drafter="head_vx", internal=None, approver="spec_kt", type=2),
]


@example(plans=EDGES, holidays={SPAN - 57, SPAN - 56, SPAN - 400 + 3}, conf={"baseline": YEAR - 1, "target": 30.0},
         month=TODAY.month, quarter=4)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plans=st.lists(st.one_of(incoming_letter, outgoing_document), min_size=8, max_size=24),
       holidays=holiday_offsets, conf=d10_settings, month=st.integers(1, 12), quarter=st.integers(1, 4))
def test_every_figure_equals_a_recount_of_what_the_viewer_may_see(db, office, people, plans, holidays, conf,
                                                                   month, quarter):
    _wipe(db)
    off = {FIRST_DAY + timedelta(days=i) for i in holidays}
    office_settings.put("holidays", sorted(d.isoformat() for d in off))
    office_settings.put(service.SETTINGS_KEY, {"baseline_year": conf["baseline"], "target_pct": conf["target"]})
    facts = _build(db, office, people, plans, off)
    counters.rebuild()
    db.session.commit()
    periods = _periods(month, quarter)
    try:
        for viewer in people.values():
            seen = [f for f in facts if access.can_view(viewer, db.session.get(Document, f["id"]))]
            # an office-wide viewer's figures are sums of the monthly counts: check them counted both ways
            for use_rollup in (True, False) if viewer.has_role(*access.OFFICE_WIDE_ROLES) else (True,):
                service.USE_ROLLUP = use_rollup
                _check_viewer(viewer, seen, periods, conf)
            _check_drilldown(db, viewer, seen, periods[0])
            _check_drilldown(db, viewer, seen, periods[2])
    finally:
        service.USE_ROLLUP = True
