"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi`."""

from docflow import create_app, settle

app = settle(create_app())  # a serving process: the app's own objects frozen out of the garbage collector
