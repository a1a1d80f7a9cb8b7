"""The archive's counts for the dashboard (issue 7/9): dossiers by status, the archivist's work queue
(handled documents in no dossier, dossiers of an ended year still open, transfers near or past their
deadline), loans waiting for a decision or overdue, and dossiers whose retention has expired.

Dossiers are counted as rules.dossier_filter lets the user see them; documents (the unfiled ones) as
registry/access.visible_filter does: a confidential document is never counted for a user not cleared for
it. Every count is one bounded statement over indexed columns (the unfiled documents are counted up to
lists.COUNT_LIMIT, then shown as "10.000+"; on the dashboard up to its cards' limit, "1.000+").
"""

from datetime import date

import sqlalchemy as sa
from flask import url_for
from werkzeug.routing import BuildError

from docflow.archive import rules, services
from docflow.archive.models import DOSSIER_STATUSES, Dossier
from docflow.core.timeutil import today as _today
from docflow.extensions import db
from docflow.registry.lists import COUNT_LIMIT, bounded_count

#: the roles whose dashboard shows the archive's counts: the archivist keeps the archive, the leader
#: (the archive's head) decides loans, keep-backs and destruction
DASHBOARD_ROLES = ("archivist", "leader")


def _count(stmt) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0


def archive_counts(user, today: date | None = None, *, limit: int = COUNT_LIMIT) -> dict:
    """{"by_status": {status: n} for every status, "unfiled", "open_ended", "transfers_warning",
    "transfers_late", "loans_requested", "loans_overdue", "expired"} within what the user may see.
    `unfiled` is a lists.Count (an int that knows whether it is exact), counted up to `limit`."""
    today = today or _today()
    by_status = dict.fromkeys(DOSSIER_STATUSES, 0)
    by_status.update(db.session.execute(sa.select(Dossier.status, sa.func.count()).where(
        rules.dossier_filter(user)).group_by(Dossier.status)).all())
    queue = services.work_queue(user, today)
    transfers = [state for _dossier, _deadline, state in queue["transfers"]]
    expired = services.expired_dossiers(today).where(rules.dossier_filter(user))
    return {
        "by_status": by_status,
        "unfiled": bounded_count(queue["unfiled"], limit),
        "open_ended": _count(queue["open_ended"]),
        "transfers_warning": transfers.count("warning"),
        "transfers_late": transfers.count("late"),
        "loans_requested": _count(services.loans_for(user, state="requested", today=today)),
        "loans_overdue": _count(services.loans_for(user, state="overdue", today=today)),
        "expired": _count(expired),
    }


def dashboard_counts(user, *, limit: int = COUNT_LIMIT) -> dict | None:
    """The archive's counts for the dashboard of an archivist or a leader; None for the other roles."""
    if user is None or not user.has_role(*DASHBOARD_ROLES):
        return None
    return archive_counts(user, limit=limit)


def link(endpoint: str, **values) -> str | None:
    """The URL of an archive page for the dashboard's figures; None (the figure shown without a link)
    when the page does not exist in this build."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
