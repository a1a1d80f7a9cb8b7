"""Gap-free numbers per (register, year), drawn in the caller's transaction (architecture decision 3).

The counter lives on the register row. `UPDATE ... SET last_number = last_number + 1 RETURNING`
takes the row lock on PostgreSQL (same-register registrations queue, other registers don't); on
SQLite the transaction already holds the write lock (BEGIN IMMEDIATE). The document row is
inserted in the same transaction, so a failure rolls the number back: no gaps, no reuse.
"""

import sqlalchemy as sa

from docflow.extensions import db
from docflow.registry.models import Register

_REGISTERS = Register.__table__
#: a Core statement, built once: the ORM's UPDATE machinery (synchronize_session, entity lookup) costs
#: more than the statement itself
_DRAW = (sa.update(_REGISTERS).where(_REGISTERS.c.id == sa.bindparam("register_id"))
         .values(last_number=_REGISTERS.c.last_number + 1).returning(_REGISTERS.c.last_number))


def draw_number(register: Register) -> int:
    number = db.session.execute(_DRAW, {"register_id": register.id}).scalar_one()
    db.session.expire(register, ["last_number"])
    return number
