"""Log in and out, the account page (password, API tokens), the language switch."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from docflow.auth import services
from docflow.auth.forms import ChangePasswordForm, EmptyForm, LoginForm, TokenForm
from docflow.auth.models import ApiToken
from docflow.auth.throttle import form_username, login_limits
from docflow.core.errors import ValidationFailed
from docflow.extensions import db

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _failed(response) -> bool:
    """Only failed attempts count towards the throttle (a success redirects)."""
    return response.status_code != 302


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    # Browsers read a backslash as "/" and drop tabs and newlines, so "/<backslash>evil.example" or
    # "/<tab>/evil.example" would lead to another site: only a plain path on this site is accepted.
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@login_limits(form_username, _failed, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            db.session.commit()  # the failure is audited
            form.password.errors.append(_("Wrong username or password, or the account is disabled."))
            return render_template("auth/login.html", form=form), 200
        db.session.commit()
        lang = session.get("lang")
        session.clear()  # a fresh session on login (ASVS 3.2.1)
        if lang:
            session["lang"] = lang
        session.permanent = True
        login_user(user)
        return redirect(_safe_next(request.args.get("next")) or url_for("main.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            # ASVS 3.3.1: a logged-out session id must not work again, even from a copied cookie
            services.end_cookie_sessions(current_user._get_current_object())
            db.session.commit()
        logout_user()
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    form = EmptyForm()
    if form.validate_on_submit():
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("main.dashboard"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    password_form = ChangePasswordForm(prefix="pw")
    token_form = TokenForm(prefix="tok")
    new_token = None
    if password_form.submit.data and password_form.validate_on_submit():
        try:
            services.change_own_password(current_user, password_form.current_password.data,
                                         password_form.new_password.data)
        except ValidationFailed as exc:
            db.session.rollback()
            for field, msgs in exc.errors.items():
                target = password_form.current_password if field == "current_password" else password_form.new_password
                target.errors = list(target.errors) + msgs
        else:
            db.session.commit()
            # this session continues with the new session id; others end. (The proxy itself must not be
            # passed: Flask-Login would cache it as the user and recurse on the next use of current_user.)
            login_user(current_user._get_current_object())
            session.permanent = True
            flash(_("Your password was changed. Your other sessions and API tokens have ended."), "success")
            return redirect(url_for("auth.account"))
    elif token_form.submit.data and token_form.validate_on_submit():
        _token, new_token = services.create_token(current_user, token_form.name.data)
        db.session.commit()
        flash(_("Copy the token now: it is shown only once."), "warning")
    tokens = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == current_user.id)
                                .order_by(ApiToken.created_at.desc())).all()
    return render_template("auth/account.html", password_form=password_form, token_form=token_form,
                           tokens=tokens, new_token=new_token, revoke_form=EmptyForm(prefix="rv"))


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if EmptyForm(prefix="rv").validate_on_submit():
        services.revoke_token(token, actor=current_user)
        db.session.commit()
        flash(_("The token was revoked."), "success")
    return redirect(url_for("auth.account"))
