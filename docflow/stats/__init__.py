"""Statistics (issue 6/9): volume, handling, the periodic report and Directive 10, counted through the
one visibility rule (service.py); handling times measured once on completion (counters.py, kept in step
by the document events); dashboards, charts, reports and exports (views.py, registered with the other
blueprints in docflow/__init__.py)."""

from flask import Flask

from docflow.stats import counters


def init_app(app: Flask) -> None:
    counters.connect()
