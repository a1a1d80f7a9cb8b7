"""Approval ladders: configuration (admin) and who approves a step for a given draft."""

import sqlalchemy as sa
from flask_babel import gettext as _

from docflow.auth import people
from docflow.auth.models import User
from docflow.core import audit
from docflow.core.enums import ROLES
from docflow.core.errors import NotFound, ValidationFailed
from docflow.core.values import get_by_id
from docflow.extensions import db
from docflow.outgoing.models import Workflow, WorkflowDocType, WorkflowStep
from docflow.registry.models import DocType, Document

DEFAULT_LADDER_NAME = "Trưởng đơn vị → Lãnh đạo"


def snapshot(wf: Workflow) -> dict:
    return {"name": wf.name, "default": wf.is_default, "active": wf.is_active,
            "doc_types": sorted(b.doc_type.code for b in wf.bindings),
            "steps": [{"name": s.name, "kind": s.kind, "role": s.role, "user_id": s.user_id, "days": s.days}
                      for s in wf.steps]}


def ensure_default_workflow() -> Workflow:
    """The ladder `flask docflow init` creates: unit head → any leader. Idempotent."""
    wf = db.session.scalar(sa.select(Workflow).where(Workflow.is_default.is_(True)))
    if wf is None:
        wf = db.session.scalar(sa.select(Workflow).where(Workflow.name == DEFAULT_LADDER_NAME))
    if wf is None:
        wf = Workflow(name=DEFAULT_LADDER_NAME, is_default=True)
        wf.steps = [WorkflowStep(position=1, name="Trưởng đơn vị duyệt", kind="unit_head", days=2),
                    WorkflowStep(position=2, name="Lãnh đạo duyệt, ký", kind="role", role="leader", days=2)]
        db.session.add(wf)
        db.session.flush()
        audit.record("workflow.create", obj=wf, after=snapshot(wf))
    return wf


def save_workflow(data: dict, wf: Workflow | None = None, *, actor=None) -> Workflow:
    """Create or replace a ladder: {name, doc_types?, steps: [{name, role? | user_id?, days}], is_default?}."""
    errors: dict[str, list[str]] = {}
    name = " ".join((data.get("name") or "").split())
    if not name or len(name) > 120:
        errors["name"] = [_("Enter the workflow's name (at most 120 characters).")]
    else:
        clash = db.session.scalar(sa.select(Workflow.id).where(Workflow.name == name))
        if clash and (wf is None or clash != wf.id):
            errors["name"] = [_("A workflow with this name already exists.")]
    steps_in = data.get("steps")
    steps: list[WorkflowStep] = []
    if not isinstance(steps_in, list) or not steps_in:
        errors["steps"] = [_("Give at least one step.")]
    else:
        for i, raw in enumerate(steps_in, start=1):
            key = f"steps.{i - 1}"
            if not isinstance(raw, dict):
                errors[key] = [_("Invalid step.")]
                continue
            step_name = " ".join((raw.get("name") or "").split()) or f"Bước {i}"
            try:
                days = int(raw.get("days", 2))
            except (TypeError, ValueError):
                days = -1
            if not 0 <= days <= 365:
                errors.setdefault(key, []).append(_("The time limit is 0–365 working days."))
            user_id, role = raw.get("user_id"), raw.get("role")
            if user_id not in (None, ""):
                user = get_by_id(User, user_id)
                if user is None or not user.is_active:
                    errors.setdefault(key, []).append(_("Choose an active user."))
                steps.append(WorkflowStep(position=i, name=step_name[:120], kind="user",
                                          user_id=user.id if user else None, days=days))
            elif role == "unit_head":
                steps.append(WorkflowStep(position=i, name=step_name[:120], kind="unit_head", days=days))
            elif role in ROLES:
                steps.append(WorkflowStep(position=i, name=step_name[:120], kind="role", role=role, days=days))
            else:
                errors.setdefault(key, []).append(
                    _("Give a role (unit_head for the head of the drafter's unit) or a user."))
    types = []
    for code in data.get("doc_types") or []:
        doc_type = db.session.scalar(sa.select(DocType).where(DocType.code == code))
        if doc_type is None:
            errors.setdefault("doc_types", []).append(_("Unknown document type %(code)s.", code=code))
            continue
        bound = db.session.scalar(sa.select(WorkflowDocType).where(WorkflowDocType.doc_type_id == doc_type.id))
        if bound is not None and (wf is None or bound.workflow_id != wf.id):
            errors.setdefault("doc_types", []).append(_("%(code)s is already bound to another workflow.", code=code))
        types.append(doc_type)
    if wf is not None and wf.is_default and data.get("active") is False:
        errors["active"] = [_("The default workflow cannot be deactivated; make another one the default first.")]
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(wf) if wf else None
    if wf is None:
        wf = Workflow(name=name)
        db.session.add(wf)
    else:
        wf.name = name
        wf.version += 1
        wf.steps.clear()
        wf.bindings.clear()
        db.session.flush()
    wf.steps.extend(steps)
    wf.bindings.extend(WorkflowDocType(doc_type_id=t.id) for t in types)
    if "active" in data:
        wf.is_active = bool(data["active"])
    if data.get("is_default"):
        for other in db.session.scalars(sa.select(Workflow).where(Workflow.is_default.is_(True))):
            other.is_default = False
        wf.is_default = True
    db.session.flush()
    audit.record("workflow.save", obj=wf, before=before, after=snapshot(wf), actor=actor)
    return wf


