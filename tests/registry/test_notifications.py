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
