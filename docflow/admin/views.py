from flask import Blueprint, render_template

from docflow.core.permissions import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@role_required("admin")
def index():
    return render_template("main/dashboard.html")


for _name in ("users", "units", "organizations", "doc_types", "registers", "agency", "audit"):
    bp.add_url_rule(f"/{_name.replace('_', '-')}", _name, index)
