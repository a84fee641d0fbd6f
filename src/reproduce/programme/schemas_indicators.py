"""Schemas of the FEDER indicators API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from reproduce.programme.services.indicators import Indicator, Report, Row


class IndicatorFilters(Schema):
    cohort: int | None = Field(None, description="Id of a cohort (default: all cohorts)")
    period_from: date | None = Field(
        None, alias="from", description="Participations whose accompaniment ends on or after"
    )
    period_to: date | None = Field(
        None, alias="to", description="Participations whose accompaniment starts on or before"
    )


class RecordOut(Schema):
    participant_id: int
    application: str = Field(description="Reference of the application")
    person: str = Field(description="Empty once personal data are erased")
    enterprise_key: str = Field(description="Enterprise number, or a key for a future one")
    enterprise: str
    call: str
    cohort: str
    counted: bool = Field(description="False: the enterprise is already counted on a row above")
    values: dict[str, Any]


class IndicatorOut(Schema):
    code: str = Field(examples=["RCO01"])
    name: str
    definition: str
    unit: str
    value: Decimal
    records: list[RecordOut]


class ScopeOut(Schema):
    cohort: int | None
    period_from: date | None
    period_to: date | None
    description: str


class IndicatorsOut(Schema):
    scope: ScopeOut
    computed_at: str
    regulation: str
    indicators: list[IndicatorOut]


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record_out(row: Row) -> dict[str, Any]:
    return {
        "participant_id": row.participant_id,
        "application": row.reference,
        "person": row.person,
        "enterprise_key": row.enterprise_key,
        "enterprise": row.enterprise,
        "call": row.call,
        "cohort": row.cohort,
        "counted": row.counted,
        "values": {k: _jsonable(v) for k, v in row.values.items()},
    }


def indicator_out(indicator: Indicator) -> dict[str, Any]:
    d = indicator.definition
    return {
        "code": d.code,
        "name": str(d.name),
        "definition": str(d.definition),
        "unit": str(d.unit),
        "value": Decimal(indicator.value),
        "records": [record_out(r) for r in indicator.rows],
    }


def indicators_out(report: Report, regulation: str) -> dict[str, Any]:
    scope = report.scope
    return {
        "scope": {
            "cohort": scope.cohort.pk if scope.cohort else None,
            "period_from": scope.period_from,
            "period_to": scope.period_to,
            "description": scope.describe(),
        },
        "computed_at": report.computed_at.isoformat(),
        "regulation": regulation,
        "indicators": [indicator_out(i) for i in report.indicators],
    }
