"""Notifications are written in their recipient's language, whatever the language of whoever acted, and
name a handling role in words."""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale


def _messages(db, user) -> list[str]:
    from docflow.core.models import Notification

    return db.session.scalars(sa.select(Notification.message).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def test_a_notification_speaks_its_recipients_language_and_names_the_role(app, db, make_user, office):
    """A clerk on the English pages used to send "Presented to you: ..." to a Vietnamese leader, and an
    assignment read "Việc mới được giao (primary)"."""
    from docflow.core.timeutil import today
    from docflow.incoming import services

    clerk = make_user("clerk", unit="VP", username="vanthu")
    leader = make_user("leader", unit="VP", username="lanhdao")
    english = make_user("specialist", unit="KT", username="chuyenvien")
    vietnamese = make_user("specialist", unit="KT", username="chuyenvien2")
    clerk.locale, leader.locale, english.locale, vietnamese.locale = "en", "vi", "en", "vi"
    db.session.commit()

    with app.test_request_context(), force_locale("en"):  # everybody acts from the English pages
        doc = services.register_incoming({"sender_name": "Sở Nội vụ", "number_symbol": "45/SNV-VP",
                                          "issued_date": today().isoformat(), "subject": "V/v báo cáo văn thư"},
                                         actor=clerk)
        services.present(doc, actor=clerk, leader_id=leader.id)
        services.assign(doc, actor=leader, instruction="Báo cáo", due_date=(today() + timedelta(days=5)).isoformat(),
                        assignees=[{"user_id": english.id, "role": "primary"},
                                   {"user_id": vietnamese.id, "role": "inform"}])
        db.session.commit()

    assert _messages(db, leader) == ["Văn bản trình bạn: V/v báo cáo văn thư"]
    assert _messages(db, english) == ["New assignment (lead): V/v báo cáo văn thư"]
    assert _messages(db, vietnamese) == ["Việc mới được giao (để biết): V/v báo cáo văn thư"]


def test_a_leaders_own_words_are_kept_and_no_choice_means_the_offices_language(app, db, make_user):
    from docflow.core.timeutil import today
    from docflow.incoming import services
    from docflow.registry.notifications import notify, recipient_locale

    clerk = make_user("clerk", unit="VP", username="vanthu")
    user = make_user("specialist", unit="KT", username="chuyenvien")
    user.locale = "en"
    with app.test_request_context():
        doc = services.register_incoming({"sender_name": "Sở Nội vụ", "number_symbol": "46/SNV-VP",
                                          "issued_date": today().isoformat(), "subject": "Thử"}, actor=clerk)
        notify(user.id, "urged", doc, "Khẩn trương hoàn thành")
        assert recipient_locale(clerk.id) == app.config["BABEL_DEFAULT_LOCALE"]  # never chose one
    assert _messages(db, user) == ["Khẩn trương hoàn thành"]


# ---- reading a document's page reads its notifications ---------------------------------------------

def _unread(db, user) -> list[tuple[int, str]]:
    from docflow.core.models import Notification

    db.session.expire_all()
    return db.session.execute(sa.select(Notification.document_id, Notification.kind)
                              .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                              .order_by(Notification.id)).all()


def _presented(app, db, clerk, leader, subject, number):
    from docflow.core.timeutil import today
    from docflow.incoming import services

    with app.test_request_context():
        doc = services.register_incoming({"sender_name": "Sở Nội vụ", "number_symbol": number,
                                          "issued_date": today().isoformat(), "subject": subject}, actor=clerk)
        services.present(doc, actor=clerk, leader_id=leader.id)
        db.session.commit()
        return doc.id


def test_opening_an_incoming_document_reads_the_viewers_notifications_about_it(app, db, make_user, login_as):
    """The demo leader had 120 unread notifications, and reading the documents they were about cleared
    none of them: only the notifications page did."""
    from docflow.registry.models import Document
    from docflow.registry.notifications import notify

    clerk = make_user("clerk", unit="VP", username="vanthu")
    leader = make_user("leader", unit="VP", username="lanhdao")
    other = make_user("leader", unit="VP", username="lanhdao2")
    first = _presented(app, db, clerk, leader, "V/v báo cáo văn thư", "47/SNV-VP")
    second = _presented(app, db, clerk, leader, "V/v kế hoạch năm", "48/SNV-VP")
    with app.test_request_context():
        notify(other.id, "urged", db.session.get(Document, first), "Khẩn trương")
        db.session.commit()
    assert _unread(db, leader) == [(first, "presented"), (second, "presented")]

    client = login_as(leader)
    assert '<span class="badge rounded-pill text-bg-danger" id="nav-unread">2</span>' in \
        client.get("/notifications/").get_data(as_text=True)
    page = client.get(f"/incoming/{first}")
    assert page.status_code == 200
    # the page's own badge already counts them out
    assert 'id="nav-unread">1</span>' in page.get_data(as_text=True)
    # only the viewer's, only that document's
    assert _unread(db, leader) == [(second, "presented")]
    assert _unread(db, other) == [(first, "urged")]
    page = client.get(f"/incoming/{second}")
    assert page.status_code == 200 and 'id="nav-unread"' not in page.get_data(as_text=True)
    assert _unread(db, leader) == []
    assert client.get(f"/incoming/{second}").status_code == 200  # nothing left to read: the page as before


def test_a_document_one_may_not_see_reads_nothing(app, db, make_user, login_as):
    """A 404 changes nothing, even for a notification about the document (say, left from before a
    reassignment)."""
    from docflow.registry.models import Document
    from docflow.registry.notifications import notify

    clerk = make_user("clerk", unit="VP", username="vanthu")
    leader = make_user("leader", unit="VP", username="lanhdao")
    outsider = make_user("specialist", unit="VX", username="chuyenvien")
    doc_id = _presented(app, db, clerk, leader, "V/v báo cáo văn thư", "49/SNV-VP")
    with app.test_request_context():
        notify(outsider.id, "urged", db.session.get(Document, doc_id), "Khẩn trương")
        db.session.commit()

    client = login_as(outsider)
    assert client.get(f"/incoming/{doc_id}").status_code == 404
    assert client.get(f"/outgoing/{doc_id}").status_code == 404  # the other flow's page neither
    assert _unread(db, outsider) == [(doc_id, "urged")]


def test_opening_an_outgoing_document_reads_the_approvers_notification(app, db, users):
    from tests.conftest import login
    from tests.outgoing.test_pages import draft

    spec = app.test_client()
    login(spec, users["specialist"].username)
    response, doc = draft(spec, db)
    assert response.status_code == 302
    assert spec.post(f"/outgoing/{doc.id}/submit").status_code == 302
    head = users["unit_head"]
    assert _unread(db, head) == [(doc.id, "approval")]
    assert spec.get(f"/outgoing/{doc.id}").status_code == 200  # the drafter's page: the head's stays
    assert _unread(db, head) == [(doc.id, "approval")]

    client = app.test_client()
    login(client, head.username)
    assert client.get(f"/outgoing/{doc.id}").status_code == 200
    assert _unread(db, head) == []


def test_the_api_reading_a_document_leaves_its_notifications(app, db, make_user, token_for):
    """An integration polling GET /api/v1/incoming/<id> with a leader's token is not the leader reading it."""
    clerk = make_user("clerk", unit="VP", username="vanthu")
    leader = make_user("leader", unit="VP", username="lanhdao")
    doc_id = _presented(app, db, clerk, leader, "V/v báo cáo văn thư", "50/SNV-VP")
    headers = {"Authorization": f"Bearer {token_for(leader)}"}
    response = app.test_client().get(f"/api/v1/incoming/{doc_id}", headers=headers)
    assert response.status_code == 200
    assert _unread(db, leader) == [(doc_id, "presented")]
