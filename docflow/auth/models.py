"""Units, users with roles and clearance, API tokens."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.enums import clearance_rank
from docflow.core.text import fold
from docflow.core.timeutil import utcnow
from docflow.extensions import db


def new_session_token() -> str:
    return secrets.token_hex(24)


class Unit(db.Model):
    """An organisational unit (phòng, ban); a tree. Its code appears in document symbols."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    parent: Mapped["Unit | None"] = relationship(remote_side="Unit.id", back_populates="children")
    children: Mapped[list["Unit"]] = relationship(back_populates="parent", order_by="Unit.code")

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"

    def path(self) -> list["Unit"]:
        node, out = self, []
        while node is not None and node not in out:
            out.append(node)
            node = node.parent
        return list(reversed(out))


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    clearance: Mapped[str] = mapped_column(sa.String(20), default="normal")
    is_active_flag: Mapped[bool] = mapped_column("is_active", sa.Boolean, default=True)
    #: Flask-Login alternative id: rotated on password change or deactivation, ending other sessions
    session_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_session_token)
    password_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    #: folded username, full name and e-mail: "dang van" finds "ĐẶNG Văn Dũng" (kept by an ORM hook)
    search_key: Mapped[str] = mapped_column(sa.String(500), default="", index=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (sa.CheckConstraint(sa.text("clearance IN ('normal','confidential','secret','top_secret')"),
                                         name="clearance"),)

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return bool(self.is_active_flag)

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.session_token

    # roles and clearance
    @property
    def roles(self) -> list[str]:
        return sorted(r.role for r in self.role_rows)

    def set_roles(self, roles) -> None:
        wanted = set(roles)
        self.role_rows = [r for r in self.role_rows if r.role in wanted] + [
            UserRole(role=r) for r in sorted(wanted - {r.role for r in self.role_rows})
        ]

    def has_role(self, *roles: str) -> bool:
        mine = {r.role for r in self.role_rows}
        return any(r in mine for r in roles)

    def cleared_for(self, level: str) -> bool:
        return clearance_rank(self.clearance) >= clearance_rank(level)


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    user: Mapped[User] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None




@sa.event.listens_for(User, "before_insert")
@sa.event.listens_for(User, "before_update")
def _fill_search_key(_mapper, _connection, user: User) -> None:
    user.search_key = " ".join(filter(None, [user.username, fold(user.full_name), (user.email or "").lower()]))[:500]
