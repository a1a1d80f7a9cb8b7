"""Setting up an office: the reference data every feature needs before the first letter. It sits
above the features (like the CLI and the demo) and may call any of them."""

from docflow.archive.services import seed_retention
from docflow.core import calendar, settings
from docflow.core.timeutil import today
from docflow.outgoing.workflows import ensure_default_workflow
from docflow.registry import reference


def init_office(org_name: str | None, org_abbr: str | None, org_code: str | None) -> dict:
    """The agency, the Decree 30 document types, this year's registers, the default approval ladder,
    and the public holidays of this year and the next. Idempotent; flushes, the caller commits."""
    agency = settings.agency()
    if org_name or org_abbr or org_code or not agency.get("name"):
        reference.update_agency({"name": org_name or agency.get("name") or "Ủy ban nhân dân",
                                 "abbr": org_abbr or agency.get("abbr") or "UBND",
                                 "code": org_code if org_code is not None else agency.get("code", "")})
    added = reference.seed_doc_types()
    registers = reference.ensure_default_registers()
    ensure_default_workflow()
    year = today().year
    holiday_years = calendar.preload_holidays([year, year + 1])
    retention_added = seed_retention()
    return {"types_added": added, "registers": len(registers), "holiday_years": holiday_years,
            "retention_added": retention_added}
