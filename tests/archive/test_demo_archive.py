"""The demo office's archive (docflow/demo/archive.py) is consistent: this year's approved plan with a
heading per unit, dossiers in every state whose counts match their documents, archived paper with a
location, the loans of the borrowing book, an expired dossier proposed for destruction (never a permanent
one), the dashboard's counts equal to a recount, and `audit verify` still OK.

The demo is built once, smaller than `flask docflow demo` (40 incoming, 6 outgoing documents instead
of 300 and 120: the full demo takes about a minute on a busy machine; this one well under 20 s)."""

import random
from functools import partial

import sqlalchemy as sa


def test_the_demo_archive_is_consistent(app, db, tmp_path, monkeypatch):
    import docflow.demo as demo
    from docflow.archive import rules, services
    from docflow.archive.dashboard import archive_counts
    from docflow.archive.models import Disposition, Dossier, DossierDocument, FilePlan, KeepBack, Loan, Transfer
    from docflow.auth.models import Unit, User
    from docflow.core import audit
    from docflow.core.timeutil import today
    from docflow.demo.archive import _Archive, demo_archive
    from docflow.registry.access import visible_filter
    from docflow.registry.models import Document

    for name, n in (("demo_incoming", 40), ("demo_outgoing", 6)):  # load_demo's own sizes replaced
        monkeypatch.setattr(demo, name, partial(lambda make, n, *_a, **_k: make(n, show_progress=False),
                                                getattr(demo, name), n))
    assert demo.load_demo(tmp_path / "logins.txt")
    db.session.commit()
    assert audit.verify().ok
    assert demo_archive() == 0  # once only

    t = today()
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    units = {u.id: u.code for u in db.session.scalars(sa.select(Unit))}
    arch = users["luutru"]
    plan = services.plan_for(t.year)
    assert plan.status == "approved" and plan.approved_by_id == users["lanhdao"].id
    majors = {h.abbr: h for h in plan.headings if h.parent_id is None}
    assert set(majors) == {"VP", "KT", "NC", "VX", "TCD"}
    assert {h.abbr for h in plan.headings if h.parent_id == majors["VP"].id} == {"TH", "HCTC"}
    planned = db.session.scalars(sa.select(Dossier).where(Dossier.plan_id == plan.id)).all()
    for dossier in planned:  # ordinal + the major heading's abbreviation, the heading's unit
        heading = dossier.heading
        major = heading if heading.parent_id is None else heading.parent
        assert dossier.code.endswith("." + major.abbr) and units[dossier.unit_id] == heading.abbr
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FilePlan)) == 1

    dossiers = db.session.scalars(sa.select(Dossier)).all()
    by_status = {}
    for dossier in dossiers:
        by_status.setdefault(dossier.status, []).append(dossier)
    assert {s: len(v) >= 1 for s, v in by_status.items()} == {s: True for s in ("planned", "open", "closed",
                                                                                 "archived")}
    entries = {d.id: d.entries for d in dossiers}
    # the demo's documents arrive over this year (and late last year): early in January few are handled yet
    maker = _Archive(random.Random(0))
    handled = maker.handled(t.year)
    filed_now = {e.document_id for d in by_status["open"] for e in entries[d.id] if d.year == t.year}
    assert filed_now <= {d.id for d in handled}
    assert len(filed_now) >= len(handled) // 3
    assert sum(1 for d in by_status["open"] if entries[d.id]) >= min(3, len(handled))
    for dossier in by_status["closed"] + by_status["archived"]:
        assert dossier.doc_total == len(entries[dossier.id]) and dossier.end_date and dossier.closed_at
        if dossier.medium == "paper":
            assert dossier.page_total > 0 and not entries[dossier.id]
    for dossier in by_status["archived"]:
        assert dossier.transfer.status == "accepted" and rules.is_transferable(dossier)
        assert (dossier.location_box is not None) == (dossier.medium == "paper")
    for dossier in by_status["planned"]:
        assert not entries[dossier.id] and dossier.start_date is None
    assert any(d.is_permanent for d in by_status["archived"])
    kept = db.session.scalars(sa.select(KeepBack)).one()
    assert kept.state == "approved" and kept.dossier.kept_back_until == kept.until
    assert services.transfer_state(kept.dossier, t) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == len(by_status["archived"])

    # a confidential letter is filed; an uncleared keeper of the office neither sees nor counts it
    # a confidential letter is filed (the demo files the first handled one the archivist may see: there is
    # one unless the small demo's chance left none); an uncleared reader neither sees nor counts it
    secret = db.session.scalars(sa.select(DossierDocument).join(Document).where(
        Document.confidentiality != "normal")).first()
    assert secret is not None or not any(d.confidentiality != "normal" for d in handled)
    for holder in [secret.dossier] if secret is not None else []:
        reader = users["quantri"]  # admin: sees every dossier, cleared for normal documents only
        counts = services.dossier_counts(holder, reader)
        assert counts["documents"] == len(services.dossier_entries(holder, reader)) < len(entries[holder.id])

    # the borrowing book: one lent (its borrower sees the documents within their clearance), one asked for,
    # one returned
    loans = {loan.state: loan for loan in db.session.scalars(sa.select(Loan))}
    assert set(loans) == {"lent", "requested", "returned"}
    lent = loans["lent"]
    assert lent.dossier.status == "archived" and lent.due_date > t and not services.is_overdue(lent, t)
    assert lent.requested_at <= lent.decided_at <= lent.lent_at
    assert loans["returned"].lent_at <= loans["returned"].returned_at
    filed = {e.document_id for e in entries[lent.dossier_id]}
    borrower = lent.borrower
    seen = set(db.session.scalars(sa.select(Document.id).where(Document.id.in_(filed), visible_filter(borrower))))
    assert filed and seen == {d for d in filed if db.session.get(Document, d).confidentiality == "normal"}

    # the destruction proposal: expired, never permanent, not yet decided
    disposition = db.session.scalars(sa.select(Disposition)).one()
    assert disposition.state == "proposed"
    for item in disposition.items:
        assert not item.dossier.is_permanent and item.dossier.retention_ends < t
    expired = set(db.session.scalars(services.expired_dossiers(t).with_only_columns(Dossier.id)))
    assert expired and not expired & {i.dossier_id for i in disposition.items}

    counts = archive_counts(arch)
    assert counts["by_status"] == {s: len(by_status.get(s, [])) for s in counts["by_status"]}
    every = {d.id for d in handled + maker.handled(t.year - 1)}  # the demo's documents are of these two years
    assert counts["unfiled"] == len(every - {e.document_id for d in dossiers for e in entries[d.id]})
    assert counts["open_ended"] == 1 and counts["transfers_late"] >= 1
    assert (counts["loans_requested"], counts["loans_overdue"], counts["expired"]) == (1, 0, len(expired))
