"""Gap-free numbers per (register, year), drawn in the caller's transaction (architecture decision 3).

The counter lives on the register row. `UPDATE ... SET last_number = last_number + 1 RETURNING`
takes the row lock on PostgreSQL (same-register registrations queue, other registers don't); on
SQLite the transaction already holds the write lock (BEGIN IMMEDIATE). The document row is
inserted in the same transaction, so a failure rolls the number back: no gaps, no reuse.
"""

import sqlalchemy as sa

from docflow.extensions import db
from docflow.registry.models import Register


def draw_number(register: Register) -> int:
    number = db.session.execute(
        sa.update(Register)
        .where(Register.id == register.id)
        .values(last_number=Register.last_number + 1)
        .returning(Register.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.expire(register, ["last_number"])
    return number
