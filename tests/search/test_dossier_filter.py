"""Search by dossier (issue 7/9): `dossier=<id>` keeps the documents filed in that dossier, and the `dossier`
facet names the dossiers the matching documents sit in. Both count only what the user may see: a
confidential document filed in a dossier is neither found nor counted for an uncleared user, and a dossier
whose metadata the user may not see is neither named nor searchable by id."""

import io

from openpyxl import load_workbook

from docflow.archive.models import Dossier, DossierDocument
from tests.search.helpers import draft, ids, register, search


def _dossier(db, code, unit, documents, status="open"):
    dossier = Dossier(year=2026, code=code, title=f"Hồ sơ {code} chuyển đổi số", unit_id=unit.id, status=status)
    db.session.add(dossier)
    db.session.flush()
    for position, doc in enumerate(documents):
        db.session.add(DossierDocument(dossier_id=dossier.id, document_id=doc["id"], position=position))
    db.session.commit()
    return dossier.id


def _facet(answer) -> dict:
    return {f["key"]: f["count"] for f in answer["facets"]["dossier"]}


def test_dossier_filter_and_facet_follow_visibility(api, db, office, users, make_user, client, login_as):
    clerk = users["clerk"]
    plain = [register(api, clerk, f"Kế hoạch chuyển đổi số đợt {i}") for i in (1, 2)]
    secret = register(api, clerk, "Phương án chuyển đổi số bảo mật", confidentiality="confidential")
    outside = register(api, clerk, "Báo cáo chuyển đổi số không lập hồ sơ")
    vx_spec = make_user("specialist", unit="VX", username="vxspec")
    drafted = draft(api, vx_spec, "Dự thảo chuyển đổi số của phòng")
    kt = _dossier(db, "01.KT", office["KT"], [*plain, secret, drafted])
    vx = _dossier(db, "01.VX", office["VX"], [plain[0], drafted])

    leader = users["leader"]  # top secret, sees every dossier
    assert ids(api, leader, q="chuyen doi so", dossier=kt) == {plain[0]["id"], plain[1]["id"], secret["id"]}
    answer = search(api, leader, q="chuyen doi so")
    assert answer["total"] == 4 and _facet(answer) == {kt: 3, vx: 1}  # the draft is its drafter's only
    assert answer["facets"]["dossier"][0]["label"].startswith("01.KT · Hồ sơ 01.KT")
    assert ids(api, leader, dossier=vx) == {plain[0]["id"]}
    assert outside["id"] not in ids(api, leader, q="chuyen doi so", dossier=kt)

    uncleared = make_user("archivist", unit="VP", clearance="normal", username="arch_normal")
    assert ids(api, uncleared, q="chuyen doi so", dossier=kt) == {plain[0]["id"], plain[1]["id"]}
    answer = search(api, uncleared, q="bao mat", dossier=kt)
    assert answer["total"] == 0 and answer["items"] == [] and not answer["facets"]["dossier"]
    assert _facet(search(api, uncleared, q="chuyen doi so")) == {kt: 2, vx: 1}
    assert _facet(search(api, uncleared, q="")) == {kt: 2, vx: 1}

    # a specialist of VX sees the draft (filed in both) and the VX dossier, not the KT dossier: the facet
    # names only VX, and searching the KT dossier by its id finds nothing
    answer = search(api, vx_spec, q="chuyen doi so")
    assert [i["id"] for i in answer["items"]] == [drafted["id"]] and _facet(answer) == {vx: 1}
    assert ids(api, vx_spec, dossier=vx) == {drafted["id"]}
    assert ids(api, vx_spec, dossier=kt) == set()

    for bad in ("abc", "0", "-3", "99999999999999"):
        response = api(leader).get("/search", query_string={"dossier": bad})
        assert response.status_code == 422 and "dossier" in response.get_json()["errors"]
    assert search(api, leader, dossier=kt + vx + 100)["total"] == 0  # no such dossier: nothing, not an error

    login_as(uncleared)
    html = client.get(f"/search/?q=chuyen+doi+so&dossier={kt}").get_data(as_text=True)
    assert 'id="search-dossier"' in html and "01.KT · Hồ sơ 01.KT" in html
    assert "đợt 1" in html and "bảo mật" not in html
    assert f'name="dossier" value="{kt}"' in html  # the form keeps the filter
    html = client.get("/search/?q=chuyen+doi+so").get_data(as_text=True)
    assert f"dossier={vx}" in html and f"dossier={kt}" in html  # the facet's links
    assert client.get("/search/?dossier=abc").status_code == 200  # a warning on the page, not a 500
    sheet = load_workbook(io.BytesIO(client.get(f"/search/export.xlsx?dossier={kt}").data)).active
    assert sorted(row[6].value for row in sheet.iter_rows(min_row=2)) == [d["subject"] for d in plain]
