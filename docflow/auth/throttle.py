"""Login throttling, the same for the web form and the API's token request.

Only failed attempts count. They are limited per (username, address) and per address, so someone who
keeps guessing a colleague's password locks out only their own address, never the colleague; a
ceiling per username alone, much higher, stops guessing spread over many addresses. The address is
the socket's peer unless PROXY_COUNT proxies are configured (werkzeug ProxyFix); a client's own
X-Forwarded-For is never believed.
"""

from collections.abc import Callable

from flask import current_app, request
from flask_babel import gettext as _

from docflow.extensions import limiter


def client_address() -> str:
    return request.remote_addr or "unknown"


def form_username() -> str:
    return (request.form.get("username") or "").strip().lower()[:64]


def json_username() -> str:
    body = request.get_json(silent=True) or {}
    name = body.get("username") if isinstance(body, dict) else None
    return str(name or "").strip().lower()[:64]


def _user_address_message() -> str:
    return _("Too many failed logins for this account from your address. Wait a minute and try again.")


def _address_message() -> str:
    return _("Too many failed logins from your address. Wait a minute and try again.")


def _ceiling_message() -> str:
    return _("Too many failed logins for this account from many addresses: logging in to it is paused for a "
             "while. Wait, or ask the administrator to check the account.")


def login_limits(username: Callable[[], str], failed: Callable, *, methods=None):
    """The three limits as one decorator; `failed(response)` tells a failed attempt (only those count)."""
    options = {"deduct_when": failed}
    if methods:
        options["methods"] = methods

    def user_address_key() -> str:
        return f"login-user-address:{username()}|{client_address()}"

    def user_key() -> str:
        return f"login-user:{username()}"

    def address_key() -> str:
        return f"login-address:{client_address()}"

    def decorate(view):
        # shared limits: the web form and the API count the same failures
        view = limiter.shared_limit(lambda: current_app.config["LOGIN_LIMIT_USER_CEILING"], "login-user",
                                    key_func=user_key, error_message=_ceiling_message, **options)(view)
        view = limiter.shared_limit(lambda: current_app.config["LOGIN_LIMIT_ADDRESS"], "login-address",
                                    key_func=address_key, error_message=_address_message, **options)(view)
        view = limiter.shared_limit(lambda: current_app.config["LOGIN_LIMIT_USER"], "login-user-address",
                                    key_func=user_address_key, error_message=_user_address_message, **options)(view)
        view.login_throttled = True  # carried up by the decorators above it (functools.wraps copies __dict__)
        return view

    return decorate


@limiter.request_filter
def _not_a_login() -> bool:
    """Only the login views have limits: every other request skips the limiter's look-ups (~2.5% of a
    registration's CPU through the API)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "login_throttled", False)
