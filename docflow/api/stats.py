"""GET /stats/volume, /stats/handling, /stats/directive10: the office's figures, counting only what the
caller may see (api.md "Archive, search, statistics, exchange"; definitions in docflow/stats/service.py)."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from docflow.core.timeutil import today
from docflow.core.tx import reads_only
from docflow.stats import service

blp = Blueprint("api_stats", __name__, description="Statistics")


class PeriodArgs(Schema):
    year = fields.Str(load_default=None, metadata={"description": "The year (default: this year)"})
    quarter = fields.Str(load_default=None, metadata={"description": "1..4: one quarter of the year"})
    month = fields.Str(load_default=None, metadata={"description": "1..12: one month of the year"})


class VolumeArgs(PeriodArgs):
    group_by = fields.Str(load_default="month", validate=validate.OneOf(service.GROUPS),
                          metadata={"description": "month, quarter, doc_type, issuer, unit, register, medium, channel"})
    limit = fields.Int(load_default=None, validate=validate.Range(min=1, max=1000),
                       metadata={"description": "issuer: the top N senders, the rest as one group `other`"})


class YearArgs(Schema):
    year = fields.Str(load_default=None, metadata={"description": "The year (default: this year)"})


class GroupSchema(Schema):
    key = fields.Raw(allow_none=True)
    label = fields.Str()
    incoming = fields.Int()
    outgoing = fields.Int()


class TotalsSchema(Schema):
    incoming = fields.Int()
    outgoing = fields.Int()
    electronic_incoming = fields.Int()
    electronic_outgoing = fields.Int()


class PeriodSchema(Schema):
    year = fields.Int()
    quarter = fields.Int(allow_none=True)
    month = fields.Int(allow_none=True)
    kind = fields.Str()
    start = fields.Str()
    end = fields.Str()
    label = fields.Str()


class VolumeSchema(Schema):
    year = fields.Int()
    period = fields.Nested(PeriodSchema)
    group_by = fields.Str()
    groups = fields.List(fields.Nested(GroupSchema))
    totals = fields.Nested(TotalsSchema)


class HandlingSchema(Schema):
    year = fields.Int()
    period = fields.Nested(PeriodSchema)
    assigned = fields.Int()
    completed_on_time = fields.Int()
    completed_late = fields.Int()
    open = fields.Int()
    overdue_open = fields.Int()
    on_time_rate = fields.Float(allow_none=True, metadata={"description": "%; null when nothing was completed"})
    avg_days = fields.Float(allow_none=True, metadata={"description": "working days, arrival to completion"})
    median_days = fields.Float(allow_none=True)


class TypeChangeSchema(Schema):
    key = fields.Int(allow_none=True)
    label = fields.Str()
    baseline = fields.Int(allow_none=True)
    outgoing = fields.Int()
    change_pct = fields.Float(allow_none=True)
    grew = fields.Bool()


class TrendSchema(Schema):
    year = fields.Int()
    outgoing = fields.Int()


class Directive10Schema(Schema):
    year = fields.Int()
    baseline_year = fields.Int(allow_none=True)
    baseline_outgoing = fields.Int(allow_none=True)
    outgoing = fields.Int()
    change_pct = fields.Float(allow_none=True, metadata={"description": "null without a baseline or with 0 there"})
    target_pct = fields.Float(allow_none=True, metadata={"description": "the yearly reduction target in %"})
    on_track = fields.Bool(allow_none=True, metadata={"description": "null without a target or a change"})
    by_type = fields.List(fields.Nested(TypeChangeSchema))
    electronic_share_pct = fields.Float(allow_none=True)
    trend = fields.List(fields.Nested(TrendSchema))


def _period(args) -> service.Period:
    year = args.get("year")
    return service.Period.parse(today().year if year in (None, "") else year, args.get("quarter"), args.get("month"))


@blp.route("/stats/volume")
@blp.arguments(VolumeArgs, location="query")
@blp.response(200, VolumeSchema)
def volume(args):
    """Documents received (not cancelled, by arrival date) and issued (by issue date) in a year, quarter
    or month, grouped; only documents the caller may see."""
    reads_only()
    period = _period(args)
    return service.volume(current_user, period, args["group_by"], limit=args.get("limit"))


@blp.route("/stats/handling")
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, HandlingSchema)
def handling(args):
    """Handling of the incoming letters received in the period: assigned, completed on time / late,
    open, overdue, on-time rate, handling time in working days."""
    reads_only()
    period = _period(args)
    return {"year": period.year, "period": period.as_dict(), **service.handling(current_user, period)}


@blp.route("/stats/directive10")
@blp.arguments(YearArgs, location="query")
@blp.response(200, Directive10Schema)
def directive10(args):
    """Outgoing documents of the year against the baseline year (Directive 10/2006/CT-TTg), by type,
    with the electronic share and a five-year trend."""
    reads_only()
    return service.directive10(current_user, _period(args).year)
