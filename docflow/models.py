"""Every model of every feature, imported in one place for Alembic and the shell."""

from docflow.auth.models import ApiToken, Unit, User, UserRole
from docflow.core.models import AuditEvent, AuditHead, Setting
from docflow.registry.models import DocType, Organization, Register

__all__ = ["ApiToken", "AuditEvent", "AuditHead", "DocType", "Organization", "Register", "Setting", "Unit", "User",
           "UserRole"]
