"""Bearer-token authentication for /api/v1 (cookies are ignored there: the API is CSRF-exempt)."""

from flask import abort, current_app, g, request
from flask_login import current_user

from docflow.auth.services import user_for_token
from docflow.core import tx
from docflow.core.errors import problem
from docflow.extensions import login_manager

PUBLIC = {("POST", "/api/v1/auth/tokens"), ("GET", "/api/v1/openapi.json"), ("HEAD", "/api/v1/openapi.json")}


def install(app) -> None:
    @app.before_request
    def authenticate_api():
        if not request.path.startswith("/api/"):
            return None
        g._login_user = login_manager.anonymous_user()  # never the cookie session's user
        if (request.method, request.path.rstrip("/")) in PUBLIC:
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        tx.reading()  # the lookup only reads: on SQLite it does not wait for the writers' lock
        user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            response = problem(401, "Unauthorized", "A valid bearer token is required.")
            response.headers["WWW-Authenticate"] = 'Bearer realm="docflow"'
            return response
        g._login_user = user
        if request.method not in ("GET", "HEAD", "OPTIONS") and not _reads_first():
            tx.writing()  # SQLite: the writes take the lock in a new transaction; the user stays loaded
        return None

    @app.before_request
    def check_media_type():
        """415 for a request body that is neither JSON nor a multipart upload (api.md)."""
        if not request.path.startswith("/api/") or request.method not in ("POST", "PUT", "PATCH"):
            return None
        if not request.content_length and not request.headers.get("Transfer-Encoding"):
            return None  # no body: an action without parameters
        mimetype = request.mimetype
        if mimetype == "application/json" or mimetype.endswith("+json") or mimetype == "multipart/form-data":
            return None
        if mimetype in getattr(current_app.view_functions.get(request.endpoint), "accepts", ()):
            return None  # a view that reads another body itself (POST /incoming/edxml: application/xml)
        return problem(415, "Unsupported Media Type",
                       "Send JSON (Content-Type: application/json), or multipart/form-data for files.")

    app.config.setdefault("API_PUBLIC_PATHS", PUBLIC)


def _reads_first() -> bool:
    """The view reads first and takes the write lock itself (`tx.reads_first`)."""
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "reads_first", False))


def require_role(*roles: str) -> None:
    """403 unless the token's user holds one of the roles."""
    if not current_user.has_role(*roles):
        abort(403, description="Your roles do not allow this action.")
