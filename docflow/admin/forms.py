"""Forms of the administration pages. The services validate the rules; the forms only carry input."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from docflow.core.enums import CLEARANCE_LABELS, CLEARANCES, DIRECTION_LABELS, DIRECTIONS, ROLE_LABELS, ROLES
from docflow.core.forms import BaseForm


def int_or_none(value):
    """Coerce for optional select boxes: "" (no choice) is None, anything else an int."""
    if value is None or value == "":
        return None
    return int(value)


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as check boxes (rendered by the `checkboxes` macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices():
    return [SelectChoice(r, ROLE_LABELS[r]) for r in ROLES]


def clearance_choices():
    return [SelectChoice(c, CLEARANCE_LABELS[c]) for c in CLEARANCES]


def direction_choices():
    return [SelectChoice(d, DIRECTION_LABELS[d]) for d in DIRECTIONS]


class VersionedForm(BaseForm):
    #: the record's version when the form was shown; a stale one is refused (409)
    version = HiddenField(validators=[DataRequired()])


# ---- users -----------------------------------------------------------------------------------

class UserCreateForm(BaseForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "off"})
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    unit_id = SelectField(_l("Unit"), coerce=int_or_none)
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices())
    clearance = SelectField(_l("Clearance"), choices=clearance_choices(), default="normal")
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=128)],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Create user"))


class UserEditForm(VersionedForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    unit_id = SelectField(_l("Unit"), coerce=int_or_none)
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices())
    clearance = SelectField(_l("Clearance"), choices=clearance_choices())
    submit = SubmitField(_l("Save"))


class PasswordResetForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Set the password"))


# ---- units -----------------------------------------------------------------------------------

class UnitForm(BaseForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    parent_id = SelectField(_l("Parent unit"), coerce=int_or_none)
    submit = SubmitField(_l("Save"))


class UnitEditForm(VersionedForm, UnitForm):
    active = BooleanField(_l("Active"))


# ---- external organisations ------------------------------------------------------------------

class OrganizationForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=250)])
    abbr = StringField(_l("Abbreviation"), validators=[Optional(), Length(max=30)])
    code = StringField(_l("Electronic code"), validators=[Optional(), Length(max=40)])
    active = BooleanField(_l("Active (clear when the organisation has closed)"), default=True)
    successor_id = SelectField(_l("Successor"), coerce=int_or_none)
    submit = SubmitField(_l("Save"))


class OrganizationEditForm(VersionedForm, OrganizationForm):
    pass


# ---- document types --------------------------------------------------------------------------

class DocTypeCreateForm(BaseForm):
    code = StringField(_l("Abbreviation"), validators=[DataRequired(), Length(max=10)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    in_symbol = BooleanField(_l("The abbreviation appears in the document symbol"), default=True)
    submit = SubmitField(_l("Save"))


class DocTypeEditForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    in_symbol = BooleanField(_l("The abbreviation appears in the document symbol"))
    active = BooleanField(_l("Active"))
    submit = SubmitField(_l("Save"))


# ---- registers -------------------------------------------------------------------------------

class RegisterCreateForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    direction = SelectField(_l("Kind of register"), choices=direction_choices())
    confidential = BooleanField(_l("For confidential documents"))
    year = IntegerField(_l("Year"), validators=[InputRequired()])
    submit = SubmitField(_l("Save"))


class RegisterEditForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    active = BooleanField(_l("Active"))
    submit = SubmitField(_l("Save"))


# ---- the agency ------------------------------------------------------------------------------

class AgencyForm(BaseForm):
    name = StringField(_l("Agency name"), validators=[DataRequired(), Length(max=250)])
    abbr = StringField(_l("Abbreviation (used in document symbols)"), validators=[DataRequired(), Length(max=20)])
    code = StringField(_l("Electronic code"), validators=[Optional(), Length(max=40)])
    submit = SubmitField(_l("Save"))


class CalendarForm(BaseForm):
    holidays = TextAreaField(_l("Holidays (one date a line, dd/mm/yyyy)"), validators=[Length(max=20000)],
                             render_kw={"rows": 12})
    days_normal = IntegerField(_l("Normal"), validators=[Optional()])
    days_urgent = IntegerField(_l("Urgent (Khẩn)"), validators=[Optional()])
    days_very_urgent = IntegerField(_l("Very urgent (Thượng khẩn)"), validators=[Optional()])
    days_flash = IntegerField(_l("Flash (Hỏa tốc)"), validators=[Optional()])
    submit = SubmitField(_l("Save"))
