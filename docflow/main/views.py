"""The dashboard ("việc cần làm"), filled by the features as they arrive."""


import sqlalchemy as sa
from flask import Blueprint, g, redirect, render_template, url_for
from flask_login import current_user, login_required

from docflow.archive import dashboard as archive
from docflow.core.timeutil import today
from docflow.extensions import db
from docflow.incoming import services as incoming
from docflow.incoming.models import Assignment, IncomingDocument
from docflow.outgoing import services as outgoing
from docflow.outgoing.workflows import is_approver
from docflow.registry import access, lists, notifications
from docflow.stats import service as stats

bp = Blueprint("main", __name__)

SHORT_LIST = 5


def approves(user) -> bool:
    """outgoing.workflows.is_approver, asked once per request and user (the menu and the dashboard's card)."""
    known = g.setdefault("is_approver", {})
    key = access.user_key(user)
    if key not in known:
        known[key] = is_approver(user)
    return known[key]


@bp.app_context_processor
def inject_menu():
    """For the menus: `is_approver()` (asked only when a page shows the menu)."""
    return {"is_approver": lambda: approves(current_user)}


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return redirect(url_for("auth.login"))


def _count(stmt) -> int:
    """Bounded (registry/lists.py): exact up to CARD_COUNT_LIMIT, shown as "1.000+" above."""
    return lists.bounded_count(stmt, CARD_COUNT_LIMIT)


def _card(stmt) -> dict:
    """A dashboard card: the number of items and the first few."""
    return {"count": _count(stmt), "rows": db.session.scalars(stmt.limit(SHORT_LIST)).all()}


#: A dashboard card is a glance: its counts stop here ("1.000+"); the list behind it counts on
#: (lists.COUNT_LIMIT). Every count has to prove each item visible (registry/access.py): at 1M on PostgreSQL,
#: 10,001 overdue tasks of a busy unit cost ~40 ms, 10,001 letters presented to the leaders ~10 ms, 1,001 a
#: tenth of that (bench/README.md, "Statistics"). The same bound as a restricted user's long lists
#: (access.RESTRICTED_COUNT_LIMIT).
CARD_COUNT_LIMIT = access.RESTRICTED_COUNT_LIMIT


def task_cards(user) -> dict:
    """The three task cards (open, due soon, overdue): the inbox's three lists (incoming.tasks), each
    counted up to CARD_COUNT_LIMIT (1.000+ beyond) and the open card's first rows, read per
    part of the inbox (incoming.task_branches: the user's own tasks, their unit's for a unit head), each
    part from its index in due-date order, so that a page stops after its rows and a count reads only
    its range (one statement over both walked every open assignment of the office). The overdue card's
    rows are the open card's overdue ones, the due-soon card's too when they are among them (else their
    own first rows). Open is over the limit when overdue is (it holds them); without an open task (most
    leaders, clerks and archivists) nothing is counted."""
    def first(state):
        # each row's document (number, subject) comes with it
        return incoming.first_tasks(user, state, SHORT_LIST, (sa.orm.joinedload(Assignment.document),))

    rows = first("open")
    if not rows:  # overdue and due soon are open tasks too
        none = lists.Count(0)
        return {state: {"count": none, "rows": []} for state in ("open", "overdue", "due_soon")}
    counts = incoming.count_task_tabs(user, CARD_COUNT_LIMIT)
    overdue, due_soon = counts["overdue"], counts["due_soon"]
    day = today()
    soon = [a for a in rows if a.due_date is not None and a.due_date >= day][:int(due_soon)]
    if len(soon) < min(int(due_soon), SHORT_LIST):  # the open card's rows stop before them
        soon = first("due_soon")
    return {"open": {"count": counts["open"], "rows": rows},
            "overdue": {"count": overdue, "rows": [a for a in rows if a.due_date is not None
                                                   and a.due_date < day]},
            "due_soon": {"count": due_soon, "rows": soon}}


def incoming_cards(user) -> dict:
    cards = task_cards(user)
    if user.has_role("leader"):
        presented = incoming.list_incoming(user, status="submitted").where(
            sa.or_(IncomingDocument.presented_to_id == user.id, IncomingDocument.presented_to_id.is_(None)))
        cards["presented"] = _card(presented)
    if user.has_role("clerk"):
        cards["not_presented"] = _card(incoming.list_incoming(user, status="registered"))
    # counted as the navigation's badge is (the same number, once per request), not again up to the limit
    unread = notifications.unread_count(user)
    cards["notifications"] = {"count": lists.Count(min(unread, CARD_COUNT_LIMIT), unread <= CARD_COUNT_LIMIT),
                              "rows": db.session.scalars(notifications.unread_query(user).limit(SHORT_LIST)).all()}
    cards["notification_links"] = notifications.links(cards["notifications"]["rows"])
    return cards


def outgoing_cards(user) -> dict:
    """The drafts waiting for the user's approval (outgoing.services.awaiting_approval), for approvers."""
    if not approves(user):
        return {}
    docs = outgoing.awaiting_approval(user)
    return {"awaiting": {"count": len(docs), "rows": docs[:SHORT_LIST]}}


def stats_summary(user) -> dict:
    """This year's figures for the user's roles (stats.service.dashboard; templates/stats/_dashboard.html)."""
    return stats.dashboard(user, stats.Period(today().year))


@bp.route("/dashboard")
@login_required
def dashboard():
    return render_template("main/dashboard.html", cards={**incoming_cards(current_user),
                                                         **outgoing_cards(current_user)},
                           stats=stats_summary(current_user),
                           archive=archive.dashboard_counts(current_user, limit=CARD_COUNT_LIMIT),
                           archive_link=archive.link)


@bp.route("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}
