"""The visibility rule inside the search: totals, facets, snippets and the export never count or show
what the user may not see."""

import io

from openpyxl import load_workbook

from tests.search.helpers import draft, ids, register, search


def test_specialist_sees_only_what_they_take_part_in(api, users):
    clerk, spec = users["clerk"], users["specialist"]
    hidden = register(api, clerk, "Kế hoạch thanh tra ngân sách xã", doc_type="KH")
    mine = draft(api, spec, "Báo cáo thanh tra ngân sách huyện")
    assert ids(api, users["leader"], q="thanh tra") == {hidden["id"]}  # a draft stays private to its drafter
    answer = search(api, spec, q="thanh tra ngan sach")
    assert answer["total"] == 1
    assert [i["id"] for i in answer["items"]] == [mine["id"]]
    assert {f["key"]: f["count"] for f in answer["facets"]["doc_type"]} == {"CV": 1}
    assert {f["key"] for f in answer["facets"]["direction"]} == {"outgoing"}
    assert "xã" not in str(answer)
    assert search(api, spec, q="ke hoach")["total"] == 0
    assert search(api, spec, q="")["total"] == 1


def test_confidential_document_never_appears_to_an_uncleared_user(api, users):
    secret = register(api, users["clerk"], "Phương án bảo vệ mục tiêu quan trọng", confidentiality="confidential",
                      number_symbol="77/PA-CA")
    assert ids(api, users["archivist"], q="muc tieu") == {secret["id"]}  # cleared for Mật
    admin = users["admin"]  # office-wide, but cleared only for normal documents
    for q in ("muc tieu", "77/PA-CA", "phuong an", ""):
        answer = search(api, admin, q=q)
        assert answer["total"] == 0 and answer["items"] == []
        assert all(not facet for facet in answer["facets"].values())
    assert search(api, admin, q="", confidentiality="confidential")["total"] == 0


def test_export_follows_visibility(client, api, users, login_as):
    register(api, users["clerk"], "Kế hoạch thanh tra ngân sách xã")
    register(api, users["clerk"], "=HYPERLINK(\"http://x\") thanh tra mật", confidentiality="confidential")
    draft(api, users["specialist"], "Báo cáo thanh tra ngân sách huyện")

    def exported(user):
        login_as(user)
        response = client.get("/search/export.xlsx?q=thanh+tra")
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.data)).active
        rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
        client.post("/auth/logout")
        return rows

    spec_rows = exported(users["specialist"])
    assert [r[6] for r in spec_rows] == ["Báo cáo thanh tra ngân sách huyện"]
    leader_rows = exported(users["leader"])
    assert len(leader_rows) == 2
    formula = next(r[6] for r in leader_rows if r[6].startswith("="))
    assert formula.startswith("=HYPERLINK")  # kept as text, not a formula


def test_the_rule_asked_again_in_one_request_follows_a_changed_user(app, api, users):
    """The search builds the visibility condition once per request and user (query._visible); a user whose
    clearance or roles change within the same request is asked the rule as they now are."""
    from docflow.extensions import db
    from docflow.search import query

    secret = register(api, users["clerk"], "Phương án diễn tập phòng thủ", confidentiality="confidential")
    with app.test_request_context():
        admin = db.session.get(type(users["admin"]), users["admin"].id)
        args = query.load_args({"q": "dien tap"})
        assert query.search(admin, args).total == 0  # office-wide, cleared for normal documents only
        admin.clearance = "confidential"
        assert [d.id for d in query.search(admin, args).items] == [secret["id"]]
        spec = db.session.get(type(users["specialist"]), users["specialist"].id)
        spec.clearance = "confidential"
        assert query.search(spec, args).total == 0  # takes no part in it
        spec.set_roles(["archivist"])
        assert query.search(spec, args).total == 1
        db.session.rollback()
