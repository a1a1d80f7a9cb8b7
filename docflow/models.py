"""Every model of every feature, imported in one place for Alembic and the shell."""

from docflow.archive.models import (
    Disposition,
    DispositionDossier,
    Dossier,
    DossierDocument,
    FilePlan,
    FilePlanHeading,
    KeepBack,
    Loan,
    RetentionPeriod,
    Transfer,
)
from docflow.auth.models import ApiToken, Unit, User, UserRole
from docflow.core.models import AuditEvent, AuditHead, Notification, Setting
from docflow.exchange.models import ExchangeMessage
from docflow.incoming.models import Assignment, ProgressNote
from docflow.outgoing.models import (
    ApprovalAction,
    DraftVersion,
    Recipient,
    ReplyLink,
    Workflow,
    WorkflowDocType,
    WorkflowStep,
)
from docflow.registry.models import Attachment, DocType, Document, Organization, Participant, Register
from docflow.search.models import SavedSearch, SearchIndex
from docflow.stats.models import StatCount, StatDocument, StatHandling

__all__ = ["Disposition", "DispositionDossier", "Dossier", "DossierDocument", "FilePlan", "FilePlanHeading",
           "KeepBack", "Loan", "RetentionPeriod", "Transfer",
           "ApiToken", "ApprovalAction", "DraftVersion", "Recipient", "ReplyLink", "Workflow", "WorkflowDocType",
           "WorkflowStep", "Assignment", "Attachment", "AuditEvent", "AuditHead", "DocType", "Document",
           "ExchangeMessage", "Notification",
           "Organization", "Participant", "ProgressNote", "Register", "SavedSearch", "SearchIndex", "Setting",
           "StatCount", "StatDocument", "StatHandling", "Unit", "User", "UserRole"]
