"""The base of every form: text that is not text (a lone surrogate, a control character) is a field
error, in Vietnamese by default, before any validator or service sees it."""

from datetime import date

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields import FieldList, FormField
from wtforms.widgets import TextInput

from docflow.core.text import bad_text_reason
from docflow.core.timeutil import format_date


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


class CatalogTranslations:
    """WTForms' own messages ("This field is required.", "Field cannot be longer than 64 characters.", "Not a
    valid integer value.") looked up in docflow's catalogs: WTForms ships no Vietnamese, and Flask-WTF's i18n
    reads WTForms' catalogs only, so they came out in English on the Vietnamese pages. Vietnamese has no plural,
    so a plural message is one msgid per form (the one n asks for)."""

    def gettext(self, string):
        return get_translations().gettext(string)

    def ngettext(self, singular, plural, n):
        return self.gettext(singular if n == 1 else plural)


CATALOG_TRANSLATIONS = CatalogTranslations()

#: WTForms' messages the forms can show, named here so that extracting the catalogs keeps their translations
#: ("This field is required." and "Not a valid choice." are marked elsewhere too)
WTFORMS_MESSAGES = (
    _l("Field cannot be longer than %(max)d character."), _l("Field cannot be longer than %(max)d characters."),
    _l("Field must be at least %(min)d character long."), _l("Field must be at least %(min)d characters long."),
    _l("Field must be between %(min)d and %(max)d characters long."), _l("Field must be equal to %(other_name)s."),
    _l("Number must be at least %(min)s."), _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."), _l("Invalid input."), _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("'%(value)s' is not a valid choice for this field."), _l("'%(value)s' are not valid choices for this field."),
    _l("Not a valid integer value."), _l("Not a valid date value."),
)


class BaseForm(FlaskForm):
    """FlaskForm that refuses junk text with a field error, whatever the other validators say, and says
    WTForms' own messages in the page's language."""

    class Meta:
        def get_translations(self, form):
            return CATALOG_TRANSLATIONS

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


#: the attributes of a day-first date field (DayInput; the templates' plain inputs: `day_input_attrs|xmlattr`)
DAY_INPUT_ATTRS = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off", "maxlength": 10}


class DayInput(TextInput):
    """A date typed as the pages show dates, dd/mm/yyyy (core.fields.to_date also takes yyyy-mm-dd). Not the
    browser's date input: that one shows the browser's own order (mm/dd/yyyy in an English browser, where
    12/01/2026 reads as the first of December to some and the twelfth of January to others)."""

    def __call__(self, field, **kwargs):
        kwargs = {**DAY_INPUT_ATTRS, "value": day_text(field._value()), **kwargs}
        return super().__call__(field, **kwargs)


def day_text(value) -> str:
    """A date (or its ISO text) as dd/mm/yyyy for a DayInput; anything else as it is (a typing error shown
    back with its message)."""
    if isinstance(value, date):
        return format_date(value)
    text = "" if value is None else str(value)
    try:
        return format_date(date.fromisoformat(text)) if len(text) == 10 and text[4] == "-" else text
    except ValueError:
        return text
