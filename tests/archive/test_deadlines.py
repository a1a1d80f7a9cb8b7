"""Transfer deadlines with a fixed clock: a closed dossier must reach the agency archive by 31/12 of the
year after the matter ended; `warning` from 30 days before that day to the day itself, `late` after it;
an approved keep-back silences both until its end; dossiers kept under 5 years are never due."""

from datetime import date, timedelta

import pytest

from docflow.archive import services
from docflow.archive.models import Dossier
from docflow.core.errors import Conflict, PermissionDenied, ValidationFailed
from docflow.core.timeutil import today
from tests.archive.conftest import make_dossier


def _closed(end: date, years=10, **kw) -> Dossier:
    return Dossier(code="01.X", title="X", year=end.year, status="closed", end_date=end, retention_years=years, **kw)


def test_transfer_state_at_the_boundaries():
    dossier = _closed(date(2024, 3, 15))
    deadline = services.transfer_deadline(dossier)
    assert deadline == date(2025, 12, 31)
    states = {offset: services.transfer_state(dossier, deadline + timedelta(days=offset)) for offset in (-31, -30, 0, 1)}
    assert states == {-31: None, -30: "warning", 0: "warning", 1: "late"}
    # a permanent dossier is due the same way; one kept 3 years never is; nor an open or archived one
    assert services.transfer_state(_closed(date(2024, 3, 15), years=None), deadline) == "warning"
    assert services.transfer_state(_closed(date(2024, 3, 15), years=3), deadline + timedelta(days=1)) is None
    for status in ("open", "archived", "destroyed"):
        other = _closed(date(2024, 3, 15))
        other.status = status
        assert services.transfer_state(other, deadline + timedelta(days=1)) is None
    # kept back: nothing until kept_back_until (inclusive), late the day after
    kept = _closed(date(2024, 3, 15), kept_back_until=date(2026, 6, 30))
    assert services.transfer_state(kept, deadline) is None
    assert services.transfer_state(kept, date(2026, 6, 30)) is None
    assert services.transfer_state(kept, date(2026, 7, 1)) == "late"
    # no end date: the dossier's year stands for it
    assert services.transfer_deadline(Dossier(code="x", title="x", year=2020, status="closed")) == date(2021, 12, 31)


def test_keep_back_requested_limited_and_approved_silences_the_queue(db, people):
    archivist, head, leader = people["archivist"], people["unit_head"], people["leader"]
    ended = date(today().year - 2, 5, 10)  # deadline 31/12 last year: late today
    dossier = make_dossier(archivist, "07.KT", unit_id=head.unit_id, years=20, end=ended)
    make_dossier(archivist, "08.KT", unit_id=head.unit_id, years=3, end=ended)  # never due
    db.session.commit()
    due = services.work_queue(archivist)["transfers"]
    assert [(d.code, state) for d, _deadline, state in due] == [("07.KT", "late")]
    assert due[0][1] == date(today().year - 1, 12, 31)
    assert services.work_queue(people["reader"])["transfers"] == []  # another unit's dossier

    limit = services.keep_back_limit(dossier)
    assert limit == date(today().year + 1, 12, 31)
    with pytest.raises(PermissionDenied):
        services.request_keep_back(dossier, reason="Còn dùng", until=limit, actor=people["reader"])
    with pytest.raises(ValidationFailed) as bad:
        services.request_keep_back(dossier, reason="Còn dùng", until=limit + timedelta(days=1), actor=head)
    assert "until" in bad.value.errors
    with pytest.raises(ValidationFailed) as bad:
        services.request_keep_back(dossier, reason="", until=None, actor=head)
    assert set(bad.value.errors) == {"reason", "until"}
    kb = services.request_keep_back(dossier, reason="Còn phục vụ thanh tra", until=limit, actor=head)
    with pytest.raises(Conflict):
        services.request_keep_back(dossier, reason="Lần nữa", until=limit, actor=head)
    db.session.commit()
    assert services.transfer_state(dossier) == "late"  # not approved yet
    with pytest.raises(PermissionDenied):
        services.decide_keep_back(kb, approve=True, actor=archivist)
    services.decide_keep_back(kb, approve=True, actor=leader, comment="Đồng ý")
    db.session.commit()
    assert dossier.kept_back_until == limit and kb.state == "approved"
    assert services.work_queue(archivist)["transfers"] == []
    assert services.transfer_state(dossier, limit + timedelta(days=1)) == "late"
    with pytest.raises(Conflict):
        services.decide_keep_back(kb, approve=False, actor=leader)
