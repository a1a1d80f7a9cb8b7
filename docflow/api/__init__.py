"""/api/v1: thin JSON adapters over the services (api.md). Errors are problem+json."""

from flask_smorest import Api

from docflow.extensions import csrf


class DocflowApi(Api):
    def _register_error_handlers(self):
        """Errors are answered by docflow.core.errors for the whole /api tree (problem+json)."""


def init_api(app) -> None:
    app.config["API_SPEC_OPTIONS"] = {
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "info": {"description": "docflow HTTP/JSON interface (v1). See api.md."},
        "servers": [{"url": "/"}],
    }
    api = DocflowApi(app)
    app.extensions["docflow_api"] = api
    from docflow.api import attachments, books, incoming, outgoing, people
    from docflow.api import auth as api_auth

    api_auth.install(app)
    for blp in (people.blp, incoming.blp, attachments.blp, books.blp, outgoing.blp):
        csrf.exempt(blp)
        api.register_blueprint(blp, url_prefix="/api/v1")
