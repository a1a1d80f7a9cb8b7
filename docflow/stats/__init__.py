"""Statistics (issue 6/9): volume, handling, the periodic report and Directive 10, counted through the
one visibility rule (service.py); handling times measured once on completion (counters.py, kept in step
by the document events); dashboards, charts, reports and exports (views.py)."""

from importlib.util import find_spec

from flask import Flask

from docflow.stats import counters


def init_app(app: Flask) -> None:
    counters.connect()
    if find_spec("docflow.stats.views") is None:  # the pages come in their own change
        return
    from docflow.stats import views  # the pages import the whole service: loaded with the app, not the package

    bp = getattr(views, "bp", None)
    if bp is not None and bp.name not in app.blueprints:
        app.register_blueprint(bp)
