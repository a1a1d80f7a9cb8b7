"""docflow: official correspondence for Vietnamese state offices."""

import gc
import logging
import os
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

from config import Config, config_from_env
from docflow.core import enums, keys, tx
from docflow.core.backup import restrict
from docflow.core.forms import DAY_INPUT_ATTRS, day_text
from docflow.core.timeutil import format_date, format_datetime
from docflow.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent

CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
       "form-action 'self'")


def settle(app: Flask) -> Flask:
    """Ready a long-lived process to serve (wsgi.py: each gunicorn worker): what exists by now - the app,
    its routes, mappers, templates, translations and compiled caches, some 200k objects - is moved out of
    the cyclic garbage collector's reach (gc.freeze). A full collection walked all of them: 100-140 ms once
    every few hundred page views, the p99 of a page (bench/README.md, "Statistics", round 5)."""
    gc.collect()
    gc.freeze()
    return app


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_relative_config=True)
    app.url_map.converters["int"] = _DatabaseInt  # before any route is added
    app.config.from_object(config_class or config_from_env())
    app.config.from_prefixed_env("DOCFLOW")
    app.config.update(overrides)
    _finish_config(app)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories=str(ROOT / "docflow" / "translations"))
    bootstrap.init_app(app)
    limiter.init_app(app)

    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                tx.tune_sqlite(engine)

    # The factory imports the features here, once the extensions are bound (the Flask pattern): the
    # features' modules import docflow.extensions, and importing them at the top of this module would
    # make `import docflow` load the whole application.
    from docflow import models  # noqa: F401  (every model, for Alembic and relationships)
    from docflow.core.errors import register_error_handlers

    register_error_handlers(app)
    _register_auth(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_security_headers(app)

    # the features, once the extensions are bound (see above)
    from docflow import jobs
    from docflow.registry import events

    events.init_session_hooks()
    # the CLI imports the demo and every feature: loaded with the app, not with the package
    from docflow.cli import register_cli

    jobs.init_app(app)
    from docflow import search  # the search wing: index kept in step by the document events, /search pages

    search.init_app(app)
    from docflow import stats  # the statistics wing: handling times kept by the document events, /stats pages

    stats.init_app(app)
    from docflow import exchange  # the exchange wing: status messages and envelopes follow the document events

    exchange.init_app(app)

    register_cli(app)
    return app


class _DatabaseInt(IntegerConverter):
    """`<int:id>` only matches 0..2147483647 (an INTEGER column), so a larger id is a 404 for every method
    rather than a database error. (A `max` check would run after the method match and answer 405.)"""

    regex = (r"(?:\d{1,9}|1\d{9}|20\d{8}|21[0-3]\d{7}|214[0-6]\d{6}|2147[0-3]\d{5}|21474[0-7]\d{4}"
             r"|214748[0-2]\d{3}|2147483[0-5]\d{2}|21474836[0-3]\d|214748364[0-7])")


def _finish_config(app: Flask) -> None:
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    restrict(app.instance_path, 0o700)  # it holds the database, the secret key and the audit key
    cfg = app.config
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "docflow.db")
    url = cfg["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    cfg["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}, **cfg.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    else:
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, **cfg.get("SQLALCHEMY_ENGINE_OPTIONS", {})}

    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = os.environ.get("SECRET_KEY")  # read now, not when config.py was imported
    if not cfg.get("SECRET_KEY"):
        if cfg.get("PRODUCTION"):
            raise RuntimeError("SECRET_KEY must be set in production (DOCFLOW_ENV=production).")
        cfg["SECRET_KEY"] = _instance_secret(app)
    if not cfg.get("STORAGE_DIR"):
        cfg["STORAGE_DIR"] = os.path.join(app.instance_path, "files")
    cfg["MAX_CONTENT_LENGTH"] = int(cfg["MAX_UPLOAD_MB"]) * 1024 * 1024 + 1024 * 1024
    secure = cfg.get("SECURE_COOKIES")  # unset: on in production; DOCFLOW_SECURE_COOKIES=false turns it off
    if isinstance(secure, str):
        secure = secure.strip().lower() in ("1", "true", "yes", "on")
    secure = bool(cfg.get("PRODUCTION")) if secure is None else bool(secure)
    cfg["SECURE_COOKIES"] = secure  # HSTS follows (_register_security_headers)
    cfg["SESSION_COOKIE_SECURE"] = secure
    cfg["REMEMBER_COOKIE_SECURE"] = secure
    if not cfg.get("RATELIMIT_STORAGE_URI"):
        cfg["RATELIMIT_STORAGE_URI"] = cfg.get("REDIS_URL") or "memory://"


def _instance_secret(app: Flask) -> str:
    """A secret generated on first start and kept in instance/ (never a constant in code)."""
    return keys.read_or_create(Path(app.instance_path) / "secret_key", empty_hint="remove it or set SECRET_KEY.")[0]


def _select_locale():
    if not has_request_context():  # CLI commands and jobs: messages in the default language
        return None
    lang = session.get("lang")
    if lang in ("vi", "en"):
        return lang
    # Flask-Login's proxy: docflow/__init__ is imported before any extension is bound
    from flask_login import current_user

    if getattr(current_user, "is_authenticated", False) and getattr(current_user, "locale", None):
        return current_user.locale
    return None  # BABEL_DEFAULT_LOCALE: Vietnamese


def _register_auth(app: Flask) -> None:
    # the auth models: loaded by the factory, like the features (see create_app)
    from docflow.auth.models import User

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_token: str):
        if not session_token:
            return None
        user = db.session.scalar(sa.select(User).where(User.session_token == session_token))
        return user if user is not None and user.is_active else None


def _register_blueprints(app: Flask) -> None:
    # the blueprints, loaded by the factory once the extensions are bound (see create_app)
    from docflow.admin.views import bp as admin_bp
    from docflow.api import init_api
    from docflow.archive.views import bp as archive_bp
    from docflow.auth.views import bp as auth_bp
    from docflow.exchange.views import bp as exchange_bp
    from docflow.incoming.report_views import bp as books_bp
    from docflow.incoming.views import bp as incoming_bp
    from docflow.main.views import bp as main_bp
    from docflow.outgoing.report_views import bp as outbooks_bp
    from docflow.outgoing.views import bp as outgoing_bp
    from docflow.registry.notification_views import bp as notifications_bp
    from docflow.registry.views import bp as files_bp
    from docflow.stats.views import bp as stats_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(files_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(incoming_bp)
    app.register_blueprint(books_bp)
    app.register_blueprint(outgoing_bp)
    app.register_blueprint(outbooks_bp)
    app.register_blueprint(stats_bp)
    app.register_blueprint(archive_bp)
    app.register_blueprint(exchange_bp)
    init_api(app)


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")  # templates/macros/ui.html; babel.cfg names it too
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["day_input"] = day_text  # a date field's value as typed: dd/mm/yyyy
    app.jinja_env.globals["day_input_attrs"] = DAY_INPUT_ATTRS

    @app.context_processor
    def inject():
        return {
            "enums": enums,
            "current_locale": str(get_locale() or "vi"),
        }


def _register_security_headers(app: Flask) -> None:
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies > 0:  # only then are X-Forwarded-For/-Proto believed (the client's address, https)
        # only behind a configured proxy
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.path.startswith("/api/") or (response.mimetype == "text/html" and request.endpoint != "static"):
            response.headers.setdefault("Cache-Control", "no-store")
        if app.config.get("SECURE_COOKIES"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
