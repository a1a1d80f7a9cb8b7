"""Forms of the outgoing pages. They only carry input (and the CSRF token): every rule is checked by
outgoing.services and outgoing.workflows, whose field errors the views put back onto these fields.
Select boxes therefore do not validate their choices (`validate_choice=False`), so the service's
message is the one the user sees."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput

from docflow.core.enums import CLEARANCE_LABELS, CLEARANCES, URGENCIES, URGENCY_LABELS
from docflow.core.forms import BaseForm, DayInput
from docflow.outgoing.services import CHANNELS, SIGNING_CAPACITIES

#: the rows of the ladder table on the workflow form
MAX_STEPS = 6

CHANNEL_LABELS = {"paper": _l("Paper (post)"), "electronic": _l("Electronic (edXML)"), "email": _l("Email")}
STEP_KIND_LABELS = {"unit_head": _l("Head of the drafter's unit"), "role": _l("Anyone with a role"),
                    "user": _l("A named user")}


def urgency_choices():
    return [SelectChoice(u, URGENCY_LABELS[u]) for u in URGENCIES]


def clearance_choices(user=None):
    return [SelectChoice(c, CLEARANCE_LABELS[c]) for c in CLEARANCES if user is None or user.cleared_for(c)]


def capacity_choices():
    return [SelectChoice("", _l("(none)"))] + [SelectChoice(c, c) for c in SIGNING_CAPACITIES]


def channel_choices():
    return [SelectChoice(c, CHANNEL_LABELS[c]) for c in CHANNELS]


class DraftFieldsForm(BaseForm):
    """The draft's fields, shared by the new-draft and the edit forms."""

    doc_type = SelectField(_l("Document type"), default="CV", validate_choice=False)
    subject = TextAreaField(_l("Subject (trích yếu)"), render_kw={"rows": 3, "autofocus": True})
    #: `org:<id>` and `unit:<id>` values, in two option groups
    recipients = SelectMultipleField(_l("Recipients (organisations and units)"), validate_choice=False,
                                     render_kw={"size": 8})
    recipient_names = TextAreaField(_l("Other recipients, one per line"), render_kw={"rows": 3})
    signer_id = SelectField(_l("Proposed signer"), validate_choice=False)
    signing_capacity = SelectField(_l("Signing capacity"), choices=capacity_choices(), default="",
                                   validate_choice=False)
    urgency = SelectField(_l("Urgency"), choices=urgency_choices(), default="normal", validate_choice=False)
    confidentiality = SelectField(_l("Confidentiality"), default="normal", validate_choice=False)
    reply_to = SelectMultipleField(_l("Answers incoming documents"), validate_choice=False, render_kw={"size": 5})
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 2})


class DraftForm(DraftFieldsForm):
    file = FileField(_l("Draft file (DOCX or PDF)"))
    version_note = StringField(_l("Note on this version (optional)"))
    submit = SubmitField(_l("Save the draft"))


class EditDraftForm(DraftFieldsForm):
    #: the document's version when the form was shown; a stale one is refused and nothing is written
    version = HiddenField()
    submit = SubmitField(_l("Save the changes"))


class VersionForm(BaseForm):
    file = FileField(_l("New version (DOCX or PDF)"))
    note = StringField(_l("What changed (optional)"))
    submit = SubmitField(_l("Upload the version"))


class ButtonForm(BaseForm):
    """Only the CSRF token (and the version seen), for one-click POST actions."""

    version = HiddenField()
    submit = SubmitField(_l("Confirm"))


class ApproveForm(BaseForm):
    version = HiddenField()
    comment = TextAreaField(_l("Comment (optional)"), render_kw={"rows": 2})
    submit = SubmitField(_l("Approve"))


class ReturnForm(BaseForm):
    version = HiddenField()
    comment = TextAreaField(_l("What to revise (required)"), render_kw={"rows": 2})
    submit = SubmitField(_l("Return for revision"))


class RejectForm(BaseForm):
    version = HiddenField()
    comment = TextAreaField(_l("Reason for rejecting (required)"), render_kw={"rows": 2})
    submit = SubmitField(_l("Reject"))


class CancelForm(BaseForm):
    version = HiddenField()
    reason = StringField(_l("Reason for cancelling"))
    submit = SubmitField(_l("Cancel the document"))


class IssueForm(BaseForm):
    version = HiddenField()
    issued_date = StringField(_l("Date of issue"), widget=DayInput())
    submit = SubmitField(_l("Issue: give the number"))


class DispatchForm(BaseForm):
    channel = SelectField(_l("Channel"), choices=channel_choices(), default="paper", validate_choice=False)
    recipient_ids = SelectMultipleField(_l("Recipients (none ticked: all)"), validate_choice=False,
                                        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    envelopes = StringField(_l("Envelopes (paper)"), widget=NumberInput(min=1))
    submit = SubmitField(_l("Record the dispatch"))


class StepForm(Form):
    """One row of the ladder table (a plain wtforms Form: the CSRF token is the outer form's)."""

    name = StringField(_l("Step"))
    kind = SelectField(_l("Approved by"), validate_choice=False,
                       choices=[SelectChoice("", "—")] + [SelectChoice(k, v) for k, v in STEP_KIND_LABELS.items()])
    role = SelectField(_l("Role"), validate_choice=False)
    user_id = SelectField(_l("User"), validate_choice=False)
    days = StringField(_l("Working days"), widget=NumberInput(min=0, max=365))


class WorkflowForm(BaseForm):
    name = StringField(_l("Name"))
    doc_types = SelectMultipleField(_l("Bound document types"), validate_choice=False, render_kw={"size": 8})
    is_default = BooleanField(_l("Default ladder (for types bound to no other)"))
    active = BooleanField(_l("Active"), default=True)
    steps = FieldList(FormField(StepForm), min_entries=MAX_STEPS, max_entries=MAX_STEPS)
    version = HiddenField()
    submit = SubmitField(_l("Save the workflow"))
