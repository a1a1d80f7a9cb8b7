"""In-app notifications about documents (either flow): written by the flows' services, read on the
notifications page, the dashboard and the navigation badge."""

import sqlalchemy as sa
from flask import current_app, g, url_for
from flask_babel import force_locale
from flask_login import current_user
from werkzeug.routing import BuildError

from docflow.auth.models import User
from docflow.core import tx
from docflow.core.models import Notification
from docflow.core.timeutil import utcnow
from docflow.extensions import db
from docflow.registry.models import Document

MESSAGE_MAX = 500


def recipient_locale(user_id: int) -> str:
    """The language a notification is written in: the one its recipient chose last, else the office's default."""
    locale = db.session.scalar(sa.select(User.locale).where(User.id == user_id))
    return locale if locale in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def notify(user_id: int, kind: str, doc: Document, message, assignment_id: int | None = None) -> None:
    """Queue a notification for a user about a document (in the caller's transaction). `message`: a lazy
    string (lazy_gettext), written in the recipient's language, not in the language of whoever acted (the
    text is stored: a clerk on the English pages used to send English to a Vietnamese leader); a plain
    string (a leader's own words) is kept as written."""
    with force_locale(recipient_locale(user_id)):
        text = str(message)
    db.session.add(Notification(user_id=user_id, kind=kind, document_id=doc.id, assignment_id=assignment_id,
                                message=text[:MESSAGE_MAX]))


def unread_query(user):
    return (sa.select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def list_query(user, *, unread_only: bool = False):
    stmt = sa.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; the number marked."""
    stmt = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(stmt.values(read_at=utcnow())).rowcount


def _unread_about(user, doc_id: int):
    return (Notification.user_id == user.id, Notification.document_id == doc_id, Notification.read_at.is_(None))


def render_reading(user, doc_id: int, render):
    """A document's page (either flow) read by `user`: `render()` it, then mark the user's unread
    notifications about that document read, in the same request. Only the viewer's, only that document's;
    only once the page has rendered (an error before, such as the 404 of a document one may not see, or in
    the rendering, marks nothing), and the page's badge already counts them out. On SQLite the page renders
    in its read transaction and the writers' lock is taken only for the one UPDATE (see core.tx). The API's
    document reads do not call this: an integration polling a document is not its user reading it."""
    pending = db.session.scalar(sa.select(sa.func.count(Notification.id)).where(*_unread_about(user, doc_id))) or 0
    if not pending:
        return render()
    before = unread_count(user)
    g.unread_notifications[user.id] = max(0, before - pending)
    tx.reading()
    response = render()
    tx.writing()
    db.session.execute(sa.update(Notification).where(*_unread_about(user, doc_id)).values(read_at=utcnow())
                       .execution_options(synchronize_session=False))
    tx.commit_keeping_loaded()
    return response


def unread_count(user=None) -> int:
    """The unread notifications of `user` (the current user by default), counted once per request: the
    navigation's badge and the dashboard's card."""
    user = current_user if user is None else user
    if not getattr(user, "is_authenticated", False):
        return 0
    known = g.setdefault("unread_notifications", {})
    if user.id not in known:
        known[user.id] = db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user.id,
                                                            Notification.read_at.is_(None))) or 0
    return known[user.id]


def document_url(doc_id: int | None, direction: str | None) -> str | None:
    """The page of a document of either flow: the flow's blueprint is named like its direction."""
    if not doc_id or not direction:
        return None
    try:
        return url_for(f"{direction}.detail", doc_id=doc_id)
    except BuildError:
        return None


def links(items) -> dict[int, str | None]:
    """Notification id -> the page of its document, in one query."""
    ids = {n.document_id for n in items if n.document_id}
    directions = dict(db.session.execute(sa.select(Document.id, Document.direction)
                                         .where(Document.id.in_(ids))).all()) if ids else {}
    return {n.id: document_url(n.document_id, directions.get(n.document_id)) for n in items}
