"""`flask docflow exchange import PATH...`: register a folder of edXML envelopes (files or folders;
a folder's *.edxml and *.xml files), each in its own transaction, with a progress bar and one result
line per file; exit status 1 if any was refused."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from docflow.auth.models import User
from docflow.exchange import edxml, importer
from docflow.extensions import db

exchange_cli = AppGroup("exchange", help="The edXML exchange (QCVN 102:2016).")

SUFFIXES = (".edxml", ".xml")


def envelope_paths(paths) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES))
        else:
            found.append(path)
    return found


def read_file(path: Path) -> tuple[bytes | None, importer.DomainError | None]:
    limit = edxml.max_envelope_bytes()
    try:
        if path.stat().st_size > limit:
            return None, edxml.too_large(limit)  # by its size, before a byte is read
        with path.open("rb") as fh:
            return edxml.read_limited(fh, limit), None
    except edxml.EnvelopeTooLarge as exc:
        return None, exc
    except OSError as exc:
        return None, edxml.EnvelopeError({"file": [f"cannot read: {exc.strerror or exc}"]})


def describe(result: dict) -> str:
    if result["ok"] and result["kind"] == "status":
        return f"status {result['status_code']} kept on outgoing document {result['document_id']}"
    if result["ok"]:
        return f"registered as incoming no. {result['number']} ({result['number_symbol']}), id {result['document_id']}"
    problems = "; ".join(f"{key}: {m}" for key, ms in result["errors"].items() for m in ms)
    if result.get("existing_id"):
        problems += f" (existing document id {result['existing_id']})"
    return f"refused ({result['status']}): {problems}"


@exchange_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--as", "username", required=True, help="The clerk the documents are registered by.")
@click.option("--refusal-status", is_flag=True, help="Write the 02 (refused) status message for each refused envelope.")
def import_command(paths, username, refusal_status):
    """Register edXML envelopes: files, or folders of *.edxml files."""
    actor = db.session.scalar(sa.select(User).where(User.username == username))
    if actor is None or not actor.is_active or not actor.has_role("clerk"):
        raise click.UsageError(f"{username}: no such active clerk.")
    files = envelope_paths(paths)
    results = []
    with click.progressbar(files, label="Importing") as bar:
        for path in bar:
            data, error = read_file(path)
            results.append((path, importer.import_and_commit(data, actor=actor, filename=path.name,
                                                             send_refusal=refusal_status, error=error)))
    for path, result in results:
        click.echo(f"{path}: {describe(result)}")
    refused = sum(1 for _, r in results if not r["ok"])
    click.echo(f"{len(results) - refused} imported, {refused} refused.")
    if refused:
        raise SystemExit(1)
