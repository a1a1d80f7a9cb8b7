"""/exchange/import: the clerk uploads one or more .edxml files and sees each file's result (registered
as which incoming document, kept as a status message, or refused and why). Each file is imported in its
own transaction through docflow.exchange.importer, as the API and the CLI do."""

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField, SubmitField

from docflow.core.permissions import role_required
from docflow.exchange import edxml, importer

bp = Blueprint("exchange", __name__, url_prefix="/exchange")

#: at most this many files in one upload (each is at most EXCHANGE_MAX_ENVELOPE_MB)
MAX_FILES = 50


class ImportForm(FlaskForm):
    files = MultipleFileField(_l("edXML files"))
    refusal_status = BooleanField(_l("Answer each refused envelope with a 02 (refused) status message"))
    submit = SubmitField(_l("Import"))


def _uploads(form: ImportForm) -> list:
    return [f for f in (form.files.data or []) if getattr(f, "filename", None)]


@bp.route("/import", methods=["GET", "POST"])
@role_required("clerk")
def import_page():
    form = ImportForm()
    results = []
    if form.validate_on_submit():
        uploads = _uploads(form)
        if not uploads:
            form.files.errors.append(_l("Choose one or more .edxml files."))
        elif len(uploads) > MAX_FILES:
            form.files.errors.append(_l("At most %(n)d files at a time.", n=MAX_FILES))
        else:
            for upload in uploads:
                data, error = None, None
                try:
                    data = edxml.read_limited(upload.stream)
                except edxml.EnvelopeTooLarge as exc:
                    error = exc
                results.append(importer.import_and_commit(data, actor=current_user, filename=upload.filename,
                                                          send_refusal=form.refusal_status.data, error=error))
    status = 422 if form.files.errors else 200
    return render_template("exchange/import.html", form=form, results=results,
                           max_mb=edxml.max_envelope_bytes() // (1024 * 1024)), status
