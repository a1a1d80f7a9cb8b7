from flask import Blueprint

bp = Blueprint("outgoing", __name__, url_prefix="/outgoing")
