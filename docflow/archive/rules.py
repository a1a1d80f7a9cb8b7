"""Who may do what in the archive (issue 7/9; architecture decision 13: each action said once).

Each predicate answers for the role *and* the object's state, so a page can show or hide a button
with it; the services call the same predicates to refuse (403 when the role is wrong, 409 when only
the state is), and the API gets the same answer.

Seeing dossiers: everyone logged in sees the dossiers of their own unit and those they keep; admin,
clerk, leader and archivist see all; every user sees the metadata of archived dossiers (the catalogue
they borrow from). A dossier's *documents* always follow registry/access.visible_filter.
"""

import sqlalchemy as sa

from docflow.archive.models import Dossier

#: roles that see every dossier
ARCHIVE_WIDE_ROLES = ("admin", "clerk", "leader", "archivist")
#: roles that may open a dossier (from the plan or ad hoc)
OPENER_ROLES = ("archivist", "clerk", "unit_head", "specialist")
#: dossiers kept for less than this many years are never transferred to the agency archive
MIN_TRANSFER_YEARS = 5


def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


# ---- seeing ----------------------------------------------------------------------------------------

def dossier_filter(user):
    """The SQL condition "dossiers whose metadata this user may see"."""
    if not _active(user):
        return sa.false()
    if user.has_role(*ARCHIVE_WIDE_ROLES):
        return sa.true()
    conditions = [Dossier.keeper_id == user.id, Dossier.status == "archived"]
    if user.unit_id is not None:
        conditions.append(Dossier.unit_id == user.unit_id)
    return sa.or_(*conditions)


def may_see_dossier(user, dossier) -> bool:
    if not _active(user) or dossier is None:
        return False
    if user.has_role(*ARCHIVE_WIDE_ROLES):
        return True
    return (dossier.keeper_id == user.id or dossier.status == "archived"
            or (user.unit_id is not None and dossier.unit_id == user.unit_id))


def sees_all_loans(user) -> bool:
    return _active(user) and user.has_role("admin", "archivist", "leader")


def may_see_loan(user, loan) -> bool:
    return _active(user) and (sees_all_loans(user) or loan.borrower_id == user.id)


# ---- retention and the file plan -------------------------------------------------------------------

def may_edit_retention(user) -> bool:
    return _active(user) and user.has_role("admin", "archivist")


def may_draft_plan(user, plan=None) -> bool:
    """Create a plan, add headings and planned dossiers, copy last year's (a draft plan only)."""
    if not (_active(user) and user.has_role("admin", "archivist")):
        return False
    return plan is None or plan.status == "draft"


def may_approve_plan(user, plan) -> bool:
    return _active(user) and user.has_role("leader") and plan is not None and plan.status == "draft"


# ---- dossiers --------------------------------------------------------------------------------------

def may_create_dossier(user) -> bool:
    """Open a dossier ad hoc (or plan-less)."""
    return _active(user) and user.has_role(*OPENER_ROLES)


def keeps(user, dossier) -> bool:
    """The people who look after a dossier's contents: its keeper, the head of its unit, an archivist
    or a clerk (role only, whatever the dossier's state)."""
    if not _active(user) or dossier is None:
        return False
    if user.has_role("archivist", "clerk"):
        return True
    if dossier.keeper_id is not None and dossier.keeper_id == user.id:
        return True
    return user.has_role("unit_head") and user.unit_id is not None and dossier.unit_id == user.unit_id


def may_open(user, dossier) -> bool:
    """Open a planned dossier: the people who keep it, if their role may open dossiers."""
    return dossier.status == "planned" and user is not None and keeps(user, dossier) and may_create_dossier(user)


def may_edit(user, dossier) -> bool:
    """Change a dossier's metadata: an archived or destroyed dossier is read-only."""
    return dossier.status in ("planned", "open", "closed") and keeps(user, dossier)


def may_file(user, dossier) -> bool:
    """Add, remove or reorder documents (only an open dossier)."""
    return dossier.status == "open" and keeps(user, dossier)


def may_close(user, dossier) -> bool:
    return dossier.status == "open" and keeps(user, dossier)


def is_transferable(dossier) -> bool:
    """Only dossiers kept 5 years or more (or permanently) go to the agency archive."""
    return dossier.retention_years is None or dossier.retention_years >= MIN_TRANSFER_YEARS


def _puts_on_transfer(user, dossier) -> bool:
    if not _active(user):
        return False
    if user.has_role("archivist") or dossier.keeper_id == user.id:
        return True
    return user.has_role("unit_head") and user.unit_id is not None and dossier.unit_id == user.unit_id


def may_put_on_transfer(user, dossier) -> bool:
    """Put a closed dossier on a transfer list: its keeper, its unit's head or an archivist (the
    retention rule is checked by the service: a 422, not a hidden button)."""
    pending = dossier.transfer is not None and dossier.transfer.status == "proposed"
    return dossier.status == "closed" and not pending and _puts_on_transfer(user, dossier)


def may_transfer_now(user, dossier) -> bool:
    """A one-dossier transfer, accepted at once: the archivist."""
    return dossier.status == "closed" and _active(user) and user.has_role("archivist")


def may_accept_transfer(user, transfer) -> bool:
    return _active(user) and user.has_role("archivist") and transfer.status == "proposed"


def may_request_keep_back(user, dossier) -> bool:
    """A unit head (of the dossier's unit) or its keeper asks to keep a closed dossier back."""
    if not _active(user) or dossier.status != "closed":
        return False
    if dossier.keeper_id == user.id:
        return True
    return user.has_role("unit_head") and user.unit_id is not None and dossier.unit_id == user.unit_id


def may_decide_keep_back(user, keep_back) -> bool:
    return _active(user) and user.has_role("leader") and keep_back.state == "proposed"


# ---- loans -----------------------------------------------------------------------------------------

def may_request_loan(user, dossier) -> bool:
    return _active(user) and dossier.status == "archived"


def may_decide_loan(user, loan) -> bool:
    """Approve or refuse: a leader (the archive's head)."""
    return _active(user) and user.has_role("leader") and loan.state == "requested"


def may_lend(user, loan) -> bool:
    return _active(user) and user.has_role("archivist") and loan.state == "approved"


def may_take_back(user, loan) -> bool:
    return _active(user) and user.has_role("archivist") and loan.state == "lent"


# ---- disposition -----------------------------------------------------------------------------------

def may_propose_disposition(user) -> bool:
    return _active(user) and user.has_role("archivist")


def may_decide_disposition(user, disposition) -> bool:
    return _active(user) and user.has_role("leader") and disposition.state == "proposed"
