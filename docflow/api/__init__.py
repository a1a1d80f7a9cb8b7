"""/api/v1: thin JSON adapters over the services (api.md). Errors are problem+json."""

from flask import request
from flask_babel import gettext as _
from flask_smorest import Api

from docflow.api import archive, attachments, books, exchange_in, incoming, outgoing, people, search, stats
from docflow.api import auth as api_auth
from docflow.api import exchange_out as api_exchange_out
from docflow.api.schemas import ProblemResponses, ProblemSchema
from docflow.core.errors import PROBLEM_MEDIA_TYPE, problem
from docflow.core.text import bad_text_reason
from docflow.extensions import csrf


class DocflowApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """Errors are answered by docflow.core.errors for the whole /api tree (problem+json)."""

    def _register_responses(self):
        """The error responses (`default`, and each status's) are described as problem+json `Problem`s."""
        self.spec.components.schema("Problem", schema=ProblemSchema)
        content_type, self.DEFAULT_RESPONSE_CONTENT_TYPE = self.DEFAULT_RESPONSE_CONTENT_TYPE, PROBLEM_MEDIA_TYPE
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = content_type


def init_api(app) -> None:
    app.config["API_SPEC_OPTIONS"] = {
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "info": {"description": "docflow HTTP/JSON interface (v1). See api.md."},
        "servers": [{"url": "/"}],
    }
    api = DocflowApi(app, spec_kwargs={"extra_plugins": [ProblemResponses()]})
    app.extensions["docflow_api"] = api
    api_auth.install(app)
    install_text_guard(app)
    for blp in (people.blp, incoming.blp, attachments.blp, books.blp, outgoing.blp, search.blp, stats.blp,
                archive.blp, exchange_in.blp, api_exchange_out.blp):
        csrf.exempt(blp)
        api.register_blueprint(blp, url_prefix="/api/v1")


def _clean_key(key) -> str:
    return "".join(ch if bad_text_reason(ch) is None else "?" for ch in str(key))


def bad_text_in(value, path: str = "", found: dict | None = None) -> dict:
    """{"field.path": [reason]} for every string (or key) in a JSON value that is not storable text:
    a lone surrogate or a control character other than tab and line breaks."""
    found = {} if found is None else found
    if isinstance(value, dict):
        for key, item in value.items():
            sub = f"{path}.{_clean_key(key)}" if path else _clean_key(key)
            reason = bad_text_reason(key) if isinstance(key, str) else None
            if reason:
                found.setdefault(sub, [reason])
            bad_text_in(item, sub, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            bad_text_in(item, f"{path}.{index}" if path else str(index), found)
    elif isinstance(value, str):
        reason = bad_text_reason(value)
        if reason:
            found.setdefault(path or "_schema", [reason])
    return found


def install_text_guard(app) -> None:
    """One boundary for the whole API: junk text in the JSON body, the form fields of an upload or the
    query string is a 422 naming the field, before any schema, service or database sees it."""

    @app.before_request
    def refuse_junk_text():
        if not request.path.startswith("/api/"):
            return None
        found: dict = {}
        _multidict(request.args, found)
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            if request.is_json:
                body = request.get_json(silent=True)
                if body is not None:
                    bad_text_in(body, "", found)
            elif request.mimetype == "multipart/form-data":
                _multidict(request.form, found)
        if not found:
            return None
        return problem(422, "Invalid fields", _("Some fields hold text that cannot be stored."), found)


def _multidict(values, found: dict) -> None:
    """A query string or form: a repeated field is named once."""
    for key, value in values.items(multi=True):
        bad_text_in({key: value}, "", found)
