"""API of the FEDER/EFRO indicators (programme officers)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from reproduce.api.auth import require_authenticated
from reproduce.api.errors import ApiError, ErrorOut
from reproduce.core.permissions import access, require
from reproduce.programme.models import Cohort
from reproduce.programme.schemas_indicators import IndicatorFilters, IndicatorsOut, indicators_out
from reproduce.programme.services import indicators
from reproduce.programme.views.indicators import report_for

router = Router(tags=["programme"])


@router.get(
    "/indicators",
    response={200: IndicatorsOut, 403: ErrorOut, 422: ErrorOut},
    summary="FEDER indicators",
)
@access("network", perm="programme.view", methods=("GET",))
def get_indicators(request: HttpRequest, filters: Query[IndicatorFilters]) -> dict[str, Any]:
    """The FEDER/EFRO common indicators computed from the records (RCO01 enterprises
    supported, RCO04 with non-financial support, RCO05 new enterprises, RCR01 jobs created in
    FTE), each with its definition and the participations behind it (``counted`` false for an
    enterprise already counted). Filters: ``cohort`` (id), ``from`` and ``to`` (dates): the
    participations whose accompaniment overlaps the period. Programme officers only; each
    application listed is written to the audit log."""
    actor = require_authenticated(request)
    require(actor, "programme.view")
    cohort = None
    if filters.cohort is not None:
        cohort = Cohort.objects.visible_to(actor).filter(pk=filters.cohort).first()
        if cohort is None:
            raise ApiError(422, "invalid_cohort", _("No such cohort."))
    start, end = filters.period_from, filters.period_to
    if start and end and start > end:
        raise ApiError(422, "invalid_period", _("The end of the period comes before its start."))
    scope = indicators.Scope(cohort=cohort, period_from=start, period_to=end)
    report = report_for(actor, scope, "export_indicators")
    return indicators_out(report, str(indicators.REGULATION))
