"""Who holds a role: the people queries every feature asks (leaders to present to, a unit's head,
the clerks who issue), said once. Only active users; ordered by full name."""

import sqlalchemy as sa

from docflow.auth.models import User, UserRole
from docflow.extensions import db


def holders(role: str, *, unit_id: int | None = None, cleared_for: str | None = None,
            include_inactive: bool = False) -> list[User]:
    """Users holding `role` (in `unit_id` when given), cleared for a level when given."""
    stmt = sa.select(User).join(UserRole).where(UserRole.role == role)
    if not include_inactive:
        stmt = stmt.where(User.is_active_flag.is_(True))
    if unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id)
    users = db.session.scalars(stmt.order_by(User.full_name, User.id)).all()
    return [u for u in users if cleared_for is None or u.cleared_for(cleared_for)]


def leaders(min_clearance: str = "normal") -> list[User]:
    return holders("leader", cleared_for=min_clearance)


def unit_heads(unit_id: int | None, *, include_inactive: bool = False) -> list[User]:
    """The head(s) of a unit (a unit may have a deputy acting as head)."""
    if unit_id is None:
        return []
    return holders("unit_head", unit_id=unit_id, include_inactive=include_inactive)


def clerks(cleared_for: str | None = None) -> list[User]:
    return holders("clerk", cleared_for=cleared_for)
