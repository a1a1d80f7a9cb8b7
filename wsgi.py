"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi`."""

from docflow import create_app

app = create_app()
