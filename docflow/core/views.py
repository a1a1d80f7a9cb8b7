"""What every feature's pages share to save a form: one way to run a service call from a form,
commit once, and show a service's refusal on the form (architecture decision 1)."""

from contextlib import contextmanager
from dataclasses import dataclass

from docflow.core.errors import Conflict, ValidationFailed
from docflow.extensions import db

#: fields that are not shown: their errors go on top of the form
_HIDDEN_FIELDS = ("HiddenField", "CSRFTokenField", "SubmitField")


def apply_errors(form, errors: dict, mapping: dict | None = None) -> None:
    """Put a service's field errors onto the form (`mapping` renames service fields to form
    fields); errors without a visible field go on top."""
    for key, messages in errors.items():
        name = (mapping or {}).get(key, key)
        field = form._fields.get(name)
        if field is None or field.type in _HIDDEN_FIELDS:
            form.form_errors.extend(messages)
        else:
            field.errors = list(field.errors) + list(messages)


@dataclass
class Outcome:
    ok: bool = False
    #: the HTTP status to answer with when not ok: 409 for a conflict, 200 for field errors
    status: int = 200
    #: a conflict's message (also put on top of the form)
    error: str | None = None
    conflict: Conflict | None = None


@contextmanager
def saving(form, mapping: dict | None = None):
    """Run a form's service call and commit it. On a service's refusal, roll back and show it on
    the form: a conflict (stale version, wrong state; 409) on top, field errors on their fields (200).

        with saving(form) as outcome:
            services.do_it(...)
        if outcome.ok: ...redirect
    """
    outcome = Outcome()
    try:
        yield outcome
    except Conflict as exc:
        db.session.rollback()
        form.form_errors.append(exc.detail)
        outcome.status, outcome.error, outcome.conflict = 409, exc.detail, exc
    except ValidationFailed as exc:
        db.session.rollback()
        apply_errors(form, exc.errors, mapping)
    else:
        db.session.commit()
        outcome.ok = True
