"""The statistics pages' forms: the period picker (a GET form: year, quarter or month) and the
administrator's Directive-10 settings. The service (stats/service.py) owns the rules; these forms carry
the input and show its refusals as field errors."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField

from docflow.core.errors import ValidationFailed
from docflow.core.forms import BaseForm
from docflow.core.timeutil import today
from docflow.core.views import apply_errors
from docflow.stats.service import Period

ROMAN = ("I", "II", "III", "IV")


def quarter_choices():
    return [("", _l("Whole year"))] + [(str(q), _l("Quarter %(q)s", q=ROMAN[q - 1])) for q in range(1, 5)]


def month_choices():
    return [("", _l("Any month"))] + [(str(m), _l("Month %(m)s", m=m)) for m in range(1, 13)]


def _blank(value) -> str | None:
    text = (value or "").strip() if isinstance(value, str) else value
    return text if text not in (None, "") else None


class PeriodForm(BaseForm):
    """?year=2026 (&quarter=1..4 | &month=1..12): a year, a quarter or a month; the current year when
    nothing is chosen. Read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    year = StringField(_l("Year"), render_kw={"inputmode": "numeric", "maxlength": 4, "size": 6})
    quarter = SelectField(_l("Quarter"), choices=quarter_choices, validate_choice=False)
    month = SelectField(_l("Month"), choices=month_choices, validate_choice=False)

    def period(self) -> Period | None:
        """The chosen period, or None with the field errors set (a bad year, quarter or month, or both
        a quarter and a month)."""
        if not self.validate():
            return None
        year = _blank(self.year.data) or today().year
        quarter, month = _blank(self.quarter.data), _blank(self.month.data)
        try:
            period = Period.parse(year, quarter, month)
        except ValidationFailed as exc:
            apply_errors(self, exc.errors, {"_schema": "year"})
            if not any(f.errors for f in self) and not self.form_errors:
                self.year.errors = [exc.detail]
            return None
        self.year.data = str(period.year)
        return period

    def params(self, period: Period) -> dict:
        """The period as query parameters (links keep it)."""
        return period_params(period)


def period_params(period: Period) -> dict:
    params = {"year": period.year}
    if period.quarter:
        params["quarter"] = period.quarter
    if period.month:
        params["month"] = period.month
    return params


class YearForm(BaseForm):
    """?year=2026 only (the Directive-10 page compares whole years)."""

    class Meta:
        csrf = False

    year = StringField(_l("Year"), render_kw={"inputmode": "numeric", "maxlength": 4, "size": 6})

    def chosen_year(self) -> int | None:
        if not self.validate():
            return None
        raw = _blank(self.year.data)
        if raw is None:
            self.year.data = str(today().year)
            return today().year
        try:
            return Period.parse(raw).year
        except ValidationFailed as exc:
            self.year.errors = [m for messages in exc.errors.values() for m in messages] or [exc.detail]
            return None


class Directive10SettingsForm(BaseForm):
    """The baseline year and the yearly reduction target (%), both optional: without a target the page
    shows the change without a verdict (domain.md, Directive 10)."""

    baseline_year = StringField(_l("Baseline year"), render_kw={"inputmode": "numeric", "maxlength": 4})
    target_pct = StringField(_l("Reduction target (%)"), render_kw={"inputmode": "decimal", "maxlength": 8})
    submit = SubmitField(_l("Save"))

    def values(self) -> tuple[int | None, float | None] | None:
        """(baseline_year, target_pct) as numbers, or None with field errors for what is not a number."""
        if not self.validate():
            return None
        year = target = None
        raw_year, raw_target = _blank(self.baseline_year.data), _blank(self.target_pct.data)
        if raw_year is not None:
            try:
                year = int(raw_year)
            except ValueError:
                self.baseline_year.errors = [_("Enter a year such as 2025.")]
        if raw_target is not None:
            try:
                target = float(raw_target.replace(",", "."))
                if target != target or target in (float("inf"), float("-inf")):
                    raise ValueError(raw_target)
            except ValueError:
                self.target_pct.errors = [_("Enter a percentage such as 30 or 12,5.")]
        if self.baseline_year.errors or self.target_pct.errors:
            return None
        return year, target
