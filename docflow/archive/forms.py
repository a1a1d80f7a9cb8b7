"""The archive pages' forms. They carry input only: the archive's services (archive/services.py) and
predicates (archive/rules.py) own the rules, and their refusals come back as field errors. Select boxes
do not validate their choices (`validate_choice=False`): a choice that is not one is the service's
field error, said in the page's language. Dates are read as typed (dd/mm/yyyy) or from a date input
(yyyy-mm-dd); a bad one is a field error before any service sees it."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from docflow.core.errors import ValidationFailed
from docflow.core.forms import BaseForm, DayInput
from docflow.core.values import as_id
from docflow.registry.books import parse_day


def medium_choices():
    return [SelectChoice("electronic", _l("Electronic")), SelectChoice("paper", _l("Paper")),
            SelectChoice("mixed", _l("Mixed (paper and electronic)"))]


def blank_none(value):
    """A select box's or a text box's "" as None."""
    if isinstance(value, str):
        value = value.strip()
    return value if value not in (None, "") else None


def int_field(form, name: str, errors: dict, *, required: bool = False, minimum: int | None = None,
              maximum: int | None = None) -> int | None:
    """A form field's whole number, or None; a bad one is an error on that field."""
    raw = blank_none(form[name].data)
    if raw is None:
        if required:
            errors.setdefault(name, []).append(_("This field is required."))
        return None
    try:
        value = int(str(raw))
    except ValueError:
        errors.setdefault(name, []).append(_("Enter a whole number."))
        return None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        errors.setdefault(name, []).append(_("The number is out of range."))
        return None
    return value


def id_field(form, name: str, errors: dict, *, required: bool = False) -> int | None:
    """A chosen record's id, or None; anything that is not an id is an error on that field."""
    raw = blank_none(form[name].data)
    if raw is None:
        if required:
            errors.setdefault(name, []).append(_("This field is required."))
        return None
    ident = as_id(raw)
    if ident is None:
        errors.setdefault(name, []).append(_("Choose a value of the list."))
    return ident


def day_field(form, name: str, errors: dict, *, required: bool = False):
    """A form field's date (dd/mm/yyyy or yyyy-mm-dd), or None; a bad one is an error on that field."""
    raw = form[name].data
    if blank_none(raw) is None:
        if required:
            errors.setdefault(name, []).append(_("This field is required."))
        return None
    day = parse_day(raw, name, errors)
    if day is not None and not 1945 <= day.year <= 2999:
        errors.setdefault(name, []).append(_("The year must be between 1945 and 2999."))
        return None
    return day


