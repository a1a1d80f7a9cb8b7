"""Background jobs (architecture decision 5): `enqueue(name, *args)`.

- Embedded mode (no REDIS_URL, or JOBS_INLINE true): the job runs in its own app context and so its
  own database session and transaction, which is committed (rolled back on error; an inline job's
  failure is logged and never breaks what enqueued it). Enqueued during a request, it runs when the
  request is over (teardown), so it never waits for the request's lock; elsewhere (CLI) at once.
- With REDIS_URL: the job goes on the RQ queue "docflow" as `docflow.jobs.run_job(name, *args)`,
  which a worker runs by building the app and then the job the same way.

Jobs are looked up by name in JOBS ("module:function" strings, imported on first use so this module
imports no feature) or registered with `register(name, fn)`. Call `enqueue` only after the
transaction that wrote the job's input has committed. (In embedded mode on SQLite a write request's
next query, e.g. reading `attachment.id` after the commit, opens a new write-locked transaction that
the inline job's own session would wait for; `enqueue` ends such a read-only transaction first.)
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from flask import Flask, current_app, g, has_request_context

from docflow import create_app
from docflow.extensions import db

log = logging.getLogger(__name__)

QUEUE_NAME = "docflow"

JOBS: dict[str, str | Callable] = {
    "extract_attachment_text": "docflow.registry.attachments:extract_attachment_text",
}


def register(name: str, fn: Callable | str) -> None:
    JOBS[name] = fn


def resolve(name: str) -> Callable:
    target = JOBS.get(name)
    if target is None:
        raise LookupError(f"no job named {name!r}")
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module), attr)
        JOBS[name] = target
    return target


def is_inline(app: Flask | None = None) -> bool:
    cfg = (app or current_app).config
    return bool(cfg.get("JOBS_INLINE")) or not cfg.get("REDIS_URL")


def _run(app: Flask, name: str, args: tuple, *, reraise: bool):
    fn = resolve(name)
    with app.app_context():
        try:
            result = fn(*args)
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            log.exception("job %s%r failed", name, args)
            if reraise:
                raise
            return None


def _end_read_only_transaction() -> None:
    """End the caller's transaction if it has only read since its last commit, so that it holds no
    lock the inline job's session would wait for (SQLite takes the write lock at BEGIN in write
    requests). A transaction holding changes, flushed or not, is left alone: that caller broke the
    "enqueue after commit" rule, and its job will see only committed data."""
    session = db.session()
    tx = session.get_transaction()
    if tx is None or session.in_nested_transaction():
        return
    if session.new or session.dirty or session.deleted:
        return
    if any(getattr(tx, attr, None) for attr in ("_new", "_deleted", "_dirty")):
        return
    session.rollback()


def enqueue(name: str, *args, **rq_options):
    """Run the job inline (embedded mode) or put it on the RQ queue; returns the job's result
    (inline) or the RQ job."""
    resolve(name)  # an unknown name fails here, in the caller, not later in a worker
    app = current_app._get_current_object()
    if is_inline(app):
        if has_request_context():
            # run when the request is over (teardown), after its transaction has ended: the job
            # never waits behind the request's own lock, and a slow job never holds one for it
            g.setdefault("_docflow_jobs", []).append((name, args))
            return None
        _end_read_only_transaction()
        return _run(app, name, args, reraise=False)
    # lazy: redis and rq (~0.2 s to import) are needed only with REDIS_URL, not by inline jobs
    from redis import Redis
    from rq import Queue

    queue = Queue(QUEUE_NAME, connection=Redis.from_url(app.config["REDIS_URL"]))
    rq_options.setdefault("job_timeout", int(app.config.get("EXTRACT_TIMEOUT_S", 30)) * 2 + 60)
    return queue.enqueue("docflow.jobs.run_job", name, *args, **rq_options)


def init_app(app: Flask) -> None:
    """Run the inline jobs a request enqueued once it is finished (not if it failed)."""

    @app.teardown_request
    def _run_request_jobs(exc):
        pending = g.pop("_docflow_jobs", None)
        if not pending or exc is not None:
            return
        db.session.rollback()  # end the request's last (read) transaction; its work is committed
        for name, args in pending:
            _run(app, name, args, reraise=False)


_worker_app: Flask | None = None


def use_app(app: Flask) -> None:
    """The app the worker runs jobs with (instead of building one)."""
    global _worker_app
    _worker_app = app


def run_job(name: str, *args):
    """The RQ entry point: build the app (once per worker process) and run the job, committing."""
    global _worker_app
    if _worker_app is None:
        _worker_app = create_app()
    return _run(_worker_app, name, args, reraise=True)
