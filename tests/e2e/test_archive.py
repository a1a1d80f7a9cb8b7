"""The archivist's journey in a real browser (Vietnamese, as an office runs it): file a handled letter
into a dossier from the letter's page, close the dossier, put it on a transfer list and accept it with
its box and shelf, then lend it — a reader of another unit asks, a leader approves, the archivist lends,
and the reader then sees the dossier's documents but the confidential one — with nothing blocked by the
CSP."""

from datetime import timedelta

import pytest

from docflow.core.timeutil import today
from tests.archive.test_pages import build
from tests.conftest import PASSWORD
from tests.e2e.conftest import requires_chromium

pytestmark = [pytest.mark.e2e, requires_chromium]


@pytest.fixture
def archive_office(db, users, make_user):
    data = build(db, users)
    data["names"] = {role: u.username for role, u in users.items()}
    data["names"]["reader"] = make_user("specialist", unit="VX", username="reader1").username
    db.session.remove()  # the test thread keeps no transaction open (see tests/e2e/conftest.py)
    return data


def _login(page, live_server, username):
    page.goto(live_server + "/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard")


def test_the_archivists_journey(archive_office, live_server, new_page, tmp_path):
    names, dossier_id, letter = archive_office["names"], archive_office["dossier"], archive_office["docs"]["b"]
    arch = new_page()
    arch.set_viewport_size({"width": 1400, "height": 1000})
    _login(arch, live_server, names["archivist"])

    # the work queue lists the handled letter that sits in no dossier; its page files it
    arch.click("#nav-archive")
    arch.wait_for_url("**/archive/")
    arch.click(f'#queue-unfiled li[data-id="{letter}"] a')
    arch.wait_for_url(f"**/incoming/{letter}")
    arch.select_option("#file-dossier_id", str(dossier_id))
    arch.click("#file-form [type=submit]")
    arch.wait_for_url(f"**/incoming/{letter}")
    assert arch.locator(f'#document-dossiers-list a[href="/archive/dossiers/{dossier_id}"]').count() == 1

    # the dossier holds it; close the dossier (end date today by default)
    arch.click(f'#document-dossiers-list a[href="/archive/dossiers/{dossier_id}"]')
    arch.wait_for_url(f"**/archive/dossiers/{dossier_id}")
    assert arch.locator(f'#dossier-documents tr[data-id="{letter}"]').count() == 1
    arch.fill("#close-closing_note", "Đã đủ văn bản")
    arch.click("#close-form [type=submit]")
    arch.wait_for_selector("#transfer-list-form")
    assert arch.locator("#close-form").count() == 0
    arch.screenshot(path=str(tmp_path / "archive-dossier.png"), full_page=True)

    # a transfer list, printable, accepted with the box and shelf of the paper
    arch.click("#transfer-list-form button[type=submit]")
    arch.wait_for_url("**/archive/transfers/*")
    assert "MỤC LỤC HỒ SƠ NỘP LƯU" in arch.locator("article.archive-sheet").first.inner_text()
    arch.fill(f"#box-{dossier_id}", "H12")
    arch.fill(f"#shelf-{dossier_id}", "G3")
    arch.click("#accept-form button[type=submit]")
    arch.wait_for_selector("#transfer-xlsx")
    assert arch.locator("#accept-form").count() == 0
    assert "H12" in arch.locator(".sheet-table").first.inner_text()
    arch.goto(live_server + f"/archive/dossiers/{dossier_id}")
    assert "H12" in arch.locator("#dossier-location").inner_text()

    # a reader of another unit sees the archived dossier in the catalogue, none of its documents, and asks
    reader = new_page()
    _login(reader, live_server, names["reader"])
    reader.goto(live_server + f"/archive/dossiers/{dossier_id}")
    assert reader.locator("#dossier-documents tbody tr[data-id]").count() == 0
    reader.fill("#loan-reason", "Tra cứu số liệu ngân sách")
    reader.fill("#loan-due_date", (today() + timedelta(days=7)).isoformat())
    reader.click("#loan-form [type=submit]")
    reader.wait_for_selector(".alert-success")

    # the leader approves it in the borrowing book
    leader = new_page()
    _login(leader, live_server, names["leader"])
    leader.goto(live_server + "/archive/loans")
    leader.click('#loan-table tr[data-state="requested"] [name$="-approve"]')
    leader.wait_for_selector('#loan-table tr[data-state="approved"]')

    # the archivist lends it: the book says so, and the reader's own book too
    arch.goto(live_server + "/archive/loans")
    arch.click('#loan-table tr[data-state="approved"] form[action$="/lend"] button')
    arch.wait_for_selector('#loan-table tr[data-state="lent"]')
    assert arch.locator("#loan-table tbody tr").count() == 1
    reader.goto(live_server + "/archive/loans")
    assert reader.locator('#loan-table tr[data-state="lent"]').count() == 1
    # while lent, the reader sees its documents within their clearance: not the confidential one
    reader.goto(live_server + f"/archive/dossiers/{dossier_id}")
    shown = reader.locator("#dossier-documents tbody tr[data-id]")
    assert sorted(shown.evaluate_all("rows => rows.map(r => r.dataset.id)")) == sorted(
        str(archive_office["docs"][k]) for k in ("a", "b"))
    arch.screenshot(path=str(tmp_path / "archive-loans.png"), full_page=True)
    for pg in (arch, reader, leader):
        assert not pg.console_errors, pg.console_errors