def raise_if(errors: dict) -> None:
    if errors:
        raise ValidationFailed(errors)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(BaseForm):
    """A button that changes something: only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class VersionedActionForm(ActionForm):
    version = HiddenField()


# ---- the retention table ---------------------------------------------------------------------------

class RetentionForm(BaseForm):
    period_id = HiddenField()
    version = HiddenField()
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    years = StringField(_l("Years (empty: permanent)"), render_kw={"inputmode": "numeric", "maxlength": 4})
    categories = TextAreaField(_l("Document categories (one a line)"), render_kw={"rows": 3})
    sort_order = StringField(_l("Order"), default="100", render_kw={"inputmode": "numeric", "maxlength": 6})
    is_active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))

    def values(self) -> dict:
        errors: dict = {}
        data = {"name": (self.name.data or "").strip(), "categories": self.categories.data or "",
                "years": int_field(self, "years", errors, minimum=1, maximum=500),
                "sort_order": int_field(self, "sort_order", errors, minimum=0, maximum=100000) or 0,
                "is_active": bool(self.is_active.data)}
        if blank_none(self.version.data) is not None:
            data["version"] = self.version.data
        raise_if(errors)
        return data


# ---- the file plan ------------------------------------------------------------------------------

class PlanCopyForm(BaseForm):
    from_year = StringField(_l("Copy the plan of the year"), validators=[DataRequired()],
                            render_kw={"inputmode": "numeric", "maxlength": 4, "size": 6})
    submit = SubmitField(_l("Copy"))

    def year(self) -> int:
        errors: dict = {}
        value = int_field(self, "from_year", errors, required=True, minimum=1945, maximum=2999)
        raise_if(errors)
        return value


class HeadingForm(BaseForm):
    title = StringField(_l("Heading"), validators=[DataRequired(), Length(max=300)])
    abbr = StringField(_l("Abbreviation"), validators=[Optional(), Length(max=20)])
    unit_id = SelectField(_l("Unit"), validate_choice=False)
    parent_id = SelectField(_l("Under the heading"), validate_choice=False)
    sort_order = StringField(_l("Order"), default="100", render_kw={"inputmode": "numeric", "maxlength": 6})
    submit = SubmitField(_l("Add the heading"))

    def values(self) -> dict:
        errors: dict = {}
        data = {"title": (self.title.data or "").strip(), "abbr": (self.abbr.data or "").strip(),
                "unit_id": id_field(self, "unit_id", errors), "parent_id": id_field(self, "parent_id", errors),
                "sort_order": int_field(self, "sort_order", errors, minimum=0, maximum=100000) or 0}
        raise_if(errors)
        return data


class DossierFieldsMixin:
    def _common(self, errors: dict) -> dict:
        data = {"code": (self.code.data or "").strip(), "title": (self.title.data or "").strip(),
                "unit_id": id_field(self, "unit_id", errors), "keeper_id": id_field(self, "keeper_id", errors)}
        retention_id = id_field(self, "retention_id", errors)
        data["retention_id"] = retention_id
        if retention_id is None and "retention_id" not in errors:
            errors.setdefault("retention_id", []).append(_("Choose a retention period of the table."))
        elif retention_id is not None:
            period = self.retention_years_of.get(retention_id, "missing")
            if period == "missing":
                errors.setdefault("retention_id", []).append(_("Choose a retention period of the table."))
            else:
                data["retention_years"] = period
        return data


class PlanDossierForm(DossierFieldsMixin, BaseForm):
    code = StringField(_l("Number and symbol"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"placeholder": "01.TCCB"})
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    heading_id = SelectField(_l("Heading"), validate_choice=False)
    unit_id = SelectField(_l("Unit"), validate_choice=False)
    keeper_id = SelectField(_l("Keeper"), validate_choice=False)
    retention_id = SelectField(_l("Retention"), validate_choice=False)
    submit = SubmitField(_l("Add to the plan"))

    retention_years_of: dict = {}

    def values(self) -> dict:
        errors: dict = {}
        data = self._common(errors)
        data["heading_id"] = id_field(self, "heading_id", errors)
        raise_if(errors)
        return data


class DossierForm(DossierFieldsMixin, BaseForm):
    """A dossier opened ad hoc (not from the plan)."""

    code = StringField(_l("Number and symbol"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"placeholder": "01.TCCB"})
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    year = StringField(_l("Year"), validators=[DataRequired()], render_kw={"inputmode": "numeric", "maxlength": 4})
    unit_id = SelectField(_l("Unit"), validate_choice=False)
    keeper_id = SelectField(_l("Keeper"), validate_choice=False)
    retention_id = SelectField(_l("Retention"), validate_choice=False)
    medium = SelectField(_l("Medium"), choices=medium_choices(), default="electronic", validate_choice=False)
    start_date = StringField(_l("Start date"), widget=DayInput())
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Open the dossier"))

    retention_years_of: dict = {}

    def values(self) -> dict:
        errors: dict = {}
        data = self._common(errors)
        data.update({"year": int_field(self, "year", errors, required=True, minimum=1945, maximum=2999),
                     "medium": self.medium.data or "electronic",
                     "start_date": day_field(self, "start_date", errors),
                     "description": blank_none(self.description.data)})
        raise_if(errors)
        return data


class DossierEditForm(DossierFieldsMixin, BaseForm):
    """A dossier's metadata fixed by its keeper (title, number, retention... re-checked on closing)."""

    version = HiddenField()
    code = StringField(_l("Number and symbol"), validators=[DataRequired(), Length(max=40)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    unit_id = SelectField(_l("Unit"), validate_choice=False)
    keeper_id = SelectField(_l("Keeper"), validate_choice=False)
    retention_id = SelectField(_l("Retention"), validate_choice=False)
    medium = SelectField(_l("Medium"), choices=medium_choices(), validate_choice=False)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Save"))

    retention_years_of: dict = {}

    def values(self) -> dict:
        errors: dict = {}
        data = self._common(errors)
        data.update({"medium": self.medium.data or "electronic", "description": blank_none(self.description.data),
                     "version": blank_none(self.version.data)})
        raise_if(errors)
        return data


# ---- a dossier's documents and its life ------------------------------------------------------------

class AddDocumentForm(BaseForm):
    document_id = SelectField(_l("Document"), validate_choice=False)
    submit = SubmitField(_l("Add"))

    def document(self) -> int:
        errors: dict = {}
        value = id_field(self, "document_id", errors, required=True)
        raise_if(errors)
        return value


class FileForm(BaseForm):
    """On a document's page: file it into one of the open dossiers the user may fill."""

    dossier_id = SelectField(_l("Dossier"), validate_choice=False)
    submit = SubmitField(_l("File into the dossier"))

    def dossier(self) -> int:
        errors: dict = {}
        value = id_field(self, "dossier_id", errors, required=True)
        raise_if(errors)
        return value


class MoveForm(BaseForm):
    position = StringField(_l("Position"), render_kw={"inputmode": "numeric", "maxlength": 5, "size": 3})
    submit = SubmitField(_l("Move"))

    def values(self) -> int:
        errors: dict = {}
        value = int_field(self, "position", errors, required=True, minimum=1, maximum=100000)
        raise_if(errors)
        return value


class CloseForm(BaseForm):
    version = HiddenField()
    end_date = StringField(_l("End date (empty: today)"), widget=DayInput())
    page_total = StringField(_l("Number of pages (empty: counted from the documents)"),
                             render_kw={"inputmode": "numeric", "maxlength": 6})
    closing_note = TextAreaField(_l("Closing note"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Close the dossier"))

    def values(self) -> dict:
        errors: dict = {}
        data = {"end_date": day_field(self, "end_date", errors),
                "page_total": int_field(self, "page_total", errors, minimum=0, maximum=1000000),
                "closing_note": blank_none(self.closing_note.data)}
        if blank_none(self.version.data) is not None:
            data["version"] = self.version.data
        raise_if(errors)
        return {k: v for k, v in data.items() if v is not None}


class KeepBackForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)], render_kw={"rows": 2})
    until = StringField(_l("Keep until"), widget=DayInput())
    submit = SubmitField(_l("Ask to keep it back"))

    def values(self) -> dict:
        errors: dict = {}
        until = day_field(self, "until", errors, required=True)
        raise_if(errors)
        return {"reason": (self.reason.data or "").strip(), "until": until}


class DecisionForm(BaseForm):
    """A leader's approval or refusal (keep-back, loan, disposition): a comment."""

    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    approve = SubmitField(_l("Approve"))
    refuse = SubmitField(_l("Refuse"))


class LocationForm(BaseForm):
    """A one-dossier transfer by the archivist: where the paper sits."""

    box = StringField(_l("Box"), validators=[Optional(), Length(max=40)])
    shelf = StringField(_l("Shelf"), validators=[Optional(), Length(max=40)])
    submit = SubmitField(_l("Transfer to the archive"))


class LoanRequestForm(BaseForm):
    reason = TextAreaField(_l("Purpose of use"), validators=[DataRequired(), Length(max=1000)], render_kw={"rows": 2})
    due_date = StringField(_l("Return by"), widget=DayInput())
    submit = SubmitField(_l("Ask to borrow"))

    def values(self) -> dict:
        errors: dict = {}
        due = day_field(self, "due_date", errors, required=True)
        raise_if(errors)
        return {"reason": (self.reason.data or "").strip(), "due_date": due}


# ---- transfers and dispositions ---------------------------------------------------------------------

class TransferForm(BaseForm):
    dossier_ids = MultiCheckboxField(_l("Closed dossiers"), validate_choice=False, coerce=str)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Make the transfer list"))

    def ids(self) -> list[int]:
        return _ids(self.dossier_ids.data, "dossier_ids")


class DispositionForm(BaseForm):
    dossier_ids = MultiCheckboxField(_l("Expired dossiers"), validate_choice=False, coerce=str)
    reason = TextAreaField(_l("Explanation"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Propose destruction"))

    def ids(self) -> list[int]:
        return _ids(self.dossier_ids.data, "dossier_ids")


class DispositionDecisionForm(BaseForm):
    decision = TextAreaField(_l("Decision (number, comment)"), validators=[Optional(), Length(max=1000)],
                             render_kw={"rows": 2})
    #: the page names the number of dossiers in the label (`confirm_label`)
    confirm = BooleanField(_l("I confirm the destruction"))
    approve = SubmitField(_l("Approve the destruction"))
    refuse = SubmitField(_l("Refuse"))

    def confirm_label(self, dossiers: int) -> None:
        self.confirm.label.text = _("I confirm the destruction of the %(n)d dossier(s) above: their files are "
                                    "removed for good.", n=dossiers)

    def check_approval(self) -> None:
        """Approving destroys files for good, in one click until the leader was asked to: the page's approval
        needs the box ticked and the destruction decision's number (the head of the office issues a
        destruction decision; domain.md 4.4). The API's `decision` stays optional (docs/api.md)."""
        errors: dict = {}
        if not (self.decision.data or "").strip():
            errors["decision"] = [_("Enter the number of the destruction decision.")]
        if not self.confirm.data:
            errors["confirm"] = [_("Tick the box to confirm the destruction.")]
        raise_if(errors)


def _ids(values, name: str) -> list[int]:
    ids = []
    for value in values or ():
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise ValidationFailed({name: [_("Choose dossiers of the list.")]}) from None
    if not ids:
        raise ValidationFailed({name: [_("Choose at least one dossier.")]})
    return ids


# ---- the lists' filters (GET forms, no CSRF token) ------------------------------------------------

class DossierFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Code or title"), validators=[Optional(), Length(max=200)])
    status = SelectField(_l("Status"), validate_choice=False)
    year = StringField(_l("Year"), render_kw={"inputmode": "numeric", "maxlength": 4, "size": 6})
    unit_id = SelectField(_l("Unit"), validate_choice=False)
    expired = BooleanField(_l("Retention expired"))


class LoanFilterForm(BaseForm):
    class Meta:
        csrf = False

    state = SelectField(_l("State"), validate_choice=False)
