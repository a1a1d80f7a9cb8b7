"""`flask docflow ...`: the office's command line. Commands call the services and commit once."""

import json
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from docflow import jobs
from docflow.auth import services
from docflow.core import audit
from docflow.core.backup import BackupError, write_backup
from docflow.core.errors import DomainError
from docflow.demo import load_demo
from docflow.demo.seed import seed_documents
from docflow.exchange.cli import exchange_cli
from docflow.extensions import db
from docflow.incoming.services import send_deadline_reminders
from docflow.office import init_office

docflow_cli = AppGroup("docflow", help="docflow administration commands.")
unit_cli = AppGroup("unit", help="Organisational units.")
user_cli = AppGroup("user", help="User accounts.")
audit_cli = AppGroup("audit", help="The hash-chained audit log.")
docflow_cli.add_command(unit_cli)
docflow_cli.add_command(user_cli)
docflow_cli.add_command(audit_cli)
docflow_cli.add_command(exchange_cli)


def _fail(exc: DomainError):
    db.session.rollback()
    lines = [exc.detail] + [f"  {field}: {'; '.join(map(str, msgs))}" for field, msgs in exc.errors.items()]
    raise click.ClickException("\n".join(lines))


@docflow_cli.command("init")
@click.option("--org-name", help="The agency's full name.")
@click.option("--org-abbr", help="The abbreviation used in outgoing symbols (e.g. UBND).")
@click.option("--org-code", help="The agency's 13-character electronic code (e.g. 000.00.00.H19).")
def init_command(org_name, org_abbr, org_code):
    """Seed the reference data (idempotent)."""
    try:
        result = init_office(org_name, org_abbr, org_code)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Initialised: {result['types_added']} document types added, {result['registers']} registers this year.")


@unit_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--parent", "parent_code", help="Code of the parent unit.")
def unit_add(code, name, parent_code):
    """Add a unit (CODE is used in document symbols)."""
    try:
        unit = services.create_unit({"code": code, "name": name, "parent_code": parent_code})
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Unit {unit.code} added.")


@user_cli.command("add")
@click.argument("username")
@click.option("--password", required=True, help="At least 12 characters.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["admin", "clerk", "leader", "unit_head", "specialist", "archivist"]))
@click.option("--unit", "unit_code", required=True, help="Unit code.")
@click.option("--full-name", help="Full name (defaults to the username).")
@click.option("--email")
@click.option("--clearance", default="normal", type=click.Choice(["normal", "confidential", "secret", "top_secret"]))
def user_add(username, password, roles, unit_code, full_name, email, clearance):
    """Add a user account."""
    try:
        user = services.create_user({"username": username, "password": password, "roles": list(roles),
                                     "unit_code": unit_code.upper(), "full_name": full_name or username,
                                     "email": email, "clearance": clearance})
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"User {user.username} added ({', '.join(user.roles)}).")


@audit_cli.command("verify")
@click.option("--anchor", "anchor_path", type=click.Path(dir_okay=False, exists=True),
              help="An anchor written by `audit anchor`: the chain must still reach it, with the same MAC.")
def audit_verify(anchor_path):
    """Check the audit chain; exit 1 naming the first broken event (or the anchor it no longer reaches)."""
    anchor = None
    if anchor_path:
        try:
            anchor = json.loads(Path(anchor_path).read_text(encoding="utf-8"))
            anchor = {"seq": int(anchor["seq"]), "mac": str(anchor["mac"])}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            click.echo(f"BROKEN: {anchor_path} is not an audit anchor ({exc}).", err=True)
            sys.exit(1)
    result = audit.verify(anchor)
    if result.ok:
        click.echo(f"OK: {result.message}.")
        if result.checked and result.unkeyed == result.checked:
            click.echo("Note: no event is keyed yet; the next one written will be.", err=True)
        return
    click.echo(f"BROKEN: {result.message}.", err=True)
    sys.exit(1)


