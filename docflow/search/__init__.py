"""Full-text search over every document (architecture decision 4): one folding (core.text.fold), two
engines picked by the database dialect (SQLite FTS5, PostgreSQL tsvector + pg_trgm), the index kept in
step by the document events in the document's own transaction, the visibility rule inside every query.
"""

from flask import Flask

from docflow.search import indexer, views


def init_app(app: Flask) -> None:
    indexer.connect()
    app.register_blueprint(views.bp)
