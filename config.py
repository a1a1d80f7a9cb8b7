"""Configuration classes. Values come from the environment; see README "Configuration"."""

import os
from datetime import timedelta


class Config:
    """Base configuration, read from the environment when the class is used."""

    SECRET_KEY = None  # from $SECRET_KEY when the app is created; else generated once and kept in instance/
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None: SQLite file in instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL = os.environ.get("REDIS_URL")
    STORAGE_DIR = None  # DOCFLOW_STORAGE_DIR; None: instance/files
    #: the audit chain's HMAC key (DOCFLOW_AUDIT_KEY); None: generated once and kept in instance/audit_key (0600).
    #: Keep it out of the database and its backups: with it, a rewritten chain can be recomputed.
    AUDIT_KEY = None

    # Sessions and cookies (ASVS 3.x): short lifetime, HttpOnly, SameSite=Lax, Secure on demand.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "docflow_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(hours=12)
    REMEMBER_COOKIE_NAME = "docflow_remember"
    #: Secure cookies and HSTS. None: on with DOCFLOW_ENV=production, off otherwise;
    #: DOCFLOW_SECURE_COOKIES=false turns them off explicitly (plain-HTTP production, not advised)
    SECURE_COOKIES = None
    #: how many proxies in front of the app set X-Forwarded-For/-Proto (DOCFLOW_PROXY_COUNT; werkzeug
    #: ProxyFix). 0: the headers are ignored and the client's address is the socket's peer.
    PROXY_COUNT = 0

    # Every key below can be set from the environment as DOCFLOW_<KEY> (app.config.from_prefixed_env).
    # Uploads: MAX_UPLOAD_MB per file; the request may carry a little more (form fields).
    MAX_UPLOAD_MB = 50
    MAX_CONTENT_LENGTH = None  # derived from MAX_UPLOAD_MB in create_app()

    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105  werkzeug's scrypt:32768:8:1

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 3600 * 12

    # Rate limiting: Redis when REDIS_URL is set, else per-worker memory. When Redis is unreachable
    # the counting goes on per process (logged once) and returns to Redis when it is back.
    RATELIMIT_STORAGE_URI = None  # derived in create_app()
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Failed logins (web form and API tokens alike) are counted per (username, address) and per address,
    # so nobody can lock a user out from elsewhere; a much higher per-username ceiling stops a spread-out
    # guessing attack.
    LOGIN_LIMIT_USER = "5 per minute"  # per (username, address)
    LOGIN_LIMIT_ADDRESS = "20 per minute"
    LOGIN_LIMIT_USER_CEILING = "100 per hour"  # per username, from all addresses

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    TIMEZONE = "Asia/Ho_Chi_Minh"

    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None

    # flask-smorest: the OpenAPI document is generated from the schemas that validate requests.
    API_TITLE = "docflow"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    PER_PAGE_MAX = 200
    PRODUCTION = False


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    PRODUCTION = True


class TestingConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    AUDIT_KEY = "test-audit-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DOCFLOW_TEST_DATABASE_URL")
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105  fast hashing for the suite; production uses scrypt
    # The suite reads English messages; tests/test_i18n.py checks the Vietnamese default and catalog.
    BABEL_DEFAULT_LOCALE = "en"


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_from_env() -> type[Config]:
    return CONFIGS.get(os.environ.get("DOCFLOW_ENV", "development"), DevelopmentConfig)
