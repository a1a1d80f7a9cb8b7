"""Who sees which dossier, and what inside it: a dossier's metadata for its unit, its keeper, the
office-wide roles and (once archived) everyone; its documents always through registry/access.py — a
confidential one neither listed nor counted for a user not cleared for it — and, while a loan is lent,
the borrower sees the dossier's documents within their clearance, and no longer once it is returned."""

from datetime import timedelta

import sqlalchemy as sa

from docflow.archive import services
from docflow.core.timeutil import today
from docflow.registry import access
from tests.archive.conftest import archived_dossier, make_dossier


def download_status(caller, attachment_id) -> int:
    response = caller.get(f"/attachments/{attachment_id}")
    response.close()  # a file wrapper: closed (ResourceWarnings are errors here)
    return response.status_code


def _visible(db, user, doc_ids) -> set[int]:
    stmt = access.visible_documents(user).where(sa.literal_column("documents.id").in_(doc_ids))
    seen = {d.id for d in db.session.scalars(stmt)}
    # the same rule written as a probe of each document (registry/access.py `probe`) says the same
    probed = sa.select(sa.literal_column("documents.id")).select_from(access.Document).where(
        access.visible_filter(user, probe=True), sa.literal_column("documents.id").in_(doc_ids))
    assert set(db.session.scalars(probed)) == seen
    return seen


def test_dossier_metadata_by_role_and_contents_by_clearance(db, people, docs, api):
    head = people["unit_head"]
    dossier = make_dossier(people["archivist"], "01.KT", unit_id=head.unit_id,
                           documents=[docs["letter"], docs["secret"]])
    db.session.commit()
    seen = {name: [d.code for d in db.session.scalars(services.dossiers_for(user))] for name, user in people.items()}
    assert seen == {"admin": ["01.KT"], "clerk": ["01.KT"], "leader": ["01.KT"], "unit_head": ["01.KT"],
                    "specialist": ["01.KT"], "archivist": ["01.KT"], "reader": [], "cleared_reader": []}

    def detail(user):
        response = api(user).get(f"/dossiers/{dossier.id}")
        return response.status_code, response.get_json()

    status, body = detail(people["archivist"])  # cleared for Mật
    assert status == 200 and body["doc_total"] == 2 and body["page_total"] == 5
    assert [e["document"]["id"] for e in body["documents"]] == [docs["letter"].id, docs["secret"].id]
    for name in ("admin", "specialist"):  # an office-wide role and the unit's specialist, neither cleared
        status, body = detail(people[name])
        assert status == 200, name
        assert [e["document"]["id"] for e in body["documents"]] == [docs["letter"].id], name
        assert (body["doc_total"], body["page_total"]) == (1, 3), name
        listed = api(people[name]).get("/dossiers").get_json()["items"]
        assert [(i["code"], i["doc_total"]) for i in listed] == [("01.KT", 1)], name
    assert detail(people["reader"])[0] == 404  # another unit's open dossier: as if missing

    services.close_dossier(dossier, {}, actor=head)
    db.session.commit()
    assert dossier.doc_total == 2  # the record counts all; each viewer is shown their own count
    assert detail(people["admin"])[1]["doc_total"] == 1
    assert detail(people["archivist"])[1]["doc_total"] == 2


def test_a_lent_dossier_opens_its_documents_to_the_borrower_within_clearance(db, people, docs, api):
    archivist, leader = people["archivist"], people["leader"]
    reader, cleared = people["reader"], people["cleared_reader"]
    dossier = archived_dossier(people, "02.VP", [docs["letter"], docs["secret"], docs["issued"]])
    other = archived_dossier(people, "03.VP", [])
    db.session.commit()
    ids = [docs["letter"].id, docs["secret"].id, docs["issued"].id]
    assert _visible(db, reader, ids) == set() and _visible(db, cleared, ids) == set()
    body = api(reader).get(f"/dossiers/{dossier.id}").get_json()  # archived: the catalogue is everyone's
    assert (body["status"], body["documents"], body["doc_total"]) == ("archived", [], 0)

    loans = {}
    for who in (reader, cleared):
        loans[who.id] = services.request_loan(dossier, reason="Tra cứu", due_date=today() + timedelta(days=5),
                                              actor=who)
        services.approve_loan(loans[who.id], actor=leader)
    services.request_loan(other, reason="Tra cứu", due_date=today() + timedelta(days=5), actor=reader)
    db.session.commit()
    assert _visible(db, reader, ids) == set()  # approved is not lent

    for who in (reader, cleared):
        services.lend_loan(loans[who.id], actor=archivist)
    db.session.commit()
    assert _visible(db, reader, ids) == {docs["letter"].id, docs["issued"].id}
    assert _visible(db, cleared, ids) == set(ids)
    assert access.get_visible_or_404(reader, docs["letter"].id).id == docs["letter"].id
    body = api(reader).get(f"/dossiers/{dossier.id}").get_json()
    assert [e["document"]["id"] for e in body["documents"]] == [docs["letter"].id, docs["issued"].id]
    assert body["doc_total"] == 2
    assert api(cleared).get(f"/dossiers/{dossier.id}").get_json()["doc_total"] == 3
    # the search finds a borrowed document by its words too: the borrower takes no part in it, so the
    # engine is not narrowed to their participation tags (search/query.viewer_tags)
    def found(user):
        body = api(user).get("/search", query_string={"q": "ngân sách quý"}).get_json()
        return [i["id"] for i in body["items"]], body["total"]

    assert found(reader) == ([docs["letter"].id], 1)
    attachment = docs["letter"].attachments[0].id
    assert download_status(api(reader), attachment) == 200
    assert download_status(api(reader), docs["secret"].attachments[0].id) == 404
    # the grant is the borrower's own: the office's other readers see nothing more
    assert _visible(db, people["specialist"], [docs["secret"].id]) == set()

    services.return_loan(loans[reader.id], actor=archivist)
    db.session.commit()
    assert _visible(db, reader, ids) == set()
    assert download_status(api(reader), attachment) == 404
    assert api(reader).get(f"/dossiers/{dossier.id}").get_json()["doc_total"] == 0
    assert found(reader) == ([], 0)
    assert _visible(db, cleared, ids) == set(ids)  # still lent to them
