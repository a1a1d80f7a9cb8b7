"""The registry's own pages: a user's notifications (about documents of either flow)."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from docflow.auth.forms import EmptyForm
from docflow.core.values import posted_id
from docflow.extensions import db
from docflow.registry import notifications

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

PER_PAGE = 25


@bp.app_context_processor
def inject_notifications():
    return {"unread_notifications": notifications.unread_count}


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    unread = "1" if request.args.get("unread") == "1" else None
    if request.method == "POST":
        form = EmptyForm()
        if not form.validate_on_submit():
            abort(400)
        one = posted_id(request.form.get("id"))
        if one == "invalid":
            abort(404)
        notifications.mark_read(current_user, int(one) if one else None)
        db.session.commit()
        return redirect(url_for("notifications.index", unread=unread))
    stmt = notifications.list_query(current_user, unread_only=bool(unread))
    pagination = db.paginate(stmt, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)
    return render_template("notifications/index.html", pagination=pagination, unread_only=bool(unread),
                           button_form=EmptyForm(), links=notifications.links(pagination.items))
