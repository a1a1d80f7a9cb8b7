from flask import Blueprint

bp = Blueprint("outbooks", __name__, url_prefix="/books")