def get_workflow(workflow_id) -> Workflow:
    wf = get_by_id(Workflow, workflow_id)
    if wf is None:
        raise NotFound(_("No such workflow."))
    return wf


def list_workflows():
    return sa.select(Workflow).order_by(Workflow.is_default.desc(), Workflow.name)


def workflow_for(doc_type: DocType) -> Workflow | None:
    """The active workflow bound to the type, else the default ladder."""
    bound = db.session.scalar(sa.select(Workflow).join(WorkflowDocType).where(
        WorkflowDocType.doc_type_id == doc_type.id, Workflow.is_active.is_(True)))
    return bound or db.session.scalar(sa.select(Workflow).where(Workflow.is_default.is_(True),
                                                                Workflow.is_active.is_(True)))


def step_at(doc: Document, position: int | None) -> WorkflowStep | None:
    if doc.workflow_id is None or position is None:
        return None
    return db.session.scalar(sa.select(WorkflowStep).where(WorkflowStep.workflow_id == doc.workflow_id,
                                                           WorkflowStep.position == position))


def current_steps(docs) -> dict:
    """{document id: its waiting step} for a list of documents, in one query."""
    wanted = {d.id: (d.workflow_id, d.current_step) for d in docs if d.workflow_id and d.current_step}
    if not wanted:
        return {}
    steps = db.session.scalars(sa.select(WorkflowStep).where(
        WorkflowStep.workflow_id.in_({w for w, _p in wanted.values()})))
    by_key = {(s.workflow_id, s.position): s for s in steps}
    return {doc_id: by_key.get(key) for doc_id, key in wanted.items()}


def eligible_approvers(doc: Document, step: WorkflowStep) -> list[User]:
    """Who may approve this step of this draft: active, cleared for it, and never the drafter."""
    if step.kind == "user":
        users = [step.user] if step.user is not None else []
    elif step.kind == "unit_head":
        users = people.unit_heads(doc.drafting_unit_id)
    else:
        users = people.holders(step.role)
    return [u for u in users if u.is_active and u.id != doc.drafter_id and u.cleared_for(doc.confidentiality)]


def is_approver(user) -> bool:
    """Whether the user approves some step of some ladder: named on a step, holding a step's role, or
    a unit head where a ladder has a unit-head step. Decides who is offered "awaiting my approval"."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    mine = [sa.and_(WorkflowStep.kind == "user", WorkflowStep.user_id == user.id)]
    if user.roles:
        mine.append(sa.and_(WorkflowStep.kind == "role", WorkflowStep.role.in_(user.roles)))
    if user.has_role("unit_head"):
        mine.append(WorkflowStep.kind == "unit_head")
    return bool(db.session.scalar(sa.select(sa.exists().where(sa.or_(*mine)))))
