"""Gap-free numbers per (register, year), drawn in the caller's transaction (architecture decision 3).

The counter lives on the register row. `UPDATE ... SET last_number = last_number + 1 RETURNING`
takes the row lock on PostgreSQL (same-register registrations queue, other registers don't); on
SQLite the transaction already holds the write lock (BEGIN IMMEDIATE). The document row is
inserted in the same transaction, so a failure rolls the number back: no gaps, no reuse.
"""

import sqlalchemy as sa

from docflow.core.direct import Direct
from docflow.extensions import db
from docflow.registry.models import Register

_REGISTERS = Register.__table__
#: a Core statement, built once and run on the session's cursor (core/direct.py): the ORM's UPDATE
#: machinery (synchronize_session, entity lookup) costs more than the statement itself
_DRAW = Direct(sa.update(_REGISTERS).where(_REGISTERS.c.id == sa.bindparam("register_id"))
               .values(last_number=_REGISTERS.c.last_number + 1).returning(_REGISTERS.c.last_number))


def draw_number(register: Register) -> int:
    number = _DRAW.scalar({"register_id": register.id})
    if number is None:
        raise LookupError(f"register {register.id} is gone")
    db.session.expire(register, ["last_number"])
    return number
