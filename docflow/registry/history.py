"""A document's history, and any audit event told as a sentence in the page's language.

The history of a document is its audit events (object_type "documents"). `describe(event)` turns
one event into a sentence ("Vào sổ văn bản đến số 12", "Trình lãnh đạo Trần Văn B"): people by
their full names, dates as dd/mm/yyyy, times in the office's time zone, never a hash, an id or an
action code; an action it does not know gets a generic sentence. `entries(events)` describes a list,
resolving every person named in it with one query (and the units, and the approval steps, with one
query each), never one per row.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from docflow.auth.models import Unit, User
from docflow.core.calendar import PRELOADED_KEY
from docflow.core.enums import CLEARANCE_LABELS, MEDIUM_LABELS, ROLE_LABELS, URGENCY_LABELS
from docflow.core.models import AuditEvent
from docflow.core.timeutil import format_date, format_datetime
from docflow.extensions import db
from docflow.registry.models import Document

#: payload keys naming a person by username, and by id
USERNAME_KEYS = ("leader", "to", "user", "username")
USER_ID_KEYS = ("leader_id", "to_id", "user_id", "signer_id", "drafter_id", "presented_to_id", "approver_id")

#: the fields an update names (the others, internal, are left out of the sentence)
FIELD_LABELS = {
    "subject": _l("subject"),
    "number_symbol": _l("number and symbol"),
    "sender": _l("issuing organisation"),
    "issued_date": _l("document date"),
    "received_date": _l("arrival date"),
    "signer": _l("signer"),
    "signer_id": _l("signer"),
    "signing_capacity": _l("signing capacity"),
    "doc_type": _l("document type"),
    "urgency": _l("urgency"),
    "confidentiality": _l("confidentiality"),
    "pages": _l("pages"),
    "copies": _l("copies"),
    "medium": _l("medium"),
    "due_date": _l("deadline"),
    "notes": _l("notes"),
    "full_name": _l("full name"),
    "email": _l("email"),
    "unit": _l("unit"),
    "roles": _l("roles"),
    "clearance": _l("clearance"),
    "active": _l("active"),
    "name": _l("name"),
    "parent": _l("parent unit"),
}
#: fields whose old and new values an update shows (the others are only named)
SHOWN_VALUES = ("subject", "number_symbol", "sender", "issued_date", "received_date", "signer", "signer_id",
                "signing_capacity", "urgency", "confidentiality", "pages", "copies", "medium", "due_date", "notes",
                "full_name", "name", "clearance", "roles")
DATE_FIELDS = ("issued_date", "received_date", "due_date")

CHANNEL_PHRASES = {"paper": _l("by post (paper)"), "electronic": _l("electronically"), "email": _l("by email")}
LOGIN_FAILURES = {"unknown user": _l("no such account"), "wrong password": _l("wrong password"),
                  "inactive": _l("the account is deactivated")}
SETTING_LABELS = {"agency": _l("the agency settings"), "holidays": _l("the holidays of the working calendar"),
                  "deadline_days": _l("the default handling deadlines")}
#: the audit page's filter: action prefixes by area
AREA_LABELS = {
    "incoming.": _l("Incoming documents"), "outgoing.": _l("Outgoing documents"), "attachment.": _l("Attachments"),
    "login.": _l("Sign-ins"), "user.": _l("User accounts"), "unit.": _l("Units"), "token.": _l("API tokens"),
    "setting.": _l("Settings"), "doc_type.": _l("Document types"), "register.": _l("Registers"),
    "organization.": _l("External organisations"), "workflow.": _l("Approval workflows"), "seed.": _l("Demo data"),
    "exchange.": _l("Electronic exchange (edXML)"), "retention.": _l("Retention table"), "plan.": _l("File plans"),
    "dossier.": _l("Dossiers"), "transfer.": _l("Transfers to the archive"), "keepback.": _l("Keep-backs"),
    "loan.": _l("Borrowing"), "disposition.": _l("Disposition"),
}
OBJECT_LABELS = {"documents": _l("a document"), "users": _l("a user account"), "units": _l("a unit"),
                 "setting": _l("a setting"), "api_tokens": _l("an API token"), "doc_types": _l("a document type"),
                 "registers": _l("a register"), "organizations": _l("an organisation"),
                 "workflows": _l("an approval workflow"), "dossiers": _l("a dossier"), "file_plans": _l("a file plan"),
                 "transfers": _l("a transfer"), "keep_backs": _l("a keep-back"), "loans": _l("a loan"),
                 "dispositions": _l("a disposition"), "retention_periods": _l("the retention table"),
                 "exchange_messages": _l("an edXML message")}
#: the edXML status codes (QCVN 102:2016), as the exchange pages name them
EDXML_STATUS_LABELS = {"01": _l("Arrived at the receiver"), "02": _l("Refused by the receiver"),
                       "03": _l("Accepted and registered"), "04": _l("Assigned to a handler"),
                       "05": _l("Being handled"), "06": _l("Handling completed")}


# ---- the document's history ------------------------------------------------------------------

def history_of(doc) -> list["Entry"]:
    """The document's audit events, oldest first, each with its sentence and its actor's name."""
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type == "documents",
                                                            AuditEvent.object_id == str(doc.id))
                                .order_by(AuditEvent.seq)).all()
    return entries(events)


@dataclass(frozen=True)
class Entry:
    """An audit event with its sentence (`text`) and who did it (`actor`); the event's own fields
    (`created_at`, `action`, `after`...) read through."""

    event: AuditEvent
    text: str
    actor: str

    def __getattr__(self, name):
        if name == "event" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.event, name)


def entries(events, known_users=()) -> list[Entry]:
    """`known_users`: people already loaded (the request's user), not looked up again."""
    events = list(events)
    names = Names.resolve(events, known_users)
    return [Entry(e, describe(e, names), actor_of(e, names)) for e in events]


# ---- names -----------------------------------------------------------------------------------

def _as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


# The approval steps' names belong to the outgoing flow, which the registry does not import: outgoing.models
# registers its lookup here, (document ids) -> rows of (document_id, step_position, step_name).
_step_names: Callable[[set[int]], Iterable[tuple[int, int, str]]] | None = None


def register_step_names(lookup: Callable[[set[int]], Iterable[tuple[int, int, str]]]) -> None:
    global _step_names
    _step_names = lookup


# The dossiers belong to the archive, which the registry does not import either: docflow.archive registers
# (dossier ids) -> rows of (dossier_id, "01.VP – title").
_dossier_names: Callable[[set[int]], Iterable[tuple[int, str]]] | None = None


def register_dossier_names(lookup: Callable[[set[int]], Iterable[tuple[int, str]]]) -> None:
    global _dossier_names
    _dossier_names = lookup


@dataclass
class Names:
    """Full names of the people, names of the units and of the approval steps an event list names."""

    users_by_id: dict = field(default_factory=dict)
    users_by_username: dict = field(default_factory=dict)
    units_by_code: dict = field(default_factory=dict)
    units_by_id: dict = field(default_factory=dict)
    steps: dict = field(default_factory=dict)
    dossiers: dict = field(default_factory=dict)
    documents: dict = field(default_factory=dict)

    @classmethod
    def resolve(cls, events, known_users=()) -> "Names":
        ids, usernames, unit_codes, unit_ids, step_docs = set(), set(), set(), set(), set()
        dossier_ids, document_ids = set(), set()
        for ev in events:
            if ev.object_type == "dossiers" and _int(ev.object_id):
                dossier_ids.add(_int(ev.object_id))
            after = _as_dict(ev.after)
            if _int(after.get("dossier_id")):
                dossier_ids.add(_int(after["dossier_id"]))
            if isinstance(after.get("dossier_ids"), list):
                dossier_ids.update(i for i in map(_int, after["dossier_ids"][:50]) if i)
            if ev.action in ("dossier.add_document", "dossier.remove_document", "dossier.move_document",
                             "attachment.destroy"):
                document_id = _int(after.get("document_id") or _as_dict(ev.before).get("document_id"))
                if document_id:
                    document_ids.add(document_id)
            if ev.actor_id:
                ids.add(ev.actor_id)
            if ev.object_type == "users" and _int(ev.object_id):
                ids.add(_int(ev.object_id))
            if ev.object_type == "units" and _int(ev.object_id):
                unit_ids.add(_int(ev.object_id))
            if ev.action in ("outgoing.approve", "outgoing.return", "outgoing.reject") and _int(ev.object_id):
                step_docs.add(_int(ev.object_id))
            for payload in (_as_dict(ev.before), _as_dict(ev.after)):
                assignees = payload.get("assignees") if isinstance(payload.get("assignees"), list) else []
                items = [payload, *[a for a in assignees if isinstance(a, dict)]]
                for item in items:
                    for key in USERNAME_KEYS:
                        if isinstance(item.get(key), str):
                            usernames.add(item[key][:80])
                    for key in USER_ID_KEYS:
                        if _int(item.get(key)):
                            ids.add(_int(item[key]))
                    for key in ("unit", "parent"):
                        if isinstance(item.get(key), str):
                            unit_codes.add(item[key][:40])
                    if _int(item.get("unit_id")):
                        unit_ids.add(_int(item["unit_id"]))
        names = cls()
        for user in known_users:
            names.users_by_id[user.id] = names.users_by_username[user.username] = user.full_name
        ids -= names.users_by_id.keys()
        usernames -= names.users_by_username.keys()
        if ids or usernames:  # one query for every person of the list
            rows = db.session.execute(sa.select(User.id, User.username, User.full_name).where(
                sa.or_(User.id.in_(ids), User.username.in_(usernames))))
            for user_id, username, full_name in rows:
                names.users_by_id[user_id] = full_name
                names.users_by_username[username] = full_name
        if unit_codes or unit_ids:
            rows = db.session.execute(sa.select(Unit.id, Unit.code, Unit.name).where(
                sa.or_(Unit.id.in_(unit_ids), Unit.code.in_(unit_codes))))
            for unit_id, code, name in rows:
                names.units_by_id[unit_id] = name
                names.units_by_code[code] = name
        if step_docs and _step_names is not None:
            for doc_id, position, name in _step_names(step_docs):
                names.steps.setdefault((doc_id, position), name)
        if dossier_ids and _dossier_names is not None:
            names.dossiers.update(_dossier_names(dossier_ids))
        if document_ids:
            rows = db.session.execute(sa.select(Document.id, Document.number_symbol, Document.subject)
                                      .where(Document.id.in_(document_ids)))
            for doc_id, number_symbol, subject in rows:
                names.documents[doc_id] = number_symbol or _clip(subject or "—", 80)
        return names

    def dossier(self, ref) -> str:
        return self.dossiers.get(_int(ref)) or _("a dossier")

    def document(self, ref) -> str:
        return self.documents.get(_int(ref)) or _("a document")

    def user(self, ref) -> str | None:
        if isinstance(ref, str) and not ref.isdigit():
            return self.users_by_username.get(ref) or ref
        return self.users_by_id.get(_int(ref))

    def unit(self, ref) -> str | None:
        if isinstance(ref, str) and not ref.isdigit():
            return self.units_by_code.get(ref) or ref
        return self.units_by_id.get(_int(ref))


# ---- values ----------------------------------------------------------------------------------

def _clip(text, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _date(value) -> str:
    """dd/mm/yyyy from a date, or the ISO text a payload keeps; a timestamp in the office's zone."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    text = str(value or "").strip()
    try:
        if len(text) > 10:
            return format_datetime(datetime.fromisoformat(text))
        return format_date(date.fromisoformat(text))
    except ValueError:
        return _clip(text, 40)


def _value(key: str, value, names: Names) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in DATE_FIELDS:
        return _date(value)
    if key in ("signer_id",):
        return names.user(value) or "—"
    if key == "urgency":
        return str(URGENCY_LABELS.get(value, value))
    if key in ("confidentiality", "clearance"):
        return str(CLEARANCE_LABELS.get(value, value))
    if key == "medium":
        return str(MEDIUM_LABELS.get(value, value))
    if key == "roles" and isinstance(value, list):
        return ", ".join(str(ROLE_LABELS.get(r, r)) for r in value)
    if isinstance(value, (list, dict)):
        return "…"
    return "«" + _clip(value, 120) + "»"


def _changes(before, after, names: Names, *, values: bool = True) -> str:
    """The named fields that changed: "subject «a» → «b»; deadline 01/12/2026 → 07/12/2026"."""
    before, after = _as_dict(before), _as_dict(after)
    parts = []
    for key, label in FIELD_LABELS.items():
        if key not in after or before.get(key) == after.get(key) or key not in before:
            continue
        if values and key in SHOWN_VALUES:
            parts.append(_("%(field)s %(old)s → %(new)s", field=label, old=_value(key, before.get(key), names),
                           new=_value(key, after.get(key), names)))
        else:
            parts.append(str(label))
    return "; ".join(parts)


def _with_comment(sentence: str, comment) -> str:
    comment = _clip(comment) if comment not in (None, "") else ""
    return _("%(what)s; comment: %(comment)s", what=sentence, comment=comment) if comment else sentence


def _step(ev, names: Names) -> str:
    position = _int(_as_dict(ev.before).get("current_step"))
    if position is None:
        return ""
    name = names.steps.get((_int(ev.object_id), position))
    return _("step %(n)d (%(name)s)", n=position, name=name) if name else _("step %(n)d", n=position)


def _assignees(items, names: Names) -> str:
    phrases = {"primary": _l("%(name)s leads"), "coordinate": _l("%(name)s coordinates"),
               "inform": _l("%(name)s for information")}
    parts = []
    for item in items if isinstance(items, list) else []:
        item = _as_dict(item)
        who = (names.user(item["user"]) if item.get("user") else None) or (
            names.unit(item["unit"]) if item.get("unit") else None) or _("someone")
        phrase = phrases.get(item.get("role"))
        parts.append(str(phrase % {"name": who}) if phrase else who)
    return ", ".join(parts)


# ---- sentences -------------------------------------------------------------------------------

def _incoming(ev, action: str, before: dict, after: dict, names: Names) -> str | None:
    if action == "register":
        return (_("Registered as incoming document no. %(n)s", n=after["number"]) if after.get("number")
                else _("Registered the incoming document"))
    if action == "update":
        changes = _changes(before, after, names)
        return _("Corrected: %(changes)s", changes=changes) if changes else _("Corrected the document's details")
    if action == "submit":
        leader = names.user(after.get("leader") or after.get("leader_id")) if (
            after.get("leader") or after.get("leader_id")) else None
        return _("Presented to leader %(name)s", name=leader) if leader else _("Presented to the leaders")
    if action == "assign":
        who = _assignees(after.get("assignees"), names)
        text = (_("Assigned: %(who)s, due %(due)s", who=who, due=_date(after["due_date"])) if after.get("due_date")
                else _("Assigned: %(who)s", who=who))
        if after.get("instruction"):
            text = _("%(what)s. Direction: %(text)s", what=text, text=_clip(after["instruction"]))
        return text
    if action == "delegate":
        name = names.user(after.get("to") or after.get("to_id")) or _("someone")
        return (_("Handed on to %(name)s, due %(due)s", name=name, due=_date(after["due_date"]))
                if after.get("due_date") else _("Handed on to %(name)s", name=name))
    if action == "progress":
        return _("Progress note: %(text)s", text=_clip(after.get("note") or ""))
    if action == "opinion":
        return _("Coordination opinion: %(text)s", text=_clip(after.get("opinion") or ""))
    if action == "read":
        return _("Read (for information)")
    if action == "complete":
        result = _clip(after.get("result") or "")
        return (_("Completed, answered by document no. %(reply)s: %(result)s", reply=_clip(after["reply"], 60),
                  result=result) if after.get("reply") else _("Completed: %(result)s", result=result))
    if action == "urge":
        return _("Urged the overdue handling")
    if action == "cancel":
        return _("Cancelled; reason: %(reason)s", reason=_clip(after.get("reason") or "—"))
    return None


def _outgoing(ev, action: str, before: dict, after: dict, names: Names) -> str | None:
    if action == "draft":
        return _("Drafted the outgoing document")
    if action == "update":
        changes = _changes(before, after, names)
        return _("Edited the draft: %(changes)s", changes=changes) if changes else _("Edited the draft")
    if action == "version":
        return _("Draft version %(n)s: the file %(filename)s", n=after.get("version") or "?",
                 filename=_clip(after.get("filename") or "—", 120))
    if action == "submit":
        return _("Submitted for approval")
    if action == "resubmit":
        return _("Resubmitted for approval after revision")
    if action == "approve":
        step = _step(ev, names)
        text = _("Approved %(step)s", step=step) if step else _("Approved")
        text = _with_comment(text, after.get("comment"))
        return _("%(what)s; the draft is fully approved", what=text) if after.get("status") == "approved" else text
    if action == "return":
        step = _step(ev, names)
        text = _("Returned for revision at %(step)s", step=step) if step else _("Returned for revision")
        return _with_comment(text, after.get("comment"))
    if action == "reject":
        step = _step(ev, names)
        text = _("Rejected at %(step)s", step=step) if step else _("Rejected")
        return _with_comment(text, after.get("comment"))
    if action == "issue":
        symbol = _clip(after.get("number_symbol") or after.get("number") or "—", 60)
        return (_("Issued as no. %(symbol)s of %(date)s", symbol=symbol, date=_date(after["issued_date"]))
                if after.get("issued_date") else _("Issued as no. %(symbol)s", symbol=symbol))
    if action == "dispatch":
        channel = CHANNEL_PHRASES.get(after.get("channel"))
        recipients = after.get("recipients")
        to = ", ".join(_clip(r, 120) for r in recipients if isinstance(r, str)) if isinstance(recipients, list) else ""
        text = _("Dispatched %(channel)s", channel=channel) if channel else _("Dispatched")
        return _("%(what)s to %(recipients)s", what=text, recipients=to) if to else text
    if action == "cancel":
        return _("Cancelled; reason: %(reason)s", reason=_clip(after.get("reason") or "—"))
    return None


def _exchange(ev, action: str, before: dict, after: dict, names: Names) -> str | None:
    if action == "import":
        sender = _clip(after.get("from") or "—", 40)
        return (_("Received by edXML from %(sender)s (file %(filename)s)", sender=sender,
                  filename=_clip(after["filename"], 120)) if after.get("filename")
                else _("Received by edXML from %(sender)s", sender=sender))
    if action == "export":
        if after.get("download"):
            return _("Downloaded the edXML envelope %(filename)s", filename=_clip(after["download"], 120))
        return _("Wrote the edXML envelope for %(recipient)s into the outbox",
                 recipient=_clip(after.get("recipient") or after.get("code") or "—", 200))
    if action == "status":
        code = str(after.get("code") or after.get("status_code") or "")
        label = EDXML_STATUS_LABELS.get(code)
        status = f"{code} ({label})" if label else (code or "—")
        if after.get("direction") == "in":
            return _("Received the edXML status %(status)s from %(sender)s", status=status,
                     sender=_clip(after.get("from") or "—", 40))
        return _("Sent the edXML status %(status)s to %(to)s", status=status, to=_clip(after.get("to") or "—", 40))
    if action == "refuse":
        return _("Refused the edXML envelope %(filename)s", filename=_clip(after.get("filename") or "—", 120))
    return None


def _archive(ev, action: str, before: dict, after: dict, names: Names) -> str | None:
    if action == "retention.save":
        return _("Saved the retention period %(name)s", name=_clip(after.get("name") or "—", 200))
    if action == "plan.create":
        return _("Created the file plan of %(year)s", year=after.get("year") or "—")
    if action == "plan.add_heading":
        return _("Added the heading %(title)s to the file plan", title=_clip(after.get("title") or "—", 200))
    if action == "plan.approve":
        return _("Approved the file plan")
    if action == "plan.copy":
        return _("Copied the file plan of %(from)s into %(to)s", **{"from": after.get("from_year") or "—",
                                                                     "to": after.get("to_year") or "—"})
    dossier = names.dossier(ev.object_id) if ev.object_type == "dossiers" else names.dossier(after.get("dossier_id"))
    if action == "dossier.create":
        code, title = after.get("code"), after.get("title")
        return _("Created the dossier %(dossier)s", dossier=_clip(f"{code} – {title}", 200) if code and title
                 else dossier)
    if action == "dossier.open":
        return _("Opened the dossier %(dossier)s", dossier=dossier)
    if action == "dossier.update":
        return _("Edited the dossier %(dossier)s", dossier=dossier)
    if action == "dossier.close":
        return _("Closed the dossier %(dossier)s", dossier=dossier)
    if action == "dossier.destroy":
        return _("Destroyed the dossier %(dossier)s", dossier=dossier)
    if action in ("dossier.add_document", "dossier.remove_document", "dossier.move_document"):
        document = names.document(after.get("document_id") or before.get("document_id"))
        if action == "dossier.add_document":
            return _("Filed %(document)s in the dossier %(dossier)s", document=document, dossier=dossier)
        if action == "dossier.remove_document":
            return _("Took %(document)s out of the dossier %(dossier)s", document=document, dossier=dossier)
        return _("Moved %(document)s to position %(n)s in the dossier %(dossier)s", document=document,
                 n=after.get("position") or "—", dossier=dossier)
    listed = ", ".join(names.dossier(i) for i in after.get("dossier_ids") or [] if _int(i)) or "—"
    if action == "transfer.create":
        return _("Proposed the transfer to the archive of %(dossiers)s", dossiers=_clip(listed))
    if action == "transfer.accept":
        return _("Accepted a transfer into the archive")
    if action == "keepback.request":
        return _("Asked to keep back the dossier %(dossier)s until %(date)s", dossier=dossier,
                 date=_date(after.get("until")))
    if action in ("keepback.approve", "keepback.refuse"):
        text = _("Approved a keep-back") if action == "keepback.approve" else _("Refused a keep-back")
        return _with_comment(text, after.get("comment"))
    if action == "loan.request":
        return _("Asked to borrow the dossier %(dossier)s until %(date)s", dossier=dossier,
                 date=_date(after.get("due_date")))
    loan_steps = {"loan.approve": _l("Approved a loan"), "loan.refuse": _l("Refused a loan"),
                  "loan.lend": _l("Lent a dossier"), "loan.return": _l("Took a lent dossier back")}
    if action in loan_steps:
        return _with_comment(str(loan_steps[action]), after.get("comment"))
    if action == "disposition.propose":
        return _("Proposed the destruction of %(dossiers)s", dossiers=_clip(listed))
    if action == "disposition.approve":
        return _("Approved the destruction of %(dossiers)s", dossiers=_clip(listed))
    if action == "disposition.refuse":
        return _("Refused a proposed destruction")
    return None


#: the archive's audit areas (docflow.archive.services)
ARCHIVE_AREAS = ("retention", "plan", "dossier", "transfer", "keepback", "loan", "disposition")


def _account(ev, names: Names, after: dict, before: dict) -> str:
    return (names.user(_int(ev.object_id)) or after.get("full_name") or before.get("full_name")
            or names.user(after.get("username") or after.get("user")) or _("someone"))


def _others(ev, action: str, before: dict, after: dict, names: Names) -> str | None:
    if action == "attachment.add":
        return _("Attached the file %(filename)s", filename=_clip(after.get("filename") or "—", 120))
    if action == "attachment.destroy":
        return _("Destroyed a file of %(document)s (approved destruction)", document=names.document(
            after.get("document_id")))
    if action == "login.success":
        return _("Signed in through the API") if after.get("channel") == "api" else _("Signed in")
    if action == "login.failure":
        reason = LOGIN_FAILURES.get(after.get("reason"), _l("refused"))
        if _int(ev.object_id) and names.user(_int(ev.object_id)):
            return _("Failed sign-in to the account of %(name)s: %(reason)s", name=names.user(_int(ev.object_id)),
                     reason=reason)
        return _("Failed sign-in as «%(username)s»: %(reason)s", username=_clip(after.get("username") or "", 64),
                 reason=reason)
    if action == "user.password_change":
        return _("Changed their own password")
    if action == "user.password_reset":
        return _("Reset the password of %(name)s", name=_account(ev, names, after, before))
    if action == "user.create":
        return _("Created the account of %(name)s", name=_account(ev, names, after, before))
    if action == "user.update":
        changes = _changes(before, after, names)
        name = _account(ev, names, after, before)
        return (_("Updated the account of %(name)s: %(changes)s", name=name, changes=changes) if changes
                else _("Updated the account of %(name)s", name=name))
    if action == "user.activate":
        return _("Reactivated the account of %(name)s", name=_account(ev, names, after, before))
    if action == "user.deactivate":
        return _("Deactivated the account of %(name)s", name=_account(ev, names, after, before))
    if action in ("unit.create", "unit.update"):
        name = after.get("name") or names.unit(_int(ev.object_id)) or "—"
        if action == "unit.create":
            return _("Created the unit %(name)s", name=_clip(name, 200))
        changes = _changes(before, after, names)
        return (_("Updated the unit %(name)s: %(changes)s", name=_clip(name, 200), changes=changes) if changes
                else _("Updated the unit %(name)s", name=_clip(name, 200)))
    if action == "token.create":
        return _("Created an API token for %(name)s", name=names.user(after.get("user")) or _("someone"))
    if action == "token.revoke":
        return _("Revoked an API token of %(name)s", name=names.user(after.get("user")) or _("someone"))
    saved = {"doc_type.save": _l("Saved the document type %(name)s"),
             "register.save": _l("Saved the register %(name)s"),
             "organization.save": _l("Saved the organisation %(name)s"),
             "workflow.save": _l("Saved the approval workflow %(name)s"),
             "workflow.create": _l("Created the approval workflow %(name)s")}
    if action in saved:
        return str(saved[action] % {"name": _clip(after.get("name") or "—", 200)})
    if action == "setting.update":
        return _setting(ev, before, after)
    if action == "seed.documents":
        return _("Loaded %(n)s demo documents", n=after.get("documents") or 0)
    return None


def _setting(ev, before: dict, after: dict) -> str:
    if ev.object_id == PRELOADED_KEY:
        old = set(before.get("value") or []) if isinstance(before.get("value"), list) else set()
        new = after.get("value") if isinstance(after.get("value"), list) else []
        years = ", ".join(str(y) for y in new if y not in old)
        return _("Prepared the public holidays of %(years)s", years=years) if years else _("Changed a setting")
    label = SETTING_LABELS.get(ev.object_id)
    return _("Changed %(setting)s", setting=label) if label else _("Changed a setting")


def _generic(ev) -> str:
    label = OBJECT_LABELS.get(ev.object_type or "")
    return _("Changed %(object)s", object=label) if label else _("Did something in the system")


def describe(event, names: Names | None = None) -> str:
    """The event as one sentence in the current language (never an action code, an id or a hash)."""
    names = names if names is not None else Names.resolve([event])
    action = event.action or ""
    before, after = _as_dict(event.before), _as_dict(event.after)
    area, _dot, verb = action.partition(".")
    try:
        if area == "incoming":
            text = _incoming(event, verb, before, after, names)
        elif area == "outgoing":
            text = _outgoing(event, verb, before, after, names)
        elif area == "exchange":
            text = _exchange(event, verb, before, after, names)
        elif area in ARCHIVE_AREAS:
            text = _archive(event, action, before, after, names)
        else:
            text = _others(event, action, before, after, names)
    except (TypeError, ValueError, AttributeError, KeyError):  # a payload of an older or unexpected shape
        text = None
    return text or _generic(event)


def actor_of(event, names: Names | None = None) -> str:
    """Who did it, by full name; "System" for the commands and the system's own work."""
    if event.actor_id:
        names = names if names is not None else Names.resolve([event])
        return names.user(event.actor_id) or _("a former user")
    if event.action == "login.failure":
        return "—"
    return _("System")
