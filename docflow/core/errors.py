"""Domain errors raised by services, and their mapping to problem+json and error pages."""

import logging
from types import SimpleNamespace

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from docflow.core.text import bad_text_reason
from docflow.extensions import db

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


class DomainError(Exception):
    """A rule a request broke. Services raise it; views, API and CLI present it."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str | None = None, *, errors: dict | None = None, **extra):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or {}
        self.extra = extra


class ValidationFailed(DomainError):
    status = 422
    title = "Invalid fields"

    def __init__(self, errors: dict | str, detail: str | None = None, **extra):
        if isinstance(errors, str):
            errors = {"_schema": [errors]}
        errors = {k: (v if isinstance(v, list) else [v]) for k, v in errors.items()}
        first = next(iter(errors.values()))[0] if errors else None
        super().__init__(detail or str(first or self.title), errors=errors, **extra)


class PermissionDenied(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


def problem(status: int, title: str, detail: str | None = None, errors: dict | None = None, **extra):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail or title}
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = current_app.json.response(body)
    response.status_code = status
    response.mimetype = PROBLEM_MEDIA_TYPE
    return response


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def _http_exception_problem(error: HTTPException):
    errors = None
    data = getattr(error, "data", None)  # webargs/flask-smorest put validation messages here
    if isinstance(data, dict) and "messages" in data:
        errors = _flatten_messages(data["messages"])
    detail = error.description if error.code != 422 else _("Some fields are invalid.")
    response = problem(error.code or 500, error.name, detail, errors)
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _flatten_messages(messages: dict) -> dict:
    """webargs nests messages by location ({"json": {"field": [..]}}); problem+json wants fields."""
    flat: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for field, msgs in fields.items():
                _flatten_field(flat, str(field), msgs)
        else:
            flat[location] = fields if isinstance(fields, list) else [fields]
    return flat


def _flatten_field(flat: dict, path: str, msgs) -> None:
    """A nested field's messages ({"recipients": {0: {"name": [..]}}}) under dotted names ("recipients.0.name")."""
    for msg in msgs if isinstance(msgs, list) else [msgs]:
        if isinstance(msg, dict):
            for key, sub in msg.items():
                _flatten_field(flat, f"{path}.{key}", sub)
        else:
            flat.setdefault(path, []).append(str(msg))


#: the pages of the HTTP errors with no template of their own, in the page's language (werkzeug's own
#: name and description are English: "Bad Request", "The CSRF token is missing.", "Request Entity Too Large")
HTTP_ERROR_PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back, reload the page and try again.")),
    405: (_l("Cannot be done this way"), _l("This page cannot be used this way.")),
    413: (_l("Too large"), _l("What was sent is larger than the office allows (%(mb)s MB per file). Nothing was "
                              "saved.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a minute and try again.")),
}


def http_error_page(error: HTTPException) -> SimpleNamespace:
    """The name and description an error page shows for `error`, in the page's language."""
    if isinstance(error, CSRFError):  # the form's token expired (a page left open), or the session ended
        return SimpleNamespace(name=_("The form has expired"),
                               description=_("The page was open too long, or the session ended: nothing was saved. "
                                             "Go back, reload the page and send the form again."))
    name, description = HTTP_ERROR_PAGES.get(error.code, (None, None))
    if name is not None and error.description and error.description != type(error).description:
        return SimpleNamespace(name=str(name), description=str(error.description))  # the app's own words
    if name is None:
        return SimpleNamespace(name=_("Error"), description=_("The request could not be handled."))
    return SimpleNamespace(name=str(name), description=str(description) % {
        "mb": current_app.config.get("MAX_UPLOAD_MB")} if error.code == 413 else str(description))


def register_error_handlers(app):
    @app.before_request
    def refuse_junk_query():
        """A page's query string holding text that is not text (a control character; a lone surrogate
        cannot arrive percent-encoded) is a 400 page before any view or database sees it. The API
        answers its own 422 (docflow.api.install_text_guard)."""
        if is_api_request():
            return None
        for key, value in request.args.items(multi=True):
            reason = bad_text_reason(key) or bad_text_reason(value)
            if reason:
                return render_template("errors/generic.html", error=ValidationFailed(reason)), 400
        return None

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if is_api_request():
            return _http_exception_problem(error)
        code = error.code or 500
        if code in (403, 404, 500):
            return render_template(f"errors/{code}.html", error=error), code
        return render_template("errors/generic.html", error=http_error_page(error)), code

    @app.errorhandler(DomainError)
    def handle_domain(error: DomainError):
        db.session.rollback()
        if is_api_request():
            return problem(error.status, error.title, error.detail, error.errors or None, **error.extra)
        code = error.status
        template = f"errors/{code}.html" if code in (403, 404) else "errors/generic.html"
        return render_template(template, error=error), code

    @app.errorhandler(sa_exc.DataError)
    @app.errorhandler(OverflowError)  # SQLite's driver: an integer beyond 64 bits, before the database sees it
    def handle_data_error(error: Exception):
        """A value the database cannot hold (a number out of range, text too long...): the client sent it,
        so it is a 422, not a 500. Validation should have caught it first; the log says where it did not."""
        log.warning("Database refused a value on %s %s: %s", request.method, request.path,
                    getattr(error, "orig", error))
        db.session.rollback()
        message = _("A value is out of range or too long.")
        if is_api_request():
            return problem(422, "Invalid fields", message)
        return render_template("errors/generic.html", error=ValidationFailed(message)), 422

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        if isinstance(error, HTTPException):  # pragma: no cover - routed above
            return handle_http(error)
        log.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if is_api_request():
            return problem(500, "Internal Server Error", _("An unexpected error occurred."))
        return render_template("errors/500.html", error=error), 500
