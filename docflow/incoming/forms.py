"""Forms of the incoming pages. They only carry input (and the CSRF token): every rule, lengths
included, is checked by incoming.services, whose field errors the views put back onto these fields.
Select boxes therefore do not validate their choices (`validate_choice=False`), so the service's
message is the one the user sees, and a wrong role always meets the service's 403 first. (One
exception: the reply's number-symbol, see CompleteForm.)"""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import Length
from wtforms.widgets import NumberInput, Select

from docflow.core.enums import CLEARANCE_LABELS, CLEARANCES, MEDIA, MEDIUM_LABELS, URGENCIES, URGENCY_LABELS
from docflow.core.forms import BaseForm, DayInput


def urgency_choices():
    return [SelectChoice(u, URGENCY_LABELS[u]) for u in URGENCIES]


def clearance_choices(user=None):
    return [SelectChoice(c, CLEARANCE_LABELS[c]) for c in CLEARANCES if user is None or user.cleared_for(c)]


def medium_choices():
    return [SelectChoice(m, MEDIUM_LABELS[m]) for m in MEDIA]


class DocumentFieldsForm(BaseForm):
    """The register fields shared by registration and correction, in keyboard (tab) order."""

    #: typed freely or picked from the organisations (a <datalist> filled by register.js)
    sender_name = StringField(_l("Issuing organisation"),
                              render_kw={"list": "org-options", "autocomplete": "off", "autofocus": True,
                                         "required": True, "maxlength": 250})
    #: set by register.js when the typed name is one of the organisations; the page works without it
    sender_id = HiddenField()
    number_symbol = StringField(_l("Number and symbol"),
                                render_kw={"placeholder": "15/UBND-VX", "required": True, "maxlength": 60})
    issued_date = StringField(_l("Document date"), widget=DayInput(), render_kw={"required": True})
    received_date = StringField(_l("Arrival date"), widget=DayInput())
    doc_type = SelectField(_l("Document type"), default="CV", validate_choice=False)
    subject = TextAreaField(_l("Subject (trích yếu)"), render_kw={"rows": 3, "required": True, "maxlength": 1000})
    signer = StringField(_l("Signed by"), render_kw={"maxlength": 120})
    urgency = SelectField(_l("Urgency"), choices=urgency_choices(), default="normal", validate_choice=False)
    confidentiality = SelectField(_l("Confidentiality"), default="normal", validate_choice=False)
    pages = StringField(_l("Pages"), widget=NumberInput(min=1))
    copies = StringField(_l("Copies"), widget=NumberInput(min=1))
    medium = SelectField(_l("Medium"), choices=medium_choices(), default="paper", validate_choice=False)
    due_date = StringField(_l("Deadline requested by the sender"), widget=DayInput())
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 2, "maxlength": 2000})

    FIELDS = ("sender_id", "sender_name", "number_symbol", "issued_date", "received_date", "doc_type", "subject",
              "signer", "urgency", "confidentiality", "pages", "copies", "medium", "due_date", "notes")

    def service_data(self) -> dict:
        return {name: self._fields[name].data for name in self.FIELDS}


#: what to do with an issuer typed but not picked from the organisations list (asked on submit)
SENDER_CHOICES = [SelectChoice("add", _l("Add it to the organisations list")),
                  SelectChoice("free", _l("Keep it as free text"))]


class RegisterForm(DocumentFieldsForm):
    sender_choice = RadioField(_l("This issuer is not in the organisations list"), choices=SENDER_CHOICES,
                               validate_choice=False)
    file = FileField(_l("Scanned document (optional)"))
    force = BooleanField(_l("Register anyway: it is not the same document"))
    submit = SubmitField(_l("Save"))
    submit_next = SubmitField(_l("Save and register the next"))


class EditForm(DocumentFieldsForm):
    #: the record's version when the form was shown; a stale one is refused and nothing is written
    version = HiddenField()
    submit = SubmitField(_l("Save the corrections"))


class CancelForm(BaseForm):
    reason = StringField(_l("Reason for cancelling"))
    submit = SubmitField(_l("Cancel the registration"))


class PresentForm(BaseForm):
    leader_id = SelectField(_l("Present to"), validate_choice=False)
    submit = SubmitField(_l("Present to the leader"))


class SingleSelectMultipleField(SelectMultipleField):
    """One <select> (one choice in a browser) whose every posted value reaches the service, so a
    request naming two primary handlers is refused by the rule and not silently cut to one."""

    widget = Select()


class AssignForm(BaseForm):
    instruction = TextAreaField(_l("Direction (ý kiến chỉ đạo)"),
                                render_kw={"rows": 3})
    due_date = StringField(_l("Deadline"), widget=DayInput())
    primary = SingleSelectMultipleField(_l("Lead (chủ trì)"), validate_choice=False)
    coordinators = SelectMultipleField(_l("Coordinating (phối hợp)"), validate_choice=False,
                                       render_kw={"size": 6})
    informed = SelectMultipleField(_l("For information (để biết)"), validate_choice=False, render_kw={"size": 6})
    submit = SubmitField(_l("Assign"))


class DelegateForm(BaseForm):
    user_id = SelectField(_l("Hand on to"), validate_choice=False)
    due_date = StringField(_l("Deadline"), widget=DayInput())
    note = TextAreaField(_l("Instruction"), render_kw={"rows": 2})
    submit = SubmitField(_l("Hand on"))


class UrgeForm(BaseForm):
    message = StringField(_l("Message (optional)"))
    submit = SubmitField(_l("Urge"))


class ProgressForm(BaseForm):
    note = TextAreaField(_l("Progress note"), render_kw={"rows": 2})
    submit = SubmitField(_l("Add the note"))


class OpinionForm(BaseForm):
    opinion = TextAreaField(_l("Your opinion"), render_kw={"rows": 2})
    submit = SubmitField(_l("Give the opinion"))


class CompleteForm(BaseForm):
    result = TextAreaField(_l("Result"), render_kw={"rows": 2})
    #: checked here as well: the service stores it without refusing an over-long value
    reply_number_symbol = StringField(_l("Number and symbol of the reply (optional)"),
                                      validators=[Length(max=60)], render_kw={"maxlength": 60})
    submit = SubmitField(_l("Complete"))


class UploadForm(BaseForm):
    file = FileField(_l("File"))
    submit = SubmitField(_l("Upload"))


class ButtonForm(BaseForm):
    """Only the CSRF token, for one-click POST actions (mark as read)."""

    submit = SubmitField(_l("Confirm"))