@audit_cli.command("anchor")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def audit_anchor(path):
    """Write the chain's head (seq, MAC, time) to PATH; keep the file away from the database and
    check it later with `audit verify --anchor PATH`."""
    result = audit.verify()
    if not result.ok:
        click.echo(f"BROKEN: {result.message}. No anchor written.", err=True)
        sys.exit(1)
    anchor = audit.head_anchor()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(anchor, fh, indent=2)
        fh.write("\n")
    click.echo(f"Anchor written to {path}: event #{anchor['seq']}, MAC {anchor['mac']}.")


@docflow_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup(path):
    """Write a .tar.gz (mode 0600) with the database (SQLite online backup / pg_dump) and the file store."""
    try:
        write_backup(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {path}.")


@docflow_cli.command("demo")
@click.option("--credentials-file", type=click.Path(dir_okay=False),
              help="Where to keep the demo logins (default: instance/demo-logins.txt).")
def demo_command(credentials_file):
    """Load a realistic demo office (once) and print the demo logins."""
    path = Path(credentials_file or Path(current_app.instance_path) / "demo-logins.txt")
    try:
        created = load_demo(path)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo("Demo office loaded." if created else "Demo office already present.")
    click.echo(path.read_text(encoding="utf-8") if path.exists() else "(no demo logins file)")


@docflow_cli.command("seed")
@click.option("--documents", "count", type=click.IntRange(1, 10_000_000), required=True,
              help="How many incoming documents to add.")
@click.option("--years", type=click.IntRange(1, 50), default=1, show_default=True,
              help="Spread them over this many years, back from this one.")
@click.option("--random-seed", type=int, default=2026, show_default=True)
def seed_command(count, years, random_seed):
    """Bulk synthetic documents for benchmarks (gap-free numbers; progress bar)."""
    made = seed_documents(count, years, seed=random_seed)
    click.echo(f"{made} documents added.")


@docflow_cli.command("remind")
def remind_command():
    """Notify assignees of deadlines on the next working day and of overdue items (once each).
    Run it daily from cron, e.g. `0 7 * * 1-6 cd /srv/docflow && .venv/bin/flask docflow remind`."""
    sent = send_deadline_reminders()
    db.session.commit()
    click.echo(f"{sent} reminders sent.")


@docflow_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst):
    """Run background jobs from Redis (when REDIS_URL is set; without it jobs run in the app)."""
    # lazy: redis and rq (~0.2 s to import) serve only this command and a Redis-backed queue
    from redis import Redis
    from rq import Queue, SimpleWorker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: jobs run inline, no worker is needed.")
    # Jobs run in this process with this app (the text extractor is itself a capped subprocess).
    jobs.use_app(current_app._get_current_object())
    db.session.remove()
    connection = Redis.from_url(url)
    SimpleWorker([Queue(jobs.QUEUE_NAME, connection=connection)], connection=connection).work(burst=burst)


@docflow_cli.command("reindex")
@click.option("--batch-size", default=5000, show_default=True, type=click.IntRange(100, 50000))
def reindex_command(batch_size):
    """Rebuild the search index from the documents table (after an upgrade, or to repair it)."""
    from docflow.search import indexer  # lazy: the search wing imports every flow; most commands need none

    with click.progressbar(length=indexer.document_id_span(), label="Indexing") as bar:
        written = indexer.reindex(batch_size, progress=bar.update)
    click.echo(f"{written} documents indexed.")


stats_cli = AppGroup("stats", help="Statistics.")
docflow_cli.add_command(stats_cli)


@stats_cli.command("rebuild")
def stats_rebuild_command():
    """Recount the statistics from the documents (handling times in working days, the monthly counts):
    after an upgrade, a restore, or a change of the holidays."""
    from docflow.stats import counters  # lazy: the statistics wing imports every flow; most commands need none

    with click.progressbar(length=counters.document_count(), label="Counting") as bar:
        counted = counters.rebuild(progress=bar.update)
    db.session.commit()
    click.echo(f"{counted} documents counted.")


def register_cli(app) -> None:
    app.cli.add_command(docflow_cli)


__all__ = ["register_cli"]
