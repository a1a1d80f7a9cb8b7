"""The base of every form: text that is not text (a lone surrogate, a control character) is a field
error, in Vietnamese by default, before any validator or service sees it."""

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields import FieldList, FormField

from docflow.core.text import bad_text_reason


def _leaves(fields):
    """Every plain field of a form, sub-forms (FormField) and lists (FieldList) included."""
    for field in fields:
        if isinstance(field, FormField):
            yield from _leaves(field.form)
        elif isinstance(field, FieldList):
            yield from _leaves(field.entries)
        elif isinstance(field, Field):
            yield field


def bad_text_errors(form) -> dict[str, str]:
    """{field name: reason} for the fields whose submitted data is not storable text."""
    bad = {}
    for field in _leaves(form):
        for value in getattr(field, "raw_data", None) or ():
            reason = bad_text_reason(value)
            if reason:
                bad[field.name] = reason
                break
    return bad


class BaseForm(FlaskForm):
    """FlaskForm that refuses junk text with a field error, whatever the other validators say."""

    def validate(self, extra_validators=None) -> bool:
        bad = bad_text_errors(self)
        if not bad:
            return super().validate(extra_validators=extra_validators)
        junk = [field for field in _leaves(self) if field.name in bad]
        for field in junk:
            # validators (some ask the database) never see the junk, nor is it echoed back into the page
            field.data = [] if isinstance(field.data, list | tuple) else None if field.data is None else ""
            field.raw_data = []
        super().validate(extra_validators=extra_validators)
        for field in junk:
            field.errors = [bad[field.name]]
        return False
